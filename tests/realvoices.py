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


def talking_video(path: Path, parts: list[tuple[str | None, float]], fps: int = 8,
                  size: tuple[int, int] = (160, 96)) -> Path:
    """An H.264/AAC video, a shot per part: a voice file's first `secs` seconds (None: that
    many seconds of silence) over a noisy background (a new colour each shot, a cut) that a
    dark square crosses."""
    import av

    from clearreel.media import voices
    from realfaces import background

    audio: list[np.ndarray] = []
    frames: list[np.ndarray] = []
    w, h = size
    for k, (name, secs) in enumerate(parts):
        n = round(secs * voices.RATE)
        if name is None:
            audio.append(np.zeros(n, np.float32))
        else:
            wav = voices.decode(voice(name))[:n]
            audio.append(np.concatenate([wav, np.zeros(n - wav.size, np.float32)]))
        bg = background(h, w, seed=k)
        bg[:, :, k % 3] //= 3
        for i in range(round(secs * fps)):
            img = bg.copy()
            x = int(i * (w - 24) / max(1, secs * fps - 1))
            img[h // 2 - 12:h // 2 + 12, x:x + 24] = 20
            frames.append(img)
    pcm = np.concatenate(audio)
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        aus = c.add_stream("aac", rate=voices.RATE)
        aus.layout = "mono"
        for img in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        step = 1024
        for j in range(0, len(pcm), step):
            f = av.AudioFrame.from_ndarray(pcm[None, j:j + step].copy(), format="flt",
                                           layout="mono")
            f.sample_rate = voices.RATE
            f.pts = j
            for p in aus.encode(f):
                c.mux(p)
        for p in aus.encode():
            c.mux(p)
    return path
