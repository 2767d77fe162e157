"""curate: from a work's media to cleared, captioned training clips.

Exported here: `curate(settings, dataset, ...)` (build or resume a dataset), `CurateConfig`
and `USE`. Nothing heavy (numpy, PyAV, torch) is imported by this package's import.

The modules, by stage (each one reads the previous stage's records and writes its own):

- `tasks`: the stage functions engines run in workers (`analyse_task`, `cut_task`,
  `stage_task`: a speculative cut);
- `analyse`: the per-file analysis below, `MediaAnalysis.to_json()` the candidates it stores;
- `plan`: `plan(candidates, clear, config) -> Plan`, a pure function of the candidates and a
  clearance callable: score filters, the clearance gate, near-duplicates;
- `cut`: the cut stage, and `Speculation`: clips cut before the plan on idle workers, adopted
  where the plan admits them; `pack`: the manifest and `clearreel.dataset.build`;
- `pipeline`: `curate`, opening or resuming a dataset and running the stages in order;
- `engines` (local, ray; a `Batch` of prioritised jobs per run), `models` (`CurateMedia`,
  the per-file progress rows).

Per-file analysis (stable API; the pipeline and engines code against these names):

- `analyse.analyse_media(path, work: WorkContext, config: CurateConfig) -> MediaAnalysis`:
  probe, ONE low-resolution decode (plus face stills from the same pass when the work has face
  references), shots, clip ranges, per-clip scores, filter reasons, pHash fingerprint,
  presence and caption. Raises `clearreel.errors.MediaError` (`.reason`: unreadable,
  no_video, corrupt, truncated, too_large) for a file to quarantine; an environment fault
  (ENOSPC, EIO...) is an `OSError` that stops the run.
  `MediaAnalysis`: path, work, probe (`clearreel.media.Probe`), fps (Fraction), analysis_size,
  decoded_frames, shots, clips (`ClipAnalysis`), dropped (`clips.Dropped`: too_short,
  all_black), sources, warnings, timings, and `frame_times`: every decoded frame's
  presentation time in seconds (PTS), in presentation order; frame indices index into it.
  `ClipAnalysis`: start_frame, end_frame (inclusive, source frames, count = 4k+1), shot,
  start_ms, end_ms, last_ms (presentation times: first frame, end of the last frame, last
  frame), crop ((x, y, w, h) in displayed source pixels or None), scores (dict), reasons
  (list of {"code", "score", "value", "threshold", "detail"}), phash (list of 16-hex-digit
  strings), performers, characters, presence ({"evidence": {id: [sources]}, "sources"}),
  caption.
- `context.work_context(session, work_id) -> WorkContext` (also exported by `analyse`): the
  registry's scenes (ms), subtitle paths, characters (id, name, performer), credited
  performers and face references, read once by the caller.
- `config.CurateConfig` (typed, `to_dict()` / `from_dict()` rejecting unknown keys,
  `validate()`), with `config.Thresholds` for the score filters.
- `scores.filter_reasons(scores, thresholds) -> list[dict]` (also exported by `analyse`):
  re-judge recorded scores with other thresholds.
- `dedup.near_duplicate_groups(fingerprints, config) -> list[list[int]]` (also exported by
  `analyse`): groups of indices over the clips of ALL files; `dedup.choose_keepers` keeps the
  sharpest of each group.
- Registries by name: `shots.DETECTORS` ("transnetv2-cascade", "transnetv2",
  "pyscenedetect") with `shots.detect_shots(name, decoded, config)`; `captions.CAPTIONERS`
  ("metadata", "vlm") with `captions.caption(name, CaptionInput, config)`.
- Presence is not decided here: `clearreel.rights.presence` owns the rule (scenes, uncovered
  time, speaker labels, casting, recognition); `analyse` calls `present_in_frames` with each
  frame's presentation time. `media.faces` (dlib descriptors and matching) feeds it recognised
  parties (any party with references).
- `rebuild(settings, name, new, on=None)`: `dataset rebuild`, curation again from what is
  recorded (the analysis and the cut clips, nothing decoded) with today's presence and
  clearance: NEW without the clips that no longer clear.

Measured behaviour and default thresholds: docs/curation.md.
"""

from clearreel.curate.config import CurateConfig
from clearreel.curate.pipeline import curate
from clearreel.curate.plan import USE
from clearreel.curate.rebuild import rebuild

__all__ = ["USE", "CurateConfig", "curate", "rebuild"]
