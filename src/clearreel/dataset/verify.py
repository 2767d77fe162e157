"""`clearreel dataset verify`: is this dataset still what was signed, and still cleared today?

Checks, in order, each adding problems rather than stopping at the first:

1. the manifest is the one the registry recorded when the dataset was built (its canonical
   sha256), and its ES256 signature is valid and chains to the studio's CA;
2. the Merkle root recomputed from the manifest's clip entries is the one recorded;
3. every clip file, shard and the index hash to what the manifest says; every shard holds
   exactly its clips, each member equal to the clip file and clip entry; no file the manifest
   does not list has appeared anywhere in the dataset folder (a shard copied in, a stray
   clip), besides the manifest's own side files (`SIDE_FILES`, `ATTRIBUTION_FILES`);
4. today's registry (or `on`) still clears every clip for `ai_generative_training`, with
   the performers present in it re-derived from today's registry (scenes, speaker labels,
   uncovered time, plus whoever curation recognised; see `recheck`), in the territory the
   dataset was built for: a consent revoked or expired, a licence ended, or a performer
   newly placed in a clip since curation fails the dataset.

The result is written to the audit log (`dataset.verify`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.dataset.manifest import (
    MANIFEST,
    SIGNATURE,
    canonical,
    check_signature,
    file_sha256,
    sha256_hex,
)
from clearreel.dataset.merkle import merkle_root

USE = "ai_generative_training"


def _problem(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **{k: v for k, v in extra.items() if v is not None}}


def _check_files(root: Path, manifest: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    problems: list[dict[str, Any]] = []
    clips = {c["id"]: c for c in manifest.get("clips", [])}
    for c in clips.values():
        p = root / c["file"]
        if not p.exists():
            problems.append(_problem("clip_missing", f"{c['file']} is missing", clip=c["id"]))
        elif file_sha256(p) != c["sha256"]:
            problems.append(
                _problem(
                    "clip_altered",
                    f"{c['file']} does not match its sha256 in the manifest",
                    clip=c["id"],
                )
            )
    problems += _unlisted(root, manifest)
    checked_shards = 0
    for shard in manifest.get("shards", []):
        p = root / shard["path"]
        checked_shards += 1
        if not p.exists():
            problems.append(
                _problem("shard_missing", f"{shard['path']} is missing", shard=shard["path"])
            )
            continue
        if file_sha256(p) == shard["sha256"]:
            continue
        problems.append(
            _problem(
                "shard_altered", f"{shard['path']} does not match its sha256", shard=shard["path"]
            )
        )
        problems += _shard_members(p, shard, clips)
    index = manifest.get("index")
    if index:
        p = root / index["path"]
        if not p.exists() or file_sha256(p) != index["sha256"]:
            problems.append(_problem("index_altered", f"{index['path']} is missing or altered"))
    return problems, checked_shards


# Files a dataset folder holds besides what its manifest lists (clips, shards, the Parquet
# index): the manifest itself, its signatures, the bills of materials written beside it, and
# the attribution index (`clearreel attribution index`, attribution/index.py), which is
# built from the dataset after it was signed. Anything else is unlisted: a shard copied into
# shards/ is read by WebDataset loaders that glob the folder, whatever the manifest says.
SIDE_FILES = frozenset({MANIFEST, SIGNATURE, "manifest.dsse.json", "bom.cdx.json",
                        "bom.spdx.jsonld"})
ATTRIBUTION_FILES = frozenset({"attribution/meta.json", "attribution/index.faiss",
                               "attribution/frames.npy", "attribution/clips.parquet"})


def _unlisted(root: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file (or link, or other entry) under the dataset folder that is neither in the
    manifest nor one of the side files it legitimately holds."""
    listed = {c["file"] for c in manifest.get("clips", [])}
    listed |= {s["path"] for s in manifest.get("shards", [])}
    if manifest.get("index"):
        listed.add(manifest["index"]["path"])
    allowed = listed | SIDE_FILES | ATTRIBUTION_FILES
    problems = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in sorted(filenames) + [d for d in dirnames if (base / d).is_symlink()]:
            rel = (base / name).relative_to(root).as_posix()
            if rel not in allowed:
                problems.append(_problem("unexpected_file", f"{rel} is not in the manifest",
                                         file=rel))
    return problems


def _shard_members(
    path: Path, shard: dict[str, Any], clips: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Which samples of an altered shard differ (to say which clip was touched)."""
    problems = []
    seen: set[str] = set()
    try:
        with tarfile.open(path) as tar:
            for m in tar:
                key, _, ext = m.name.partition(".")
                f = tar.extractfile(m)
                data = f.read() if f else b""
                c = clips.get(key)
                if c is None or key not in shard["clips"]:
                    problems.append(
                        _problem(
                            "shard_altered",
                            f"{shard['path']}: unexpected member {m.name}",
                            shard=shard["path"],
                        )
                    )
                    continue
                seen.add(key)
                ok = (
                    hashlib.sha256(data).hexdigest() == c["sha256"]
                    if ext == "mp4"
                    else data == canonical(c)
                    if ext == "json"
                    else False
                )
                if not ok:
                    problems.append(
                        _problem(
                            "shard_altered",
                            f"{shard['path']}: {m.name} differs from the manifest",
                            shard=shard["path"],
                            clip=key,
                        )
                    )
    except tarfile.TarError as e:
        return [
            _problem(
                "shard_altered", f"{shard['path']} is not a readable tar: {e}", shard=shard["path"]
            )
        ]
    for key in sorted(set(shard["clips"]) - seen):
        problems.append(
            _problem(
                "shard_altered",
                f"{shard['path']}: clip {key} is missing",
                shard=shard["path"],
                clip=key,
            )
        )
    return problems


def _signatures(settings: Settings, root: Path, manifest: dict[str, Any], org: str,
                built: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The native signature (manifest.sig.json) and/or the DSSE envelope
    (manifest.dsse.json): either is accepted, each one present must be valid, by the
    organization's own keys."""
    from clearreel.dataset.bom import DSSE, check_envelope

    sig_path, dsse_path = root / SIGNATURE, root / DSSE
    if not sig_path.exists() and not dsse_path.exists():
        return [_problem("signature_missing", f"{SIGNATURE} and {DSSE} are missing")]
    problems = []
    certs = []
    sig: dict[str, Any] | None = None
    if sig_path.exists():
        try:
            sig = json.loads(sig_path.read_text(encoding="utf-8"))
            problems += [
                _problem("signature_invalid", p)
                for p in check_signature(settings, manifest, sig, org, built)
            ]
            certs = _certificates(sig)
        except ValueError as e:
            problems.append(_problem("signature_invalid", f"{SIGNATURE} is not valid JSON: {e}"))
    if dsse_path.exists():
        problems += [
            _problem("signature_invalid", p)
            for p in check_envelope(settings, root, manifest, certs, org, _later(built, sig))
        ]
    return problems


def _later(built: dt.datetime | None, sig: dict[str, Any] | None) -> dt.datetime | None:
    """The signing time to judge a certificate at: the later of the registry's build time and
    the native signature's own claim (the DSSE envelope carries none)."""
    times = [t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (built,) if t is not None]
    try:
        if sig and sig.get("signed"):
            t = dt.datetime.fromisoformat(str(sig["signed"]))
            times.append(t if t.tzinfo else t.replace(tzinfo=dt.UTC))
    except ValueError:
        pass
    return max(times) if times else None


def _certificates(sig: dict[str, Any]) -> list[Any]:
    from cryptography import x509

    try:
        return [x509.load_pem_x509_certificate(c.encode()) for c in sig.get("certificates", [])][:1]
    except (ValueError, TypeError, AttributeError):
        return []


def _check_clearance(
    session: Any,
    manifest: dict[str, Any],
    on: list[dt.date],
    territory: str | None,
    dataset_pk: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Presence and clearance re-derived from the registry as it is (see `recheck`)."""
    from clearreel.dataset.recheck import recheck, with_times

    clips = manifest.get("clips", [])
    if dataset_pk is not None:
        clips = with_times(session, dataset_pk, clips)
    r = recheck(session, clips, on=on, territory=territory)
    problems = [
        _problem(
            "not_cleared",
            u.detail,
            clip=u.clip,
            work=u.work,
            start_frame=u.start_frame,
            end_frame=u.end_frame,
            start_tc=u.start_tc,
            end_tc=u.end_tc,
            performers=u.performers,
            added_performers=u.added or None,
            consents=u.consents,
            reasons=u.reasons,
        )
        for u in r.uncleared
    ]
    return problems, len(r.uncleared)


def verify(
    settings: Settings,
    name: str,
    *,
    on: dt.date | None = None,
    territory: str | None = None,
    clearance: bool = True,
    audit: bool = True,
    also: Sequence[dt.date] = (),
) -> dict[str, Any]:
    """Verify a dataset; returns `{"dataset", "id", "ok", "problems": [...], "checked": {...}}`.

    `on`: the date clearance is asked for (default today); `also`: more dates on which every
    clip must clear too (`train --on` asks for today and its date)."""
    from clearreel.dataset._load import get_dataset_row
    from clearreel.dataset.writer import dataset_dir
    from clearreel.db import open_session

    on = on or dt.date.today()
    root = dataset_dir(settings, name)
    problems: list[dict[str, Any]] = []
    dates = sorted({on, *also})
    checked: dict[str, Any] = {"on": on.isoformat()}
    if also:
        checked["dates"] = [d.isoformat() for d in dates]
    with open_session(settings) as s:
        row = get_dataset_row(s, name)
        territory = territory if territory is not None else row.territory
        checked["territory"] = territory
        manifest: dict[str, Any] | None = None
        if row.status != "ready":
            problems.append(
                _problem(
                    "not_finished",
                    f"the dataset is still being built (stage {row.stage}): "
                    f"run `clearreel curate --dataset {name}` to finish it",
                )
            )
        elif not (root / MANIFEST).exists():
            problems.append(_problem("manifest_missing", f"{root / MANIFEST} is missing"))
        else:
            try:
                manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                problems.append(_problem("manifest_altered", f"{MANIFEST} is not valid JSON: {e}"))
        if manifest is not None:
            digest = sha256_hex(canonical(manifest))
            checked["manifest_sha256"] = digest
            if digest != row.manifest_sha256:
                problems.append(
                    _problem(
                        "manifest_altered",
                        f"{MANIFEST} is not the manifest recorded when "
                        f"the dataset was built (sha256 {digest} != {row.manifest_sha256})",
                    )
                )
            problems += _signatures(settings, root, manifest, str(row.org_id), row.completed)
            checked["signature"] = not any(p["code"].startswith("signature") for p in problems)
            root_hash = merkle_root(
                [canonical(c) for c in sorted(manifest.get("clips", []), key=lambda c: c["id"])]
            )
            checked["merkle_root"] = root_hash
            if root_hash != manifest.get("merkle", {}).get("root") or root_hash != row.merkle_root:
                problems.append(
                    _problem(
                        "merkle_mismatch",
                        f"the Merkle root over the clips is {root_hash}, "
                        f"the manifest says {manifest.get('merkle', {}).get('root')}, the "
                        f"registry {row.merkle_root}",
                    )
                )
            file_problems, n_shards = _check_files(root, manifest)
            problems += file_problems
            checked["clips"] = len(manifest.get("clips", []))
            checked["shards"] = n_shards
            if clearance:
                clear_problems, denied = _check_clearance(s, manifest, dates, territory, row.pk)
                problems += clear_problems
                checked["not_cleared"] = denied
        result = {
            "dataset": name,
            "id": row.id,
            "ok": not problems,
            "problems": problems,
            "checked": checked,
        }
        if audit:
            from clearreel.rights.audit import record

            record(
                s,
                "dataset.verify",
                name,
                dataset=row.id,
                ok=result["ok"],
                on=on.isoformat(),
                problems=[{k: p[k] for k in ("code", "clip") if k in p} for p in problems][:200],
                problem_count=len(problems),
            )
    return result


__all__ = ["verify"]
