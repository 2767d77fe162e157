"""Tiny synthetic films for tests and fixtures, rendered with OpenCV and encoded with PyAV.

Each shot has its own textured, panning background and moving figures, so shot detectors,
optical flow and sharpness all see something real; shots join by hard cuts or dissolves.
Special kinds make the curation filters testable: `title` (white text on black, like a title
card or credits), `black`, `static` (no motion), `blur` (heavily defocused), and `letterbox`
bars on any shot. `render_film` returns the ground truth in the shape of the sample studio's
truth.json (cuts, dissolves, shots).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.media._encode import write_video


@dataclass(frozen=True)
class ShotSpec:
    frames: int
    kind: str = "scene"  # scene | title | black | static | blur
    seed: int = 0
    dissolve: int = 0  # frames of cross-dissolve from the previous shot (0: hard cut)
    letterbox: float = 0.0  # bar height as a share of the frame height, top and bottom
    text: str = "THE END"
    characters: tuple[str, ...] = ()


def _palette(seed: int) -> np.random.Generator:
    return np.random.default_rng(10_000 + seed)


def _shot_renderer(spec: ShotSpec, width: int, height: int) -> Any:
    import cv2

    rng = _palette(spec.seed)
    c0, c1 = rng.integers(20, 235, size=(2, 3))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    g = (np.cos(angle) * xx / width + np.sin(angle) * yy / height + 1) / 2
    # A texture twice as wide as the frame so the background can pan.
    tex_small = rng.integers(0, 255, size=(max(2, height // 6), max(2, width // 3))).astype(
        np.uint8
    )
    tex = cv2.resize(tex_small, (2 * width, height), interpolation=cv2.INTER_CUBIC).astype(
        np.float32
    )
    figures: list[dict[str, Any]] = []
    for _ in range(2):
        figures.append(
            {
                "colour": tuple(int(v) for v in rng.integers(0, 255, size=3)),
                "pos": rng.uniform([0.2 * width, 0.2 * height], [0.8 * width, 0.8 * height]),
                "vel": rng.uniform(-1, 1, size=2) * width / 40,
                "axes": (
                    int(rng.integers(width // 12, width // 6) + 1),
                    int(rng.integers(height // 6, height // 3) + 1),
                ),
            }
        )
    pan = rng.uniform(0.3, 1.0) * width / 80

    def frame(t: int) -> np.ndarray:
        if spec.kind == "black":
            return np.zeros((height, width, 3), np.uint8)
        if spec.kind == "title":
            img = np.zeros((height, width, 3), np.uint8)
            scale = width / 260
            thick = max(1, round(scale * 2))
            lines = [spec.text, "directed by", "A. SMITHEE"]
            for i, line in enumerate(lines):
                (lw, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
                y = int(height * (0.35 + 0.2 * i))
                cv2.putText(
                    img,
                    line,
                    ((width - lw) // 2, y),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    scale,
                    (235, 235, 235),
                    thick,
                    cv2.LINE_AA,
                )
            return img
        tt = 0 if spec.kind == "static" else t
        off = int(tt * pan) % width
        bg = c0[None, None, :] * g[..., None] + c1[None, None, :] * (1 - g[..., None])
        bg = bg + (tex[:, off : off + width, None] - 128) * 0.35
        img = np.clip(bg, 0, 255).astype(np.uint8)
        for f in figures:
            p = f["pos"] + f["vel"] * tt
            # Bounce inside the frame.
            for k, lim in enumerate((width, height)):
                period = 2 * lim
                v = p[k] % period
                p[k] = v if v < lim else period - v
            cv2.ellipse(
                img, (int(p[0]), int(p[1])), f["axes"], 0, 0, 360, f["colour"], -1, cv2.LINE_AA
            )
            cv2.circle(
                img,
                (int(p[0]), int(p[1] - f["axes"][1])),
                max(2, f["axes"][0] // 2),
                f["colour"],
                -1,
                cv2.LINE_AA,
            )
        if spec.kind == "blur":
            img = cv2.GaussianBlur(img, (0, 0), sigmaX=width / 25)
        if spec.letterbox > 0:
            bar = round(height * spec.letterbox)
            img[:bar] = 0
            img[height - bar :] = 0
        return img

    return frame


def render_frames(
    shots: list[ShotSpec], width: int, height: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Render shots to (T, H, W, 3) uint8 frames and return them with the ground truth."""
    out: list[np.ndarray] = []
    cuts: list[int] = []
    dissolves: list[list[int]] = []
    truth_shots: list[dict[str, Any]] = []
    prev: Any = None
    prev_len = 0
    for i, spec in enumerate(shots):
        render = _shot_renderer(spec, width, height)
        start = len(out)
        d = min(spec.dissolve, spec.frames, prev_len) if i else 0
        if i and d:
            # The last d frames of the previous shot blend into the first d frames of this one.
            first = start - d
            for j in range(d):
                a = (j + 1) / (d + 1)
                old = out[first + j].astype(np.float32)
                out[first + j] = np.clip(old * (1 - a) + render(j) * a, 0, 255).astype(np.uint8)
            dissolves.append([first, start - 1])
            truth_shots[-1]["end_frame"] = start - 1
            start_frame = first
            frames = [render(j) for j in range(d, spec.frames)]
        else:
            if i:
                cuts.append(start)
            start_frame = start
            frames = [render(j) for j in range(spec.frames)]
        out.extend(frames)
        truth_shots.append(
            {
                "start_frame": start_frame,
                "end_frame": len(out) - 1,
                "kind": spec.kind,
                "characters": list(spec.characters),
            }
        )
        prev, prev_len = render, len(frames)
    del prev
    return np.stack(out), {
        "cuts": cuts,
        "dissolves": dissolves,
        "shots": truth_shots,
        "frames": len(out),
        "width": width,
        "height": height,
    }


def render_film(
    path: str | Path,
    shots: list[ShotSpec],
    width: int = 96,
    height: int = 54,
    fps: int = 24,
    **kw: Any,
) -> dict[str, Any]:
    """Render and encode a film; return its truth (`cuts`, `dissolves`, `shots`, `fps`)."""
    frames, truth = render_frames(shots, width, height)
    write_video(path, frames, fps, **{"crf": 16, **kw})
    truth["fps"] = fps
    truth["media"] = str(path)
    return truth
