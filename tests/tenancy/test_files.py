"""Files per organization: no command of one organization can read, change or delete
another's files, even when both use the same dataset or model name."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from clearreel.config import Settings, org_slug
from clearreel.errors import UsageError

A, B = "org-a", "org-b"


def _orgs(settings: Settings, *orgs: str) -> None:
    from clearreel.db import open_session
    from clearreel.rights.models import Organization

    with open_session(settings, any_org=True) as s:
        for org in orgs:
            s.add(Organization(id=org, name=org.upper(), home_territory="US"))


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_kind_of_folder_is_under_the_organization(tmp_path: Path) -> None:
    s = Settings(home=tmp_path, database_url=None)
    assert s.dataset_dir(A, "d") == tmp_path / "datasets" / A / "d"
    assert s.model_dir(A, "m") == tmp_path / "models" / A / "m"
    assert s.outputs_dir(A) == tmp_path / "outputs" / A
    assert s.keys_dir(A) == tmp_path / "keys" / A
    assert s.cache_dir(A, "latents") == tmp_path / "cache" / A / "latents"
    # Ids that the catalog allows but a path must not take literally.
    assert org_slug("org/../b") == "org%2F..%2Fb" and "/" not in org_slug("a/b")
    assert org_slug("a:b") != org_slug("a/b")
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(UsageError):
            s.dataset_dir(A, bad)
        with pytest.raises(UsageError):
            s.model_dir(A, bad)


def _pack(settings: Settings, org: str, name: str, tag: str) -> Path:
    from clearreel.dataset import ManifestClip
    from clearreel.dataset.manifest import file_sha256
    from clearreel.dataset.writer import dataset_dir, pack
    from dataset.registry import register_packed

    root = dataset_dir(settings, name, org)
    (root / "clips").mkdir(parents=True)
    entries = []
    for i in range(3):
        cid = f"w-a_m0_{i * 100:07d}_{i * 100 + 32:07d}"
        path = root / "clips" / f"{cid}.mp4"
        path.write_bytes(f"{tag} clip {i}".encode() * 50)
        entries.append(ManifestClip(
            id=cid, work="w-a", media="/m/a.mp4", media_sha256="0" * 64, start_frame=i * 100,
            end_frame=i * 100 + 32, source_fps=24.0, start_tc="00:00:00:00",
            end_tc="00:00:01:08", fps=16.0, frames=21, width=64, height=36,
            file=f"clips/{cid}.mp4", sha256=file_sha256(path), caption=f"{tag} {i}",
            performers=[], characters=[], licenses=["l-1"], consents=[], scores={}))
    ds_id = f"ds-{tag}{hashlib.sha256(org.encode()).hexdigest()[:8]}"
    header = {"dataset": name, "id": ds_id, "organization": org,
              "created": "2026-01-01T00:00:00Z",
              "clearance": {"use": "ai_generative_training", "on": "2026-01-01",
                            "territory": "US"},
              "config": {}, "works": None, "pipeline": {"engine": "local"}}
    packed = pack(settings, root, header=header, clips=entries, exclusions=[], sources=[],
                  shard_clips=2)
    register_packed(settings, name, ds_id, packed, entries, org=org)
    return root


def _verify(settings: Settings, org: str, name: str) -> list[dict]:
    from clearreel.dataset import verify

    return verify(dataclasses.replace(settings, org=org), name, clearance=False)["problems"]


def test_same_named_datasets_never_touch_each_other(any_db: Settings, cli) -> None:
    _orgs(any_db, A, B)
    a_root = _pack(any_db, A, "shared", "a")
    before = _tree(a_root)
    # B builds a dataset of the same name: its own folder, signed with its own key.
    b_root = _pack(any_db, B, "shared", "b")
    assert a_root != b_root and a_root.parent.name == A and b_root.parent.name == B
    assert _tree(a_root) == before and _verify(any_db, A, "shared") == []
    assert _verify(any_db, B, "shared") == []
    # B's signature is B's: A's manifest signed with B's key would not verify as A's.
    assert (b_root / "manifest.sig.json").read_text() != (a_root / "manifest.sig.json").read_text()
    # B deletes its dataset: A's folder and manifest are untouched.
    code, _, err = cli("--org", B, "dataset", "delete", "shared", "--yes")
    assert code == 0, err
    assert not b_root.exists() and _tree(a_root) == before
    assert _verify(any_db, A, "shared") == []
    # B cannot delete (or see) A's dataset by its name.
    code, _, err = cli("--org", B, "dataset", "delete", "shared", "--yes")
    assert code == 2 and a_root.exists()
    code, out, _ = cli("--org", B, "dataset", "list", "--json")
    assert code == 0 and '"shared"' not in out


def _clips(tmp: Path, seed: int):  # type: ignore[no-untyped-def]
    from clearreel.dataset import ManifestClip as Clip
    from clearreel.media import write_video
    from provenance.media import footage

    tmp.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(2):
        p = tmp / f"clip{seed}-{i}.mp4"
        write_video(p, footage(frames=17, height=32, width=48, seed=seed * 10 + i), 8)
        out.append(Clip(id=f"c{i}", path=p, caption="a harbour at dusk", characters=[],
                        work="w-harbor"))
    return out


def test_same_named_models_never_touch_each_other(workspace: Settings, tmp_path: Path) -> None:
    from clearreel.generate.video import generate_frames
    from clearreel.train.loop import train_on_clips
    from clearreel.train.registry import get_model

    _orgs(workspace, A, B)
    sa, sb = (dataclasses.replace(workspace, org=o) for o in (A, B))
    cfg = {"steps": 2, "learning_rate": 5e-3, "mode": "full"}
    train_on_clips(sa, _clips(tmp_path / "a", 1), base="tiny", name="m-shared", config=cfg,
                   show_progress=False)
    a_model = get_model(sa, "m-shared")
    assert a_model.path == workspace.model_dir(A, "m-shared").resolve()
    weights = _tree(a_model.path)
    frames_before, _ = generate_frames(sa, "m-shared", "a harbour at dusk", seed=7, steps=2)
    # B trains a model with the same name on other footage.
    train_on_clips(sb, _clips(tmp_path / "b", 2), base="tiny", name="m-shared",
                   config={**cfg, "learning_rate": 5e-2}, show_progress=False)
    b_model = get_model(sb, "m-shared")
    assert b_model.path == workspace.model_dir(B, "m-shared").resolve() != a_model.path
    assert _tree(a_model.path) == weights  # A's weights untouched
    # A still generates with A's weights: the same frames as before B trained.
    frames_after, _ = generate_frames(sa, "m-shared", "a harbour at dusk", seed=7, steps=2)
    np.testing.assert_array_equal(frames_before, frames_after)
    frames_b, _ = generate_frames(sb, "m-shared", "a harbour at dusk", seed=7, steps=2)
    assert not np.array_equal(frames_b, frames_after)
    # Each organization's latent cache is its own.
    assert (workspace.cache_dir(A, "latents")).is_dir()
    assert (workspace.cache_dir(B, "latents")).is_dir()
