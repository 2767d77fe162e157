"""train: the model registry (trained_models)

Revision ID: 0003_train
Revises: 0001_rights
Create Date: 2026-11-22 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_train"
down_revision = "0001_rights"
branch_labels = ("train",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trained_models",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("base", sa.String(length=2000), nullable=False),
        sa.Column("base_sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=True),
        sa.Column("dataset_manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("character", sa.String(length=128), nullable=True),
        sa.Column("trigger", sa.String(length=128), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name="fk_trained_models_org_id_organizations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_trained_models"),
        sa.UniqueConstraint("org_id", "name", name="uq_trained_models_org_name"),
    )
    with op.batch_alter_table("trained_models", schema=None) as batch_op:
        batch_op.create_index("ix_trained_models_org_id", ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trained_models", schema=None) as batch_op:
        batch_op.drop_index("ix_trained_models_org_id")
    op.drop_table("trained_models")
