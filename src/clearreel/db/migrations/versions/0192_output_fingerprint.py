"""outputs: the perceptual fingerprint of the delivered frames (forged-watermark check)

Revision ID: 0192_output_fingerprint
Revises: 0191_clip_faces
"""

import sqlalchemy as sa
from alembic import op

revision = "0192_output_fingerprint"
down_revision = "0191_clip_faces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outputs") as b:
        b.add_column(sa.Column("fingerprint", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outputs") as b:
        b.drop_column("fingerprint")
