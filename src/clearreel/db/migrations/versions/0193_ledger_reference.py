"""ledger_transactions.reference: the caller's reference of a deal or revenue, unique per
organization (`--reference`: a repeat is refused, so a retried command books nothing twice)

Revision ID: 0193_ledger_reference
Revises: 0192_output_fingerprint
"""

import sqlalchemy as sa
from alembic import op

revision = "0193_ledger_reference"
down_revision = "0192_output_fingerprint"
branch_labels = None
depends_on = None


# A plain ADD COLUMN and a unique index: no table rebuild, so SQLite keeps the append-only
# triggers of 0006_ledger (a batch "move and copy" would drop them).
def upgrade() -> None:
    op.add_column("ledger_transactions", sa.Column("reference", sa.String(200), nullable=True))
    op.create_index("uq_ledger_transactions_org_reference", "ledger_transactions",
                    ["org_id", "reference"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_ledger_transactions_org_reference", "ledger_transactions")
    with op.batch_alter_table("ledger_transactions") as b:
        b.drop_column("reference")
