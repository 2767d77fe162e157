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
    durations: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    rotate: int | None = None,
) -> list[float]:
    """Write the shots as an H.264 mp4; return every frame's presentation time (seconds).

    `durations` (in `time_base` units, one per frame) makes the file variable frame rate:
    frame i is shown at sum(durations[:i]) * time_base. `rotate` stores a display matrix
    (the way phones record portrait video) so that players turn the picture.
    """
    import av

    frames = np.concatenate(
        [shot_frames(i, round(s.seconds * fps), width, height) for i, s in enumerate(shots)]
    )
    tb = time_base or Fraction(1, fps)
    if durations is None:
        step = int(Fraction(1, fps) / tb)
        durations = [step] * len(frames)
    assert len(durations) >= len(frames), "one duration per frame"
    path.parent.mkdir(parents=True, exist_ok=True)
    times: list[float] = []
    with av.open(str(path), "w", format="mp4") as out:
        stream: Any = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = tb
        stream.codec_context.time_base = tb
        stream.options = {"crf": "18", "preset": "veryfast", "bf": "0"}
        stream.codec_context.thread_count = 1
        pts = 0
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = pts, tb
            times.append(float(pts * tb))
            for packet in stream.encode(frame):
                out.mux(packet)
            pts += int(durations[i])
        for packet in stream.encode():
            out.mux(packet)
    if rotate:
        _set_rotation(path, rotate)
    return times


def _set_rotation(path: Path, degrees: int) -> None:
    """Rewrite `path` with a display matrix side data of `degrees` (remux, no re-encode)."""
    import av

    tmp = path.with_suffix(".rot.mp4")
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        s = src.streams.video[0]
        o: Any = dst.add_stream_from_template(s)
        o.metadata["rotate"] = str(degrees)  # the mov muxer turns this into a display matrix
        for packet in src.demux(s):
            if packet.dts is None:
                continue
            packet.stream = o
            dst.mux(packet)
    tmp.replace(path)


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
        for s in shots:
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
