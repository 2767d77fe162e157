"""The likeness guard: no unconsented face goes in or comes out (contract rule 4).

A performer is depicted when their face is recognised in the storyboard image given to
image-to-video (checked before any frame is made) or in the frames of the output (checked in
`deliver`, before the watermark and the encode, so a blocked output is never written). A
recognised party needs what naming them in the prompt needs: the clearance engine's
`digital_replica` rule (`clearreel.rights.clearance.check_generation`), asked for the
request's project, purpose, territory and dates. There is no second consent rule here.

Recognition is `clearreel.rights.likeness` (dlib descriptors of every party's face references,
credited anywhere or not; threshold `THRESHOLD`, measured in docs/likeness.md).

Output frames are sampled: every frame of an output of up to `ALL_FRAMES_UP_TO` frames, else
every `STRIDE`-th frame and the last one. At 24 fps a stride of 4 checks six frames a second,
so a face on screen for a sixth of a second or more is always among the checked frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clearreel.config import Settings

ALL_FRAMES_UP_TO = 48  # two seconds at 24 fps: every frame is checked
STRIDE = 4  # longer outputs: every 4th frame (and the last)


def sampled(n: int) -> list[int]:
    """The indices of the frames of an n-frame output that the output guard checks."""
    if n <= ALL_FRAMES_UP_TO:
        return list(range(n))
    idx = list(range(0, n, STRIDE))
    return idx if idx[-1] == n - 1 else [*idx, n - 1]


@dataclass
class LikenessCheck:
    """What one check saw: the frames it looked at, the faces it recognised, the denials."""

    source: str  # "storyboard" | "output"
    checked_frames: int = 0
    stride: int = 1
    threshold: float = 0.0
    references: int = 0  # stored face references compared against
    # listed photos that could not be used (so their party cannot be recognised)
    unusable: list[str] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    denials: list[dict[str, Any]] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.denials

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "checked_frames": self.checked_frames,
                "stride": self.stride, "threshold": self.threshold,
                "references": self.references, "unusable_references": self.unusable,
                "matches": self.matches,
                "blocked": not self.allowed}


def _dates(on: dt.date | None) -> list[dt.date]:
    today = dt.date.today()
    return [today] if on is None or on == today else [today, on]


def check(settings: Settings, frames: Sequence[np.ndarray] | np.ndarray, *, source: str,
          indices: Sequence[int] | None = None, project: str | None = None,
          purpose: str | None = None, on: dt.date | None = None, territory: str | None = None,
          subject: str | None = None) -> LikenessCheck:
    """Recognise faces in `frames` ((H, W, 3) uint8 RGB; `indices` their frame numbers) and
    ask rule 4 for every party recognised. Audited as `generate.likeness`."""
    from clearreel.db import open_session
    from clearreel.rights import audit
    from clearreel.rights.clearance import check_generation
    from clearreel.rights.likeness import THRESHOLD, match_image, usable_references

    indices = list(indices) if indices is not None else list(range(len(frames)))
    out = LikenessCheck(source, len(indices),
                        (indices[1] - indices[0]) if len(indices) > 1 else 1, THRESHOLD)
    with open_session(settings) as s:
        refs, out.unusable = usable_references(s)
        out.references = len(refs)
        # party -> its closest match over every checked frame
        best: dict[str, dict[str, Any]] = {}
        if refs:
            for i, img in zip(indices, frames, strict=True):
                for fm in match_image(np.ascontiguousarray(img), refs, THRESHOLD):
                    if fm.party not in best or fm.distance < best[fm.party]["distance"]:
                        best[fm.party] = {**fm.to_json(), "frame": int(i)}
        for party, m in sorted(best.items(), key=lambda kv: kv[1]["distance"]):
            decisions = [check_generation(s, performers=[party], project=project,
                                          purpose=purpose, on=day, territory=territory,
                                          audit=False) for day in _dates(on)]
            allowed = all(d.allowed for d in decisions)
            why = [r for d in decisions for r in d.reasons if r.party == party
                   and r.effect == ("allow" if allowed else "deny")]
            m.update(consented=allowed, consents=sorted({r.consent for r in why if r.consent}))
            out.matches.append(m)
            if allowed:
                continue
            where = ("the storyboard image" if source == "storyboard"
                     else f"frame {m['frame']} of the output")
            out.denials.append({
                "code": "likeness.unconsented", "license": None,
                "consent": why[0].consent if why else None, "party": party, "character": None,
                "reservation": None, "effect": "deny", "source": source,
                "frame": m["frame"] if source == "output" else None,
                "distance": m["distance"], "threshold": THRESHOLD, "reference": m["reference"],
                "denied_by": [r.code for r in why],
                "detail": (f"{_name(s, party)}'s face is recognised in {where} (distance "
                           f"{m['distance']:.3f} < threshold {THRESHOLD}), and rule 4 denies a "
                           f"digital replica of them: " + "; ".join(r.detail for r in why))})
        audit.record(s, "generate.likeness", subject, **out.to_json(),
                     allowed=out.allowed, reasons=out.denials, project=project,
                     purpose=purpose, territory=territory,
                     dates=[d.isoformat() for d in _dates(on)])
    return out


def _name(session: Any, party: str) -> str:
    from sqlalchemy import select

    from clearreel.rights.models import Party

    p = session.scalars(select(Party).where(Party.id == party)).first()
    return f"{p.name} ({party})" if p is not None else party


def check_storyboard(settings: Settings, path: str, **kw: Any) -> LikenessCheck:
    """The input guard: the storyboard image of an image-to-video request."""
    from clearreel.errors import UsageError
    from clearreel.rights.likeness import read_rgb

    img = read_rgb(path)
    if img is None:
        raise UsageError(f"--image {path}: cannot read the storyboard image (give a PNG or "
                         "JPEG frame)")
    return check(settings, [img], source="storyboard", indices=[0], **kw)


def check_output(settings: Settings, frames: np.ndarray, **kw: Any) -> LikenessCheck:
    """The output guard: the sampled frames (`sampled`) of an output, (F, H, W, 3) uint8."""
    idx = sampled(len(frames))
    chk = check(settings, [frames[i] for i in idx], source="output", indices=idx, **kw)
    chk.stride = 1 if len(frames) <= ALL_FRAMES_UP_TO else STRIDE
    return chk


__all__ = ["ALL_FRAMES_UP_TO", "STRIDE", "LikenessCheck", "check", "check_output",
           "check_storyboard", "sampled"]
