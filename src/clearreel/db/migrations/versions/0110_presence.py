"""presence: party aliases, the media file a scene applies to

Revision ID: 0110_presence
Revises: 0170_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0110_presence"
down_revision = "0170_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot add a NOT NULL column with a server default otherwise.
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("aliases", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("scenes") as batch:
        batch.add_column(sa.Column("media", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("media")
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("aliases")
