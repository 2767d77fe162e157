"""Rendering the sample studio's films: a shot plan, a pure frame renderer, and the encoder.

A film is a list of `Shot`s that partition its frames, plus `Dissolve`s that cross-fade
across some boundaries. `render_frame(film, t)` is a pure function of the plan and the frame
index, so tests can compare the decoded video with what was meant to be there, and the same
seed always gives the same pixels.

Geometry: every shot has a background texture 1.5x the frame in each direction (the
"world"); the camera is a window onto it that pans and zooms; figures live in world
coordinates, so camera motion moves them too. Sizes and speeds are fractions of the frame,
so a 96x54 test film and a 1280x720 benchmark film show the same thing.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

# Frames in each dissolve (cross-fade). The cut is recorded at the dissolve's middle frame.
DISSOLVE_FRAMES = 12
TEXTURE_SCALE = 1.5  # world size / frame size


@dataclass(frozen=True)
class Look:
    """How a character is drawn: clearly different colour, shape and size for each."""

    color: tuple[int, int, int]  # RGB
    shape: str  # tall | round | triangle | square | diamond
    size: float  # body height as a share of the frame height


@dataclass(frozen=True)
class Figure:
    character: str  # character id
    look: Look
    x0: float  # world x at local time 0, in frame widths
    ground: float  # world y of the feet, in frame heights
    vx: float  # frame widths per second
    bob: float  # vertical bob amplitude, in frame heights
    bob_hz: float
    phase: float


@dataclass(frozen=True)
class Shot:
    index: int
    kind: str  # title | black | scene | credits
    start: int  # first frame (inclusive)
    end: int  # last frame (inclusive)
    texture_seed: tuple[int, ...] = ()
    hue: float = 0.0
    value: float = 0.5
    pattern: str = "waves"
    cam_x: float = 0.0  # camera centre at local time 0, world units (frame widths/heights)
    cam_y: float = 0.0
    cam_vx: float = 0.0  # frame widths per second
    cam_vy: float = 0.0
    zoom_rate: float = 0.0  # relative zoom change per second
    gain: float = 1.0  # brightness multiplier (a repeated shot is slightly brighter)
    figures: tuple[Figure, ...] = ()
    lines: tuple[str, ...] = ()  # text of a title or credits card
    repeat_of: int | None = None

    @property
    def characters(self) -> list[str]:
        return [f.character for f in self.figures]


@dataclass(frozen=True)
class Dissolve:
    first: int  # first blended frame
    last: int  # last blended frame (inclusive)
    shot_a: int  # index of the outgoing shot
    shot_b: int  # index of the incoming shot


@dataclass
class Film:
    work: str
    title: str
    width: int
    height: int
    fps: int
    shots: list[Shot]
    dissolves: list[Dissolve]
    _textures: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    # Variable frame rate: each frame's presentation time in milliseconds, and one more entry
    # for the end of the last frame (None: constant rate, frame t at t / fps).
    pts_ms: tuple[int, ...] | None = None

    @property
    def frames(self) -> int:
        return self.shots[-1].end + 1

    @property
    def vfr(self) -> bool:
        return self.pts_ms is not None

    def ms(self, t: int) -> int:
        """Presentation time of frame t in milliseconds (t == frames: the end of the film)."""
        if self.pts_ms is not None:
            return self.pts_ms[t]
        return round(t * 1000 / self.fps)

    @property
    def cuts(self) -> list[int]:
        return [s.start for s in self.shots[1:]]

    def shot_at(self, t: int) -> Shot:
        for s in self.shots:
            if s.start <= t <= s.end:
                return s
        raise IndexError(f"frame {t} outside 0..{self.frames - 1}")


# ---------------------------------------------------------------------------------------------
# Textures


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(
        colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0)), dtype=np.float32
    )


def _smooth_noise(
    rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int]
) -> np.ndarray:
    import cv2

    small = rng.random(cells, dtype=np.float32)
    return np.asarray(cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_CUBIC))


def _texture(shot: Shot, width: int, height: int) -> np.ndarray:
    """The shot's world: a textured (not flat) background, (H*1.5, W*1.5, 3) uint8 RGB."""
    th, tw = round(height * TEXTURE_SCALE), round(width * TEXTURE_SCALE)
    rng = np.random.default_rng(list(shot.texture_seed))
    y, x = np.mgrid[0:th, 0:tw].astype(np.float32)
    x /= tw
    y /= th
    f1 = _smooth_noise(rng, (5, 8), (th, tw))
    f2 = _smooth_noise(rng, (3, 4), (th, tw))
    kx, ky = rng.uniform(2.0, 5.0), rng.uniform(1.0, 4.0)
    phase = rng.uniform(0, 2 * math.pi)
    if shot.pattern == "waves":
        p = np.sin(2 * math.pi * (kx * x + ky * y) + phase)
    elif shot.pattern == "rings":
        cx, cy = rng.uniform(0.3, 0.7, size=2)
        p = np.sin(2 * math.pi * kx * np.hypot((x - cx) * tw / th, y - cy) + phase)
    elif shot.pattern == "checker":
        p = np.sin(2 * math.pi * kx * x + phase) * np.sin(2 * math.pi * ky * y)
    else:  # stripes: soft-edged bands
        p = np.tanh(3.0 * np.sin(2 * math.pi * kx * x + phase))
    t = np.clip(0.45 * f1 + 0.35 * (0.5 + 0.5 * p) + 0.2 * f2, 0.0, 1.0)
    s = rng.uniform(0.35, 0.6)
    c0 = _hsv(shot.hue - 0.05, s, shot.value - 0.18)
    c1 = _hsv(shot.hue, s, shot.value)
    c2 = _hsv(shot.hue + 0.07, s * 0.7, shot.value + 0.16)
    lo = np.clip(t * 2.0, 0, 1)[..., None]
    hi = np.clip(t * 2.0 - 1.0, 0, 1)[..., None]
    rgb = np.where(t[..., None] < 0.5, c0 + (c1 - c0) * lo, c1 + (c2 - c1) * hi)
    # A darker ground band with a soft horizon, so figures stand on something.
    horizon = rng.uniform(0.68, 0.78)
    ground = 1.0 / (1.0 + np.exp(-(y - horizon) * 40.0))
    rgb *= (1.0 - 0.35 * ground)[..., None]
    return np.clip(rgb * 255.0 * shot.gain, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Figures

_SHIFT = 4  # cv2 fixed-point bits: sub-pixel positions, so slow motion is smooth
_ONE = 1 << _SHIFT


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 36) -> np.ndarray:
    a = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _draw_figure(img: np.ndarray, fig: Figure, x: float, y: float, scale: float) -> None:
    """Draw one character with its feet at screen (x, y); `scale` is pixels per frame height."""
    import cv2

    h = fig.look.size * scale
    color = tuple(int(c) for c in fig.look.color)
    dark = tuple(int(c * 0.25) for c in fig.look.color)
    lw = max(1, round(scale / 90))
    aa = cv2.LINE_AA
    shape = fig.look.shape
    if shape == "tall":  # a tall, thin body
        body = _ellipse(x, y - 0.4 * h, 0.11 * h, 0.4 * h)
        head = (x, y - 0.9 * h, 0.1 * h)
    elif shape == "round":  # a wide, round body
        r = 0.34 * h
        body = _ellipse(x, y - r, r, r)
        head = (x, y - 2 * r - 0.13 * h, 0.15 * h)
    elif shape == "triangle":
        body = np.array([[x - 0.3 * h, y], [x + 0.3 * h, y], [x, y - 0.85 * h]])
        head = (x, y - 0.9 * h, 0.11 * h)
    elif shape == "square":
        w = 0.32 * h
        body = np.array([[x - w, y], [x + w, y], [x + w, y - 0.7 * h], [x - w, y - 0.7 * h]])
        head = (x, y - 0.83 * h, 0.13 * h)
    else:  # diamond
        body = np.array(
            [[x, y], [x + 0.25 * h, y - 0.4 * h], [x, y - 0.8 * h], [x - 0.25 * h, y - 0.4 * h]]
        )
        head = (x, y - 0.92 * h, 0.1 * h)
    poly = (np.asarray(body, dtype=np.float64) * _ONE).round().astype(np.int32)
    cv2.fillPoly(img, [poly], color, aa, _SHIFT)
    cv2.polylines(img, [poly], True, dark, lw, aa, _SHIFT)
    hx, hy, hr = head
    cv2.circle(img, _pt(hx, hy), max(_ONE, round(hr * _ONE)), color, -1, aa, _SHIFT)
    cv2.circle(img, _pt(hx, hy), max(_ONE, round(hr * _ONE)), dark, lw, aa, _SHIFT)


# ---------------------------------------------------------------------------------------------
# Text cards


def _text_card(film: Film, shot: Shot) -> np.ndarray:
    import cv2

    w, h = film.width, film.height
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    if shot.kind == "title":  # warm, bright gradient: far from black and from the scenes
        top, bottom = _hsv(0.08, 0.75, 0.95), _hsv(0.02, 0.8, 0.55)
    else:  # credits: dark navy
        top, bottom = _hsv(0.63, 0.6, 0.3), _hsv(0.66, 0.7, 0.12)
    img = np.ascontiguousarray(
        np.broadcast_to((top + (bottom - top) * y) * 255.0, (h, w, 3)).astype(np.uint8)
    )
    # The text is drawn on a canvas of at least 720 lines and scaled down (area average):
    # small cards look like a real card downscaled, and do not depend on how a version of
    # OpenCV rasterises a Hershey glyph a few pixels high (4.x and 5.x differ there).
    k = max(1, -(-720 // h))
    ink = np.zeros((h * k, w * k), np.uint8)  # white strokes
    halo = np.zeros((h * k, w * k), np.uint8)  # their dark outline
    font = cv2.FONT_HERSHEY_SIMPLEX
    n = len(shot.lines)
    for i, line in enumerate(shot.lines):
        big = shot.kind == "title" and i == n - 1
        scale = h * k / (220.0 if big else 420.0)
        thick = max(1, round(h * k / (90.0 if big else 200.0)))
        (tw, th), _ = cv2.getTextSize(line, font, scale, thick)
        if tw > 0.9 * w * k:  # fit the width
            scale *= 0.9 * w * k / tw
            (tw, th), _ = cv2.getTextSize(line, font, scale, thick)
        cy = round(h * k * (i + 1) / (n + 1) + th / 2)
        org = (round((w * k - tw) / 2), cy)
        cv2.putText(halo, line, org, font, scale, 255, thick + 2 * k, cv2.LINE_8)
        cv2.putText(ink, line, org, font, scale, 255, thick, cv2.LINE_8)
    ink_f, halo_f = (cv2.resize(m.astype(np.float32) / 255.0, (w, h),
                                interpolation=cv2.INTER_AREA) for m in (ink, halo))
    out = img.astype(np.float32) * (1.0 - halo_f[..., None])  # the outline darkens
    out = out * (1.0 - ink_f[..., None]) + 255.0 * ink_f[..., None]  # the strokes are white
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Frames


def _render_shot(film: Film, shot: Shot, t: int) -> np.ndarray:
    """Shot `shot` at film frame `t` (t may lie outside the shot, inside a dissolve)."""
    import cv2

    w, h = film.width, film.height
    if shot.kind == "black":
        return np.zeros((h, w, 3), np.uint8)
    if shot.kind in ("title", "credits"):
        key = -1 - shot.index
        if key not in film._textures:
            film._textures[key] = _text_card(film, shot)
        return film._textures[key].copy()
    tex = film._textures.get(shot.index)
    if tex is None:
        tex = film._textures[shot.index] = _texture(shot, w, h)
    th, tw = tex.shape[:2]
    sec = (t - shot.start) / film.fps
    zoom = (
        max(1.0, 1.0 + shot.zoom_rate * sec)
        if shot.zoom_rate >= 0
        else max(1.0, 1.12 + shot.zoom_rate * sec)
    )
    vw, vh = w / zoom, h / zoom  # the camera's window, in texture pixels
    x0 = min(max((shot.cam_x + shot.cam_vx * sec) * w - vw / 2, 0.0), tw - vw)
    y0 = min(max((shot.cam_y + shot.cam_vy * sec) * h - vh / 2, 0.0), th - vh)
    m = np.array([[1.0 / zoom, 0.0, x0], [0.0, 1.0 / zoom, y0]], dtype=np.float64)
    img = cv2.warpAffine(
        tex, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
    )
    for fig in shot.figures:
        fx = (fig.x0 + fig.vx * sec) * w
        fy = (fig.ground + fig.bob * math.sin(2 * math.pi * fig.bob_hz * sec + fig.phase)) * h
        _draw_figure(img, fig, (fx - x0) * zoom, (fy - y0) * zoom, h * zoom)
    return img


def render_frame(film: Film, t: int) -> np.ndarray:
    """Frame `t` of `film` as (H, W, 3) uint8 RGB, exactly what the encoder is given."""
    for d in film.dissolves:
        if d.first <= t <= d.last:
            n = d.last - d.first + 1
            alpha = (t - d.first + 1) / (n + 1)  # strictly between 0 and 1
            a = _render_shot(film, film.shots[d.shot_a], t).astype(np.float32)
            b = _render_shot(film, film.shots[d.shot_b], t).astype(np.float32)
            return np.clip(np.rint(a * (1.0 - alpha) + b * alpha), 0, 255).astype(np.uint8)
    return _render_shot(film, film.shot_at(t), t)


def dissolve_alpha(film: Film, t: int) -> float | None:
    """The weight of the incoming shot at frame t, or None when t is not in a dissolve."""
    for d in film.dissolves:
        if d.first <= t <= d.last:
            return (t - d.first + 1) / (d.last - d.first + 2)
    return None


def render_shot_frame(film: Film, shot_index: int, t: int) -> np.ndarray:
    """One shot's own picture at frame t, without any dissolve (for blend tests)."""
    return _render_shot(film, film.shots[shot_index], t)


# ---------------------------------------------------------------------------------------------
# Encoding


def pick_codec() -> str:
    """libx264 where PyAV's FFmpeg has it (the wheels do), else the built-in mpeg4 encoder."""
    import av

    for name in ("libx264", "mpeg4"):
        try:
            av.codec.Codec(name, "w")
            return name
        except Exception:
            continue
    from clearreel.errors import MissingDependency

    raise MissingDependency("PyAV's FFmpeg has neither libx264 nor mpeg4: reinstall `av` from PyPI")


def encode(film: Film, path: Path, progress: Any = None) -> str:
    """Render every frame of `film` and write an H.264 (or MPEG-4) yuv420p mp4; returns the codec.

    x264 runs on one thread with fixed options, so a seed gives the same file on any machine
    with the same FFmpeg build.
    """
    import av

    codec = pick_codec()
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as out:
        stream: Any = out.add_stream(codec, rate=film.fps)
        stream.width, stream.height = film.width, film.height
        stream.pix_fmt = "yuv420p"
        # VFR: millisecond ticks, each frame at its own presentation time.
        tb = Fraction(1, 1000) if film.vfr else Fraction(1, film.fps)
        stream.time_base = tb
        if film.vfr:
            stream.codec_context.time_base = tb
        if codec == "libx264":
            # crf 18: visually lossless, so decoded frames stay close to the rendered ones.
            # One thread, always: x264's automatic count follows the machine's CPUs and the
            # picture's height and is written into the bitstream, so the same seed gave
            # other bytes on another machine (and the demo's larger films other options).
            stream.codec_context.thread_count = 1
            stream.options = {"preset": "veryfast", "crf": "18", "threads": "1"}
        else:
            stream.bit_rate = film.width * film.height * film.fps // 4
        for t in range(film.frames):
            frame = av.VideoFrame.from_ndarray(render_frame(film, t), format="rgb24")
            if film.vfr:
                frame.pts, frame.time_base = film.ms(t), tb
            else:
                frame.pts = t
            for packet in stream.encode(frame):
                out.mux(packet)
            if progress is not None:
                progress(1)
        for packet in stream.encode():
            out.mux(packet)
    film._textures.clear()
    return codec
