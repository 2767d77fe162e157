"""Real (synthetic, not mocked) voices for the voice tests: espeak-ng speakers recorded by
`make test-data` into tests/data/voices/ (never at test time): `a`, `b`, `c` are distinct
speakers (US male, female, Scottish male), `twin` is a variant of a's voice; each says three
sentences (`-1`, `-2`, `-3`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "voices"


def need_models() -> None:
    for mod in ("resemblyzer", "silero_vad"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} is not installed: run `make install`")


def voice(name: str) -> Path:
    """tests/data/voices/NAME.wav (skips, saying how to make them, when missing)."""
    need_models()
    p = DATA / f"{name}.wav"
    if not p.is_file():
        pytest.skip(f"{p} is missing: run `make test-data` (needs espeak-ng: "
                    "apt-get install espeak-ng)")
    return p


def talking_video(path: Path, parts: list[tuple[str | None, float]], fps: int = 12,
                  size: tuple[int, int] = (160, 96)) -> Path:
    """An H.264/AAC video: for each part, a voice file's speech (None: that many seconds of
    silence) over plain frames whose colour changes with each part (a shot per part)."""
    import av

    from clearreel.media import voices

    audio: list[np.ndarray] = []
    for name, secs in parts:
        if name is None:
            audio.append(np.zeros(round(secs * voices.RATE), np.float32))
        else:
            wav = voices.decode(voice(name))
            audio.append(wav[:round(secs * voices.RATE)] if secs else wav)
    bounds = np.cumsum([0] + [len(a) for a in audio]) / voices.RATE
    pcm = np.concatenate(audio)
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        aus = c.add_stream("aac", rate=voices.RATE)
        aus.layout = "mono"
        n = int(bounds[-1] * fps)
        for i in range(n):
            k = int(np.searchsorted(bounds, i / fps, side="right")) - 1
            img = np.full((size[1], size[0], 3), (40 + 60 * k) % 256, np.uint8)
            img[:, : (i * 3) % size[0]] = 200  # motion, so the clip is not a still
            for p in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        step = 1024
        for j in range(0, len(pcm), step):
            f = av.AudioFrame.from_ndarray(pcm[None, j:j + step].copy(), format="flt",
                                           layout="mono")
            f.sample_rate = voices.RATE
            for p in aus.encode(f):
                c.mux(p)
        for p in aus.encode():
            c.mux(p)
    return path
