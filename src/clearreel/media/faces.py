"""Face recognition with dlib: HOG face detector, 5-point alignment, 128-d ResNet descriptor.

The models are dlib's own, shipped by the `face-recognition-models` package
(`shape_predictor_5_face_landmarks.dat`, `dlib_face_recognition_resnet_model_v1.dat`). Two
faces are the same person when the Euclidean distance between their descriptors is below
0.6: dlib's operating point (99.38% on the LFW benchmark, per dlib's model notes).

The model files are located without importing `face_recognition_models` (its `__init__`
imports the deprecated `pkg_resources`): `importlib.util.find_spec` gives the package folder.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.errors import MediaError, MissingDependency

DEFAULT_THRESHOLD = 0.6
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def model_path(name: str) -> Path:
    """Path of one of face-recognition-models' .dat files."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(
            "face recognition needs the dlib models: pip install face-recognition-models"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise MissingDependency(f"{path} is missing: reinstall face-recognition-models")
    return path


def _models() -> dict[str, Any]:
    with _LOCK:
        if not _MODELS:
            try:
                import dlib
            except ImportError as e:
                raise MissingDependency("face recognition needs dlib: pip install dlib-bin") from e
            _MODELS["detector"] = dlib.get_frontal_face_detector()
            _MODELS["shape"] = dlib.shape_predictor(
                str(model_path("shape_predictor_5_face_landmarks.dat"))
            )
            _MODELS["encoder"] = dlib.face_recognition_model_v1(
                str(model_path("dlib_face_recognition_resnet_model_v1.dat"))
            )
        return _MODELS


def available() -> bool:
    """True when dlib and its models load."""
    try:
        _models()
    except MissingDependency:
        return False
    return True


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # (x, y, w, h) in the image's pixels
    descriptor: np.ndarray  # (128,) float32


def faces(image: np.ndarray, upsample: int = 1) -> list[Face]:
    """Every frontal face in an (H, W, 3) uint8 RGB image, with its 128-d descriptor."""
    m = _models()
    img = np.ascontiguousarray(image)
    out = []
    for r in m["detector"](img, upsample):
        shape = m["shape"](img, r)
        d = np.asarray(m["encoder"].compute_face_descriptor(img, shape), dtype=np.float32)
        out.append(Face((r.left(), r.top(), r.width(), r.height()), d))
    return out


def reference_descriptor(path: str | Path) -> np.ndarray:
    """The descriptor of the largest face in a reference photo; MediaError when it has none."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MediaError(f"{path}: cannot read the face reference image")
    found = faces(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), upsample=1)
    if not found:
        raise MediaError(f"{path}: no face found in the reference image; use a frontal photo")
    return max(found, key=lambda f: f.box[2] * f.box[3]).descriptor


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def identify(
    descriptor: np.ndarray,
    references: dict[str, list[np.ndarray]],
    threshold: float = DEFAULT_THRESHOLD,
) -> str | None:
    """The party whose nearest reference is closest and below `threshold`, else None."""
    best, best_d = None, threshold
    for party, refs in references.items():
        for r in refs:
            d = distance(descriptor, r)
            if d < best_d:
                best, best_d = party, d
    return best


def nearest_party(
    descriptor: np.ndarray, references: dict[str, list[np.ndarray]]
) -> tuple[str | None, float]:
    """The party whose nearest reference is closest, and that distance (inf without any)."""
    best, best_d = None, float("inf")
    for party, refs in references.items():
        for r in refs:
            d = distance(descriptor, r)
            if d < best_d:
                best, best_d = party, d
    return best, best_d


def recognise_faces(
    stills: dict[int, np.ndarray],
    references: dict[str, list[np.ndarray]],
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[int, dict[str, tuple[float, float]]]:
    """For each still (frame index -> image): {party: (face height / frame height, descriptor
    distance)} of every party recognised (its largest face, and its closest distance)."""
    out: dict[int, dict[str, tuple[float, float]]] = {}
    for idx, img in sorted(stills.items()):
        seen: dict[str, tuple[float, float]] = {}
        for f in faces(img):
            party, d = nearest_party(f.descriptor, references)
            if party is not None and d < threshold:
                share, best = seen.get(party, (0.0, d))
                seen[party] = (max(share, f.box[3] / img.shape[0]), min(best, d))
        if seen:
            out[idx] = seen
    return out


def recognise(
    stills: dict[int, np.ndarray],
    references: dict[str, list[np.ndarray]],
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[int, dict[str, float]]:
    """For each still (frame index -> image): {party: face height / frame height} recognised."""
    return {i: {p: v[0] for p, v in seen.items()}
            for i, seen in recognise_faces(stills, references, threshold).items()}
