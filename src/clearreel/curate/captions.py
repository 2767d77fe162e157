"""Captions by name: `CAPTIONERS` maps a name to `(CaptionInput, CurateConfig) -> str`.

- `metadata` (default): what the studio already knows, put in words: characters present,
  shot scale, motion, dominant colours, the scene's notes and the dialogue on screen. No
  model, deterministic, and the character names it writes are the trigger words character
  adapters train on.
- `vlm`: a vision-language model (transformers image-text-to-text, e.g. BLIP, LLaVA-style)
  loaded from a local directory (`config.caption_model`) with `local_files_only=True`; it
  describes the clip's middle frame, prefixed with the names of the characters present
  (a model cannot know them). `save_tiny_vlm(dir)` writes a tiny random BLIP for tests.
"""

from __future__ import annotations

import colorsys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clearreel.errors import MissingDependency, UsageError

if TYPE_CHECKING:
    from clearreel.curate.config import CurateConfig


@dataclass
class CaptionInput:
    frames: np.ndarray  # (N, H, W, 3) uint8 analysis frames of the clip, letterbox cropped
    title: str = ""
    characters: list[str] = field(default_factory=list)  # display names
    dialogue: list[tuple[str | None, str]] = field(default_factory=list)  # (speaker, text)
    notes: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    shot_scale: str | None = None  # close-up | medium | wide


# --- visual facts ---------------------------------------------------------------------------


def colour_name(rgb: np.ndarray | tuple[float, float, float]) -> str:
    """A plain English name for an RGB colour (hue bands over HSV; greys by value)."""
    r, g, b = (float(x) / 255.0 for x in rgb)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if v < 0.18:
        return "black"
    if s < 0.18:
        return (
            "white"
            if v > 0.85
            else "light grey"
            if v > 0.6
            else "grey"
            if v > 0.35
            else "dark grey"
        )
    deg = h * 360
    if 15 <= deg < 45 and v < 0.6:
        return "brown"
    bands = [
        (15, "red"),
        (45, "orange"),
        (70, "yellow"),
        (160, "green"),
        (200, "teal"),
        (255, "blue"),
        (290, "purple"),
        (335, "pink"),
        (360, "red"),
    ]
    name = next(n for lim, n in bands if deg < lim)
    return f"dark {name}" if v < 0.4 else name


def dominant_colours(
    frame: np.ndarray, k: int = 4, min_share: float = 0.15
) -> list[tuple[str, float]]:
    """Named dominant colours of a frame and their pixel shares (k-means in RGB, by name)."""
    import cv2

    px = frame.reshape(-1, 3).astype(np.float32)
    if len(px) > 4096:
        px = px[np.linspace(0, len(px) - 1, 4096).astype(int)]
    k = min(k, len(px))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(0)  # deterministic centres
    _, labels, centres = cv2.kmeans(px, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)  # type: ignore[call-overload]
    shares: dict[str, float] = {}
    counts = np.bincount(labels.ravel(), minlength=k) / len(px)
    for c, share in zip(centres, counts, strict=True):
        name = colour_name(c)
        shares[name] = shares.get(name, 0.0) + float(share)
    ranked = sorted(shares.items(), key=lambda x: -x[1])
    return [(n, round(s, 3)) for n, s in ranked if s >= min_share][:3]


def motion_words(motion: float | None) -> str | None:
    if motion is None:
        return None
    if motion < 0.003:
        return "static"
    if motion < 0.02:
        return "slow motion"
    if motion < 0.15:
        return "moderate motion"
    return "fast motion"


def shot_scale(face_height: float | None, foreground: float | None) -> str | None:
    """Close-up / medium / wide from the largest face's height share, else the moving share."""
    if face_height is not None:
        return (
            "close-up"
            if face_height > 0.3
            else "medium shot"
            if face_height > 0.12
            else "wide shot"
        )
    if foreground is None:
        return None
    return "close-up" if foreground > 0.4 else "medium shot" if foreground > 0.12 else "wide shot"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- captioners -----------------------------------------------------------------------------


def caption_metadata(inp: CaptionInput, config: CurateConfig) -> str:
    mid = inp.frames[len(inp.frames) // 2]
    colours = [n for n, _ in dominant_colours(mid)]
    first: list[str] = []
    who = _join(inp.characters) if inp.characters else None
    scale = inp.shot_scale or "shot"
    first.append(f"{who} in a {scale}" if who else f"A {scale}" if scale != "shot" else "A shot")
    if inp.title:
        first.append(f"from {inp.title}")
    parts = [" ".join(first)]
    motion = motion_words(inp.scores.get("motion"))
    if motion:
        parts.append(motion)
    if colours:
        parts.append(f"mostly {_join(colours)}")
    text = ", ".join(parts) + "."
    if inp.notes:
        text += " " + " ".join(n.rstrip(".") + "." for n in inp.notes if n)
    if inp.dialogue:
        lines = [
            f"{s.title()}: \u201c{t}\u201d" if s else f"\u201c{t}\u201d" for s, t in inp.dialogue
        ]
        text += " Dialogue: " + " ".join(lines)
    return text


_VLM: dict[str, tuple[Any, Any]] = {}
_VLM_LOCK = threading.Lock()


def load_vlm(path: str | Path) -> tuple[Any, Any]:
    """(processor, model) from a local directory, cached per process; never downloads."""
    key = str(Path(path).resolve())
    with _VLM_LOCK:
        if key not in _VLM:
            if not Path(key).is_dir():
                raise UsageError(
                    f"caption model {path}: not a directory; point caption_model at a "
                    "local transformers model (saved with save_pretrained)"
                )
            try:
                from transformers import AutoModelForImageTextToText, AutoProcessor
            except ImportError as e:
                raise MissingDependency(
                    "captioner 'vlm' needs transformers: pip install transformers"
                ) from e
            proc = AutoProcessor.from_pretrained(key, local_files_only=True)
            model = AutoModelForImageTextToText.from_pretrained(key, local_files_only=True).eval()
            _VLM[key] = (proc, model)
        return _VLM[key]


def caption_vlm(inp: CaptionInput, config: CurateConfig, max_new_tokens: int = 30) -> str:
    import torch

    if not config.caption_model:
        raise UsageError("captioner 'vlm' needs caption_model: a local model directory")
    proc, model = load_vlm(config.caption_model)
    mid = np.ascontiguousarray(inp.frames[len(inp.frames) // 2])
    batch = proc(images=mid, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False)
    text = " ".join(proc.batch_decode(out, skip_special_tokens=True)[0].split())
    if inp.characters:
        text = f"{_join(inp.characters)}: {text}" if text else _join(inp.characters)
    return text


Captioner = Callable[[CaptionInput, "CurateConfig"], str]

CAPTIONERS: dict[str, Captioner] = {
    "metadata": caption_metadata,
    "vlm": caption_vlm,
}


def caption(name: str, inp: CaptionInput, config: CurateConfig) -> str:
    if name not in CAPTIONERS:
        raise UsageError(f"unknown captioner {name!r}; choose one of {sorted(CAPTIONERS)}")
    return CAPTIONERS[name](inp, config)


_TINY_WORDS = [
    "a",
    "the",
    "person",
    "figure",
    "walks",
    "runs",
    "stands",
    "in",
    "on",
    "at",
    "near",
    "street",
    "room",
    "field",
    "sky",
    "water",
    "red",
    "blue",
    "green",
    "yellow",
    "orange",
    "night",
    "day",
    "two",
    "one",
    "close",
    "wide",
    "shot",
    "camera",
    "moves",
    "slowly",
    "quickly",
]


def save_tiny_vlm(path: str | Path, seed: int = 0) -> Path:
    """Write a tiny randomly initialised BLIP captioner (about 0.2 MB) to `path`.

    For tests and demos only: it loads and generates through exactly the code path a real
    model uses, but its words are random.
    """
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"]
    vocab = {w: i for i, w in enumerate(specials + _TINY_WORDS)}
    tok = BertTokenizer(vocab=vocab, bos_token="[DEC]")
    proc = BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tok
    )
    cfg = BlipConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "encoder_hidden_size": 32,
            "max_position_embeddings": 64,
            "bos_token_id": vocab["[DEC]"],
            "pad_token_id": 0,
            "sep_token_id": vocab["[SEP]"],
        },
        vision_config={
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=32,
    )
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = BlipForConditionalGeneration(cfg).eval()
    finally:
        torch.set_rng_state(state)
    # Keep special tokens out of generation so the random model always writes words.
    model.generation_config.suppress_tokens = [vocab[s] for s in specials if s not in ("[SEP]",)]
    model.generation_config.min_new_tokens = 3
    model.save_pretrained(out)
    proc.save_pretrained(out)
    return out
