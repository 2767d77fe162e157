"""`analyse_media`: the one per-file stage function of curation.

probe -> ONE low-resolution decode (plus face stills from the same pass when the work has
face references) -> shots -> clip ranges -> per clip: scores, filter reasons, fingerprint,
presence, caption. A pure function of (file, WorkContext, CurateConfig): it never touches the
database, and its inputs and output are plain picklable dataclasses, so engines can ship it
to processes and Ray workers. Scoring filters and the clearance gate are applied later by the
pipeline, which also groups near-duplicates across every file (`near_duplicate_groups`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.curate.captions import CaptionInput, caption, shot_scale
from clearreel.curate.clips import ClipRange, Dropped, plan_clips
from clearreel.curate.config import CurateConfig, Thresholds
from clearreel.curate.context import (
    CharacterInfo,
    FaceReference,
    SceneInfo,
    WorkContext,
    work_context,
)
from clearreel.curate.dedup import choose_keepers, clip_fingerprint, near_duplicate_groups
from clearreel.curate.engines import decoder_threads
from clearreel.curate.recognition import reference_descriptors, voices_heard
from clearreel.curate.scores import compute_scores, filter_reasons
from clearreel.curate.shots import Shot, detect_shots
from clearreel.media import DecodeStream, Probe, probe
from clearreel.rights.presence import Presence, heard_in, present_in_frames, span_of_frames
from clearreel.util.progress import report_frames

Rect = tuple[int, int, int, int]


@dataclass
class ClipAnalysis:
    """One candidate clip: inclusive source frame range, crop in SOURCE pixels, and findings."""

    start_frame: int
    end_frame: int
    shot: int
    # Presentation times (ms from the stream's start): the first frame's and the end of the
    # last frame (exclusive); `last_ms` is the last frame's own timestamp.
    start_ms: float
    end_ms: float
    crop: Rect | None  # (x, y, w, h) in source pixels (letterbox removed), None: full frame
    scores: dict[str, float]
    reasons: list[dict[str, Any]]  # failing score filters (`filter_reasons`), [] when it passes
    phash: list[str]  # one 16-hex-digit pHash per sampled frame
    performers: list[str]
    characters: list[str]
    presence: dict[str, Any]  # {"evidence": {id: [sources]}, "sources": [...]}
    caption: str
    last_ms: float = 0.0
    # party -> {"frame": absolute source frame, "distance", "stills"}: recognition evidence
    faces: dict[str, dict[str, Any]] = field(default_factory=dict)
    faces_checked: bool = False  # recognition ran on this clip (the work had references)
    # party -> {"start_s", "end_s", "similarity", "segments"}: speaker verification evidence
    # (the speech segment overlapping the clip that was most similar to the party's voice)
    voices: dict[str, dict[str, Any]] = field(default_factory=dict)
    voices_checked: bool = False  # the file's audio was checked (the work had voice refs)

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    def to_json(self) -> dict[str, Any]:
        """The candidate the later stages read (stored in `CurateMedia.candidates`)."""
        return {
            "start_frame": int(self.start_frame),
            "end_frame": int(self.end_frame),
            "crop": list(self.crop) if self.crop else None,
            "scores": plain(self.scores),
            "filter_reasons": plain(list(self.reasons)),
            "phash": plain(self.phash),
            "performers": sorted(self.performers),
            "characters": sorted(self.characters),
            "presence": plain(self.presence),
            "caption": str(self.caption or ""),
            "start_ms": round(float(self.start_ms), 3),
            "last_ms": round(float(self.last_ms), 3),
            "end_ms": round(float(self.end_ms), 3),
            "faces": plain(self.faces),
            "faces_checked": bool(self.faces_checked),
            "voices": plain(self.voices),
            "voices_checked": bool(self.voices_checked),
        }


@dataclass
class MediaAnalysis:
    path: str
    work: str
    probe: Probe
    fps: Fraction
    analysis_size: tuple[int, int]  # (width, height) of the decode
    decoded_frames: int
    shots: list[Shot]
    clips: list[ClipAnalysis]
    dropped: list[Dropped]  # shots that gave no clip, with their reason
    sources: list[str]  # presence sources this work offered
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    # Every decoded frame's presentation time in seconds (its PTS from the stream's start),
    # in presentation order: frame indices everywhere index into it (not in `to_json`).
    frame_times: list[float] = field(default_factory=list)

    @property
    def fps_float(self) -> float:
        return float(self.fps)

    def to_json(self) -> dict[str, Any]:
        """What the later stages need, as plain JSON: the probe, and every candidate clip,
        with the shots that gave no clip (too short, all black) as candidates that carry
        their filter reason, so they are recorded as exclusions too."""
        candidates = [c.to_json() for c in self.clips]
        for d in self.dropped:
            candidates.append(
                {
                    "start_frame": int(d.start_frame),
                    "end_frame": int(d.end_frame),
                    "crop": None,
                    "scores": {},
                    "phash": None,
                    "performers": [],
                    "characters": [],
                    "presence": None,
                    "caption": "",
                    "filter_reasons": [
                        {
                            "code": str(d.reason),
                            "stage": "clips",
                            "detail": f"shot {d.shot}: {d.reason}",
                        }
                    ],
                }
            )
        return {
            "sha256": self.probe.sha256,
            "probe": plain(self.probe.to_dict()),
            "fps": float(self.fps),
            "frames": int(self.probe.frames or 0),
            "seconds": float(self.probe.duration_s or 0.0),
            "candidates": candidates,
        }


def plain(v: Any) -> Any:
    """JSON-able copy of analysis values (numpy scalars, tuples, Fractions, dataclasses)."""
    import dataclasses

    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, Fraction):
        return float(v)
    if hasattr(v, "item") and callable(v.item):  # numpy scalar or 0-d array
        v = v.item()
    if isinstance(v, float):
        # JSON has no NaN/Infinity (the manifest's canonical form refuses them).
        return round(v, 6) if math.isfinite(v) else None
    return v


def analysis_size(src_w: int, src_h: int, width: int) -> tuple[int, int]:
    """(width, height) for the decode: `width` wide, the source's aspect, even, >= 16 px."""
    h = max(16, round(width * src_h / max(src_w, 1) / 2) * 2)
    return width, h


def _to_source(crop: Rect | None, aw: int, ah: int, sw: int, sh: int) -> Rect | None:
    """A crop from analysis pixels to source pixels, rounded inwards to even numbers."""
    if crop is None:
        return None
    x, y, w, h = crop
    fx, fy = sw / aw, sh / ah
    x0, y0 = int(np.ceil(x * fx)), int(np.ceil(y * fy))
    x1, y1 = int((x + w) * fx), int((y + h) * fy)
    x0, y0 = x0 + (x0 % 2), y0 + (y0 % 2)
    x1, y1 = x1 - (x1 % 2), y1 - (y1 % 2)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def analyse_media(
    path: str | Path, work: WorkContext, config: CurateConfig, media: str | None = None
) -> MediaAnalysis:
    """Analyse one media file of `work`; raises `MediaError` when it cannot be decoded.

    `media` is the file's URI in the registry (scenes and subtitles name the media file they
    apply to); default: `path` when the work lists it, else the work's first media file."""
    config.validate()
    timings: dict[str, float] = {}
    warnings: list[str] = []
    t0 = time.perf_counter()

    pr = probe(path, max_pixels=config.max_pixels)  # refuses a huge picture before decoding
    aw, ah = analysis_size(pr.width, pr.height, config.analysis_width)
    refs: dict[str, list[np.ndarray]] = {}
    stills_every = None
    stills_size = None
    if config.face_recognition and work.face_references:
        from clearreel.media import faces

        if faces.available():
            refs = reference_descriptors(work.face_references, warnings)
        else:
            warnings.append("face references ignored: dlib or its models are not installed")
        if refs:
            stills_every = max(1, round(pr.fps_float * config.face_every_s))
            fw = min(config.face_width, pr.width)
            stills_size = analysis_size(pr.width, pr.height, fw - fw % 2)
    timings["probe"] = time.perf_counter() - t0
    t = time.perf_counter()
    if config.voice_recognition:
        warnings += [f"voice reference skipped: {p}" for p in work.unusable_voice_references]
    heard = voices_heard(path, work, config, warnings) if (
        config.voice_recognition and work.voice_references) else None
    timings["voices"] = time.perf_counter() - t

    facts = work.facts  # the presence rule's input (clearreel.rights.presence)
    if media is None:
        media = str(path) if str(path) in facts.media else (facts.media[0] if facts.media else None)
    names = dict(facts.character_names)
    # Presentation time of every decoded frame, in seconds (presence maps frames with it).
    frame_times: list[float] = []

    timings.update(decode=0.0, shots=0.0, faces=0.0, clips=0.0)
    shots: list[Shot] = []
    clips: list[ClipAnalysis] = []
    dropped: list[Dropped] = []
    # In an engine worker, FFmpeg gets the worker's share of the cores (one each when there
    # are as many workers as cores, more when other workers are idle) instead of a thread
    # per core in every worker; elsewhere FFmpeg picks (0).
    threads = decoder_threads()
    with DecodeStream(
        path,
        aw,
        ah,
        chunk=256,
        stills_every=stills_every,
        stills_size=stills_size,
        threads=threads,
    ) as ds:
        fps = float(ds.fps)
        window = max(64, int(config.window_s * fps))
        buf = np.empty((0, ah, aw, 3), np.uint8)
        stills: dict[int, np.ndarray] = {}
        offset = 0  # absolute index of buf[0]

        def run(final: bool) -> None:
            nonlocal buf, offset, stills
            t = time.perf_counter()
            found = detect_shots(config.detector, buf, config, fps=fps)
            timings["shots"] += time.perf_counter() - t
            if final or len(found) == 1:
                if not final:
                    warnings.append(
                        f"a shot longer than window_s was split at frame {offset + len(buf)}"
                    )
                accepted, keep_from = found, len(buf)
            else:
                # The last shot may go on past the window: the next window starts on it.
                accepted, keep_from = found[:-1], found[-1].start_frame
            base = len(shots)
            ranges, drop = plan_clips(accepted, buf, fps, config)
            shots.extend(Shot(x.start_frame + offset, x.end_frame + offset) for x in accepted)
            dropped.extend(
                Dropped(d.start_frame + offset, d.end_frame + offset, d.shot + base, d.reason)
                for d in drop
            )
            t = time.perf_counter()
            seen: dict[int, dict[str, tuple[float, float]]] = {}
            if refs and stills:
                from clearreel.media.faces import recognise_faces

                upto = offset + (accepted[-1].end_frame if accepted else -1)
                seen = recognise_faces(
                    {i: im for i, im in stills.items() if i <= upto}, refs, config.face_threshold
                )
            timings["faces"] += time.perf_counter() - t
            t = time.perf_counter()
            for r in ranges:
                c = _analyse_clip(
                    r,
                    buf,
                    fps,
                    work,
                    (media, frame_times, offset),
                    seen,
                    names,
                    config,
                    (aw, ah),
                    (pr.width, pr.height),
                    heard or [],
                )
                c.faces_checked = bool(refs)
                c.voices_checked = heard is not None
                clips.append(_shifted(c, offset, base))
            timings["clips"] += time.perf_counter() - t
            buf = buf[keep_from:].copy()
            offset += keep_from
            stills = {i: im for i, im in stills.items() if i >= offset}

        t_dec = time.perf_counter()
        for chunk in ds:
            frame_times += chunk.times.tolist()  # each frame's PTS, seconds
            buf = np.concatenate([buf, chunk.frames]) if len(buf) else chunk.frames
            stills.update(chunk.stills)
            report_frames(media or str(path), chunk.start + len(chunk.frames), pr.frames)
            while len(buf) >= window:
                timings["decode"] += time.perf_counter() - t_dec
                run(final=False)
                t_dec = time.perf_counter()
        timings["decode"] += time.perf_counter() - t_dec
        if len(buf):
            run(final=True)
        decoded_frames = ds.count
    timings["total"] = time.perf_counter() - t0

    sources = facts.sources
    return MediaAnalysis(
        path=str(path),
        work=work.work,
        probe=pr,
        fps=ds.fps,
        analysis_size=(aw, ah),
        decoded_frames=decoded_frames,
        shots=shots,
        clips=clips,
        dropped=dropped,
        sources=sources,
        warnings=warnings,
        timings={k: round(v, 4) for k, v in timings.items()},
        frame_times=frame_times,
    )


def _shifted(c: ClipAnalysis, offset: int, shot_base: int) -> ClipAnalysis:
    """A clip analysed inside a window, with its frame numbers made absolute (its times and
    presence were computed on absolute frames already)."""
    c.start_frame += offset
    c.end_frame += offset
    c.shot += shot_base
    return c


def _analyse_clip(
    r: ClipRange,
    frames: np.ndarray,
    fps: float,
    work: WorkContext,
    where: tuple[str | None, list[float], int],
    recognised: dict[int, dict[str, tuple[float, float]]],
    names: dict[str, str],
    config: CurateConfig,
    asize: tuple[int, int],
    ssize: tuple[int, int],
    heard: list[tuple[float, float, str, float]] = [],  # noqa: B006 (never mutated)
) -> ClipAnalysis:
    """One clip of a window. `where` = (media URI, presentation time in seconds of every
    frame decoded so far, absolute index of the window's first frame); `recognised` holds
    ABSOLUTE frame indices. Presence is the rule's (`rights.presence`), on absolute frames."""
    media, frame_times, offset = where
    view = frames[r.start_frame : r.end_frame + 1]
    if r.crop is not None:
        x, y, w, h = r.crop
        view = view[:, y : y + h, x : x + w]
    scores = compute_scores(view, fps, config)
    first, last = r.start_frame + offset, r.end_frame + offset
    pres: Presence = present_in_frames(
        work.facts, media, frame_times, first, last, {i: list(v) for i, v in recognised.items()},
        voices=[(a, b, p) for a, b, p, _ in heard],
    )
    lo, hi = span_of_frames(frame_times, first, last)
    # Speaker evidence per party: the most similar segment overlapping the clip, and how many
    # of the file's speech segments overlapping it were theirs.
    voices_ev: dict[str, dict[str, Any]] = {}
    for a, b, party, sim in heard:
        if heard_in(lo, hi, a, b):
            e = voices_ev.setdefault(party, {"start_s": round(a, 3), "end_s": round(b, 3),
                                             "similarity": round(sim, 4), "segments": 0})
            e["segments"] += 1
            if sim > e["similarity"]:
                e.update(start_s=round(a, 3), end_s=round(b, 3), similarity=round(sim, 4))
    faces_in: dict[str, float] = {}
    # Recognition evidence per party: the frame where it matched closest, that distance, and
    # how many of the clip's sampled stills it matched in.
    evidence: dict[str, dict[str, Any]] = {}
    for idx, seen in sorted(recognised.items()):
        if first <= idx <= last:
            for party, (share, d) in seen.items():
                faces_in[party] = max(faces_in.get(party, 0.0), share)
                e = evidence.setdefault(party, {"frame": int(idx), "distance": d, "stills": 0})
                e["stills"] += 1
                if d < e["distance"]:
                    e.update(frame=int(idx), distance=d)
    for e in evidence.values():
        e["distance"] = round(float(e["distance"]), 4)
    overlapping = work.facts.lines.overlapping(lo, hi)
    notes = [s.notes for s in work.facts.scenes if s.notes and s.start_s < hi and lo < s.end_s]
    inp = CaptionInput(
        frames=view,
        title=work.title,
        characters=[names.get(c, c) for c in pres.characters],
        dialogue=[(c.speakers[0] if c.speakers else None, c.text) for c in overlapping if c.text],
        notes=list(dict.fromkeys(notes)),
        scores=scores,
        shot_scale=shot_scale(
            max(faces_in.values()) if faces_in else None, scores.get("foreground")
        ),
    )
    return ClipAnalysis(
        start_frame=r.start_frame,
        end_frame=r.end_frame,
        shot=r.shot,
        start_ms=round(lo * 1000.0, 3),
        end_ms=round(hi * 1000.0, 3),
        last_ms=round(float(frame_times[last]) * 1000.0, 3),
        crop=_to_source(r.crop, *asize, *ssize),
        scores=scores,
        reasons=filter_reasons(scores, config.thresholds),
        phash=clip_fingerprint(view, config.phash_frames),
        performers=list(pres.performers),
        characters=list(pres.characters),
        presence={
            "evidence": {k: list(v) for k, v in pres.evidence.items()},
            "sources": list(work.facts.sources),
            "uncovered": pres.uncovered,
        },
        caption=caption(config.captioner, inp, config),
        faces=evidence,
        voices=voices_ev,
    )


__all__ = [
    "CharacterInfo",
    "ClipAnalysis",
    "CurateConfig",
    "FaceReference",
    "MediaAnalysis",
    "SceneInfo",
    "Thresholds",
    "WorkContext",
    "analyse_media",
    "choose_keepers",
    "filter_reasons",
    "near_duplicate_groups",
    "plain",
    "work_context",
]
