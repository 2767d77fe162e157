"""The append-only, hash-chained audit log.

Each entry stores the SHA-256 of the previous entry; its own hash covers its sequence number,
time, action, subject, payload and that previous hash. Editing, deleting or reordering any
entry breaks the chain at that point, and `verify` says where.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearreel.db import current_org, utcnow, write_lock
from clearreel.provenance import anchors
from clearreel.rights.models import AuditEntry

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, non-JSON values as strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str,
                      ensure_ascii=False).encode()


def _entry_hash(e: AuditEntry) -> str:
    body = {"seq": e.seq, "at": e.at.isoformat(timespec="microseconds"), "action": e.action,
            "subject": e.subject, "payload": e.payload, "prev": e.prev_hash, "org": e.org_id}
    return hashlib.sha256(canonical(body)).hexdigest()


def record(session: Session, action: str, subject: str | None = None, **payload: Any) -> AuditEntry:
    """Append one entry to the organization's chain (in the caller's transaction)."""
    org = current_org(session)
    # Writers of one chain queue: otherwise two could read the same head and collide on
    # (org, seq). PostgreSQL: an advisory lock; SQLite: the database write lock, taken
    # *before* the head is read (see `db.write_lock`).
    write_lock(session, f"clearreel.audit:{org}")
    last = session.scalars(
        select(AuditEntry).where(AuditEntry.org_id == org).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    # Payloads are stored as canonical JSON values so the hash is reproducible after a round trip.
    clean = json.loads(canonical(payload))
    e = AuditEntry(org_id=org, seq=(last.seq + 1) if last else 1, at=utcnow(), action=action,
                   subject=subject, payload=clean, prev_hash=last.hash if last else GENESIS,
                   hash="")
    e.hash = _entry_hash(e)
    session.add(e)
    session.flush()
    # The new head is signed into anchors/ORG/audit.jsonl when this transaction commits.
    anchors.note(session, "audit", org, e.seq, e.hash)
    return e


def verify(session: Session) -> list[str]:
    """Problems found in the organization's chain; empty when it is intact."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        if e.seq != expected_seq:
            problems.append(f"entry {expected_seq}: missing (next entry is {e.seq}): "
                            "deleted or reordered")
        if e.prev_hash != prev:
            problems.append(f"entry {e.seq}: previous-hash link broken (an entry before it was "
                            "deleted, reordered or edited)")
        if _entry_hash(e) != e.hash:
            problems.append(f"entry {e.seq}: content does not match its hash (edited)")
        prev = e.hash
        expected_seq = e.seq + 1
    return problems


def anchored(session: Session, *, root: Path | None = None,
             key_path: Path | None = None) -> dict[str, Any]:
    """The chain compared with its signed anchors (`provenance.anchors.check`): catches the
    newest entries deleted, or the chain edited and recomputed, which `verify` cannot."""
    org = current_org(session)
    count = session.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.org_id == org))

    def hashes_at(seqs: Iterable[int]) -> dict[int, str]:
        return anchors.hashes_at(session, AuditEntry, org, seqs)

    return anchors.check(session.info["settings"], org, "audit", int(count or 0), hashes_at,
                         root=root, key_path=key_path)


def entries(session: Session, action: str | None = None,
            limit: int | None = None) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if action:
        q = q.where(AuditEntry.action == action)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))
