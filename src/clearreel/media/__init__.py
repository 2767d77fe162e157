"""media: PyAV probe, the one low-resolution decode pass, clip cutting, subtitles.

Public API (stable; other stages code against these names):

- `probe(path) -> Probe`: container, codec, duration_s, fps (Fraction; `.fps_float`), width,
  height, frames, audio streams, sha256. Raises `MediaError` whose `.reason` is one of
  `unreadable`, `no_video`, `corrupt`.
- `decode(path, width, height, *, stills_every=None, stills_size=None, max_frames=None,
  strict=True, threads=0) -> Decoded`: every frame scaled by swscale to (T, H, W, 3) uint8 RGB,
  with `fps`, `source_width`, `source_height`, `expected_frames`, `complete` and optional
  `stills` (every Nth frame at a larger size, same pass). A file that stops decoding midway
  raises `MediaError` (`.reason` "truncated" or "corrupt") unless `strict=False`.
- `DecodeStream(path, width, height, chunk=1024, ...)`: the same pass as a context manager
  yielding `Chunk(start, frames, stills)`, for analysis in bounded memory.
- `cut_clip(src, start_frame, end_frame, out, width, height, fps=None, crop=None) -> sha256`:
  an H.264 mp4 of source frames [start, end] inclusive (frame-accurate), `crop` = (x, y, w, h)
  in source pixels, scaled to cover width x height. `fps=None` keeps every frame; another rate
  resamples to a 4k+1 frame count (`resampled_indices`).
- `cut_clips(src, [ClipSpec(start_frame, end_frame, out, crop)], width, height, fps) -> [sha256]`:
  the same for many clips of one file in one sequential decode.
- `read_subtitles(path, encoding=None) -> list[Cue]` (`Cue(start_ms, end_ms, text)`): SRT or
  WebVTT through pysubs2; raises `SubtitleError`. Speaker labels are not parsed here: the
  presence rule (`clearreel.rights.presence`) owns them.
- `sha256_file(path)`.
- `write_video(path, frames, fps, *, crf, preset, bitrate, faststart) -> path`: (T, H, W, 3)
  uint8 RGB to an H.264 yuv420p mp4; `read_frames(path, max_frames=None) -> (frames, fps)`
  at the file's own size.
"""

from clearreel.media._cut import ClipSpec, Crop, cut_clip, cut_clips, resampled_indices
from clearreel.media._decode import Chunk, Decoded, DecodeStream, decode
from clearreel.media._encode import read_frames, write_video
from clearreel.media._probe import AudioStream, Probe, probe, sha256_file
from clearreel.media.subtitles import Cue, SubtitleError, read_subtitles

__all__ = [
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
    "resampled_indices",
    "sha256_file",
    "write_video",
]
