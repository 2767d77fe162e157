"""dataset: face recognition evidence per clip (party -> frame, distance)

Revision ID: 0191_clip_faces
Revises: 0190_reference_embeddings
"""

import sqlalchemy as sa
from alembic import op

revision = "0191_clip_faces"
down_revision = "0190_reference_embeddings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_clips") as batch:
        batch.add_column(sa.Column("faces", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dataset_clips") as batch:
        batch.drop_column("faces")
