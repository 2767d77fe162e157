"""Each export layout read the way its tool reads it.

- videofolder: Hugging Face `datasets`' own `videofolder` builder (offline, local files);
- webdataset: the `webdataset` package's own reader;
- finetrainers and diffusion-pipe are not pip-installable cleanly (they pin torch and CUDA
  stacks), so their loaders' rules are restated here from their source:
  a-r-r-o-w/finetrainers `finetrainers/data/dataset.py` at f476c37 (`_initialize_local_dataset`,
  `_has_data_caption_file_pairs`, `_has_data_file_caption_file_lists`,
  `VideoFileCaptionFileListDataset`) and tdrussell/diffusion-pipe `utils/dataset.py` at
  8f83dbf (`DirectoryDataset._get_ungrouped_metadata`, the skipped suffixes, the
  `[[directory]]` keys it indexes).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.dataset import export, verify
from clearreel.dataset.manifest import file_sha256, read_manifest
from dataset.test_dataset_files import _build

# A caption with every character that str.splitlines() breaks at besides \n.
NASTY = "shot {i}\nsecond\u2028line\x1ethird\x0bfourth\x85 fifth\r\nend"


@pytest.fixture
def built(any_db: Settings) -> tuple[Settings, Path]:
    return any_db, _build(any_db, caption=NASTY)


def _clips(root: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {c["id"]: c for c in read_manifest(root)["clips"]}


def _one_line(i: int) -> str:
    return " ".join(NASTY.format(i=i).split())


# --- finetrainers: its local-dataset dispatch and the two-file parser ----------------------


def finetrainers_load(root: Path) -> list[dict[str, str]]:
    """finetrainers' `_initialize_local_dataset` decisions, in its order, then its
    `VideoFileCaptionFileListDataset` parsing."""
    names = ("metadata.json", "metadata.jsonl", "metadata.csv")
    metadata = [m for m in names if (root / m).exists()]
    assert not metadata, f"finetrainers would load {metadata} as an HF videofolder"
    tar_parquet = [p for p in root.rglob("*") if p.suffix in (".tar", ".parquet")]
    assert not tar_parquet, f"finetrainers would load {tar_parquet} as a WebDataset"
    for txt in root.glob("*.txt"):
        for ext in ("jpg", "jpeg", "png", "mp4", "mov"):
            assert not txt.with_suffix(f".{ext}").exists(), "would be read as caption pairs"
    captions = [f for f in ("caption.txt", "captions.txt", "prompt.txt", "prompts.txt")
                if (root / f).exists()]
    videos = [f for f in ("video.txt", "videos.txt") if (root / f).exists()]
    assert len(captions) == 1 and len(videos) == 1
    caps = (root / captions[0]).read_text().splitlines()
    vids = [(root / v).as_posix() for v in (root / videos[0]).read_text().splitlines()]
    assert len(caps) == len(vids), "Number of captions must match number of videos"
    return [{"caption": c, "video": v} for c, v in zip(caps, vids, strict=True)]


def test_finetrainers_two_file_layout(built: tuple[Settings, Path], tmp_path: Path) -> None:
    settings, root = built
    out = tmp_path / "ft"
    export(settings, "tiny", "finetrainers", out)
    rows = finetrainers_load(out)
    clips = _clips(root)
    assert len(rows) == 5
    for i, (row, cid) in enumerate(zip(rows, sorted(clips), strict=True)):
        assert row["caption"] == _one_line(i)
        assert file_sha256(Path(row["video"])) == clips[cid]["sha256"]
    top = {p.name for p in out.iterdir()}
    assert top == {"prompts.txt", "videos.txt", "videos", "bom"}


# --- videofolder: Hugging Face datasets' own builder --------------------------------------


@pytest.mark.parametrize("as_csv", [False, True])
def test_videofolder_reads_with_hf_datasets(
    built: tuple[Settings, Path], tmp_path: Path, as_csv: bool
) -> None:
    datasets = pytest.importorskip("datasets")
    settings, root = built
    out = tmp_path / "vf"
    export(settings, "tiny", "videofolder", out, csv_metadata=as_csv)
    assert (out / ("metadata.csv" if as_csv else "metadata.jsonl")).exists()
    assert not (out / ("metadata.jsonl" if as_csv else "metadata.csv")).exists()
    ds = datasets.load_dataset(
        "videofolder", data_dir=str(out), split="train", cache_dir=str(tmp_path / "hf")
    ).cast_column("video", datasets.Video(decode=False))
    clips = _clips(root)
    assert len(ds) == 5
    for row in ds:
        c = clips[row["id"]]
        assert file_sha256(Path(row["video"]["path"])) == c["sha256"]
        assert row["caption"] == " ".join(c["caption"].split())
        people = json.loads(row["performers"]) if as_csv else row["performers"]
        assert people == c["performers"]


# --- diffusion-pipe: its directory scan --------------------------------------------------


def test_diffusion_pipe_layout(built: tuple[Settings, Path], tmp_path: Path) -> None:
    settings, root = built
    out = tmp_path / "dp"
    export(settings, "tiny", "diffusion-pipe", out)
    config = tomllib.loads((out / "dataset.toml").read_text())
    assert config["resolutions"] == [[64, 36]] and 1 in config["frame_buckets"]
    assert config["enable_ar_bucket"] is False
    (directory,) = config["directory"]
    assert directory["num_repeats"] > 0
    path = Path(directory["path"])
    # DirectoryDataset: every file of `path`, minus these suffixes, is opened as media, with
    # the caption in the same-stem .txt.
    skipped = (".txt", ".npz", ".json", ".parquet", ".bak", ".db")
    media = sorted(p for p in path.glob("*") if p.is_file() and p.suffix not in skipped)
    clips = _clips(root)
    assert [p.stem for p in media] == sorted(clips)
    assert {p.suffix for p in media} == {".mp4"}
    for i, p in enumerate(media):
        assert p.with_suffix(".txt").read_text().strip() == _one_line(i)
        assert file_sha256(p) == clips[p.stem]["sha256"]
    assert sorted(p.name for p in out.iterdir()) == ["bom", "data", "dataset.toml"]


# --- webdataset: the package's own reader ------------------------------------------------


def test_webdataset_reads_with_webdataset(built: tuple[Settings, Path], tmp_path: Path) -> None:
    wds = pytest.importorskip("webdataset")
    settings, root = built
    out = tmp_path / "wds"
    export(settings, "tiny", "webdataset", out)
    urls = [str(out / s) for s in (out / "shards.txt").read_text().splitlines()]
    assert len(urls) == 3
    clips = _clips(root)
    seen = []
    for sample in wds.WebDataset(urls, shardshuffle=False):
        entry = json.loads(sample["json"])
        assert entry == clips[sample["__key__"]]
        import hashlib

        assert hashlib.sha256(sample["mp4"]).hexdigest() == entry["sha256"]
        seen.append(sample["__key__"])
    assert seen == sorted(clips)


# --- copies by default, hard links on request --------------------------------------------


def test_editing_a_default_export_leaves_the_dataset_verified(
    built: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings, _ = built
    out = tmp_path / "copy"
    r = export(settings, "tiny", "finetrainers", out)
    assert r["copied"] == 5 and r["linked"] == 0
    victim = sorted((out / "videos").iterdir())[0]
    victim.write_bytes(b"edited in the export")
    assert verify(settings, "tiny", clearance=False)["ok"]


def test_a_linked_export_shares_the_signed_files(
    built: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings, root = built
    out = tmp_path / "link"
    r = export(settings, "tiny", "diffusion-pipe", out, link=True)
    assert r["linked"] == 5
    victim = sorted((out / "data").glob("*.mp4"))[0]
    assert victim.stat().st_ino == (root / "clips" / victim.name).stat().st_ino
    with open(victim, "ab") as f:
        f.write(b"\0")
    codes = {p["code"] for p in verify(settings, "tiny", clearance=False)["problems"]}
    assert "clip_altered" in codes


def test_export_cli_and_bad_input(built: tuple[Settings, Path], tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, stdout, _ = cli("dataset", "export", "tiny", "--format", "webdataset",
                          "-o", str(tmp_path / "w"), "--json")
    assert code == 0 and json.loads(stdout)["clips"] == 5
    assert (tmp_path / "w" / "bom" / "manifest.json").exists()
    code, _, err = cli("dataset", "export", "tiny", "--format", "nope", "-o", str(tmp_path / "x"))
    assert code == 2 and "finetrainers" in err
    code, _, err = cli("dataset", "export", "tiny", "--format", "finetrainers",
                       "-o", str(tmp_path / "w"))
    assert code == 2 and "not empty" in err
    code, _, err = cli("dataset", "export", "tiny", "--format", "finetrainers", "--csv",
                       "-o", str(tmp_path / "y"))
    assert code == 2 and "videofolder" in err
