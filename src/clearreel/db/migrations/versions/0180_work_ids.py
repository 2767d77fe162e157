"""works: EIDR id and timecode rate; licences: exclusivity (EMA Avails)

Revision ID: 0180_work_ids
Revises: 0110_presence
"""

import sqlalchemy as sa
from alembic import op

revision = "0180_work_ids"
down_revision = "0110_presence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eidr", sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column("fps", sa.String(length=16), nullable=True))
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exclusive", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.drop_column("exclusive")
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_column("fps")
        batch_op.drop_column("eidr")
