"""Training the tiny base for real (a few steps): registry, resume, cache, LoRA, memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearreel.errors import UsageError
from clearreel.train import TrainConfig, train_on_clips
from clearreel.train.registry import get_model, list_models

from .conftest import FAST, make_clips, new_workspace


def test_config_is_typed_and_strict() -> None:
    with pytest.raises(UsageError, match="unknown training option"):
        TrainConfig.from_dict({"stepz": 3})
    with pytest.raises(UsageError, match="4k\\+1"):
        TrainConfig.from_dict({"buckets": [[8, 32, 48]]})
    with pytest.raises(UsageError, match="multiples of 16"):
        TrainConfig.from_dict({"buckets": [[9, 30, 48]]})
    with pytest.raises(UsageError, match="mode"):
        TrainConfig.from_dict({"mode": "qlora"})
    cfg = TrainConfig.from_dict({"steps": 3, "mode": "full"})
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_arguments_are_checked_before_loading(tmp_path: Path) -> None:
    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    with pytest.raises(UsageError, match="model name"):
        train_on_clips(s, clips, base="tiny", name="bad name!", config=FAST)
    with pytest.raises(UsageError, match="missing"):
        train_on_clips(s, [*clips[:1], type(clips[0])(id="x", path=tmp_path / "nope.mp4",
                                                        caption="x")],
                       base="tiny", name="m", config=FAST)
    with pytest.raises(UsageError, match="not 'tiny' and not a directory"):
        train_on_clips(s, clips, base=str(tmp_path / "no-such-base"), name="m", config=FAST)
    assert not (s.home / "cache" / "bases").exists()  # nothing heavy was built


def test_trained_model_is_registered(trained) -> None:  # type: ignore[no-untyped-def]
    from clearreel.db import open_session
    from clearreel.diffusion import hash_model_dir
    from clearreel.rights.audit import entries
    from clearreel.train.data import clips_digest

    s, clips, _rec = trained
    got = get_model(s, "m-full")
    assert got.family == "tiny" and got.mode == "full"
    assert got.path == s.home.resolve() / "models" / "org-test" / "m-full"
    assert (got.path / "transformer" / "config.json").is_file()
    assert (got.path / "base" / "model_index.json").is_file()
    assert got.base_sha256 == hash_model_dir(Path(got.base)) == hash_model_dir(got.path / "base")
    assert got.dataset_manifest_sha256 == clips_digest(clips)
    assert got.config == TrainConfig.from_dict(FAST).to_dict()
    assert got.metrics["steps"] == 6 and len(got.metrics["loss_curve"]) == 6
    assert got.metrics["final_loss"] < got.metrics["first_loss"]
    assert json.loads((got.path / "model.json").read_text())["name"] == "m-full"
    with open_session(s) as ss:
        assert [e.subject for e in entries(ss, "train.register")] == ["m-full"]
    with pytest.raises(UsageError, match="already exists"):
        train_on_clips(s, clips, base="tiny", name="m-full", config=FAST)


def test_models_are_exclusive_to_their_organization(trained) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from clearreel.db import open_session
    from clearreel.errors import NotFound
    from clearreel.rights.models import Organization

    s, _clips, _rec = trained
    with open_session(s, any_org=True) as ss:
        if ss.get(Organization, "org-other") is None:
            ss.add(Organization(id="org-other", name="Other Studio"))
    other = replace(s, org="org-other")
    assert list_models(other) == []
    with pytest.raises(NotFound):
        get_model(other, "m-full")
    assert [m.name for m in list_models(replace(s, org="org-test"))] == ["m-full"]


def test_models_cli(trained, cli) -> None:  # type: ignore[no-untyped-def]
    s, _clips, _rec = trained
    code, out, _ = cli("--home", str(s.home), "--org", "org-test", "models", "list", "--json")
    assert code == 0
    assert [m["name"] for m in json.loads(out)["models"]] == ["m-full"]
    code, out, _ = cli("--home", str(s.home), "--org", "org-test", "models", "show", "m-full",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["family"] == "tiny" and len(data["base_sha256"]) == 64
    code, _out, err = cli("--home", str(s.home), "--org", "org-test", "models", "show", "nope")
    assert code == 2 and "no model named" in err


def test_resume_replays_the_same_losses(tmp_path: Path) -> None:
    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    whole = train_on_clips(s, clips, base="tiny", name="whole", config=FAST, show_progress=False)
    assert whole is not None
    # Interrupted after 3 of 6 steps (a checkpoint is saved), then run again: it resumes.
    assert train_on_clips(s, clips, base="tiny", name="split", config=FAST, stop_after=3,
                          show_progress=False) is None
    assert (s.home / "models" / "org-test" / "split" / "checkpoints" / "step-0000003").is_dir()
    split = train_on_clips(s, clips, base="tiny", name="split", config=FAST, show_progress=False)
    assert split is not None
    assert split.metrics["loss_curve"] == whole.metrics["loss_curve"]
    # A different config cannot resume another run's checkpoint.
    train_on_clips(s, clips, base="tiny", name="other", config=FAST, stop_after=2,
                   show_progress=False)
    with pytest.raises(UsageError, match="different run"):
        train_on_clips(s, clips, base="tiny", name="other", config={**FAST, "learning_rate": 1e-3},
                       show_progress=False)


def test_a_checkpoint_interrupted_while_written_never_blocks_resume(tmp_path: Path) -> None:
    """A train killed inside `save_state` used to leave `step-N/` without its
    `trainer_state.json` (written last), and every later run crashed reading it. Checkpoints
    are now written to `.partial-step-N/` and renamed; resume takes the newest complete one."""
    import shutil

    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    whole = train_on_clips(s, clips, base="tiny", name="whole", config=FAST, show_progress=False)
    assert whole is not None
    assert train_on_clips(s, clips, base="tiny", name="cut", config=FAST, stop_after=3,
                          show_progress=False) is None
    root = next(s.home.glob("models/**/cut/checkpoints"))
    assert [d.name for d in root.iterdir()] == ["step-0000003"]  # no temporary left behind
    # What a kill in the middle of saving step 4 leaves: the model and optimizer files half
    # written, no trainer state; and a temporary directory of another interrupted save.
    half = root / "step-0000004"
    shutil.copytree(root / "step-0000003", half)
    (half / "trainer_state.json").unlink()
    for f in sorted(p for p in half.iterdir() if p.is_file())[:1]:
        f.write_bytes(f.read_bytes()[: max(1, f.stat().st_size // 3)])
    partial = root / ".partial-step-0000005"
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"\0" * 100)
    resumed = train_on_clips(s, clips, base="tiny", name="cut", config=FAST, show_progress=False)
    assert resumed is not None
    assert resumed.metrics["loss_curve"] == whole.metrics["loss_curve"]


def test_latent_cache_is_reused_only_when_fresh(tmp_path: Path) -> None:
    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    cfg = {**FAST, "steps": 1}
    a = train_on_clips(s, clips, base="tiny", name="a", config=cfg, show_progress=False)
    b = train_on_clips(s, clips, base="tiny", name="b", config=cfg, show_progress=False)
    assert a is not None and b is not None
    assert a.metrics["cache_hit"] is False and b.metrics["cache_hit"] is True
    # A new dataset manifest (another version of the dataset) never reuses the old latents.
    c = train_on_clips(s, clips, base="tiny", name="c", config=cfg, manifest_sha256="0" * 64,
                       show_progress=False)
    assert c is not None and c.metrics["cache_hit"] is False
    # Nor does an entry whose recorded inputs no longer match its key (edited or half-written).
    for meta in (s.home / "cache" / "org-test" / "latents").glob("*/meta.json"):
        data = json.loads(meta.read_text())
        data["inputs"]["base_sha256"] = "f" * 64
        meta.write_text(json.dumps(data))
    d = train_on_clips(s, clips, base="tiny", name="d", config=cfg, show_progress=False)
    assert d is not None and d.metrics["cache_hit"] is False


def test_lora_adapter_trains_only_the_adapter(tmp_path: Path) -> None:
    from clearreel.diffusion import load_pipeline

    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    cfg = {**FAST, "mode": "lora", "lora_rank": 4, "lora_alpha": 4, "steps": 2,
           "gradient_checkpointing": True}
    rec = train_on_clips(s, clips, base="tiny", name="lora", config=cfg, show_progress=False)
    assert rec is not None and rec.mode == "lora"
    assert (rec.path / "lora" / "pytorch_lora_weights.safetensors").is_file()
    mem = rec.metrics["memory_estimate"]
    assert 0 < mem["trainable"] < mem["params"] / 2
    pipe = load_pipeline(rec, settings=s)
    assert any("lora" in n for n, _ in pipe.transformer.named_parameters())


def test_memory_estimate_says_when_it_does_not_fit() -> None:
    import torch

    from clearreel.train.memory import estimate

    model = torch.nn.Linear(1000, 1000)
    small = estimate(model, tokens=10, batch_size=1, hidden=64, layers=2, act_bytes=4,
                     checkpointing=False, device="cpu")
    assert small.params == 1_001_000 and small.fits is True
    assert small.optimizer_bytes == 8 * small.trainable
    huge = estimate(model, tokens=10**9, batch_size=64, hidden=4096, layers=40, act_bytes=2,
                    checkpointing=False, device="cpu")
    assert huge.fits is False and "does NOT fit" in huge.summary()
    ckpt = estimate(model, tokens=10**6, batch_size=1, hidden=1536, layers=30, act_bytes=2,
                    checkpointing=True, device="cpu")
    full = estimate(model, tokens=10**6, batch_size=1, hidden=1536, layers=30, act_bytes=2,
                    checkpointing=False, device="cpu")
    assert ckpt.activations_bytes < full.activations_bytes / 5


def test_a_wan_directory_base_trains_a_lora_and_generates(tmp_path: Path) -> None:
    """The real-checkpoint path: a diffusers Wan directory (here the tiny weights without
    clearreel's marker), LoRA, base referenced by path and hash, not copied."""
    import shutil

    from clearreel.diffusion import ensure_tiny_base, family_of_dir
    from clearreel.generate.video import generate_frames

    s = new_workspace(tmp_path / "home")
    wan = tmp_path / "Wan-mini-Diffusers"
    shutil.copytree(ensure_tiny_base(s), wan)
    (wan / "clearreel_base.json").unlink()
    assert family_of_dir(wan).name == "wan"
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    cfg = {**FAST, "mode": "lora", "lora_rank": 4, "steps": 2, "buckets": [[9, 32, 48]],
           "fps": 8, "max_sequence_length": 32}
    rec = train_on_clips(s, clips, base=str(wan), name="wan-lora", config=cfg, show_progress=False)
    assert rec is not None and rec.family == "wan" and rec.base == str(wan.resolve())
    assert not (rec.path / "base").exists()
    frames, fps = generate_frames(s, "wan-lora", "Ruby", steps=2)
    assert frames.shape == (9, 32, 48, 3) and fps == 8
    # A base changed after training is refused, not silently used.
    (wan / "scheduler" / "scheduler_config.json").write_text("{}")
    import clearreel.generate.video as video

    video._PIPES.clear()
    with pytest.raises(UsageError, match="has changed since training"):
        generate_frames(s, "wan-lora", "Ruby", steps=2)
