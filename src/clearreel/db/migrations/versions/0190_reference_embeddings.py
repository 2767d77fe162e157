"""rights: face reference embeddings, computed once at import and kept with the photo's sha256

Revision ID: 0190_reference_embeddings
Revises: 0151_row_level_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0190_reference_embeddings"
down_revision = "0151_row_level_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_embeddings",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("embedding", sa.JSON(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name="fk_reference_embeddings_org_id_organizations",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk", name="pk_reference_embeddings"),
        sa.UniqueConstraint("org_id", "party_id", "path", "model",
                            name="uq_reference_embeddings_org_party_path_model"),
    )
    op.create_index("ix_reference_embeddings_org_id", "reference_embeddings", ["org_id"])
    op.create_index("ix_reference_embeddings_party_id", "reference_embeddings", ["party_id"])


def downgrade() -> None:
    op.drop_index("ix_reference_embeddings_party_id", table_name="reference_embeddings")
    op.drop_index("ix_reference_embeddings_org_id", table_name="reference_embeddings")
    op.drop_table("reference_embeddings")
