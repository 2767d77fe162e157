"""organizations record the workspace that holds them

Revision ID: 0150_org_workspace
Revises: 0130_model_status

Two workspaces sharing one PostgreSQL database each see only the organizations bound to their
own workspace id (`workspace.json`); rows made before this revision are NULL until `clearreel
init` (or the first open of a SQLite workspace) binds them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0150_org_workspace"
down_revision = "0130_model_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as b:
        b.add_column(sa.Column("workspace", sa.String(64), nullable=True))
        b.create_index("ix_organizations_workspace", ["workspace"])


def downgrade() -> None:
    with op.batch_alter_table("organizations") as b:
        b.drop_index("ix_organizations_workspace")
        b.drop_column("workspace")
