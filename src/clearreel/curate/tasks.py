"""The stage functions engines run in workers: analyse one file, cut a batch of clips.

Both are top level and take and return plain picklable values, so the local process pool
and Ray workers can run them; neither touches the database. A bad input file is a result
(`{"ok": False, "reason": ...}`), never an exception: an exception that escapes a task is a
bug or an environment fault (a full disk, EIO) and stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearreel.curate.config import CurateConfig
from clearreel.errors import MediaError

Crop = tuple[int, int, int, int]


@dataclass(frozen=True)
class AnalyseTask:
    media_pk: int
    uri: str
    work: Any  # clearreel.curate.context.WorkContext
    config: CurateConfig


def analyse_task(task: AnalyseTask) -> dict[str, Any]:
    """Run the per-file analysis; return plain JSON (never raises for a bad file)."""
    from clearreel.curate.analyse import analyse_media
    from clearreel.rights.reservations import read_reservations

    try:
        path = local_path(task.uri)
        analysis = analyse_media(path, task.work, task.config, media=task.uri)
        # Every probe re-reads the reservations embedded in the file (ARCHITECTURE.md,
        # "Presence"): a master replaced after import is judged as it is now.
        found = read_reservations(path)
    except MediaError as e:
        return {"ok": False, "reason": str(e)}
    except OSError as e:
        return {"ok": False, "reason": f"{task.uri}: cannot read it for reservations: {e}"}
    return {
        "ok": True,
        **analysis.to_json(),
        "reservations": [[f.use, f.value, f.source, f.raw] for f in found],
    }


@dataclass(frozen=True)
class CutTask:
    uri: str
    # (clip id, start frame, end frame, output path, crop (x, y, w, h) or None,
    #  start and end presentation times in seconds, or None)
    clips: tuple[tuple[str, int, int, str, Crop | None, float | None, float | None], ...]
    width: int
    height: int
    fps: float | None
    audio: bool = False  # keep_audio: each clip gets the source's audio over its time span


# Clips further apart than this (source frames) are cut from separate seeks rather than one
# sequential decode: decoding the gap would cost more than seeking to the next keyframe.
SEEK_GAP = 120


def runs(clips: tuple[Any, ...]) -> list[list[Any]]:
    """Split clips (sorted by start) into runs whose gaps are at most SEEK_GAP frames."""
    out: list[list[Any]] = []
    for c in sorted(clips, key=lambda c: (c[1], c[2])):
        if out and c[1] - max(x[2] for x in out[-1]) <= SEEK_GAP:
            out[-1].append(c)
        else:
            out.append([c])
    return out


def cut_task(task: CutTask) -> dict[str, Any]:
    """Cut a batch of clips of one file, one decode per run of nearby clips (seeking between
    runs, so only the admitted ranges are decoded); return {clip id: sha256} or a reason."""
    from clearreel.curate.engines import decoder_threads
    from clearreel.media import ClipSpec, cut_clips

    hashes: dict[str, str] = {}
    try:
        src = local_path(task.uri)
        for run in runs(task.clips):
            specs = [
                ClipSpec(s, e, Path(out), as_crop(crop), t0, t1)
                for _, s, e, out, crop, t0, t1 in run
            ]
            got = cut_clips(src, specs, task.width, task.height, task.fps,
                            threads=decoder_threads())
            if task.audio:
                got = [_with_audio(src, sp, h) for sp, h in zip(specs, got, strict=True)]
            hashes.update({c[0]: h for c, h in zip(run, got, strict=True)})
    except MediaError as e:
        return {"ok": False, "reason": str(e)}
    return {"ok": True, "hashes": hashes}


def stage_task(task: CutTask) -> dict[str, Any]:
    """A speculative `cut_task` (see `curate.cut`): each clip is cut to `NAME.part.mp4` and
    renamed to `NAME.mp4` once complete, so a staged file that exists is whole."""
    import dataclasses
    import os

    part = dataclasses.replace(
        task, clips=tuple((c[0], c[1], c[2], _part(c[3]), *c[4:]) for c in task.clips)
    )
    result = cut_task(part)
    for c in part.clips:
        if result["ok"]:
            os.replace(c[3], c[3].removesuffix(".part.mp4") + ".mp4")
        else:
            Path(c[3]).unlink(missing_ok=True)
    return result


def _part(out: str) -> str:
    return out.removesuffix(".mp4") + ".part.mp4"


def _with_audio(src: str, spec: Any, sha: str) -> str:
    """The clip with the source's audio over its span muxed in; its new sha256 (the old one
    when the source has no audio or the clip's times are unknown)."""
    import hashlib

    from clearreel.media.voices import mux_audio

    if spec.start_s is None or spec.end_s is None:
        return sha
    try:
        if not mux_audio(spec.out, src, float(spec.start_s), float(spec.end_s)):
            return sha
    except (OSError, ValueError) as e:
        raise MediaError(f"{src}: cannot copy the audio into {spec.out}: {e}") from None
    return hashlib.sha256(Path(spec.out).read_bytes()).hexdigest()


def as_crop(v: Any) -> Crop | None:
    if not v:
        return None
    x, y, w, h = (int(t) for t in v)
    return (x, y, w, h)


def local_path(uri: str) -> str:
    """A media URI as a local path: plain paths and file:// directly, other schemes via fsspec
    (cached under the workspace's cache by the caller's fsspec configuration)."""
    from clearreel.util.uri import UriError, file_path

    try:
        path = file_path(uri)
    except UriError as e:
        raise MediaError(str(e)) from None
    if path is not None:
        return str(path)
    try:
        import fsspec
    except ImportError:
        raise MediaError(f"{uri}: remote media need fsspec (pip install fsspec s3fs)") from None
    try:
        return str(fsspec.open_local(f"simplecache::{uri}"))
    except Exception as e:  # fsspec raises backend-specific errors; all mean "cannot read"
        raise MediaError(f"{uri}: cannot fetch ({e})") from e


__all__ = [
    "SEEK_GAP",
    "AnalyseTask",
    "CutTask",
    "analyse_task",
    "as_crop",
    "cut_task",
    "local_path",
    "runs",
    "stage_task",
]
