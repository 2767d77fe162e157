"""dataset: speaker verification evidence per clip (party -> segment, similarity)

Revision ID: 0194_clip_voices
Revises: 0193_ledger_reference
"""

import sqlalchemy as sa
from alembic import op

revision = "0194_clip_voices"
down_revision = "0193_ledger_reference"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_clips") as batch:
        batch.add_column(sa.Column("voices", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dataset_clips") as batch:
        batch.drop_column("voices")
