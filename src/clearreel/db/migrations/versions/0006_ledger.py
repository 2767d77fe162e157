"""ledger: accounts, transactions, hash-chained postings, chain heads; append-only triggers

Revision ID: 0006_ledger
Revises: 0001_rights
Create Date: 2026-11-22 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ledger"
down_revision = "0001_rights"
branch_labels = ("ledger",)
depends_on = None

_APPEND_ONLY = ("ledger_transactions", "ledger_postings")


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organizations.id"],
        name=f"fk_{table}_org_id_organizations",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.String(length=128), nullable=True),
        sa.Column("work_id", sa.String(length=128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        _org_fk("ledger_accounts"),
        sa.PrimaryKeyConstraint("pk", name="pk_ledger_accounts"),
        sa.UniqueConstraint(
            "org_id", "code", "currency", name="uq_ledger_accounts_org_code_currency"
        ),
    )
    op.create_index("ix_ledger_accounts_org_id", "ledger_accounts", ["org_id"])

    op.create_table(
        "ledger_transactions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("n_postings", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        _org_fk("ledger_transactions"),
        sa.PrimaryKeyConstraint("pk", name="pk_ledger_transactions"),
        sa.UniqueConstraint("org_id", "seq", name="uq_ledger_transactions_org_seq"),
    )
    op.create_index("ix_ledger_transactions_org_id", "ledger_transactions", ["org_id"])
    op.create_index("ix_ledger_transactions_effective", "ledger_transactions", ["effective"])

    op.create_table(
        "ledger_postings",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("txn_pk", sa.Integer(), nullable=False),
        sa.Column("account_pk", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("work_id", sa.String(length=128), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        _org_fk("ledger_postings"),
        sa.ForeignKeyConstraint(
            ["txn_pk"],
            ["ledger_transactions.pk"],
            name="fk_ledger_postings_txn_pk_ledger_transactions",
        ),
        sa.ForeignKeyConstraint(
            ["account_pk"],
            ["ledger_accounts.pk"],
            name="fk_ledger_postings_account_pk_ledger_accounts",
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_ledger_postings"),
        sa.UniqueConstraint("org_id", "seq", name="uq_ledger_postings_org_seq"),
    )
    op.create_index("ix_ledger_postings_org_id", "ledger_postings", ["org_id"])
    op.create_index("ix_ledger_postings_txn_pk", "ledger_postings", ["txn_pk"])
    op.create_index("ix_ledger_postings_account_pk", "ledger_postings", ["account_pk"])

    op.create_table(
        "ledger_heads",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("txn_seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        _org_fk("ledger_heads"),
        sa.PrimaryKeyConstraint("pk", name="pk_ledger_heads"),
        sa.UniqueConstraint("org_id", name="uq_ledger_heads_org_id"),
    )
    op.create_index("ix_ledger_heads_org_id", "ledger_heads", ["org_id"])

    # Append-only in the database too: a ledger's lines are corrected by a new, reversing
    # transaction, never by editing or deleting the old one.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in _APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in _APPEND_ONLY:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
    elif dialect == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
    op.drop_table("ledger_heads")
    op.drop_table("ledger_postings")
    op.drop_table("ledger_transactions")
    op.drop_table("ledger_accounts")
