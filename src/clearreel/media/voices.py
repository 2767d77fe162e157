"""Voices in audio: speech segments (silero-vad, its model shipped in the package) and speaker
embeddings (resemblyzer's GE2E voice encoder, its weights shipped in the package).

Audio is decoded with PyAV to 16 kHz mono float32 (both models' rate). Speech is what silero's
voice-activity detector marks; a speaker embedding is resemblyzer's 256-d unit vector of the
speech only (silences and music between segments are left out). Two embeddings are compared
by cosine similarity (their dot product).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RATE = 16000  # Hz: silero-vad and resemblyzer both work at 16 kHz
MIN_SPEECH_S = 1.0  # a segment shorter than this is not embedded on its own (too little voice)
# Long speech is embedded in windows of this length, overlapping by half, so that a turn from
# one speaker to another without a pause between them is not one mixed embedding.
WINDOW_S = 2.0

_lock = threading.Lock()
_models: dict[str, Any] = {}


@dataclass(frozen=True)
class Segment:
    """A stretch of speech, seconds from the start of the audio."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def decode(path: str | Path, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """The audio of a media file (any container PyAV reads: wav, flac, mp3, mp4...) as 16 kHz
    mono float32 in [-1, 1], from `start` to `end` seconds; empty when it has no audio track.
    Raises OSError (av.error.FFmpegError) when the file cannot be read."""
    import av

    chunks: list[np.ndarray] = []
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return np.zeros(0, np.float32)
        stream = c.streams.audio[0]
        if start > 0 and stream.time_base is not None:
            c.seek(int(start / stream.time_base), stream=stream, backward=True)
        rs = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        t0: float | None = None
        for frame in c.decode(stream):
            if t0 is None:
                t0 = float(frame.time) if frame.time is not None else 0.0
            for out in rs.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
            if end is not None and frame.time is not None and frame.time > end:
                break
        for out in rs.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    wav = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    first = t0 or 0.0
    if first > start and wav.size:  # audio starting late: silence before it, so that sample
        wav = np.concatenate([np.zeros(round((first - start) * RATE), np.float32), wav])
        first = start  # i is at start + i / RATE (the video's times line up)
    a = max(0, round((start - first) * RATE))
    b = None if end is None else max(a, round((end - first) * RATE))
    return np.clip(wav[a:b], -1.0, 1.0)


def _vad() -> Any:
    with _lock:
        if "vad" not in _models:
            import torch
            from silero_vad import load_silero_vad

            torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
            _models["vad"] = load_silero_vad()
        return _models["vad"]


def _encoder() -> Any:
    with _lock:
        if "encoder" not in _models:
            import contextlib
            import io

            from resemblyzer import VoiceEncoder

            with contextlib.redirect_stdout(io.StringIO()):  # it prints its load time
                _models["encoder"] = VoiceEncoder("cpu")
        return _models["encoder"]


def speech(wav: np.ndarray, threshold: float = 0.5) -> list[Segment]:
    """The speech segments of 16 kHz mono audio (silero-vad, its default threshold 0.5; pieces
    of speech closer than 0.1 s are one segment)."""
    if wav.size < RATE // 4:
        return []
    import torch
    from silero_vad import get_speech_timestamps

    with torch.no_grad():
        ts = get_speech_timestamps(torch.from_numpy(np.ascontiguousarray(wav)), _vad(),
                                   threshold=threshold, sampling_rate=RATE,
                                   min_silence_duration_ms=100)
    return [Segment(t["start"] / RATE, t["end"] / RATE) for t in ts]


def embed(wav: np.ndarray) -> np.ndarray:
    """resemblyzer's 256-d unit speaker embedding of 16 kHz mono audio (already speech)."""
    enc = _encoder()
    peak = float(np.max(np.abs(wav))) if wav.size else 0.0
    if peak > 0:  # the encoder was trained on level-normalised speech
        wav = wav * (0.5 / peak)
    return np.asarray(enc.embed_utterance(wav.astype(np.float32)), np.float32)


def speech_of(wav: np.ndarray, segments: list[Segment]) -> np.ndarray:
    """Only the speech of `wav` (its segments, concatenated)."""
    parts = [wav[round(s.start * RATE):round(s.end * RATE)] for s in segments]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def windows(segment: Segment, window: float = WINDOW_S) -> list[Segment]:
    """A speech segment cut in windows of `window` seconds overlapping by half (the last one
    ending with the segment); a segment up to 1.5 windows long is one window."""
    if segment.duration <= 1.5 * window:
        return [segment]
    step = window / 2
    n = int(np.ceil((segment.duration - window) / step)) + 1
    starts = [segment.start + i * step for i in range(n - 1)] + [segment.end - window]
    return [Segment(a, a + window) for a in starts]


def segment_embeddings(wav: np.ndarray, min_speech: float = MIN_SPEECH_S,
                       window: float = WINDOW_S) -> list[tuple[Segment, np.ndarray]]:
    """(window, embedding) of the speech of 16 kHz mono audio: every speech segment of at
    least `min_speech` seconds, long ones in `windows`."""
    return [(w, embed(wav[round(w.start * RATE):round(w.end * RATE)]))
            for s in speech(wav) if s.duration >= min_speech for w in windows(s, window)]


__all__ = [
    "MIN_SPEECH_S",
    "RATE",
    "WINDOW_S",
    "Segment",
    "decode",
    "embed",
    "segment_embeddings",
    "speech",
    "speech_of",
    "windows",
]
