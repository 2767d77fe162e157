"""dataset clips: presentation times; curate media: one row per (work, media) so that two
works may share a master file

Revision ID: 0120_curate_time
Revises: 0180_work_ids
"""

import sqlalchemy as sa
from alembic import op

revision = "0120_curate_time"
down_revision = "0180_work_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_clips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("end_s", sa.Float(), nullable=True))
    with op.batch_alter_table("curate_media", schema=None) as batch_op:
        batch_op.drop_constraint("uq_curate_media_dataset_uri", type_="unique")
        batch_op.create_unique_constraint(
            "uq_curate_media_dataset_work_uri", ["dataset_pk", "work_id", "media_uri"]
        )


def downgrade() -> None:
    with op.batch_alter_table("curate_media", schema=None) as batch_op:
        batch_op.drop_constraint("uq_curate_media_dataset_work_uri", type_="unique")
        batch_op.create_unique_constraint(
            "uq_curate_media_dataset_uri", ["dataset_pk", "media_uri"]
        )
    with op.batch_alter_table("dataset_clips", schema=None) as batch_op:
        batch_op.drop_column("end_s")
        batch_op.drop_column("start_s")
