"""`ManifestClip`: one clip of a dataset, the one form every stage after curation shares.

The same value is written to the manifest, to each shard's `KEY.json` and to the Merkle leaf
(`to_json`), read back by `load` (`from_json`), trained on, fingerprinted by attribution and
exported. Its JSON form is the manifest's clip schema (docs/datasets.md); `crop` is a field
here and is serialised inside `scores` (where manifests have always carried it), so the
entries, and so every Merkle root, are byte-for-byte what they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Crop = tuple[int, int, int, int]  # (x, y, w, h) in source pixels

# The manifest clip entry's keys, in the order they are documented.
ENTRY_KEYS = (
    "id",
    "work",
    "media",
    "media_sha256",
    "start_frame",
    "end_frame",
    "source_fps",
    "start_tc",
    "end_tc",
    "fps",
    "frames",
    "width",
    "height",
    "file",
    "sha256",
    "caption",
    "performers",
    "characters",
    "licenses",
    "consents",
    "scores",
)
# Written when known: the presentation times (seconds) of the clip's first frame and of the
# end of its last frame in the source, so that anything re-deriving presence from the
# manifest (`dataset verify`) places the clip on the right time of a variable-rate source.
# Manifests written before they existed have no such keys and read back with None.
TIME_KEYS = ("start_s", "end_s")
# Written only when the dataset keeps the clips' audio (`keep_audio`): the performers heard in
# the clip, who each need a voice consent as well (rights.clearance, rule 3).
AUDIO_KEYS = ("heard",)
_LISTS = ("performers", "characters", "licenses", "consents")


@dataclass(frozen=True)
class ManifestClip:
    """A dataset clip. Frames are source frames in presentation order, inclusive, at
    `source_fps`; the clip file itself has `frames` frames at `fps`, `width` x `height`."""

    id: str  # also the WebDataset key: no dots
    work: str = ""
    media: str = ""  # the source media URI
    media_sha256: str | None = None
    start_frame: int = 0
    end_frame: int = 0
    source_fps: float = 0.0
    start_tc: str = ""  # HH:MM:SS:FF of the first frame's presentation time
    end_tc: str = ""
    fps: float = 0.0  # the clip file's frame rate
    frames: int = 0
    width: int = 0
    height: int = 0
    file: str = ""  # relative to the dataset directory
    sha256: str = ""
    caption: str = ""
    performers: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()  # what cleared it
    consents: tuple[str, ...] = ()
    scores: Mapping[str, Any] = field(default_factory=dict)
    crop: Crop | None = None  # letterbox crop applied before scaling, None: full frame
    start_s: float | None = None  # presentation time of the first frame, seconds
    end_s: float | None = None  # end of the last frame (the next frame's time), seconds
    heard: tuple[str, ...] | None = None  # keep_audio only: performers heard in the clip
    # The clip's mp4 on this machine (absolute) once loaded; not part of the manifest.
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for k in _LISTS:
            v = getattr(self, k)
            if not isinstance(v, tuple):
                object.__setattr__(self, k, tuple(v))
        if self.crop is not None and not isinstance(self.crop, tuple):
            object.__setattr__(self, "crop", tuple(int(v) for v in self.crop))
        if self.path is not None and not isinstance(self.path, Path):
            object.__setattr__(self, "path", Path(self.path))

    @property
    def seconds(self) -> float:
        return self.frames / self.fps if self.fps else 0.0

    def to_json(self) -> dict[str, Any]:
        """The manifest clip entry (ENTRY_KEYS, and TIME_KEYS when known; JSON types only)."""
        out: dict[str, Any] = {}
        for k in ENTRY_KEYS:
            v = getattr(self, k)
            if k in _LISTS:
                v = list(v)
            elif k == "scores":
                v = {**v, "crop": list(self.crop) if self.crop else None}
            out[k] = v
        for k in TIME_KEYS:
            if getattr(self, k) is not None:
                out[k] = round(float(getattr(self, k)), 6)
        if self.heard is not None:
            out["heard"] = sorted(self.heard)
        return out

    @classmethod
    def from_json(cls, entry: Mapping[str, Any], root: Path | None = None) -> ManifestClip:
        """A manifest clip entry back; `root` (the dataset directory) sets `path`. Unknown or
        missing keys are an error: the schema is this class."""
        unknown = set(entry) - set(ENTRY_KEYS) - set(TIME_KEYS) - set(AUDIO_KEYS)
        missing = set(ENTRY_KEYS) - set(entry)
        if unknown or missing:
            raise ValueError(
                f"clip entry {entry.get('id')!r}: unknown keys {sorted(unknown)}, "
                f"missing {sorted(missing)}"
            )
        scores = dict(entry["scores"])
        crop = scores.pop("crop", None)
        kw = {k: entry[k] for k in ENTRY_KEYS if k != "scores"}
        kw.update({k: entry.get(k) for k in TIME_KEYS})
        if entry.get("heard") is not None:
            kw["heard"] = tuple(entry["heard"])
        path = (root / entry["file"]).resolve() if root is not None else None
        return cls(**kw, scores=scores, crop=tuple(crop) if crop else None, path=path)


__all__ = ["AUDIO_KEYS", "ENTRY_KEYS", "TIME_KEYS", "Crop", "ManifestClip"]
