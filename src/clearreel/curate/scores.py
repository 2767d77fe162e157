"""Per-clip scores over the analysis frames, and the filters they feed.

Every score is recorded with the clip (so a studio can re-filter later) and compared with
`Thresholds` (documented defaults in `clearreel.curate.config` and docs/curation.md):

- `motion`: mean optical-flow magnitude (OpenCV Farneback, Farnebäck 2003) over
  `motion_pairs` pairs of consecutive frames, as a share of the frame width per second, so it
  does not depend on the analysis size or the frame rate.
- `sharpness`: variance of the Laplacian of luma (Pech-Pacheco et al., 2000), the median over
  sampled frames, measured at a fixed 160 px width so it does not depend on the analysis size.
- `brightness`: mean luma (BT.601, 0-255).
- `black_fraction` / `flat_fraction`: share of frames that are black (mean luma below
  `black_luma`) or flat (luma standard deviation below 6: fades, solid cards).
- `text_fraction` / `text_area`: text on screen (title cards, credits, burnt-in captions),
  from a morphological text-line detector: strong, dense, horizontally connected strokes with
  the height of a line of text. `text_area` is the largest share of the frame covered by text
  lines in a sampled frame; `text_fraction` the share of sampled frames with at least
  `text_min_area` of text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from clearreel.curate.clips import luma

if TYPE_CHECKING:
    from clearreel.curate.config import CurateConfig, Thresholds

_SHARPNESS_WIDTH = 160
_FLAT_STD = 6.0


@dataclass(frozen=True)
class FilterReason:
    code: str  # low_motion | high_motion | blurry | too_dark | too_bright | black_frames | ...
    score: str  # the score it is about
    value: float
    threshold: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "score": self.score,
            "value": self.value,
            "threshold": self.threshold,
            "detail": self.detail,
        }


def _sample(n: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(int))


def flow_stats(frames: np.ndarray, fps: float, pairs: int = 4) -> tuple[float, float]:
    """(motion, foreground) from Farneback flow on `pairs` consecutive-frame pairs.

    motion: mean flow magnitude in frame widths per second. foreground: the share of pixels
    moving differently from the median flow (the camera's own motion) by more than half a
    pixel and a third of the median speed, a rough size of what moves in the shot (used for
    shot scale in captions).
    """
    import cv2

    t, _h, w = frames.shape[:3]
    if t < 2:
        return 0.0, 0.0
    mags, fg = [], []
    for i in _sample(t - 1, pairs):
        a = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY)
        b = cv2.cvtColor(frames[i + 1], cv2.COLOR_RGB2GRAY)
        # pyramid scale 0.5, 3 levels, 15 px window, 3 iterations, poly_n 5, sigma 1.2:
        # OpenCV's documented example values.
        flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)  # type: ignore[call-overload]
        mag = np.linalg.norm(flow, axis=2)
        mags.append(float(mag.mean()))
        med = np.median(flow.reshape(-1, 2), axis=0)
        dev = np.linalg.norm(flow - med, axis=2)
        fg.append(float((dev > max(0.5, float(np.linalg.norm(med)) / 3)).mean()))
    return float(np.mean(mags)) / w * fps, float(np.mean(fg))


def motion_score(frames: np.ndarray, fps: float, pairs: int = 4) -> float:
    """Mean Farneback flow magnitude over `pairs` consecutive-frame pairs, frame widths/second."""
    return flow_stats(frames, fps, pairs)[0]


def sharpness_score(frames: np.ndarray, samples: int = 5) -> float:
    """Median variance of the Laplacian of luma at 160 px wide."""
    import cv2

    vals = []
    for i in _sample(len(frames), samples):
        g = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY)
        h, w = g.shape
        if w != _SHARPNESS_WIDTH:
            nh = max(2, round(h * _SHARPNESS_WIDTH / w))
            interp = cv2.INTER_AREA if w > _SHARPNESS_WIDTH else cv2.INTER_LINEAR
            g = cv2.resize(g, (_SHARPNESS_WIDTH, nh), interpolation=interp)
        vals.append(float(cv2.Laplacian(g, cv2.CV_64F).var()))
    return float(np.median(vals))


def text_area(frame: np.ndarray) -> float:
    """Share of the frame covered by text-line boxes (0 when there is no text)."""
    import cv2

    g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    h, w = g.shape
    grad = cv2.morphologyEx(
        g, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    )
    # Strokes of rendered text have strong edges on both sides; a fixed floor keeps soft
    # textures out, Otsu adapts to the frame's contrast above it.
    otsu, _ = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, bw = cv2.threshold(grad, max(float(otsu), 60.0), 255, cv2.THRESH_BINARY)
    # Join the letters of a line horizontally, never across lines.
    kw = max(3, w // 40)
    joined = cv2.morphologyEx(
        bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kw, 1))
    )
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    area = 0
    # A word or a line (or, at low resolution, a few lines run together): between 1/40 and
    # 1/3 of the frame high, wider than high.
    min_h, max_h = max(3, h // 40), max(4, h // 3)
    for i in range(1, n):
        x, y, bw_, bh, px = stats[i]
        if not (min_h <= bh <= max_h and bw_ >= 1.2 * bh and bw_ >= w // 16):
            continue
        # Rendered text: dense strokes (edge pixels fill much of the box, where a shape's
        # outline fills little) in strong contrast (light on dark or dark on light).
        density = np.count_nonzero(bw[y : y + bh, x : x + bw_]) / float(bw_ * bh)
        lo, hi = np.percentile(g[y : y + bh, x : x + bw_], (5, 95))
        if density >= 0.3 and hi - lo >= 120 and px / float(bw_ * bh) >= 0.4:
            area += bw_ * bh
    return area / float(h * w)


def compute_scores(frames: np.ndarray, fps: float, config: CurateConfig) -> dict[str, float]:
    """All scores of one clip from its analysis frames (already cropped to the picture)."""
    y = luma(frames).reshape(len(frames), -1)
    means, stds = y.mean(axis=1), y.std(axis=1)
    th = config.thresholds
    areas = [text_area(frames[i]) for i in _sample(len(frames), 6)]
    motion, foreground = flow_stats(frames, fps, config.motion_pairs)
    return {
        "motion": round(motion, 5),
        "foreground": round(foreground, 4),
        "sharpness": round(sharpness_score(frames), 3),
        "brightness": round(float(means.mean()), 3),
        "black_fraction": round(float((means < config.black_luma).mean()), 4),
        "flat_fraction": round(float((stds < _FLAT_STD).mean()), 4),
        "text_area": round(float(max(areas)), 4),
        "text_fraction": round(float(np.mean([a >= th.text_min_area for a in areas])), 4),
    }


def filter_reasons(scores: dict[str, Any], thresholds: Thresholds) -> list[dict[str, Any]]:
    """Why a clip fails the score filters: a list of `FilterReason.to_dict()`, empty if it passes.

    Missing scores are not judged (a studio may load clips scored by an older version).
    """
    t = thresholds
    checks = [
        ("motion", "<", t.min_motion, "low_motion", "almost no motion"),
        ("motion", ">", t.max_motion, "high_motion", "motion too fast or flashing"),
        ("sharpness", "<", t.min_sharpness, "blurry", "out of focus or soft"),
        ("brightness", "<", t.min_brightness, "too_dark", "too dark"),
        ("brightness", ">", t.max_brightness, "too_bright", "too bright"),
        ("black_fraction", ">", t.max_black_fraction, "black_frames", "black frames"),
        ("flat_fraction", ">", t.max_flat_fraction, "flat_frames", "flat (featureless) frames"),
        ("text_fraction", ">", t.max_text_fraction, "text_on_screen", "text on screen"),
    ]
    out: list[dict[str, Any]] = []
    for score, op, limit, code, what in checks:
        v = scores.get(score)
        if v is None:
            continue
        v = float(v)
        if (op == "<" and v < limit) or (op == ">" and v > limit):
            out.append(
                FilterReason(
                    code, score, v, limit, f"{what}: {score} {v:g} {op} {limit:g}"
                ).to_dict()
            )
    return out
