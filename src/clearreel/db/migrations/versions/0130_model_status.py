"""model status: a model whose dataset no longer clears is suspended

Revision ID: 0130_model_status
Revises: 0120_curate_time
"""

import sqlalchemy as sa
from alembic import op

revision = "0130_model_status"
down_revision = "0120_curate_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trained_models") as b:
        b.add_column(sa.Column("status", sa.String(length=16), nullable=False,
                               server_default="active"))
        b.add_column(sa.Column("status_detail", sa.JSON(), nullable=True))
        b.add_column(sa.Column("status_changed", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trained_models") as b:
        b.drop_column("status_changed")
        b.drop_column("status_detail")
        b.drop_column("status")
