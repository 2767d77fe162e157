"""`clearreel train` on a curated dataset (built by hand from rendered clips, packed and
signed with the dataset writer), including character adapters and the licence gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from clearreel.config import Settings
from dataset.registry import register_packed
from provenance.conftest import catalog, studio  # noqa: F401  (fixtures)

from .conftest import render_clip

# clip id -> (character present, look of the rendered clip)
CLIPS = {
    "w-harbor_m0_0000000_0000019": ("c-mara", "c-ruby"),
    "w-harbor_m0_0000100_0000119": ("c-mara", "c-ruby"),
    "w-harbor_m0_0000200_0000219": ("c-jon", "c-teal"),
}


def build_dataset(settings: Settings, name: str = "d1") -> str:
    from clearreel.dataset import ManifestClip
    from clearreel.dataset.manifest import file_sha256
    from clearreel.dataset.writer import dataset_dir, pack

    root = dataset_dir(settings, name)
    (root / "clips").mkdir(parents=True)
    entries = []
    for i, (cid, (character, look)) in enumerate(CLIPS.items()):
        path = render_clip(root / "clips" / f"{cid}.mp4", look, seed=i, frames=20)
        entries.append(
            ManifestClip(
                id=cid,
                work="w-harbor",
                media="/m/harbor.mp4",
                media_sha256="0" * 64,
                start_frame=i * 100,
                end_frame=i * 100 + 19,
                source_fps=8.0,
                start_tc="00:00:00:00",
                end_tc="00:00:02:03",
                fps=8.0,
                frames=20,
                width=48,
                height=32,
                file=f"clips/{cid}.mp4",
                sha256=file_sha256(path),
                caption=f"{character} on the harbour",
                performers=[],
                characters=[character],
                licenses=["l-north"],
                consents=[],
                scores={},
            )
        )
    header = {
        "dataset": name,
        "id": f"ds-{name}",
        "organization": "org-north",
        "created": "2026-01-01T00:00:00Z",
        "clearance": {"use": "ai_generative_training", "on": "2026-01-01", "territory": "US"},
        "config": {},
        "works": None,
        "pipeline": {"engine": "local"},
    }
    packed = pack(settings, root, header=header, clips=entries, exclusions=[], sources=[])
    register_packed(settings, name, f"ds-{name}", packed, entries)
    return str(packed.manifest_sha256)


@pytest.fixture
def with_dataset(studio: Callable[..., Settings]) -> tuple[Settings, str]:  # noqa: F811
    s = trainable(studio)
    return s, build_dataset(s)


def training_consents() -> dict:
    """The provenance catalog plus a training consent for each credited performer: the work
    has no shot list, so all three are present in every clip and must have consented."""
    doc = catalog()
    doc["consents"] += [{"id": f"k-{p}-train", "party": f"p-{p}", "kind": "training",
                         "status": "granted", "signed": "2024-02-01"}
                        for p in ("ava", "ben", "zoe")]
    return doc


def trainable(studio: Callable[..., Settings]) -> Settings:  # noqa: F811
    return studio(training_consents())


FAST = ["--set", "batch_size=2", "--set", "cpu_threads=1", "--set", "gradient_checkpointing=false"]


def test_cli_trains_a_registered_model_on_a_dataset(with_dataset, cli) -> None:  # type: ignore[no-untyped-def]
    _s, manifest = with_dataset
    code, out, err = cli(
        "train",
        "--dataset",
        "d1",
        "--base",
        "tiny",
        "--name",
        "m1",
        "--steps",
        "3",
        *FAST,
        "--json",
    )
    assert code == 0, err
    rec = json.loads(out)
    assert rec["dataset"] == "d1" and rec["dataset_manifest_sha256"] == manifest
    assert rec["mode"] == "full" and rec["config"]["steps"] == 3  # TINY_DEMO_CONFIG + overrides
    assert rec["metrics"]["clips"] == 3
    assert Path(rec["path"], "transformer").is_dir()
    code, out, _ = cli("models", "list", "--json")
    assert [m["name"] for m in json.loads(out)["models"]] == ["m1"]


def test_character_adapter_trains_on_that_character_only(with_dataset, cli) -> None:  # type: ignore[no-untyped-def]
    s, _manifest = with_dataset
    code, out, err = cli(
        "train",
        "--dataset",
        "d1",
        "--name",
        "mara",
        "--character",
        "c-mara",
        "--trigger",
        "marax",
        "--mode",
        "lora",
        "--steps",
        "2",
        *FAST,
        "--set",
        "lora_rank=4",
        "--json",
    )
    assert code == 0, err
    rec = json.loads(out)
    assert rec["character"] == "c-mara" and rec["trigger"] == "marax"
    assert rec["metrics"]["clips"] == 2  # the two clips Mara is in
    assert Path(rec["path"], "lora", "pytorch_lora_weights.safetensors").is_file()
    # The adapter's model generates (base + LoRA) through the registry.
    from clearreel.generate.video import generate_frames

    frames, fps = generate_frames(s, "mara", "marax", steps=2, seed=0)
    assert frames.shape == (9, 32, 48, 3) and fps == 8
    code, _out, err = cli(
        "train",
        "--dataset",
        "d1",
        "--name",
        "jon",
        "--character",
        "c-jon",
        "--trigger",
        "jonx",
        "--steps",
        "2",
    )
    assert code == 1 and "refused" in err
    assert not (s.home / "models" / "jon").exists()


def test_train_refuses_a_dataset_that_no_longer_clears(with_dataset, cli) -> None:  # type: ignore[no-untyped-def]
    s, _manifest = with_dataset
    code, out, err = cli("consent", "revoke", "k-ben-train", "--json")
    assert code == 0, err
    affected = json.loads(out)
    assert affected["datasets"] == ["d1"] and len(affected["clips"]) == 3
    code, _out, err = cli("train", "--dataset", "d1", "--name", "m-late", "--steps", "1", *FAST)
    assert code == 1
    assert "does not verify" in err and "k-ben-train" in err and "Ben Reyes" in err
    from clearreel.train.registry import model_dir

    assert not model_dir(s, "m-late").exists() and not list(s.path("models").rglob("m-late"))
    from clearreel.db import open_session
    from clearreel.rights.audit import entries

    with open_session(s) as session:
        assert [e.subject for e in entries(session, "train.refused")] == ["d1"]


def test_train_on_must_clear_today_and_on_that_date(with_dataset, cli) -> None:  # type: ignore[no-untyped-def]
    _s, _manifest = with_dataset
    # Before the training consents were signed: refused, although today clears.
    code, _out, err = cli("train", "--dataset", "d1", "--name", "m-early", "--steps", "1",
                          "--on", "2024-01-15", *FAST)
    assert code == 1 and "signed 2024-02-01, after 2024-01-15" in err
    code, _out, err = cli("train", "--dataset", "d1", "--name", "m-x", "--on", "15/01/2024")
    assert code == 2 and "--on" in err and "ISO 8601" in err


def test_a_dataset_deleted_while_the_model_trains_gets_no_model(with_dataset, cli,  # type: ignore[no-untyped-def]
                                                                monkeypatch) -> None:
    """`dataset delete` may run while a training reads the dataset (no model depends on it
    yet): registering then takes the dataset's lock and finds it gone, so nothing is
    registered and the weights go (a model without its training set has no provenance, copy
    guard or attribution)."""
    from clearreel.train import loop
    from clearreel.train.downstream import delete_dataset

    s, _manifest = with_dataset
    real = loop.save_weights_

    def delete_first(*args, **kw):  # type: ignore[no-untyped-def]
        delete_dataset(s, "d1")  # another operator, between the last step and the registry
        return real(*args, **kw)

    monkeypatch.setattr(loop, "save_weights_", delete_first)
    code, _out, err = cli("train", "--dataset", "d1", "--base", "tiny", "--name", "m-gone",
                          "--steps", "2", *FAST, "--json")
    assert code == 2 and "d1 was deleted while the model trained" in err, err
    code, out, _ = cli("models", "list", "--json")
    assert json.loads(out)["models"] == []
    from clearreel.train.registry import model_dir

    assert not model_dir(s, "m-gone").exists()
