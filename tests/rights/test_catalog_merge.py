"""`catalog import` merges: a file changes what it states and nothing else (SQLite and PG)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from clearreel.config import Settings
from clearreel.errors import CatalogError
from clearreel.rights.catalog import import_catalog
from realfaces import photo

from .conftest import base, find, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def _full(tmp_path: Path) -> dict[str, Any]:
    doc = base()
    # A face reference must be a real photo of one face (embedded at import).
    (tmp_path / "refs").mkdir(exist_ok=True)
    shutil.copy(photo("obama.jpg"), tmp_path / "refs/ava.jpg")
    shutil.copy(photo("obama2.jpg"), tmp_path / "refs/ava-2.jpg")
    find(doc, "parties", "p-ava")["references"] = ["refs/ava.jpg"]
    k = find(doc, "consents", "k-ava")
    k.update(works=["w-one"], evidence="contracts/ava-2024.pdf sha256:ab12",
             description="training on One")
    find(doc, "works", "w-one")["subtitles"] = ["media/one.srt"]
    # A listed subtitle file must be readable at import (rights.presence reads its labels).
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media/one.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n")
    return doc


def _state(settings: Settings) -> dict[str, Any]:
    from clearreel.db import open_session
    from clearreel.rights.catalog import export_catalog

    with open_session(settings, org="org-test") as s:
        return export_catalog(s)


def _partial(tmp_path: Path, name: str, doc: dict[str, Any]) -> Path:
    return write(tmp_path / name, {"organization": {"id": "org-test"}, **doc})


def test_a_partial_file_wipes_nothing(any_db: Settings, tmp_path: Path) -> None:
    import_catalog(any_db, write(tmp_path / "full.yaml", _full(tmp_path)))
    before = _state(any_db)
    # A file that names the work and the consent by id, and changes one field of each.
    out = import_catalog(any_db, _partial(tmp_path, "partial.yaml", {
        "parties": [{"id": "p-ava", "name": "Ava Stone-Reyes"}],
        "works": [{"id": "w-one", "year": 2020}],
        "consents": [{"id": "k-ava", "expires": "2028-01-01"}],
    }))
    after = _state(any_db)
    ava = find(after, "parties", "p-ava")
    assert ava["name"] == "Ava Stone-Reyes"
    assert ava["references"] == find(before, "parties", "p-ava")["references"]  # face kept
    k = find(after, "consents", "k-ava")
    assert k["works"] == ["w-one"]  # not widened to `all`
    assert k["evidence"] == "contracts/ava-2024.pdf sha256:ab12"
    assert k["description"] == "training on One"
    assert str(k["expires"]) == "2028-01-01"
    w = find(after, "works", "w-one")
    assert w["year"] == 2020
    for key in ("title", "kind", "participations", "subtitles"):
        assert w[key] == find(before, "works", "w-one")[key]
    assert {(c["entity"], c["id"], c["field"]) for c in out["changes"]} == {
        ("party", "p-ava", "name"), ("work", "w-one", "year"), ("consent", "k-ava", "expires")}
    # Everything else is exactly as it was.
    for coll in ("licenses", "characters"):
        assert after[coll] == before[coll]


def test_children_are_merged_never_removed(any_db: Settings, tmp_path: Path) -> None:
    import_catalog(any_db, write(tmp_path / "full.yaml", _full(tmp_path)))
    import_catalog(any_db, _partial(tmp_path, "more.yaml", {
        "parties": [{"id": "p-ava", "references": ["refs/ava-2.jpg"]}],
        "works": [{"id": "w-two", "scenes": [
            {"start": 1, "end": 3.5, "performers": ["p-ava", "p-ben"]},  # the same scene, edited
            {"start": "00:00:05.000", "end": "00:00:06.000", "performers": []}]}],
        "licenses": [{"id": "l-main", "uses": {"data_mining": "notAllowed"}}],
    }))
    after = _state(any_db)
    refs = [r["path"].rsplit("/", 1)[-1] for r in find(after, "parties", "p-ava")["references"]]
    assert refs == ["ava.jpg", "ava-2.jpg"]
    scenes = find(after, "works", "w-two")["scenes"]
    assert [(sc["start"], sc["performers"]) for sc in scenes] == [
        ("00:00:01.000", ["p-ava", "p-ben"]), ("00:00:05.000", [])]
    uses = find(after, "licenses", "l-main")["uses"]
    assert uses["data_mining"] == "notAllowed" and uses["ai_training"] == "allowed"


def test_a_file_may_reference_what_the_registry_holds(any_db: Settings, tmp_path: Path) -> None:
    import_catalog(any_db, write(tmp_path / "full.yaml", _full(tmp_path)))
    out = import_catalog(any_db, _partial(tmp_path, "consent.yaml", {"consents": [
        {"id": "k-ava-replica", "party": "p-ava", "kind": "digital_replica", "status": "granted",
         "works": ["w-two"], "signed": "2025-03-01"}]}))
    assert out["created"] == {"consents": 1}
    # An unknown party is still an error, with the file's line.
    p = _partial(tmp_path, "bad.yaml", {"consents": [
        {"id": "k-x", "party": "p-nobody", "kind": "training", "status": "granted",
         "signed": "2025-03-01"}]})
    with pytest.raises(CatalogError, match=r"bad.yaml:\d+: unknown party 'p-nobody'"):
        import_catalog(any_db, p)


def test_a_new_entity_must_state_its_required_fields(any_db: Settings, tmp_path: Path) -> None:
    import_catalog(any_db, write(tmp_path / "full.yaml", _full(tmp_path)))
    p = _partial(tmp_path, "new.yaml", {"works": [{"id": "w-new", "year": 2021}]})
    with pytest.raises(CatalogError, match="missing required field 'title'"):
        import_catalog(any_db, p)


def test_dry_run_prints_the_diff_and_writes_nothing(any_db: Settings, tmp_path: Path,
                                                    cli: Any) -> None:
    import_catalog(any_db, write(tmp_path / "full.yaml", _full(tmp_path)))
    before = _state(any_db)
    p = _partial(tmp_path, "rev.yaml", {"consents": [
        {"id": "k-ben", "status": "revoked", "revoked": "2025-06-01"}]})
    code, stdout, _ = cli("catalog", "import", str(p), "--dry-run")
    assert code == 0
    assert "consent k-ben.status: \"granted\" -> \"revoked\"" in stdout
    assert "consent k-ben.revoked: null -> \"2025-06-01\"" in stdout
    assert "nothing was written" in stdout
    code, stdout, _ = cli("catalog", "import", str(p), "--dry-run", "--json")
    doc = yaml.safe_load(stdout)
    assert doc["dry_run"] is True and len(doc["changes"]) == 2
    assert _state(any_db) == before
    from clearreel.db import open_session
    from clearreel.rights.models import AuditEntry

    with open_session(any_db, org="org-test") as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert actions.count("catalog.import") == 1  # only the real import
    assert import_catalog(any_db, p)["updated"] == {"consents": 1}
