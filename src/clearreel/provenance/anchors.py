"""Anchors: signed checkpoints of the audit log's and the ledger's chain heads, kept apart from
the database.

A hash chain proves that no entry was edited or removed *in the middle*; whoever can write the
database can still delete the newest entries, or edit an entry and recompute every hash after
it, and the chain verifies again. An anchor is a line

    {"format", "chain", "org", "seq", "head", "at", "key", "sig", ...}

appended to `anchors/ORG/audit.jsonl` or `anchors/ORG/ledger.jsonl` under the workspace home
each time a transaction that appended to that chain commits: `seq` is the number of the
chain's newest entry (audit entry, or ledger posting), `head` its hash, `at` the time, and
`sig` an Ed25519 signature (RFC 8032) by the organization's anchor key (`keys/ORG/anchor.key`)
over the canonical JSON of every other field. `audit verify` and `ledger check` then compare
every anchor with the database: an anchored entry that is gone (truncation) or whose hash
changed (a rewritten chain) fails the check, and so does a line whose signature does not
verify. Each anchor also vouches for every entry before it, through the chain.

Why after the commit and not inside the chain's lock: an anchor names a head the database
holds for good. Written before the commit, a transaction that then rolled back (a refused
import, a lost connection) would leave an anchor of a head that never existed, and every later
check would report a truncation that never happened. After the commit, a crash between the
commit and the write loses one anchor, which the next append's anchor covers. Concurrent
writers may append their anchors out of order; the check does not depend on the order (every
line is checked; the newest anchor is the one of the highest `seq`).

Appends open the file with O_APPEND and write one line in one `write` (atomic for a regular
local file), then fdatasync it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from clearreel.config import Settings

FORMAT = "clearreel.anchor/1"
CHAINS = ("audit", "ledger")
WHAT = {"audit": "audit entry", "ledger": "ledger posting"}


def path(settings: Settings, org: str, chain: str) -> Path:
    if chain not in CHAINS:
        raise ValueError(f"not an anchored chain: {chain!r}")
    return settings.anchors_dir(org) / f"{chain}.jsonl"


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:16]


_KEYS: dict[str, tuple[Any, str]] = {}


def _signer(settings: Settings, org: str) -> tuple[Any, str]:
    from cryptography.hazmat.primitives import serialization

    from clearreel.provenance.keys import anchor_key

    cache = str((settings.keys_dir(org)).resolve())
    hit = _KEYS.get(cache)
    if hit is None or not (settings.keys_dir(org) / "anchor.key").exists():
        key = anchor_key(settings, org)
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        hit = _KEYS[cache] = (key, _key_id(raw))
    return hit


def write(settings: Settings, org: str, chain: str, seq: int, head: str,
          **extra: Any) -> dict[str, Any]:
    """Sign and append one anchor of `chain` at entry `seq` with hash `head`; return it."""
    key, key_id = _signer(settings, org)
    body = {"format": FORMAT, "chain": chain, "org": org, "seq": int(seq), "head": head,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"), "key": key_id,
            **extra}
    line = {**body, "sig": base64.b64encode(key.sign(_canonical(body))).decode()}
    p = path(settings, org, chain)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, _canonical(line) + b"\n")
        (getattr(os, "fdatasync", None) or os.fsync)(fd)
    finally:
        os.close(fd)
    return line


# --------------------------------------------------------------------------- the commit hook


def note(session: Session, chain: str, org: str, seq: int, head: str, **extra: Any) -> None:
    """Remember that this transaction moved `chain`'s head to (`seq`, `head`): anchored when it
    commits (`_write_pending`), forgotten if it rolls back. Sessions that were not opened with
    settings (`db.open_session`) have no workspace to anchor in and are not anchored."""
    if session.info.get("settings") is None:
        return
    install(type(session))
    session.info.setdefault("anchors", {})[(org, chain)] = (seq, head, extra)


def _write_pending(session: Session) -> None:
    pending = session.info.pop("anchors", None)
    settings = session.info.get("settings")
    if not pending or settings is None:
        return
    from clearreel.errors import InternalError

    # Raising here would leave the session half-closed; `db.open_session` raises the error
    # once the session is closed (the change is committed whatever happens to the anchor).
    for (org, chain), (seq, head, extra) in sorted(pending.items()):
        try:
            write(settings, org, chain, seq, head, **extra)
        except OSError as e:
            err = InternalError(
                f"the {chain} change was committed (entry {seq}) but its anchor could not be "
                f"written to {path(settings, org, chain)}: {e.strerror or e}; free space or fix "
                "the permissions: the next append's anchor covers this one")
            err.__cause__ = e
            session.info.setdefault("anchor_error", err)


def _forget_pending(session: Session, *_: Any) -> None:
    session.info.pop("anchors", None)


_DISABLED: set[type[Session]] = set()


def install(session_class: type[Session]) -> None:
    """Anchor what a session's transactions appended, when (and only when) they commit."""
    if session_class in _DISABLED:
        return
    if not event.contains(session_class, "after_commit", _write_pending):
        event.listen(session_class, "after_commit", _write_pending)
        event.listen(session_class, "after_rollback", _forget_pending)


def uninstall(session_class: type[Session]) -> None:
    """Stop anchoring in this process (bench/ledger_load.py measures the cost this way)."""
    _DISABLED.add(session_class)
    if event.contains(session_class, "after_commit", _write_pending):
        event.remove(session_class, "after_commit", _write_pending)
        event.remove(session_class, "after_rollback", _forget_pending)


# --------------------------------------------------------------------------- reading, checking


def _public_key(settings: Settings, org: str, key_path: Path | None) -> Any:
    from clearreel.provenance.keys import ANCHOR_KEY, anchor_public_key

    pub = anchor_public_key(settings, org, key_path)
    if pub is None and key_path is None and (settings.keys_dir(org) / ANCHOR_KEY).exists():
        from cryptography.hazmat.primitives import serialization

        priv = serialization.load_pem_private_key(
            (settings.keys_dir(org) / ANCHOR_KEY).read_bytes(), password=None)
        pub = priv.public_key()
    return pub


def read(settings: Settings, org: str, chain: str, *, root: Path | None = None,
         key_path: Path | None = None) -> dict[str, Any]:
    """The anchors of one chain whose signature verifies, and what is wrong with the others.

    `root`: a folder holding exported anchor files (`audit anchors export`) to read instead of
    the workspace's; `key_path`: the public key to verify with (default keys/ORG/anchor.pub).
    Returns {"file", "lines", "valid": [anchor, ...], "problems": [str], "torn": bool}.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization

    p = (root / f"{chain}.jsonl") if root is not None else path(settings, org, chain)
    out: dict[str, Any] = {"file": str(p), "lines": 0, "valid": [], "problems": [],
                           "torn": False}
    if not p.exists():
        return out
    data = p.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        # The last write did not finish (a crash mid-line): that line never held an anchor.
        lines.pop()
        out["torn"] = True
    out["lines"] = len(lines)
    pub = _public_key(settings, org, key_path)
    if pub is None:
        if lines:
            out["problems"].append(
                f"{p}: {len(lines)} anchor(s) but no anchor public key "
                f"({settings.keys_dir(org) / 'anchor.pub'}) to verify them: restore it from "
                "backup or from an export")
        return out
    key_id = _key_id(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    for n, raw in enumerate(lines, 1):
        where = f"{p.name} line {n}"
        try:
            a = json.loads(raw)
            body = {k: v for k, v in a.items() if k != "sig"}
            sig = base64.b64decode(str(a["sig"]), validate=True)
            seq, head = int(a["seq"]), str(a["head"])
        except (ValueError, KeyError, TypeError, AttributeError):
            out["problems"].append(f"anchor {where} is not a readable anchor (altered)")
            continue
        try:
            pub.verify(sig, _canonical(body))
        except InvalidSignature:
            out["problems"].append(
                f"anchor {where} (entry {seq}): its signature does not verify with the "
                f"organization's anchor key {key_id}: forged or altered")
            continue
        if a.get("format") != FORMAT or a.get("chain") != chain or a.get("org") != org:
            out["problems"].append(
                f"anchor {where} is an anchor of {a.get('chain')!r} of organization "
                f"{a.get('org')!r}, not of this {chain} (copied in from elsewhere)")
            continue
        out["valid"].append({**a, "seq": seq, "head": head, "line": n})
    return out


def check(settings: Settings, org: str, chain: str, count: int,
          hashes_at: Callable[[Iterable[int]], dict[int, str]], *, root: Path | None = None,
          key_path: Path | None = None) -> dict[str, Any]:
    """Compare the database's chain with every valid anchor of it.

    `count`: the sequence number of the chain's newest entry in the database (0 when empty);
    `hashes_at(seqs)`: the database's hash of each of those entries that exists.
    Returns the `anchors` object of `audit verify --json` / `ledger check --json`:
    {"status": "anchored" | "not anchored", "file", "lines", "verified", "newest",
     "problems": [str]}.
    """
    r = read(settings, org, chain, root=root, key_path=key_path)
    problems = list(r["problems"])
    valid = r["valid"]
    what = WHAT[chain]
    db = hashes_at(sorted({a["seq"] for a in valid if a["seq"] <= count}))
    beyond = max((a for a in valid if a["seq"] > count), key=lambda a: a["seq"], default=None)
    if beyond is not None:
        problems.append(
            f"truncated: the anchor of {beyond['at']} ({r['file']} line {beyond['line']}) "
            f"records {what} {beyond['seq']} with head {beyond['head'][:16]}…, the database "
            f"holds only {count}: the newest entries were deleted")
    for a in sorted(valid, key=lambda a: a["seq"]):
        seq, at = a["seq"], a["at"]
        if seq > count:
            continue
        if seq not in db:
            problems.append(f"{what} {seq}, anchored on {at}, is missing from the database "
                            "(deleted)")
        elif db[seq] != a["head"]:
            problems.append(
                f"rewritten: {what} {seq} was anchored on {at} with hash {a['head'][:16]}…, "
                f"the database now has {db[seq][:16]}…: the chain was edited and recomputed")
    newest = max(valid, key=lambda a: a["seq"], default=None)
    return {
        "status": "anchored" if newest else "not anchored",
        "file": r["file"],
        "lines": r["lines"],
        "verified": len(valid),
        "torn_last_line": r["torn"],
        "newest": ({"seq": newest["seq"], "head": newest["head"], "at": newest["at"]}
                   if newest else None),
        "problems": problems,
    }


def hashes_at(session: Session, model: Any, org: str, seqs: Iterable[int]) -> dict[int, str]:
    """{seq: hash} of the rows of a chain table (`seq`, `hash`, `org_id`) at those seqs."""
    from sqlalchemy import select

    wanted = list(seqs)
    out: dict[int, str] = {}
    for i in range(0, len(wanted), 900):  # below SQLite's 999 bound variables
        chunk = wanted[i:i + 900]
        out.update((int(seq), str(h)) for seq, h in session.execute(
            select(model.seq, model.hash).where(model.org_id == org, model.seq.in_(chunk))))
    return out


def describe(chain: str, a: dict[str, Any]) -> str:
    """One line for the text output of `audit verify` / `ledger check`."""
    if a["status"] != "anchored":
        return "not anchored (no signed checkpoint of this chain yet)"
    n = a["newest"]
    return (f"anchored: {a['verified']} signed checkpoint(s) match, the newest at "
            f"{WHAT[chain]} {n['seq']} ({n['at'][:19]}Z)")


def export(settings: Settings, org: str, dest: Path) -> dict[str, Any]:
    """Copy the organization's anchor files and the public key that verifies them to `dest`
    (a folder, e.g. a mounted object store bucket); each file is written to a temporary name
    and renamed, so a reader never sees half a copy."""
    from clearreel.provenance.keys import ANCHOR_PUB

    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    sources = [path(settings, org, c) for c in CHAINS]
    sources.append(settings.keys_dir(org) / ANCHOR_PUB)
    for src in sources:
        if not src.exists():
            continue
        tmp = dest / f".{src.name}.tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest / src.name)
        copied.append(str(dest / src.name))
    return {"organization": org, "dest": str(dest), "files": copied}


__all__ = ["CHAINS", "check", "describe", "export", "install", "note", "path", "read",
           "uninstall", "write"]
