"""merge the per-stage branches into one head

Revision ID: 0007_merge_heads
Revises: 0002_curate, 0003_train, 0004_generate, 0006_ledger
"""

revision = "0007_merge_heads"
down_revision = ("0002_curate", "0003_train", "0004_generate", "0006_ledger")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
