"""An old workspace (one flat datasets/, models/, outputs/ and keys/ for all organizations) is
moved to one folder per organization on its first open, once, and idempotently."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import text

from clearreel.config import Settings

A, B = "org-a", "org-b"


def _old_workspace(home: Path) -> Settings:
    """Today's schema with yesterday's files: flat folders, shared keys, orgs unbound."""
    from cryptography.hazmat.primitives import serialization

    from clearreel.dataset.models import Dataset
    from clearreel.db import connect, init_db, open_session
    from clearreel.db.layout import _checked
    from clearreel.generate.models import Output
    from clearreel.provenance import keys as k
    from clearreel.rights.models import Organization
    from clearreel.train.models import TrainedModel

    s = Settings(home=home, database_url=None)
    init_db(s)
    with open_session(s, any_org=True) as ss:
        ss.add_all([Organization(id=A, name="A"), Organization(id=B, name="B")])
    for org, created in ((A, dt.datetime(2026, 1, 1)), (B, dt.datetime(2026, 1, 2))):
        with open_session(s, org=org) as ss:
            ss.add(Dataset(id=f"ds-{org}", name=f"only-{org}", config={}, on=dt.date(2026, 1, 1)))
            ss.add(Dataset(id=f"ds-s-{org}", name="shared", config={}, on=dt.date(2026, 1, 1)))
            ss.add(TrainedModel(name="m-shared", family="tiny", base="tiny", base_sha256="0" * 64,
                                path=str((home / "models" / "m-shared").resolve()), mode="full",
                                created=created))
            ss.add(Output(id=f"out-{org}", model="m-shared", prompt="p",
                          path=str((home / "outputs" / f"out-{org}.mp4").resolve())))
    for name, ds_id in (("only-org-a", "ds-org-a"), ("only-org-b", "ds-org-b"),
                        ("shared", "ds-s-org-b"), ("stray", "ds-nobody")):
        d = home / "datasets" / name
        (d / "clips").mkdir(parents=True)
        (d / "manifest.json").write_text(json.dumps({"id": ds_id}))
    (home / "models" / "m-shared").mkdir(parents=True)
    (home / "models" / "m-shared" / "model.json").write_text("{}")
    (home / "outputs").mkdir()
    for org in (A, B):
        (home / "outputs" / f"out-{org}.mp4").write_bytes(org.encode())
    (home / "cache" / "latents").mkdir(parents=True)
    # The old shared keys, CA key in plain text beside the signing key.
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    ca_key, ca = k._new_ca("old studio", now)
    leaf_key, leaf = k._new_leaf(ca_key, ca, "old studio", now)
    flat = home / "keys"
    flat.mkdir(exist_ok=True)
    k._write_private(flat / "ca.key", ca_key)
    k._write_private(flat / "signing.key", leaf_key)
    (flat / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (flat / "signing.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    # Unbind the organizations and mark the files as the old layout.
    with connect(s).begin() as c:
        c.execute(text("UPDATE organizations SET workspace = NULL"))
    ws = json.loads((home / "workspace.json").read_text())
    (home / "workspace.json").write_text(json.dumps({**ws, "layout": 1}))
    _checked.clear()
    return s


def _snapshot(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()
                  and "clearreel.db" not in p.name and p.name != "workspace.json")


def test_first_open_moves_every_file_under_its_organization(tmp_path: Path, cli) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from clearreel.dataset.manifest import canonical, check_signature, sha256_hex
    from clearreel.db import connect
    from clearreel.db.layout import upgrade_layout

    home = tmp_path / "home"
    s = _old_workspace(home)
    # Something signed with the old shared key before the upgrade.
    old_key = load_pem_private_key((home / "keys" / "signing.key").read_bytes(), None)
    assert isinstance(old_key, ec.EllipticCurvePrivateKey)
    chain = [(home / "keys" / n).read_text() for n in ("signing.pem", "ca.pem")]
    manifest = {"dataset": "only-org-a", "id": "ds-org-a"}
    sig = {"alg": "ES256", "manifest_sha256": sha256_hex(canonical(manifest)),
           "signature": base64.b64encode(old_key.sign(canonical(manifest),
                                                      ec.ECDSA(hashes.SHA256()))).decode(),
           "certificates": chain,
           "signed": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()}

    code, _out, err = cli("--home", str(home), "--org", A, "dataset", "list", "--json")
    assert code == 0, err
    ds = home / "datasets"
    assert (ds / A / "only-org-a" / "manifest.json").exists()
    assert (ds / B / "only-org-b" / "manifest.json").exists()
    # Two organizations named a dataset alike: its manifest says whose the folder is.
    assert (ds / B / "shared" / "manifest.json").exists() and not (ds / A / "shared").exists()
    assert (ds / "stray").exists()  # nobody's: left in place
    # The model folder was last written by B (the newest registry row): it is B's now, and
    # the registry's path follows it.
    assert (home / "models" / B / "m-shared" / "model.json").exists()
    with connect(s).connect() as c:
        paths = dict(c.execute(text("SELECT org_id, path FROM trained_models")).all())
        outs = dict(c.execute(text("SELECT org_id, path FROM outputs")).all())
        bound = c.execute(text("SELECT count(*) FROM organizations WHERE workspace IS NULL")
                          ).scalar_one()
    assert paths[B] == str((home / "models" / B / "m-shared").resolve())
    for org in (A, B):
        assert outs[org] == str((home / "outputs" / org / f"out-{org}.mp4").resolve())
        assert Path(outs[org]).read_bytes() == org.encode()
    assert bound == 0
    assert not (home / "cache" / "latents").exists()
    # Keys: each organization its own; the shared plain CA key is gone; the old CA is still
    # an anchor, so what the old key signed before still verifies, for either organization.
    flat = sorted(p.name for p in (home / "keys").iterdir())
    assert flat == [A, B]
    assert not list(home.rglob("ca.key"))
    assert check_signature(s, manifest, sig, A) == []
    assert check_signature(s, manifest, sig, B) == []
    late = {**sig, "signed": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()}
    assert any("retired" in p for p in check_signature(s, manifest, late, A))

    # Idempotent: again (and `init`) moves nothing.
    before = _snapshot(home)
    assert upgrade_layout(s, connect(s)) == {"moved": [], "left": []}
    code, _, _ = cli("--home", str(home), "init")
    assert code == 0 and _snapshot(home) == before


def test_an_interrupted_upgrade_finishes_on_the_next_open(tmp_path: Path, cli) -> None:
    from clearreel.db.layout import _checked

    home = tmp_path / "home"
    s = _old_workspace(home)
    # Half done: one dataset already moved, the layout still the old one.
    (home / "datasets" / A).mkdir()
    (home / "datasets" / "only-org-a").rename(home / "datasets" / A / "only-org-a")
    _checked.clear()
    code, _, err = cli("--home", str(home), "--org", B, "dataset", "list", "--json")
    assert code == 0, err
    assert (home / "datasets" / A / "only-org-a" / "manifest.json").exists()
    assert (home / "datasets" / B / "only-org-b" / "manifest.json").exists()
    assert json.loads((home / "workspace.json").read_text())["layout"] == 2
    assert s.home == home
