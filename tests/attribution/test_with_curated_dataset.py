"""End to end with a real curated dataset: sample studio -> catalog -> curate -> index -> query."""

from __future__ import annotations

import json
from pathlib import Path


def test_index_and_find_a_flipped_copy_of_a_curated_clip(workspace, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from clearreel.attribution import attribute, load_clipset
    from clearreel.attribution._video import decode
    from clearreel.attribution.robustness import make_copy
    from clearreel.curate import curate
    from clearreel.curate.config import CurateConfig
    from clearreel.rights.catalog import import_catalog
    from clearreel.sample import REFERENCE_DATE, make_sample_studio

    catalog = make_sample_studio(tmp_path / "studio", films=2, width=160, height=90, seconds=15,
                                 bbb=False)
    import_catalog(workspace, catalog)
    config = CurateConfig(detector="pyscenedetect", clip_min_s=1.0, clip_max_s=2.0,
                          train_width=96, train_height=54, train_fps=12.0,
                          face_recognition=False)
    summary = curate(workspace, "d1", on=REFERENCE_DATE, config=config, progress=False,
                     workers=1)
    assert summary["clips"] > 2

    code, out, err = cli("attribution", "index", "--dataset", "d1", "--json")
    assert code == 0, err
    assert json.loads(out)["clips"] == summary["clips"]

    clips = load_clipset(workspace, "d1").clips
    target = clips[len(clips) // 2]
    frames, fps = decode(target.path, 96, 54)
    copy = make_copy(frames, fps, "flip", tmp_path / "copy.mp4")
    code, out, err = cli("attribution", "query", str(copy), "--dataset", "d1", "--json")
    assert code == 0, err
    best = json.loads(out)["matches"][0]
    assert (best["clip"], best["work"]) == (target.id, target.work)
    assert (best["start_frame"], best["end_frame"]) == (target.start_frame, target.end_frame)
    shares = attribute(workspace, copy, "d1")
    assert shares[0]["work"] == target.work and sum(s["share"] for s in shares) == 1
