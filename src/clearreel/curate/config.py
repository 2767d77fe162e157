"""`CurateConfig`: every knob of the per-file analysis, typed, saved with the dataset.

`to_dict()` / `from_dict()` round-trip through JSON; unknown keys are an error (a dataset's
recorded config must mean exactly what it says). Defaults and the reasons for them are in
docs/curation.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

from clearreel.errors import UsageError


@dataclass
class Thresholds:
    """Filter thresholds over the per-clip scores (see `clearreel.curate.scores`)."""

    # Motion: mean Farneback flow magnitude as a share of the frame width per second.
    min_motion: float = 0.003  # below: a still frame held on screen, nothing for a video model
    max_motion: float = 1.5  # above: whip pans / flashes (a frame width every 0.67 s)
    # Sharpness: variance of the Laplacian of luma at 160 px wide (scale-normalised).
    min_sharpness: float = 30.0
    # Brightness: mean luma (BT.601, 0-255) over the clip.
    min_brightness: float = 20.0
    max_brightness: float = 235.0
    # Share of frames that are black (mean luma < 16) or flat (luma std < 6).
    max_black_fraction: float = 0.1
    max_flat_fraction: float = 0.25
    # Text on screen: share of sampled frames where text lines cover >= `text_min_area`.
    max_text_fraction: float = 0.5
    text_min_area: float = 0.02


@dataclass
class CurateConfig:
    """How a file becomes clips. Frame counts are in source frames unless noted."""

    # Media whose picture (width x height) is larger are quarantined (`too_large`) before a
    # frame is decoded: a header can announce any size, and one 16000x16000 frame is 1.5 GB
    # of YUV before scaling. The default admits 8K (7680x4320) and 8192x8192.
    max_pixels: int = 8192 * 8192
    # The one decode pass: width of the analysis frames (height keeps the aspect, even).
    analysis_width: int = 160
    # Long files are analysed in windows of this many seconds (memory: 160x90 RGB is 311 MB
    # per 5 minutes at 24 fps); each window after the first starts on a detected shot boundary.
    window_s: float = 300.0
    # Shot detection backend (`clearreel.curate.shots.DETECTORS`).
    # The default reads every frame with TransNetV2 except on footage of long takes, where it
    # reads only the frames near a candidate transition (see the cascade below).
    detector: str = "transnetv2-cascade"
    # TransNetV2 single-frame transition probability above which a frame is a transition.
    transnet_threshold: float = 0.5
    # TransNetV2 arithmetic: "auto" runs bfloat16 on CUDA and on CPUs with native bf16
    # (AVX512-BF16 or AMX; measured 1.8x faster on CPU with transition probabilities within
    # 0.01 and the same shots), float32 elsewhere; "fp32" or "bf16" force one.
    transnet_precision: str = "auto"
    # transnetv2-cascade: TransNetV2 reads only the frames near one where a cheap change signal
    # (`shots.transition_signals`) passes its threshold: the grey-level step (0..255), the
    # consecutive-histogram step and the half-second histogram distance (0..1 each). Set for
    # recall on the sample studio and the real footage the packages ship (docs/benchmarks.md).
    cascade_grey: float = 8.0
    cascade_hist: float = 0.15
    cascade_long: float = 0.3
    cascade_pad: int = 3  # frames read either side of a candidate, before TransNetV2's context
    # Above this share of a file's frames (candidates with their context), the cascade reads
    # every frame: the full run's answer, in fewer and longer windows.
    cascade_max_share: float = 0.5
    # PySceneDetect AdaptiveDetector: ratio of a frame's content score to its neighbours'.
    adaptive_threshold: float = 3.0
    adaptive_min_content_val: float = 15.0
    # pyscenedetect backend: also find dissolves/fades by a half-second histogram comparison.
    gradual_transitions: bool = True
    # No shot (and no two cuts) closer than this many frames.
    min_shot_frames: int = 8
    # Clip bounds in seconds (at the source rate) and frame-count form: count % 4 == 1 (Wan).
    clip_min_s: float = 2.0
    clip_max_s: float = 10.0
    frame_multiple: int = 4  # counts are k * frame_multiple + 1; 1 disables the rule
    # Trimming: leading/trailing black frames dropped; letterbox bars found and cropped.
    trim_black: bool = True
    detect_letterbox: bool = True
    black_luma: float = 16.0  # a frame (or a bar row) is black below this mean luma
    # Scores and filters.
    thresholds: Thresholds = field(default_factory=Thresholds)
    motion_pairs: int = 4  # frame pairs per clip for optical flow
    # Near-duplicates: pHash of `phash_frames` frames per clip; same group when the mean
    # Hamming distance over those frames is <= `dedup_max_distance` bits (of 64).
    phash_frames: int = 3
    dedup_max_distance: int = 10
    # Presence: face recognition on stills (every `face_every_s` seconds, `face_width` wide)
    # when parties have references; dlib's 128-d descriptor distance threshold (0.6 is dlib's
    # own operating point, 99.38% on LFW).
    face_recognition: bool = True
    face_every_s: float = 1.0
    face_width: int = 480
    face_threshold: float = 0.6
    # Presence: speaker verification of the file's audio (silero-vad speech segments of at
    # least `voice_min_speech_s`, resemblyzer embeddings) when parties have voice references;
    # cosine similarity threshold (docs/likeness.md, Voice).
    voice_recognition: bool = True
    voice_threshold: float = 0.80
    voice_min_speech_s: float = 1.0
    # Keep the audio track in the clips (for audio-video models): then every performer heard
    # in a clip needs a `voice` consent as well as `training` (rights.clearance, rule 3).
    keep_audio: bool = False
    # Captions: a `clearreel.curate.captions.CAPTIONERS` name; `vlm` needs `caption_model`
    # (a local directory with a transformers image-text-to-text model).
    captioner: str = "metadata"
    caption_model: str | None = None
    # What clips are written at (the cut stage): Wan 2.1 480p at 16 fps by default.
    train_width: int = 832
    train_height: int = 480
    train_fps: float = 16.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CurateConfig:
        """Build from a dict; unknown keys or wrong types raise `UsageError`."""
        return _build(cls, data, "config")

    def validate(self) -> CurateConfig:
        from clearreel.curate.captions import CAPTIONERS
        from clearreel.curate.shots import DETECTORS

        if self.detector not in DETECTORS:
            raise UsageError(
                f"unknown shot detector {self.detector!r}; choose one of {sorted(DETECTORS)}"
            )
        if self.captioner not in CAPTIONERS:
            raise UsageError(
                f"unknown captioner {self.captioner!r}; choose one of {sorted(CAPTIONERS)}"
            )
        if not 0 < self.clip_min_s <= self.clip_max_s:
            raise UsageError(
                f"clip bounds must satisfy 0 < min <= max, got {self.clip_min_s}..{self.clip_max_s}"
            )
        if self.transnet_precision not in ("auto", "fp32", "bf16"):
            raise UsageError("transnet_precision must be auto, fp32 or bf16")
        if min(self.cascade_grey, self.cascade_hist, self.cascade_long) < 0 or self.cascade_pad < 0:
            raise UsageError("cascade thresholds and cascade_pad must be >= 0")
        if not 0.0 <= self.cascade_max_share <= 1.0:
            raise UsageError(f"cascade_max_share {self.cascade_max_share}: choose a share of "
                             "the frames from 0 to 1 (0: always read every frame)")
        if self.window_s < 2 * self.clip_max_s:
            raise UsageError("window_s must be at least twice clip_max_s")
        if self.frame_multiple < 1:
            raise UsageError("frame_multiple must be >= 1")
        if self.max_pixels < 1:
            raise UsageError("max_pixels must be a positive number of pixels (width x height)")
        if self.analysis_width < 16 or self.analysis_width % 2:
            raise UsageError("analysis_width must be an even number >= 16")
        if self.train_width % 2 or self.train_height % 2:
            raise UsageError("train_width and train_height must be even (yuv420p)")
        if self.captioner == "vlm" and not self.caption_model:
            raise UsageError("captioner 'vlm' needs caption_model: a local model directory")
        return self


def _build(cls: Any, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        t = hints[name]
        if dataclasses.is_dataclass(t):
            kwargs[name] = _build(t, value, f"{where}.{name}")
            continue
        kwargs[name] = _coerce(t, value, f"{where}.{name}")
    return cls(**kwargs)


def _coerce(t: Any, value: Any, where: str) -> Any:
    if t is bool:
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true/false, got {value!r}")
        return value
    if t is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{where}: expected an integer, got {value!r}")
        return value
    if t is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if t is str:
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected a string, got {value!r}")
        return value
    if t == (str | None):
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{where}: expected a string or null, got {value!r}")
        return value
    return value
