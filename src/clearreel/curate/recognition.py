"""Who is seen and heard in a file, for curation's presence: the parties' face descriptors
(stored at catalog import, `rights.likeness`) and the speech segments of the file's audio
that match a party's voice. The presence rule itself is `rights.presence`'s."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clearreel.curate.config import CurateConfig
from clearreel.curate.context import FaceReference, WorkContext
from clearreel.errors import ClearreelError

_DESCRIPTORS: dict[str, np.ndarray] = {}


def reference_descriptors(
    refs: tuple[FaceReference, ...], warnings: list[str]
) -> dict[str, list[np.ndarray]]:
    """Each party's face descriptors: those stored at catalog import, else computed once per
    photo for the process; a photo that cannot be used is a warning, not a failure."""
    from clearreel.media.faces import reference_descriptor

    out: dict[str, list[np.ndarray]] = {}
    for r in refs:
        if r.descriptor:  # stored at catalog import (rights.likeness): never recomputed
            out.setdefault(r.party, []).append(np.asarray(r.descriptor, np.float32))
            continue
        try:
            if r.path not in _DESCRIPTORS:
                _DESCRIPTORS[r.path] = reference_descriptor(r.path)
            out.setdefault(r.party, []).append(_DESCRIPTORS[r.path])
        except ClearreelError as e:
            warnings.append(f"face reference skipped: {e}")
    return out


def voices_heard(path: str | Path, work: WorkContext, config: CurateConfig,
                 warnings: list[str]) -> list[tuple[float, float, str, float]]:
    """(start s, end s, party, similarity) of every speech segment of the file's audio that
    is a party's voice (`rights.likeness.match_voices`); [] without audio."""
    from clearreel.media import voices
    from clearreel.rights.likeness import VoiceReference, match_voices

    try:
        wav = voices.decode(path)
    except (OSError, ValueError) as e:
        warnings.append(f"voice references ignored: the audio cannot be decoded ({e})")
        return []
    if wav.size == 0:
        return []
    refs = [VoiceReference(r.party, r.path, "", np.asarray(r.embedding, np.float32))
            for r in work.voice_references]
    segs = voices.segment_embeddings(wav, config.voice_min_speech_s)
    return [(m.start, m.end, m.party, m.similarity)
            for m in match_voices(segs, refs, config.voice_threshold)]


__all__ = ["reference_descriptors", "voices_heard"]
