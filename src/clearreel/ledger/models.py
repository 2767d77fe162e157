"""Ledger tables: accounts, transactions, hash-chained postings, and the chain head.

Append-only: the code has no update or delete path for transactions or postings, and the
migration (0006_ledger) adds database triggers that refuse UPDATE and DELETE on them.
Amounts are signed integers in the currency's minor unit; debit is positive, credit
negative, and the postings of a transaction sum to zero per currency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

import clearreel.rights.models  # noqa: F401  (organizations: the tenant every row belongs to)
from clearreel.db import Base, TenantMixin, utcnow

# Account kinds. `payable` and `suspense` are per party / per work; the rest one per currency.
ACCOUNT_KINDS = (
    "receipts",
    "studio_revenue",
    "licence_income",
    "rights_pool",
    "payable",
    "suspense",
    "unattributed",  # output revenue of outputs that resemble no training clip
)


class LedgerAccount(TenantMixin, Base):
    """An account in one currency: `receipts`, `studio_revenue`, `payable:p-ava`, ..."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("org_id", "code", "currency", name="uq_ledger_accounts_org_code_currency"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[str | None] = mapped_column(String(128))
    work_id: Mapped[str | None] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(3))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LedgerTransaction(TenantMixin, Base):
    """One balanced event (output revenue, licence deal) and what produced its postings."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (UniqueConstraint("org_id", "seq", name="uq_ledger_transactions_org_seq"),
                      Index("uq_ledger_transactions_org_reference", "org_id", "reference",
                            unique=True))
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(40))  # "tx-000042", unique per organization
    # The caller's reference (`--reference`, an invoice or contract number): unique per
    # organization, so a retried command books nothing twice. Also in `details` (digested).
    reference: Mapped[str | None] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # revenue | deal
    effective: Mapped[dt.date] = mapped_column(Date, index=True)  # the statement period it falls in
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(400))  # "output:o-1" | "deal:Licensee/dataset"
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # gross, minor units
    # Inputs of the allocation (pool, attribution or minutes, points) for audit and statements.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    n_postings: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the fields above

    postings: Mapped[list[LedgerPosting]] = relationship(
        back_populates="txn", order_by="LedgerPosting.seq"
    )


class LedgerPosting(TenantMixin, Base):
    """One line of a transaction, chained: `hash` covers its content, its transaction's
    digest and `prev_hash` (the hash of the organization's previous posting)."""

    __tablename__ = "ledger_postings"
    __table_args__ = (UniqueConstraint("org_id", "seq", name="uq_ledger_postings_org_seq"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    txn_pk: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.pk"), index=True)
    account_pk: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.pk"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # debit > 0, credit < 0
    work_id: Mapped[str | None] = mapped_column(String(128))  # the work a share came from
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    txn: Mapped[LedgerTransaction] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()


class LedgerHead(TenantMixin, Base):
    """The head of an organization's posting chain: the last sequence numbers and hash.

    Writers update it under the ledger lock; `check` compares it with the last posting, so
    deleting the newest postings (which leaves no gap) is detected too.
    """

    __tablename__ = "ledger_heads"
    __table_args__ = (UniqueConstraint("org_id", name="uq_ledger_heads_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    txn_seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


__all__ = ["ACCOUNT_KINDS", "LedgerAccount", "LedgerHead", "LedgerPosting", "LedgerTransaction"]
