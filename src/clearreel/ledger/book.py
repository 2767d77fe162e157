"""The book: posting balanced transactions to the hash chain, under a per-organization lock,
and checking it.

Sign convention: a debit is a positive amount, a credit a negative one; the postings of a
transaction sum to zero in each currency (double entry). Each posting's hash is

    sha256(canonical JSON of {org, seq, txn digest, account code, currency, amount, work, prev})

where `prev` is the hash of the organization's previous posting (the genesis value is 64
zeros) and the transaction digest covers the transaction's own fields (kind, date, source,
gross amount, allocation inputs, number of postings). Editing any field, or deleting or
reordering any posting or transaction, breaks a hash, a link, a balance, a count or the
chain head, and `check` says which.

Concurrency: every writer first takes the organization's ledger lock: on PostgreSQL a
transaction-scoped advisory lock (`pg_advisory_xact_lock`, keyed by the organization), on
SQLite the database write lock (`BEGIN IMMEDIATE`). It then reads the chain head, appends,
and moves the head in the same transaction, so concurrent writers queue and none loses a
posting or forks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from clearreel.db import advisory_xact_lock, current_org, utcnow
from clearreel.errors import UsageError
from clearreel.ledger.models import LedgerAccount, LedgerHead, LedgerPosting, LedgerTransaction
from clearreel.provenance import anchors

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace (the bytes that are hashed)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
    ).encode()


@dataclass(frozen=True)
class Line:
    """One posting to be written: account code and kind, signed minor units, source work."""

    account: str  # "receipts", "rights_pool", "payable:p-ava", "suspense:w-harbor", ...
    kind: str  # one of models.ACCOUNT_KINDS
    amount: int  # debit > 0, credit < 0
    party: str | None = None
    work: str | None = None  # for payable/suspense: the work whose share this is


def lock(session: Session) -> LedgerHead:
    """Take the organization's ledger lock for the rest of the session's transaction, and
    return its chain head (created at genesis on first use).

    Call it first thing in a fresh session: on SQLite it opens the transaction with
    BEGIN IMMEDIATE, so the reads that follow see the newest committed chain.
    """
    org = current_org(session)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        advisory_xact_lock(session, f"clearreel.ledger:{org}")
    elif conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and not dbapi.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # Already inside a transaction: a write takes the database's RESERVED lock.
            conn.execute(text("UPDATE ledger_heads SET seq = seq WHERE org_id = :o"), {"o": org})
    head = session.scalars(select(LedgerHead).where(LedgerHead.org_id == org)).first()
    if head is None:
        head = LedgerHead(org_id=org, seq=0, txn_seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def txn_digest(t: LedgerTransaction) -> str:
    body = {
        "org": t.org_id,
        "id": t.id,
        "seq": t.seq,
        "kind": t.kind,
        "effective": t.effective.isoformat(),
        "source": t.source,
        "currency": t.currency,
        "amount": int(t.amount),
        "details": t.details,
        "n_postings": t.n_postings,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def posting_hash(
    org: str,
    seq: int,
    digest: str,
    account: str,
    currency: str,
    amount: int,
    work: str | None,
    prev: str,
) -> str:
    body = {
        "org": org,
        "seq": seq,
        "txn": digest,
        "account": account,
        "currency": currency,
        "amount": int(amount),
        "work": work,
        "prev": prev,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def _accounts(
    session: Session, org: str, lines: Sequence[Line], currency: str
) -> dict[str, LedgerAccount]:
    codes = sorted({ln.account for ln in lines})
    found = {
        a.code: a
        for a in session.scalars(
            select(LedgerAccount).where(
                LedgerAccount.org_id == org,
                LedgerAccount.currency == currency,
                LedgerAccount.code.in_(codes),
            )
        )
    }
    for ln in lines:
        if ln.account not in found:
            acc = LedgerAccount(
                org_id=org,
                code=ln.account,
                kind=ln.kind,
                party_id=ln.party,
                work_id=ln.work if ln.kind == "suspense" else None,
                currency=currency,
                created=utcnow(),
            )
            session.add(acc)
            found[ln.account] = acc
    session.flush()
    return found


def post(
    session: Session,
    head: LedgerHead,
    *,
    kind: str,
    effective: dt.date,
    source: str,
    currency: str,
    amount: int,
    lines: Sequence[Line],
    details: dict[str, Any],
) -> LedgerTransaction:
    """Append one balanced transaction and its postings to the chain (the caller holds the
    lock: `head` is what `lock` returned in the same session). Audited as `ledger.<kind>`."""
    from clearreel.rights import audit

    reference = details.get("reference")
    if reference is not None:
        taken = session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.org_id == current_org(session),
            LedgerTransaction.reference == reference)).first()
        if taken is not None:
            raise UsageError(
                f"--reference {reference!r} was already recorded as {taken.id} ({taken.kind} "
                f"{taken.source}, effective {taken.effective}): nothing was written; give a "
                "new reference for a new deal or revenue")
    lines = [ln for ln in lines if ln.amount != 0]
    if not lines:
        raise ValueError("a transaction needs at least one non-zero posting")
    if sum(ln.amount for ln in lines) != 0:
        raise ValueError(
            f"unbalanced transaction: postings sum to {sum(ln.amount for ln in lines)}"
        )
    org = current_org(session)
    accounts = _accounts(session, org, lines, currency)
    seq = head.txn_seq + 1
    t = LedgerTransaction(
        org_id=org,
        id=f"tx-{seq:06d}",
        seq=seq,
        kind=kind,
        effective=effective,
        created=utcnow(),
        source=source,
        currency=currency,
        amount=amount,
        details=json.loads(canonical(details)),
        n_postings=len(lines),
        digest="",
        reference=details.get("reference"),
    )
    t.digest = txn_digest(t)
    session.add(t)
    session.flush()
    prev, pseq = head.hash, head.seq
    for ln in lines:
        pseq += 1
        h = posting_hash(org, pseq, t.digest, ln.account, currency, ln.amount, ln.work, prev)
        session.add(
            LedgerPosting(
                org_id=org,
                seq=pseq,
                txn_pk=t.pk,
                account_pk=accounts[ln.account].pk,
                currency=currency,
                amount=ln.amount,
                work_id=ln.work,
                prev_hash=prev,
                hash=h,
            )
        )
        prev = h
    head.seq, head.hash, head.txn_seq = pseq, prev, seq
    # Signed into anchors/ORG/ledger.jsonl when this transaction commits (provenance.anchors).
    anchors.note(session, "ledger", org, pseq, prev, transactions=seq)
    audit.record(
        session,
        f"ledger.{kind}",
        t.id,
        source=source,
        currency=currency,
        amount=amount,
        effective=effective.isoformat(),
        postings=len(lines),
        head=prev,
        digest=t.digest,
    )
    session.flush()
    return t


def check(session: Session) -> dict[str, Any]:
    """Verify the organization's ledger: balances, the posting chain, and the chain head.

    Returns {"valid", "transactions", "postings", "head", "problems": [str]}.
    """
    org = current_org(session)
    problems: list[str] = []
    accounts = {a.pk: a for a in session.scalars(select(LedgerAccount))}
    txns: dict[int, LedgerTransaction] = {}
    expected_tseq = 1
    for t in session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.seq)):
        txns[t.pk] = t
        if t.seq != expected_tseq:
            problems.append(
                f"transaction {expected_tseq}: missing (next is {t.seq}): deleted or reordered"
            )
        if txn_digest(t) != t.digest:
            problems.append(f"{t.id}: content does not match its digest (edited)")
        expected_tseq = t.seq + 1

    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pool_sums: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    prev, expected, n = GENESIS, 1, 0
    q = select(LedgerPosting).order_by(LedgerPosting.seq).execution_options(yield_per=2000)
    for p in session.scalars(q):
        n += 1
        tx = txns.get(p.txn_pk)
        acc = accounts.get(p.account_pk)
        if p.seq != expected:
            problems.append(f"posting {expected}: missing (next is {p.seq}): deleted or reordered")
        if p.prev_hash != prev:
            problems.append(
                f"posting {p.seq}: link to the previous posting is broken "
                "(a posting before it was deleted, reordered or edited)"
            )
        if tx is None or acc is None:
            problems.append(f"posting {p.seq}: its transaction or account is missing")
        else:
            h = posting_hash(
                org, p.seq, tx.digest, acc.code, p.currency, p.amount, p.work_id, p.prev_hash
            )
            if h != p.hash:
                problems.append(
                    f"posting {p.seq} ({tx.id}): content does not match its hash (edited)"
                )
            if acc.currency != p.currency or tx.currency != p.currency:
                problems.append(
                    f"posting {p.seq} ({tx.id}): currency {p.currency} differs from its "
                    f"account's or transaction's"
                )
            sums[tx.pk][p.currency] += int(p.amount)
            counts[tx.pk] += 1
            if acc.kind == "rights_pool":
                pool_sums[tx.pk] += int(p.amount)
        prev, expected = p.hash, p.seq + 1

    for pk, t in txns.items():
        if counts[pk] != t.n_postings:
            problems.append(f"{t.id}: {counts[pk]} posting(s) found, {t.n_postings} recorded")
        for cur, total in sums[pk].items():
            if total != 0:
                problems.append(
                    f"{t.id}: does not balance in {cur} (postings sum to {total} minor units)"
                )
        if pool_sums[pk] != 0:
            problems.append(
                f"{t.id}: the rights pool was not fully allocated ({pool_sums[pk]} minor units)"
            )

    head = session.scalars(select(LedgerHead).where(LedgerHead.org_id == org)).first()
    last_tseq = max((t.seq for t in txns.values()), default=0)
    if head is None:
        if n or txns:
            problems.append("the chain head is missing")
    else:
        if head.seq != expected - 1 or head.hash != prev:
            problems.append(
                f"chain head says posting {head.seq} is the last, found {expected - 1}: "
                "the newest postings were deleted or the head was edited"
            )
        if head.txn_seq != last_tseq:
            problems.append(
                f"chain head says transaction {head.txn_seq} is the last, found {last_tseq}"
            )
    return {
        "valid": not problems,
        "transactions": len(txns),
        "postings": n,
        "head": prev,
        "problems": problems,
    }


def anchored(session: Session, *, root: Path | None = None,
             key_path: Path | None = None) -> dict[str, Any]:
    """The posting chain compared with its signed anchors (`provenance.anchors.check`):
    catches the newest postings deleted, or postings edited and the chain recomputed (with
    the append-only triggers dropped), which `check` alone cannot."""
    org = current_org(session)
    count = session.scalar(select(func.max(LedgerPosting.seq)).where(LedgerPosting.org_id == org))

    def hashes_at(seqs: Iterable[int]) -> dict[int, str]:
        return anchors.hashes_at(session, LedgerPosting, org, seqs)

    return anchors.check(session.info["settings"], org, "ledger", int(count or 0), hashes_at,
                         root=root, key_path=key_path)


__all__ = ["GENESIS", "Line", "anchored", "check", "lock", "post", "posting_hash", "txn_digest"]
