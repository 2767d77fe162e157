"""Likeness: who a face is. Face references of the registry, embedded once, and the one match
used by the generation guards (storyboard image, output frames) and by curation.

Contract rule 4 (ARCHITECTURE.md): a performer is depicted when their face is recognised in a
storyboard image given to image-to-video or in the frames of the output; presence counts any
party with references, credited or not.

- **References** (`parties[].references`, kind `face`): on catalog import each photo must show
  exactly one face (`check_references`: a `file:line` catalog error naming the photo, and
  nothing written, otherwise). Its 128-d dlib descriptor is stored once per (party, path)
  with the photo's SHA-256 (`ReferenceEmbedding`); re-importing an unchanged photo reuses it,
  a changed photo is embedded again, a reference the party no longer lists is dropped.
- **Match**: a face is the party whose nearest reference is closest, when that distance is
  below `THRESHOLD` (Euclidean, dlib's descriptor space). docs/likeness.md gives the measured
  false-accept and false-reject rates on real photographs.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL = "dlib_resnet_v1"  # dlib_face_recognition_resnet_model_v1.dat, 5-point alignment
# Two descriptors closer than this are one person: dlib's operating point (0.6; see
# docs/likeness.md for what it gives on our test photographs and derived frames).
THRESHOLD = 0.6
# A photo is detected at most this large (longest side, pixels): a 2300-pixel portrait takes
# seconds at full size and its face is found as well at 1024.
MAX_SIDE = 1024
# Voice samples (`parties[].references` of kind `voice`): resemblyzer's GE2E speaker embedding
# of the sample's speech (silero-vad segments), stored like a face's descriptor.
VOICE_MODEL = "resemblyzer_ge2e"
# A speech segment is the party whose reference is most similar, when the cosine similarity
# is at least this (docs/likeness.md, Voice: measured on espeak-ng speakers).
VOICE_THRESHOLD = 0.80
# A voice sample needs at least this much speech (seconds) to say who speaks.
VOICE_MIN_SPEECH_S = 2.0


@dataclass(frozen=True)
class FaceReference:
    """One stored face reference of a party."""

    party: str
    path: str
    sha256: str
    descriptor: np.ndarray  # (128,) float32


@dataclass(frozen=True)
class FaceMatch:
    """A face found in an image and the party it is (distance below the threshold)."""

    party: str
    distance: float
    threshold: float
    box: tuple[int, int, int, int]  # (x, y, w, h) in the image's pixels
    reference: str  # the reference photo it matched (path)

    def to_json(self) -> dict[str, Any]:
        return {"party": self.party, "distance": round(self.distance, 4),
                "threshold": self.threshold, "box": list(self.box), "reference": self.reference}


@dataclass(frozen=True)
class VoiceReference:
    """One stored voice reference of a party."""

    party: str
    path: str
    sha256: str
    embedding: np.ndarray  # (256,) float32, unit length


@dataclass(frozen=True)
class VoiceMatch:
    """A speech segment and the party it is (similarity at least the threshold)."""

    party: str
    start: float  # seconds, in the audio that was checked
    end: float
    similarity: float
    threshold: float
    reference: str

    def to_json(self) -> dict[str, Any]:
        return {"party": self.party, "start_s": round(self.start, 3), "end_s": round(self.end, 3),
                "similarity": round(self.similarity, 4), "threshold": self.threshold,
                "reference": self.reference}


# --------------------------------------------------------------------------- photos


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_rgb(path: str | Path) -> np.ndarray | None:
    """An image file as (H, W, 3) uint8 RGB (EXIF orientation applied); None if unreadable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def photo_faces(image: np.ndarray) -> list[Any]:
    """The faces of a reference photo (`clearreel.media.faces.Face`), boxes in the photo's
    pixels; a large photo is detected at `MAX_SIDE`."""
    import cv2

    from clearreel.media import faces

    h, w = image.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    small = image if scale == 1.0 else cv2.resize(
        image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return [dataclasses.replace(f, box=tuple(round(v / scale) for v in f.box))
            for f in faces.faces(small, upsample=1)]


class ReferenceProblem(ValueError):
    """A face reference that cannot be used (unreadable, no face, several faces)."""


def embed_photo(path: str | Path) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """(descriptor, face box) of a face reference photo; `ReferenceProblem` unless it shows
    exactly one face."""
    image = read_rgb(path)
    if image is None:
        raise ReferenceProblem(f"{path}: cannot read the face reference (give a JPEG or PNG "
                               "photo of the performer)")
    found = photo_faces(image)
    if not found:
        raise ReferenceProblem(f"{path}: no face found in the face reference; give a frontal "
                               "photo where the performer's face is at least 80 pixels high")
    if len(found) > 1:
        boxes = ", ".join(f"{w}x{h} at ({x},{y})" for x, y, w, h in (f.box for f in found))
        raise ReferenceProblem(f"{path}: {len(found)} faces found in the face reference "
                               f"({boxes}); a reference must show exactly one face: crop it "
                               "to the performer")
    return found[0].descriptor, found[0].box


def embed_voice(path: str | Path) -> tuple[np.ndarray, tuple[int, int]]:
    """(embedding, (speech ms, total ms)) of a voice sample; `ReferenceProblem` when it cannot
    be decoded or holds too little speech."""
    from clearreel.media import voices

    try:
        wav = voices.decode(path)
    except (OSError, ValueError) as e:
        raise ReferenceProblem(f"{path}: cannot read the voice reference ({e}); give a WAV, "
                               "FLAC or MP3 recording of the performer speaking") from None
    if wav.size == 0:
        raise ReferenceProblem(f"{path}: cannot read the voice reference (no audio found in "
                               "it); give a WAV, FLAC or MP3 recording of the performer "
                               "speaking")
    segments = voices.speech(wav)
    said = sum(x.duration for x in segments)
    if said < VOICE_MIN_SPEECH_S:
        raise ReferenceProblem(f"{path}: {said:.1f} s of speech found in the voice reference; "
                               f"give a recording with at least {VOICE_MIN_SPEECH_S:g} s of the "
                               "performer speaking alone")
    return voices.embed(voices.speech_of(wav, segments)), (round(said * 1000),
                                                           round(wav.size * 1000 / voices.RATE))


# --------------------------------------------------------------------------- import


@dataclass
class Embedded:
    """What `check_references` found for one (party, path): a new or a reused embedding."""

    party: str
    path: str
    sha256: str
    descriptor: np.ndarray | None  # None: the stored one is reused
    box: tuple[int, ...] | None  # face: (x, y, w, h); voice: (speech ms, total ms)
    kind: str = "face"

    @property
    def model(self) -> str:
        return VOICE_MODEL if self.kind == "voice" else MODEL


def face_paths(references: Iterable[dict[str, Any]]) -> list[str]:
    """The local face photos among a party's stored references (remote ones are skipped)."""
    out = []
    for r in references:
        if r.get("kind", "face") == "face" and r.get("path"):
            out.append(str(r["path"]))
    return out


def voice_paths(references: Iterable[dict[str, Any]]) -> list[str]:
    """The voice samples among a party's stored references."""
    return [str(r["path"]) for r in references if r.get("kind") == "voice" and r.get("path")]


def _local(path: str) -> Path | None:
    from clearreel.util.uri import file_path

    return file_path(path)


def check_references(session: Any, parties: Sequence[tuple[str, list[dict[str, Any]],
                                                            Any]]) -> tuple[list[Embedded],
                                                                            list[str]]:
    """Embed the face and voice references of `parties` ((party id, references, where(j) ->
    "file:line: location" of reference j)) that are new or changed. Returns (embeddings,
    problems): a problem per photo that is unreadable or does not show exactly one face, per
    voice sample that cannot be decoded or holds too little speech. Reads the registry,
    writes nothing."""
    from sqlalchemy import select

    from clearreel.rights.models import ReferenceEmbedding

    stored = {(e.party_id, e.path, e.model): e for e in session.scalars(
        select(ReferenceEmbedding).where(ReferenceEmbedding.model.in_((MODEL, VOICE_MODEL))))}
    out: list[Embedded] = []
    problems: list[str] = []
    for party, refs, where in parties:
        for j, r in enumerate(refs):
            kind = r.get("kind", "face")
            if kind not in ("face", "voice") or not r.get("path"):
                continue
            what = "voice reference" if kind == "voice" else "face reference"
            path = str(r["path"])
            local = _local(path)
            if local is None:
                problems.append(f"{where(j)}: {path}: a {what} must be a local file "
                                "(copy it next to the catalog)")
                continue
            old = stored.get((party, path, VOICE_MODEL if kind == "voice" else MODEL))
            if not local.is_file():
                if old is not None:  # embedded before; the file itself may be gone
                    out.append(Embedded(party, path, old.sha256, None, None, kind))
                    continue
                problems.append(f"{where(j)}: {path}: no such {what} file")
                continue
            sha = sha256_file(local)
            if old is not None and old.sha256 == sha:
                out.append(Embedded(party, path, sha, None, None, kind))
                continue
            try:
                d, box = embed_voice(local) if kind == "voice" else embed_photo(local)
            except ReferenceProblem as e:
                problems.append(f"{where(j)}: {e}")
                continue
            out.append(Embedded(party, path, sha, d, box, kind))
    return out, problems


def store_references(session: Any, embedded: Sequence[Embedded],
                     parties: Iterable[str]) -> dict[str, int]:
    """Write what `check_references` computed; drop the stored embeddings of `parties` whose
    photo or voice sample the party no longer lists. Returns {"computed", "reused",
    "dropped"}."""
    from sqlalchemy import select

    from clearreel.rights.models import ReferenceEmbedding

    parties = set(parties)
    keep = {(e.party, e.path, e.model) for e in embedded}
    rows = {(e.party_id, e.path, e.model): e for e in session.scalars(
        select(ReferenceEmbedding).where(ReferenceEmbedding.model.in_((MODEL, VOICE_MODEL)),
                                         ReferenceEmbedding.party_id.in_(sorted(parties))))}
    n = {"computed": 0, "reused": 0, "dropped": 0}
    for key, row in rows.items():
        if key not in keep:
            session.delete(row)
            n["dropped"] += 1
    for e in embedded:
        if e.descriptor is None:
            n["reused"] += 1
            continue
        fields = {"sha256": e.sha256, "embedding": [float(x) for x in e.descriptor],
                  "box": [int(v) for v in e.box or (0, 0, 0, 0)], "kind": e.kind}
        row = rows.get((e.party, e.path, e.model))
        if row is None:
            session.add(ReferenceEmbedding(party_id=e.party, path=e.path, model=e.model,
                                           **fields))
        else:
            for k, v in fields.items():
                setattr(row, k, v)
        n["computed"] += 1
    session.flush()
    return n


# --------------------------------------------------------------------------- matching


def face_references(session: Any) -> list[FaceReference]:
    """Every stored face reference of the organization, any party, credited or not (see
    `usable_references`)."""
    return usable_references(session)[0]


def usable_references(session: Any) -> tuple[list[FaceReference], list[str]]:
    """(every stored face reference, the listed photos that cannot be used). A party's
    listed photo that has no stored embedding (a registry imported before embeddings were
    kept) is embedded now and stored; one that cannot be (missing, no face, several) is
    returned as a problem, so the guards can say which performer they cannot recognise."""
    from sqlalchemy import select

    from clearreel.rights.models import Party, ReferenceEmbedding

    rows = {(e.party_id, e.path): e for e in session.scalars(
        select(ReferenceEmbedding).where(ReferenceEmbedding.model == MODEL))}
    missing: list[tuple[str, list[dict[str, Any]], Any]] = []
    problems: list[str] = []
    listed: set[tuple[str, str]] = set()
    for p in session.scalars(select(Party).order_by(Party.id)):
        paths = face_paths(p.references or [])
        listed |= {(p.id, x) for x in paths}
        refs = [{"kind": "face", "path": x} for x in paths if (p.id, x) not in rows]
        if refs:
            missing.append((p.id, refs, lambda j, pid=p.id: f"party {pid}"))
    if missing:
        new, problems = check_references(session, missing)
        new = [e for e in new if e.descriptor is not None]
        if new:
            store_references(session, new, ())
            rows = {(e.party_id, e.path): e for e in session.scalars(
                select(ReferenceEmbedding).where(ReferenceEmbedding.model == MODEL))}
    return [FaceReference(e.party_id, str(_local(e.path) or e.path), e.sha256,
                          np.asarray(e.embedding, np.float32))
            for key, e in sorted(rows.items()) if key in listed], problems


def voice_references(session: Any) -> list[VoiceReference]:
    """Every stored voice reference of the organization whose party still lists the sample,
    any party, credited or not (see `usable_voice_references`)."""
    return usable_voice_references(session)[0]


def usable_voice_references(session: Any) -> tuple[list[VoiceReference], list[str]]:
    """(every stored voice reference, the listed samples that cannot be used). A listed sample
    with no stored embedding (a registry imported before voice samples were embedded) is
    embedded now and stored; one that cannot be (missing, no speech) is a problem."""
    from sqlalchemy import select

    from clearreel.rights.models import Party, ReferenceEmbedding

    parties = list(session.scalars(select(Party).order_by(Party.id)))
    listed = {(p.id, x) for p in parties for x in voice_paths(p.references or [])}
    have = {(e.party_id, e.path) for e in session.scalars(
        select(ReferenceEmbedding).where(ReferenceEmbedding.model == VOICE_MODEL))}
    missing = [(p.id, [{"kind": "voice", "path": x} for x in voice_paths(p.references or [])
                       if (p.id, x) not in have], lambda j, pid=p.id: f"party {pid}")
               for p in parties]
    missing = [m for m in missing if m[1]]
    problems: list[str] = []
    if missing:
        new, problems = check_references(session, missing)
        new = [e for e in new if e.descriptor is not None]
        if new:
            store_references(session, new, ())
    rows = session.scalars(select(ReferenceEmbedding).where(
        ReferenceEmbedding.model == VOICE_MODEL).order_by(ReferenceEmbedding.party_id,
                                                          ReferenceEmbedding.path))
    return [VoiceReference(e.party_id, str(_local(e.path) or e.path), e.sha256,
                           np.asarray(e.embedding, np.float32))
            for e in rows if (e.party_id, e.path) in listed], problems


def match_voices(segments: Sequence[tuple[Any, np.ndarray]], refs: Sequence[VoiceReference],
                 threshold: float = VOICE_THRESHOLD) -> list[VoiceMatch]:
    """Each speech segment ((segment with .start/.end seconds, embedding)) whose most similar
    reference reaches `threshold`, as a match of that reference's party."""
    if not refs or not segments:
        return []
    m = np.stack([r.embedding for r in refs])
    out = []
    for seg, emb in segments:
        sims = m @ np.asarray(emb, np.float32)
        i = int(np.argmax(sims))
        if float(sims[i]) >= threshold:
            out.append(VoiceMatch(refs[i].party, float(seg.start), float(seg.end),
                                  float(sims[i]), threshold, refs[i].path))
    return out


def nearest(descriptor: np.ndarray, refs: Sequence[FaceReference]) -> tuple[FaceReference,
                                                                          float] | None:
    """The reference closest to `descriptor`, with its distance; None without references."""
    if not refs:
        return None
    m = np.stack([r.descriptor for r in refs])
    d = np.linalg.norm(m - descriptor[None, :], axis=1)
    i = int(np.argmin(d))
    return refs[i], float(d[i])


def upsample_for(image: np.ndarray) -> int:
    """dlib's HOG detector finds faces from about 80 pixels; one upsampling (2x) from about
    40, at 4x the time. Frames under 640 pixels wide (tiny previews, storyboards at 320x240)
    are upsampled once; larger frames are not (a face under 80 px in a 832x480 frame is
    missed: docs/likeness.md)."""
    return 1 if max(image.shape[:2]) < 640 else 0


def match_image(image: np.ndarray, refs: Sequence[FaceReference],
                threshold: float = THRESHOLD) -> list[FaceMatch]:
    """Every face in an (H, W, 3) uint8 RGB image that is one of `refs`' parties (per party,
    its closest face), nearest first."""
    from clearreel.media import faces

    if not refs:
        return []
    best: dict[str, FaceMatch] = {}
    for f in faces.faces(image, upsample=upsample_for(image)):
        got = nearest(f.descriptor, refs)
        if got is None:
            continue
        ref, d = got
        if d < threshold and (ref.party not in best or d < best[ref.party].distance):
            best[ref.party] = FaceMatch(ref.party, d, threshold, f.box, ref.path)
    return sorted(best.values(), key=lambda m: m.distance)


__all__ = ["MAX_SIDE", "MODEL", "THRESHOLD", "VOICE_MIN_SPEECH_S", "VOICE_MODEL",
           "VOICE_THRESHOLD", "Embedded", "FaceMatch", "FaceReference", "ReferenceProblem",
           "VoiceMatch", "VoiceReference", "check_references", "embed_photo", "embed_voice",
           "face_paths", "face_references", "match_image", "match_voices", "nearest", "read_rgb",
           "sha256_file", "store_references", "upsample_for", "usable_references",
           "usable_voice_references", "voice_paths", "voice_references"]
