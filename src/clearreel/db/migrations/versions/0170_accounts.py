"""web studio: accounts (users, API tokens, sessions) and browser-started jobs

Revision ID: 0170_accounts
Revises: 0007_merge_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0170_accounts"
down_revision = "0007_merge_heads"
branch_labels = None
depends_on = None


def _org(table: str) -> list:
    return [
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name=f"fk_{table}_org_id_organizations", ondelete="CASCADE"),
    ]


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_pk"], ["web_users.pk"],
                                   name=f"fk_{table}_user_pk_web_users", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        *_org("web_users"),
        sa.PrimaryKeyConstraint("pk", name="pk_web_users"),
        sa.UniqueConstraint("name", name="uq_web_users_name"),
    )
    op.create_index("ix_web_users_org_id", "web_users", ["org_id"])
    op.create_table(
        "web_api_tokens",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.DateTime(), nullable=True),
        *_org("web_api_tokens"),
        _user_fk("web_api_tokens"),
        sa.PrimaryKeyConstraint("pk", name="pk_web_api_tokens"),
        sa.UniqueConstraint("digest", name="uq_web_api_tokens_digest"),
    )
    op.create_index("ix_web_api_tokens_org_id", "web_api_tokens", ["org_id"])
    op.create_index("ix_web_api_tokens_user_pk", "web_api_tokens", ["user_pk"])
    op.create_table(
        "web_sessions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
        *_org("web_sessions"),
        _user_fk("web_sessions"),
        sa.PrimaryKeyConstraint("pk", name="pk_web_sessions"),
        sa.UniqueConstraint("digest", name="uq_web_sessions_digest"),
    )
    op.create_index("ix_web_sessions_org_id", "web_sessions", ["org_id"])
    op.create_index("ix_web_sessions_user_pk", "web_sessions", ["user_pk"])
    op.create_table(
        "web_jobs",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_pid", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
        *_org("web_jobs"),
        sa.PrimaryKeyConstraint("pk", name="pk_web_jobs"),
        sa.UniqueConstraint("id", name="uq_web_jobs_id"),
    )
    op.create_index("ix_web_jobs_org_id", "web_jobs", ["org_id"])
    op.create_index("ix_web_jobs_state", "web_jobs", ["state"])


def downgrade() -> None:
    for t in ("web_jobs", "web_sessions", "web_api_tokens", "web_users"):
        op.drop_table(t)
