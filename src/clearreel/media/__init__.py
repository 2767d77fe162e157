"""media: PyAV probe, the one low-resolution decode pass, clip cutting, subtitles, faces.

Public API (stable; other stages code against these names):

- `probe(path, max_pixels=DEFAULT_MAX_PIXELS) -> Probe`: container, codec, duration_s, fps
  (Fraction; `.fps_float`), width, height (as displayed), rotation (counter-clockwise degrees
  of its display matrix), frames, audio streams, sha256. Raises `MediaError` whose `.reason`
  is one of `unreadable`, `no_video`, `corrupt`, `too_large` (a picture over `max_pixels`,
  refused before any frame is decoded).
- `decode(path, width, height, *, stills_every=None, stills_size=None, max_frames=None,
  strict=True, threads=0) -> Decoded`: every frame scaled by swscale to (T, H, W, 3) uint8 RGB
  as displayed (rotation honoured), with `times` (each frame's presentation time in seconds,
  from its PTS and the stream time base, in presentation order), `fps` (average),
  `source_width`, `source_height`, `expected_frames`, `complete` and optional `stills` (every
  Nth frame at a larger size, same pass). A file that stops decoding midway raises
  `MediaError` (`.reason` "truncated" or "corrupt") unless `strict=False`.
- `DecodeStream(path, width, height, chunk=1024, ...)`: the same pass as a context manager
  yielding `Chunk(start, frames, stills, times)`, for analysis in bounded memory.
- `cut_clip(src, start_frame, end_frame, out, width, height, fps=None, crop=None) -> sha256`:
  an H.264 mp4 of source frames [start, end] inclusive (frame-accurate), `crop` = (x, y, w, h)
  in displayed pixels, scaled to cover width x height. `fps=None` keeps every frame; another
  rate resamples to a 4k+1 frame count, by presentation time when the `ClipSpec` has
  `start_s` and `end_s` (`resampled_count`), else by index (`resampled_indices`).
- `cut_clips(src, [ClipSpec(start_frame, end_frame, out, crop, start_s, end_s)], width,
  height, fps) -> [sha256]`: the same for many clips of one file in one sequential decode
  (one colour converter for the stream; deterministic x264 settings).
- `read_subtitles(path, encoding=None) -> list[Cue]` (`Cue(start_ms, end_ms, text)`): SRT or
  WebVTT through pysubs2; raises `SubtitleError`. Speaker labels are not parsed here: the
  presence rule (`clearreel.rights.presence`) owns them.
- `sha256_file(path)`.
- `faces` (module): face detection and dlib descriptors with the weights
  `face-recognition-models` ships (`faces`, `reference_descriptor`, `recognise_faces`, `identify`),
  shared by curation's recognition, the catalog's reference photos and the likeness guard.
- `write_video(path, frames, fps, *, crf, preset, bitrate, faststart) -> path`: (T, H, W, 3)
  uint8 RGB to an H.264 yuv420p mp4; `read_frames(path, max_frames=None) -> (frames, fps)`
  at the file's own size.
"""

from clearreel.media._cut import (
    ClipSpec,
    Crop,
    cut_clip,
    cut_clips,
    resampled_count,
    resampled_indices,
)
from clearreel.media._decode import Chunk, Decoded, DecodeStream, decode
from clearreel.media._encode import read_frames, write_video
from clearreel.media._probe import DEFAULT_MAX_PIXELS, AudioStream, Probe, probe, sha256_file
from clearreel.media.subtitles import Cue, SubtitleError, read_subtitles

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "AudioStream",
    "Chunk",
    "ClipSpec",
    "Crop",
    "Cue",
    "DecodeStream",
    "Decoded",
    "Probe",
    "SubtitleError",
    "cut_clip",
    "cut_clips",
    "decode",
    "probe",
    "read_frames",
    "read_subtitles",
    "resampled_count",
    "resampled_indices",
    "sha256_file",
    "write_video",
]
