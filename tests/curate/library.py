"""A tiny, fixed studio library written in code: shots of moving texture, one catalog.

Used where a test needs media it controls exactly (the pinned Merkle root, long files in
several analysis windows, variable frame rate, faults while cutting). Every byte of the media
is a function of the arguments, so the same call always writes the same files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import yaml

COLOURS = [(200, 60, 40), (40, 90, 210), (60, 180, 70), (220, 200, 50), (160, 60, 190)]


@dataclass(frozen=True)
class Shot:
    seconds: float
    performers: tuple[str, ...] = ()
    # The frame rate inside this shot (None: the file's): a file whose shots differ is
    # variable frame rate, each frame lasting 1 / rate.
    rate: float | None = None


def shot_frames(index: int, n: int, width: int, height: int) -> np.ndarray:
    """(n, H, W, 3) uint8: a seeded texture in shot `index`'s colour, panning 1 px a frame."""
    rng = np.random.default_rng(1000 + index)
    tex = rng.integers(0, 90, size=(height // 4 + 2, (width + n) // 4 + 2), dtype=np.uint8)
    tex = np.kron(tex, np.ones((4, 4), np.uint8))  # blocky: sharp edges, stable under x264
    base = np.array(COLOURS[index % len(COLOURS)], np.int16)
    out = np.empty((n, height, width, 3), np.uint8)
    for t in range(n):
        patch = tex[:height, t : t + width].astype(np.int16)
        out[t] = np.clip(base[None, None, :] * 0.7 + patch[..., None], 0, 255).astype(np.uint8)
    return out


def write_media(
    path: Path,
    shots: Sequence[Shot],
    *,
    width: int = 96,
    height: int = 54,
    fps: int = 24,
    rotate: int = 0,
) -> list[float]:
    """Write the shots as an H.264 mp4; return every frame's presentation time (seconds).

    A shot with its own `rate` makes the file variable frame rate (time base 1/12000, so
    rates of 12, 16, 24, 30, 48 and 60 are exact; each frame lasts 1 / its shot's rate).
    `rotate` stores a display matrix (counter-clockwise degrees, as phones record portrait).
    """
    import av

    # Constant rate: time base 1/fps (the files the pinned Merkle root was recorded on).
    tb = Fraction(1, 12000) if any(s.rate for s in shots) else Fraction(1, fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    times: list[float] = []
    with av.open(str(path), "w", format="mp4") as out:
        stream: Any = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = tb
        stream.codec_context.time_base = tb
        stream.options = {"crf": "18", "preset": "veryfast", "bf": "0"}
        stream.codec_context.thread_count = 1
        if rotate:
            stream.set_display_rotation(rotate)
        pts = 0
        for i, s in enumerate(shots):
            rate = s.rate or fps
            step = int(Fraction(1) / Fraction(rate).limit_denominator(1001) / tb)
            for img in shot_frames(i, round(s.seconds * rate), width, height):
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = pts, tb
                times.append(float(pts * tb))
                for packet in stream.encode(frame):
                    out.mux(packet)
                pts += step
        for packet in stream.encode():
            out.mux(packet)
    return times


@dataclass
class Library:
    root: Path
    catalog: Path
    media: dict[str, Path] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)


PEOPLE = ("p-ava", "p-ben", "p-dev")


def write_library(
    root: Path,
    works: dict[str, Sequence[Shot]],
    *,
    revoked: Sequence[str] = ("p-dev",),
    scenes: bool = True,
    **media_kw: Any,
) -> Library:
    """A catalog of `works` (work id -> shots), each with one master; every shot a scene
    naming its performers. Ava and Ben consent to training; the `revoked` performers revoked."""
    lib = Library(root=root, catalog=root / "catalog.yaml")
    docs: list[dict[str, Any]] = []
    for wid, shots in works.items():
        media = root / "media" / f"{wid}.mp4"
        lib.times[wid] = write_media(media, shots, **media_kw)
        lib.media[wid] = media
        t, sc = 0.0, []
        for s in shots:  # a scene per shot, at the shot's presentation time
            sc.append(
                {"start": _tc(t), "end": _tc(t + s.seconds), "performers": list(s.performers)}
            )
            t += s.seconds
        credited = sorted({p for s in shots for p in s.performers})
        docs.append(
            {
                "id": wid,
                "title": wid.replace("w-", "").title(),
                "kind": "film",
                "year": 2020,
                "media": [f"media/{wid}.mp4"],
                "participations": [{"party": "p-studio", "role": "studio", "points": 100}]
                + [{"party": p, "role": "performer", "points": 1} for p in credited],
                **({"scenes": sc} if scenes else {}),
            }
        )
    consents = [
        {
            "id": f"k-{p}",
            "party": p,
            "kind": "training",
            "status": "revoked" if p in revoked else "granted",
            "works": "all",
            "description": "training",
            "signed": "2024-02-01",
            "revoked": "2025-01-01" if p in revoked else None,
        }
        for p in PEOPLE
    ]
    catalog = {
        "organization": {"id": "org-pin", "name": "Pin Pictures", "home_territory": "US"},
        "parties": [{"id": "p-studio", "name": "Pin Pictures", "kind": "company"}]
        + [{"id": p, "name": p[2:].title() + " Test", "kind": "person"} for p in PEOPLE],
        "works": docs,
        "licenses": [
            {
                "id": "l-all",
                "licensor": "p-studio",
                "licensee": "org-pin",
                "works": "all",
                "uses": {"ai_training": "allowed", "ai_generative_training": "allowed"},
                "territories": ["WORLD"],
                "start": "2024-01-01",
            }
        ],
        "consents": consents,
    }
    lib.catalog.write_text(yaml.safe_dump(catalog, sort_keys=False))
    return lib


def _tc(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
