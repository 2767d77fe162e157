"""The plan: which candidate clips enter the dataset, and why each other one does not.

A pure function of the candidates (every analysed file's, in one list) and a clearance
callable: no database, no engine. In a fixed order (work, media, start frame):

1. score filters: the analysis's own filter reasons, else `CurateConfig.thresholds` here;
2. the clearance gate: ONE call of `clear(work, performers, clip ids)` per (work, performers
   present) group, in sorted order; a clip is admitted only when its group's verdict allows;
   with `keep_audio`, per (work, performers, parties heard) and `clear(..., heard=...)`;
3. near-duplicates across all works: one clip kept per group (the first cleared one in
   order); the others are excluded as `near_duplicate_of <clip>`.

The pipeline gives `clear` the clearance engine (`check_use` for `ai_generative_training` on
the dataset's date and territory, audited with the clips it covers) and writes the result.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clearreel.curate.config import CurateConfig
from clearreel.errors import UsageError

Reason = dict[str, Any]
# The use every clip is cleared for (rule 3 applies to it).
USE = "ai_generative_training"


@dataclass(frozen=True)
class Candidate:
    """One candidate clip of one analysed file, as the analysis stored it (see
    `ClipAnalysis.to_json`), with where it comes from."""

    id: str
    work: str
    media: str  # the media URI
    media_index: int
    media_sha256: str | None
    fps: float  # the source's average rate
    start_frame: int  # inclusive, source frames in presentation order
    end_frame: int
    crop: tuple[int, int, int, int] | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    filter_reasons: tuple[Reason, ...] = ()
    phash: Any = None
    performers: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    caption: str = ""
    # Presentation times (ms from the stream's start): the first frame's, the last frame's,
    # and the end of the last frame (None in analyses recorded before times were).
    start_ms: float | None = None
    last_ms: float | None = None
    end_ms: float | None = None
    # Recognition evidence: party -> {"frame", "distance", "stills"} (see ClipAnalysis.faces)
    faces: dict[str, Any] = field(default_factory=dict)
    faces_checked: bool = False
    # Speaker evidence: party -> {"start_s", "end_s", "similarity", "segments"}
    voices: dict[str, Any] = field(default_factory=dict)

    @property
    def start_tc(self) -> str:
        if self.start_ms is None:
            return timecode(self.start_frame, self.fps)
        return timecode_at(self.start_ms / 1000.0, self.fps)

    @property
    def end_tc(self) -> str:
        if self.last_ms is None:
            return timecode(self.end_frame, self.fps)
        return timecode_at(self.last_ms / 1000.0, self.fps)

    @classmethod
    def from_json(
        cls,
        c: dict[str, Any],
        *,
        work: str,
        media: str,
        media_index: int,
        media_sha256: str | None,
        fps: float,
    ) -> Candidate:
        crop = c.get("crop")
        return cls(
            id=clip_key(work, media_index, c["start_frame"], c["end_frame"]),
            work=work,
            media=media,
            media_index=media_index,
            media_sha256=media_sha256,
            fps=fps,
            start_frame=int(c["start_frame"]),
            end_frame=int(c["end_frame"]),
            crop=tuple(int(v) for v in crop) if crop else None,  # type: ignore[arg-type]
            scores=dict(c.get("scores") or {}),
            filter_reasons=tuple(
                r if isinstance(r, dict) else {"code": str(r), "detail": str(r)}
                for r in c.get("filter_reasons") or []
            ),
            phash=c.get("phash"),
            performers=tuple(c.get("performers") or ()),
            characters=tuple(c.get("characters") or ()),
            caption=str(c.get("caption") or ""),
            start_ms=c.get("start_ms"),
            last_ms=c.get("last_ms"),
            end_ms=c.get("end_ms"),
            faces=dict(c.get("faces") or {}),
            faces_checked=bool(c.get("faces_checked")),
            voices=dict(c.get("voices") or {}),
        )


@dataclass(frozen=True)
class Verdict:
    """What the clearance callable answers for one (work, performers) group."""

    allowed: bool
    licenses: tuple[str, ...] = ()
    consents: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()  # each with "code" and "effect" ("allow" | "deny")


# clear(work, performers, clip ids) -> Verdict; with `keep_audio`, also heard=(parties heard
# in the clips, whose voice consents are asked too).
Clearance = Callable[..., Verdict]


@dataclass(frozen=True)
class Admitted:
    clip: Candidate
    licenses: tuple[str, ...]
    consents: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    clip: Candidate
    stage: str  # filter | clearance | dedup
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Plan:
    admitted: list[Admitted]
    excluded: list[Excluded]


def plan(candidates: Sequence[Candidate], clear: Clearance, config: CurateConfig) -> Plan:
    """Decide every candidate (see the module docstring); raises `UsageError` when two
    candidates would get the same clip id."""
    cands = sorted(candidates, key=lambda c: (c.work, c.media, c.start_frame, c.end_frame))
    ids = [c.id for c in cands]
    if len(set(ids)) != len(ids):
        raise UsageError(
            "two candidate clips got the same id: work ids differ only in characters "
            "outside [A-Za-z0-9_-]; rename one work"
        )
    reasons: dict[str, list[Reason]] = defaultdict(list)
    stage_of: dict[str, str] = {}
    for c in cands:
        r = _filter_reasons(c, config)
        if r:
            reasons[c.id] += r
            stage_of[c.id] = "filter"
    passed = [c for c in cands if c.id not in reasons]
    cleared = _clear(passed, clear, reasons, stage_of, config.keep_audio)
    _dedup(passed, cleared, reasons, stage_of, config)
    admitted, excluded = [], []
    for c in cands:
        if c.id in reasons:
            excluded.append(Excluded(c, stage_of[c.id], tuple(reasons[c.id])))
        else:
            lic, con = cleared[c.id]
            admitted.append(Admitted(c, lic, con))
    return Plan(admitted, excluded)


def admissible(candidates: Sequence[Candidate], clear: Clearance,
               config: CurateConfig) -> list[Candidate]:
    """The candidates that pass the score filters and the clearance gate, in plan order:
    what `plan` admits of them before near-duplicates are removed. Asked of one file's
    candidates it is a superset of what `plan` admits of them over the whole batch, with the
    same registry: a verdict depends on the (work, performers, heard) group only, never on
    which clips are in it, and dedup only removes (the speculative cut, `cut.Speculation`)."""
    cands = sorted(candidates, key=lambda c: (c.work, c.media, c.start_frame, c.end_frame))
    passed = [c for c in cands if not _filter_reasons(c, config)]
    cleared = _clear(passed, clear, defaultdict(list), {}, config.keep_audio)
    return [c for c in passed if c.id in cleared]


def _filter_reasons(c: Candidate, config: CurateConfig) -> list[Reason]:
    """Score-filter reasons for a candidate: the analysis's own, else the thresholds here."""
    if c.filter_reasons:
        return list(c.filter_reasons)
    from clearreel.curate.scores import filter_reasons

    return [
        r if isinstance(r, dict) else {"code": str(r), "detail": str(r)}
        for r in filter_reasons(c.scores, config.thresholds)
    ]


def _clear(
    cands: list[Candidate],
    clear: Clearance,
    reasons: dict[str, list[Reason]],
    stage_of: dict[str, str],
    keep_audio: bool = False,
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    # With the audio kept, the parties heard in a clip are asked for a voice consent too.
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[Candidate]] = defaultdict(
        list)
    for c in cands:
        groups[(c.work, c.performers, tuple(sorted(c.voices)) if keep_audio else ())].append(c)
    cleared: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for (work, performers, heard), members in sorted(groups.items()):
        ids = [c.id for c in members]
        verdict = (clear(work, performers, ids, heard=heard) if keep_audio
                   else clear(work, performers, ids))
        if verdict.allowed:
            for c in members:
                cleared[c.id] = (tuple(verdict.licenses), tuple(verdict.consents))
            continue
        rs = list(verdict.reasons)
        denials = [r for r in rs if r.get("effect", "deny") == "deny"] or rs
        for c in members:
            reasons[c.id] += [{**r, "stage": "clearance"} for r in denials] or [
                {"code": "denied", "detail": "denied by the clearance engine"}
            ]
            stage_of[c.id] = "clearance"
    return cleared


def _dedup(
    cands: list[Candidate],
    cleared: dict[str, Any],
    reasons: dict[str, list[Reason]],
    stage_of: dict[str, str],
    config: CurateConfig,
) -> None:
    from clearreel.curate.dedup import near_duplicate_groups

    with_hash = [c for c in cands if c.phash is not None]
    for group in near_duplicate_groups([c.phash for c in with_hash], config):
        members = [with_hash[i] for i in sorted(group)]
        if len(members) < 2:
            continue
        keep = next((c for c in members if c.id in cleared), members[0])
        for c in members:
            if c is keep:
                continue
            reasons[c.id].append(
                {"code": "near_duplicate", "of": keep.id, "detail": f"near_duplicate_of {keep.id}"}
            )
            stage_of.setdefault(c.id, "dedup")
            cleared.pop(c.id, None)


def timecode(frame: int, fps: float) -> str:
    """SMPTE non-drop-frame HH:MM:SS:FF at the nominal (rounded) rate (`util.timecode`)."""
    from clearreel.util.timecode import frame_to_smpte

    return frame_to_smpte(frame, fps)


def timecode_at(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF of a presentation time: the clock time, and FF the frame within that
    second at the nominal (rounded) rate. On constant-rate media it is `timecode` of the
    frame's index; on variable-rate media it is the time the frame is shown. (The tolerance
    absorbs the microsecond rounding of recorded times.)"""
    from clearreel.util.timecode import seconds_to_smpte

    return seconds_to_smpte(seconds, fps)


def clip_key(work: str, media_index: int, start: int, end: int) -> str:
    """A clip id, also its WebDataset key: no dots (WebDataset splits keys at the first dot)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", work)
    return f"{safe}_m{media_index}_{start:07d}_{end:07d}"


__all__ = [
    "USE",
    "Admitted",
    "Candidate",
    "Clearance",
    "Excluded",
    "Plan",
    "Verdict",
    "admissible",
    "clip_key",
    "plan",
    "timecode",
    "timecode_at",
]
