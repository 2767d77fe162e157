"""Does a dataset still clear? Presence and clearance re-derived from the registry as it is.

The contract (ARCHITECTURE.md, "Revocation reaches everything downstream"): `dataset verify`
re-derives presence and clearance from today's registry, so a consent revoked after
curation, a scene added to a shot list, a speaker label that now names a character, or a
licence that ended is noticed. This module is that one re-check; `dataset verify`,
`dataset rebuild`, `train` (which refuses an uncleared dataset), the model suspension that
`generate` enforces, and `consent revoke` (which lists what it affects) all call it.

Who is present in a clip is the union of

- the performers recorded at curation (recognition saw their face: a face seen is never
  unseen), and
- the presence rule (`clearreel.rights.presence`) applied now to the clip's time range in
  its media: scenes, speaker labels, and every credited performer for time that no scene
  covers (`_present`, the one call into it).

Each distinct (work, performers) is then asked `ai_generative_training` once (not audited
per question: the caller audits its own result).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clearreel.errors import NotFound

USE = "ai_generative_training"


@dataclass
class Uncleared:
    """One clip that no longer clears, with where it is and why."""

    clip: str
    work: str
    media: str | None
    start_frame: int
    end_frame: int
    start_tc: str | None
    end_tc: str | None
    performers: list[str]
    added: list[str]  # present now but not recorded at curation
    reasons: list[dict[str, Any]]
    on: str

    @property
    def consents(self) -> list[str]:
        return sorted({r["consent"] for r in self.reasons if r.get("consent")})

    @property
    def detail(self) -> str:
        why = "; ".join(str(r.get("detail") or r.get("code")) for r in self.reasons) or "denied"
        return (f"{self.clip} ({self.work} {self.start_tc or self.start_frame}-"
                f"{self.end_tc or self.end_frame}) is no longer cleared on {self.on}: {why}")

    def to_json(self) -> dict[str, Any]:
        return {"clip": self.clip, "work": self.work, "media": self.media,
                "start_frame": self.start_frame, "end_frame": self.end_frame,
                "start_tc": self.start_tc, "end_tc": self.end_tc,
                "performers": self.performers, "added_performers": self.added,
                "consents": self.consents, "reasons": self.reasons, "on": self.on}


@dataclass
class Recheck:
    """The result over a set of clips: those that no longer clear, on each date asked."""

    clips: int
    dates: list[str]
    uncleared: list[Uncleared] = field(default_factory=list)
    # clip id -> {"performers", "licenses", "consents"}: who is present now and what clears it
    cleared: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.uncleared

    @property
    def clip_ids(self) -> list[str]:
        return sorted({u.clip for u in self.uncleared})

    @property
    def consents(self) -> list[str]:
        return sorted({k for u in self.uncleared for k in u.consents})

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "clips": self.clips, "dates": self.dates,
                "uncleared": [u.to_json() for u in self.uncleared],
                "uncleared_clips": self.clip_ids, "consents": self.consents}


def _span_s(c: dict[str, Any]) -> tuple[float, float]:
    """The clip's time range in its media, in seconds: [start, end) of frames start..end at
    the source frame rate (entries that carry presentation times, `start_s`/`end_s`, are
    used as they are)."""
    if c.get("start_s") is not None and c.get("end_s") is not None:
        return float(c["start_s"]), float(c["end_s"])
    fps = float(c.get("source_fps") or 0) or 25.0
    return c["start_frame"] / fps, (c["end_frame"] + 1) / fps


class _Presence:
    """Presence of clips by the registry as it is, with each work's facts read once."""

    def __init__(self, session: Any):
        self.session = session
        self._facts: dict[str, Any] = {}

    def of(self, c: dict[str, Any]) -> list[str]:
        from clearreel.rights.presence import work_facts

        if c["work"] not in self._facts:
            # No face references: recognition is not re-run here (the performers curation
            # recognised are kept from the manifest instead).
            self._facts[c["work"]] = work_facts(self.session, c["work"], references=False)
        start, end = _span_s(c)
        return _present(self._facts[c["work"]], c.get("media"), start, end)


def _present(facts: Any, media: str | None, start_s: float, end_s: float) -> list[str]:
    """THE call into the presence rule (`clearreel.rights.presence`)."""
    from clearreel.rights.presence import present

    return list(present(facts, media, start_s, end_s).performers)


def recheck(session: Any, clips: Sequence[dict[str, Any]], *,
            on: dt.date | Iterable[dt.date] | None = None,
            territory: str | None = None, use: str = USE) -> Recheck:
    """Re-derive presence and clearance for manifest-shaped clip entries (`id`, `work`,
    `media`, `start_frame`, `end_frame`, `source_fps`, `start_tc`, `end_tc`, `performers`).

    `on`: a date or several (each must clear); default today. `use`: what the clips must
    clear (training by default; `sublicensing` for a licence deal)."""
    from clearreel.rights.clearance import check_use

    dates = ([dt.date.today()] if on is None else [on] if isinstance(on, dt.date)
             else sorted(set(on)))
    pres = _Presence(session)
    result = Recheck(clips=len(clips), dates=[d.isoformat() for d in dates])
    cache: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None, dt.date], Any] = {}
    for c in clips:
        recorded = list(c.get("performers") or [])
        try:
            now = pres.of(c)
        except NotFound as e:  # the work left the registry: nothing clears it
            _add(result, c, recorded, [], [{"code": "license.none", "detail": str(e)}], dates[0])
            continue
        present = sorted(set(recorded) | set(now))
        # A clip that keeps its audio: who is heard in it needs a voice consent as well.
        heard = None if c.get("heard") is None else tuple(sorted(c["heard"]))
        licenses: list[str] = []
        consents: list[str] = []
        for day in dates:
            key = (c["work"], tuple(present), heard, day)
            if key not in cache:
                cache[key] = check_use(session, c["work"], use, on=day, territory=territory,
                                       performers=present, audit=False,
                                       heard=None if heard is None else list(heard))
            d = cache[key]
            if not d.allowed:
                denials = [r.to_json() for r in d.reasons if r.effect == "deny"]
                _add(result, c, present, sorted(set(present) - set(recorded)), denials, day)
                break
            licenses += [x for x in d.licenses if x not in licenses]
            consents += [x for x in d.consents if x not in consents]
        else:
            result.cleared[c["id"]] = {"performers": present, "licenses": licenses,
                                       "consents": consents}
    return result


def _add(result: Recheck, c: dict[str, Any], present: list[str], added: list[str],
         reasons: list[dict[str, Any]], day: dt.date) -> None:
    result.uncleared.append(Uncleared(
        clip=c["id"], work=c["work"], media=c.get("media"), start_frame=c["start_frame"],
        end_frame=c["end_frame"], start_tc=c.get("start_tc"), end_tc=c.get("end_tc"),
        performers=present, added=added, reasons=reasons, on=day.isoformat()))


def fingerprint(session: Any, works: Iterable[str], dates: Sequence[dt.date],
                territory: str | None) -> str:
    """A digest of everything a re-check of clips of `works` reads: the licences, consents,
    characters, parties, settings and reservations of the organization, the works'
    participations, scenes and subtitles (each subtitle file's size and mtime too), the dates,
    the territory and the clearreel version. Equal digests give equal re-checks, so a
    recorded answer can be reused (`train.suspension`) without re-deriving every clip."""
    import hashlib
    import json
    from pathlib import Path

    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    import clearreel
    from clearreel.rights import models as m

    skip = {"pk", "org_id", "found", "created", "description", "evidence", "notes"}

    def rows(model: Any) -> list[list[Any]]:
        # Every column (so a field added later counts too), but keys and timestamps.
        cols = [c.key for c in model.__table__.columns if c.key not in skip]
        q = select(model)
        if model is m.Setting:  # the version token is not registry content
            q = q.where(m.Setting.key != m.REGISTRY_VERSION_KEY)
        return sorted(([getattr(o, c) for c in cols] for o in session.scalars(q)), key=repr)

    doc: dict[str, Any] = {
        "version": clearreel.__version__, "dates": [d.isoformat() for d in dates],
        "territory": territory,
        **{t.__tablename__: rows(t) for t in (m.Organization, m.License, m.Grant, m.Consent,
                                               m.Character, m.Party, m.Setting,
                                               m.Reservation)},
        "works": [],
    }
    q = (select(m.Work).where(m.Work.id.in_(sorted(set(works))))
         .options(selectinload(m.Work.participations), selectinload(m.Work.scenes),
                  selectinload(m.Work.media)).order_by(m.Work.id))
    for w in session.scalars(q):
        subs = []
        for uri in w.subtitles or []:
            p = Path(uri[7:] if uri.startswith("file://") else uri)
            st = p.stat() if p.exists() else None
            subs.append([uri, st.st_size if st else None, st.st_mtime_ns if st else None])
        doc["works"].append([
            w.id, w.pk, [m_.uri for m_ in w.media], subs,
            sorted(([getattr(p, c.key) for c in m.Participation.__table__.columns
                     if c.key not in skip] for p in w.participations), key=repr),
            sorted(([getattr(sc, c.key) for c in m.Scene.__table__.columns
                     if c.key not in skip] for sc in w.scenes), key=repr)])
    data = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()


def with_times(session: Any, dataset_pk: int,
               clips: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Manifest entries with the presentation times curation recorded on the clip rows
    (`start_s`, `end_s`), so a re-check places a variable-frame-rate clip where it is."""
    times = {c["id"]: (c["start_s"], c["end_s"]) for c in dataset_clips(session, dataset_pk)}
    out = []
    for c in clips:
        t = times.get(c["id"], (None, None))
        out.append({**c, "start_s": t[0], "end_s": t[1]} if t[0] is not None else dict(c))
    return out


def dataset_clips(session: Any, dataset_pk: int) -> list[dict[str, Any]]:
    """A built dataset's clips, from the registry's rows, in manifest shape."""
    from sqlalchemy import select

    from clearreel.dataset.models import Clip, Dataset

    ds = session.get(Dataset, dataset_pk)
    audio = bool(ds is not None and (ds.config or {}).get("keep_audio"))
    rows = session.scalars(select(Clip).where(Clip.dataset_pk == dataset_pk)
                           .order_by(Clip.clip_id))
    return [{"id": r.clip_id, "work": r.work_id, "media": r.media_uri,
             "start_frame": r.start_frame, "end_frame": r.end_frame,
             "start_s": getattr(r, "start_s", None), "end_s": getattr(r, "end_s", None),
             "source_fps": r.source_fps, "start_tc": r.start_tc, "end_tc": r.end_tc,
             "performers": list(r.performers or []), "consents": list(r.consents or []),
             **({"heard": sorted(r.voices or {})} if audio else {})}
            for r in rows]


__all__ = ["Recheck", "Uncleared", "dataset_clips", "fingerprint", "recheck", "with_times"]
