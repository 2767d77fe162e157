"""`clearreel attribution`: the JSON contract and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from clearreel.attribution.robustness import make_copy

from .conftest import FPS, clip_frames


def test_index_and_query_json(cli, tiny_dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("attribution", "index", "--dataset", "tiny", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["clips"] == 6 and summary["embedder"] == "clearreel-vd"
    assert Path(summary["path"]) == tiny_dataset.root / "attribution"

    q = make_copy(clip_frames("clip-5"), FPS, "segment", tmp_path / "q.mp4", seed=3)
    code, out, err = cli("attribution", "query", str(q), "--dataset", "tiny", "--top", "3",
                         "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["matches"] and len(doc["matches"]) == 3
    best = doc["matches"][0]
    assert {"clip", "work", "start_frame", "end_frame", "score"} <= set(best)
    assert {"query_start", "query_end", "clip_offset", "query_start_s", "query_end_s",
            "clip_offset_s"} <= set(best)
    assert best["clip"] == "clip-5" and best["work"] == "w-c"
    assert (best["start_frame"], best["end_frame"]) == (50, 89)
    assert doc["matches"][0]["score"] >= doc["matches"][1]["score"]

    # Without --dataset every indexed dataset of the workspace is searched.
    code, out, _ = cli("attribution", "query", str(q), "--json")
    assert code == 0 and json.loads(out)["matches"][0]["clip"] == "clip-5"

    code, out, _ = cli("attribution", "attribute", str(q), "--dataset", "tiny", "--json")
    assert code == 0
    shares = json.loads(out)["attribution"]
    assert shares[0]["work"] == "w-c" and sum(float(s["share"]) for s in shares) == 1.0

    code, out, _ = cli("attribution", "query", str(q), "--dataset", "tiny")
    assert code == 0 and "clip-5" in out


def test_guard_exit_codes(cli, tiny_dataset, organization, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("attribution", "index", "--dataset", "tiny")[0] == 0
    q = make_copy(clip_frames("clip-0"), FPS, "colour", tmp_path / "q.mp4")
    code, out, _ = cli("attribution", "guard", str(q), "--dataset", "tiny", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["blocked"] and doc["match"]["clip"] == "clip-0"
    code, out, _ = cli("attribution", "guard", str(q), "--dataset", "tiny", "--threshold", "1.01",
                       "--json")
    assert code == 0 and not json.loads(out)["blocked"]


def test_bad_input_exits_2(cli, tiny_dataset, organization, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # No index yet.
    q = make_copy(clip_frames("clip-0"), FPS, "exact", tmp_path / "q.mp4")
    code, _, err = cli("attribution", "query", str(q), "--dataset", "tiny")
    assert code == 2 and "attribution index --dataset tiny" in err
    code, _, err = cli("attribution", "query", str(q))
    assert code == 2 and "no dataset has an attribution index" in err
    # Missing file.
    assert cli("attribution", "index", "--dataset", "tiny")[0] == 0
    code, _, err = cli("attribution", "query", str(tmp_path / "nope.mp4"), "--dataset", "tiny")
    assert code == 2 and "no such file" in err
    # Not a video.
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    code, _, err = cli("attribution", "query", str(junk), "--dataset", "tiny")
    assert code == 2 and "junk.mp4" in err
    # Unknown dataset: the dataset stage's own error.
    code, _, err = cli("attribution", "index", "--dataset", "nosuch")
    assert code == 2 and "nosuch" in err
    code, _, err = cli("attribution", "query", str(q), "--dataset", "nosuch")
    assert code == 2 and "nosuch" in err
    # Bad options.
    code, _, err = cli("attribution", "query", str(q), "--dataset", "tiny", "--top", "0")
    assert code == 2 and "--top" in err
    code, _, err = cli("attribution", "index", "--dataset", "tiny", "--embedder", "resnet")
    assert code == 2 and "unknown embedder" in err
    code, _, err = cli("attribution", "index", "--dataset", "tiny", "--kind", "lsh")
    assert code == 2 and "unknown index kind" in err
