"""generation outputs

Revision ID: 0004_generate
Revises: 0001_rights
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_generate"
down_revision = "0001_rights"
branch_labels = ("generate",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outputs",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=True),
        sa.Column("dataset_manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("path", sa.String(length=2000), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("attribution", sa.JSON(), nullable=False),
        sa.Column("watermark", sa.String(length=32), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name=op.f("fk_outputs_org_id_organizations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_outputs")),
        sa.UniqueConstraint("org_id", "id", name="uq_outputs_org_id"),
    )
    with op.batch_alter_table("outputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outputs_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outputs_org_id"))
    op.drop_table("outputs")
