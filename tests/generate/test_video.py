"""Raw generation from a registered tiny model: seeded, image-conditioned, chained."""

from __future__ import annotations

import numpy as np
import pytest

from clearreel.errors import NotFound, UsageError
from clearreel.generate.video import generate_frames
from train.conftest import trained  # noqa: F401  (module-scoped trained tiny model)


def test_text_to_video_is_seeded_and_deterministic(trained) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    s, _clips, rec = trained
    a, fps = generate_frames(s, "m-full", "Ruby walks", seed=3, steps=3)
    b, _ = generate_frames(s, "m-full", "Ruby walks", seed=3, steps=3)
    c, _ = generate_frames(s, "m-full", "Ruby walks", seed=4, steps=3)
    assert a.shape == (9, 32, 48, 3) and a.dtype == np.uint8
    assert fps == rec.metrics["fps"] == 8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    short, _ = generate_frames(s, "m-full", "Ruby walks", seed=3, steps=3, num_frames=5)
    assert short.shape[0] == 5


def test_image_to_video_starts_from_the_image(trained) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    s, _clips, _rec = trained
    still = np.zeros((64, 96, 3), np.uint8)
    still[:, :48] = (250, 30, 30)
    still[:, 48:] = (20, 40, 220)
    frames, _ = generate_frames(s, "m-full", "Teal", seed=0, steps=4, image=still)
    first = frames[0].astype(int)
    # The tiny VAE keeps 8x8 block colours: the first frame is the still, block-averaged.
    assert np.abs(first[:, :24] - (250, 30, 30)).max() <= 2
    assert np.abs(first[:, 24:] - (20, 40, 220)).max() <= 2


def test_long_clips_are_chained_segments(trained) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    s, _clips, _rec = trained
    one, _ = generate_frames(s, "m-full", "Moss", seed=5, steps=3)
    long, fps = generate_frames(s, "m-full", "Moss", seed=5, steps=3, num_frames=30)
    assert long.shape == (30, 32, 48, 3)
    assert np.array_equal(long[:9], one)  # the first segment is the plain generation
    # Each next segment is image-to-video from the previous last frame, with the next seed;
    # the shared frame is kept once.
    nxt, _ = generate_frames(s, "m-full", "Moss", seed=6, steps=3, image=long[8])
    assert np.array_equal(nxt[0], long[8])  # block-constant frames re-encode exactly
    assert np.array_equal(long[9:17], nxt[1:])
    assert fps == 8


def test_bad_requests_are_refused(trained) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    s, _clips, _rec = trained
    with pytest.raises(UsageError, match="at most 60"):
        generate_frames(s, "m-full", "x", num_frames=8 * 61)
    with pytest.raises(UsageError, match="multiples of 16"):
        generate_frames(s, "m-full", "x", height=30)
    with pytest.raises(UsageError, match="empty"):
        generate_frames(s, "m-full", "  ")
    with pytest.raises(NotFound):
        generate_frames(s, "nope", "x")
