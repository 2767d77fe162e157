"""dataset: an index on dataset_clips (org_id, dataset_pk, clip_id): counting a dataset's clips (the
dataset list, `dataset show`) reads the index alone, and a page of clips in id order (the web
studio's dataset view) skips the earlier ones in the index, not in the rows

Revision ID: 0195_clip_counts_index
Revises: 0194_clip_voices
"""

from alembic import op

revision = "0195_clip_counts_index"
down_revision = "0194_clip_voices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dataset_clips_org_dataset_clip", "dataset_clips",
                    ["org_id", "dataset_pk", "clip_id"])


def downgrade() -> None:
    op.drop_index("ix_dataset_clips_org_dataset_clip", table_name="dataset_clips")
