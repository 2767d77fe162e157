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
    return decode_pcm(path, start, end)[0].reshape(-1)


def decode_pcm(path: str | Path, start: float = 0.0, end: float | None = None,
               rate: int = RATE, layout: str = "mono") -> tuple[np.ndarray, int]:
    """((channels, samples) float32, rate) of a media file's first audio track from `start` to
    `end` seconds, sample i at start + i / rate (silence before audio that starts late);
    (channels, 0) when the file has no audio track."""
    import av

    chunks: list[np.ndarray] = []
    n_ch = 1 if layout == "mono" else 2
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return np.zeros((n_ch, 0), np.float32), rate
        stream = c.streams.audio[0]
        if start > 0 and stream.time_base is not None:
            c.seek(int(start / stream.time_base), stream=stream, backward=True)
        rs = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        t0: float | None = None
        for frame in c.decode(stream):
            if t0 is None:
                t0 = float(frame.time) if frame.time is not None else 0.0
            for out in rs.resample(frame):
                chunks.append(out.to_ndarray().reshape(n_ch, -1))
            if end is not None and frame.time is not None and frame.time > end:
                break
        for out in rs.resample(None):
            chunks.append(out.to_ndarray().reshape(n_ch, -1))
    pcm = (np.concatenate(chunks, axis=1).astype(np.float32) if chunks
           else np.zeros((n_ch, 0), np.float32))
    first = t0 or 0.0
    if first > start and pcm.shape[1]:  # audio starting late: silence before it
        pad = np.zeros((n_ch, round((first - start) * rate)), np.float32)
        pcm = np.concatenate([pad, pcm], axis=1)
        first = start
    a = max(0, round((start - first) * rate))
    b = None if end is None else max(a, round((end - first) * rate))
    return np.clip(pcm[:, a:b], -1.0, 1.0), rate


def mux_audio(video: str | Path, source: str | Path, start: float, end: float) -> bool:
    """Give a written clip (`video`, no audio) the audio of `source` from `start` to `end`
    seconds (its presentation times in the source): AAC at the source's rate, mono or stereo,
    128 kbit/s; the file is replaced. False (the clip unchanged) when the source has none."""
    import os

    import av

    with av.open(str(source)) as c:
        if not c.streams.audio:
            return False
        a = c.streams.audio[0]
        rate = int(a.rate or 48000)
        layout = "mono" if (a.channels or 1) == 1 else "stereo"
    pcm, rate = decode_pcm(source, start, end, rate, layout)
    want = round((end - start) * rate)
    if pcm.shape[1] < want:  # the track ends before the clip does: silence
        pcm = np.concatenate([pcm, np.zeros((pcm.shape[0], want - pcm.shape[1]),
                                            np.float32)], axis=1)
    video = Path(video)
    tmp = video.with_name(video.stem + ".audio.tmp" + video.suffix)
    with av.open(str(video)) as vin, av.open(str(tmp), "w") as out:
        v_in = vin.streams.video[0]
        v_out = out.add_stream_from_template(v_in)
        a_out = out.add_stream("aac", rate=rate)
        a_out.layout = layout
        a_out.bit_rate = 128000
        for pkt in vin.demux(v_in):
            if pkt.dts is None:
                continue
            pkt.stream = v_out
            out.mux(pkt)
        step = 1024
        for j in range(0, pcm.shape[1], step):
            f = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[:, j:j + step]),
                                           format="fltp", layout=layout)
            f.sample_rate, f.pts = rate, j
            for pkt in a_out.encode(f):
                out.mux(pkt)
        for pkt in a_out.encode():
            out.mux(pkt)
    os.replace(tmp, video)
    return True


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
