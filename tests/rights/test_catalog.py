"""The catalog file: validation with line numbers, idempotent import, export round trip,
tenancy; the registry tests run on SQLite and PostgreSQL (`any_db`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from clearreel.config import Settings
from clearreel.errors import CatalogError, UsageError
from clearreel.rights.catalog import (
    dump_catalog,
    export_catalog,
    import_catalog,
    load_catalog,
)

from .conftest import base, find, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(autouse=True)
def _ava_photo(tmp_path: Path) -> None:
    """GOOD's face reference, refs/ava.jpg, is a real photo of one face and its voice sample,
    refs/ava.wav, a real recording of speech (import embeds both): from tests/data/faces and
    tests/data/voices (`make test-data`)."""
    import shutil

    from realfaces import DATA
    from realvoices import voice

    if (DATA / "obama.jpg").is_file():
        (tmp_path / "refs").mkdir(exist_ok=True)
        shutil.copy(DATA / "obama.jpg", tmp_path / "refs/ava.jpg")
    sample = voice("a-1")  # skips with how to make it when the voice data is missing
    (tmp_path / "refs").mkdir(exist_ok=True)
    shutil.copy(sample, tmp_path / "refs/ava.wav")

# A catalog with one item per line where it matters, so tests can name the line of a problem.
GOOD = """\
organization: {id: org-a, name: A Pictures, home_territory: US}
parties:
  - {id: p-a, name: A Pictures, kind: company}
  - {id: p-ava, name: Ava Stone, kind: person, references: [refs/ava.jpg, refs/ava.wav]}
works:
  - id: w-harbor
    title: Harbor Lights
    kind: film
    year: 2019
    media: [media/harbor.mp4, s3://bucket/harbor-4k.mov]
    subtitles: [media/harbor.en.srt]
    participations:
      - {party: p-a, role: studio, points: 60}
      - {party: p-ava, role: performer, character: c-mara, points: 10.5}
    scenes:
      - {start: "00:00:04.000", end: "00:00:11.500", performers: [p-ava], characters: [c-mara]}
characters:
  - {id: c-mara, name: Mara, owner: p-a, performer: p-ava}
licenses:
  - id: l-internal
    licensor: p-a
    licensee: org-a
    works: all
    uses: {ai_training: allowed, character_generation: constrained}
    territories: [WORLD]
    exclude_territories: []
    start: 2024-01-01
    end: 2028-12-31
consents:
  - id: k-ava
    party: p-ava
    kind: training
    status: granted
    works: [w-harbor]
    description: "Use of recorded performances to train the studio's private video model"
    signed: 2024-02-01
    expires: 2029-01-01
    revoked: null
"""


def _line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def test_good_catalog_loads_and_resolves_paths(tmp_path: Path) -> None:
    p = tmp_path / "cat" / "catalog.yaml"
    (p.parent / "media").mkdir(parents=True)
    (p.parent / "media/harbor.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHi.\n")
    p.write_text(GOOD)
    c = load_catalog(p)
    w = c.works[0]
    assert w.media == [str(tmp_path / "cat/media/harbor.mp4"), "s3://bucket/harbor-4k.mov"]
    assert [x.stored() for x in w.subtitles] == [str(tmp_path / "cat/media/harbor.en.srt")]
    assert [r.kind for r in c.parties[1].references] == ["face", "voice"]
    assert w.scenes[0].start == 4.0 and w.scenes[0].end == 11.5
    assert c.licenses[0].works is None and c.consents[0].works == ["w-harbor"]
    assert str(w.participations[1].points) == "10.5"


# (replace this, with that) -> the problem must be reported on the line holding `marker`.
BAD = [
    ("{id: p-a, name: A Pictures", "{name: A Pictures", "{name: A Pictures",
     "missing required field 'id'"),
    ("{party: p-ava, role: performer", "{party: p-bob, role: performer", "p-bob",
     "unknown party 'p-bob'"),
    ("licensor: p-a", "licensor: p-x", "licensor: p-x", "unknown party 'p-x'"),
    ("licensee: org-a", "licensee: org-b", "licensee: org-b", "unknown licensee 'org-b'"),
    ("    party: p-ava", "    party: p-avva", "party: p-avva", "did you mean 'p-ava'?"),
    ("owner: p-a,", "owner: p-zz,", "owner: p-zz", "unknown party 'p-zz'"),
    ("character: c-mara, points", "character: c-nora, points", "c-nora",
     "unknown character 'c-nora'"),
    ("works: [w-harbor]", "works: [w-harbour]", "w-harbour", "unknown work 'w-harbour'"),
    ("end: 2028-12-31", "end: 2023-12-31", "end: 2023-12-31", "licence ends (2023-12-31) before"),
    ("start: 2024-01-01", "start: 2025-02-30", "start: 2025-02-30", "not a valid ISO 8601 date"),
    ("signed: 2024-02-01", "signed: 2024-13-01", "signed: 2024-13-01", "not a valid ISO 8601"),
    ("expires: 2029-01-01", "expires: 2023-01-01", "expires: 2023-01-01", "expires (2023-01-01)"),
    ("status: granted", "status: revoked", "status: revoked", "no `revoked` date"),
    ("revoked: null", "revoked: 2025-01-01", "revoked: 2025-01-01", "whose status is 'granted'"),
    ("status: granted", "status: withdrawn", "status: withdrawn", "Input should be"),
    ('end: "00:00:11.500"', 'end: "00:00:03.000"', "00:00:03.000", "not after its start"),
    ("{id: c-mara,", "{id: p-ava,", "{id: p-ava, name: Mara", "duplicate id 'p-ava'"),
    ("id: k-ava", "id:  l-internal", "id:  l-internal", "duplicate id 'l-internal'"),
    ("year: 2019", "year: nineteen", "year: nineteen", "valid integer"),
    ("points: 60}", "points: lots}", "points: lots", "decimal"),
    ("uses: {ai_training: allowed,", "uses: {ai_trianing: allowed,", "ai_trianing",
     "unknown key 'ai_trianing'"),
    ("ai_training: allowed", "ai_training: yes please", "yes please", "'allowed'"),
    ("character_generation: constrained", "character_generation: maybe", "maybe", "'notAllowed'"),
    ("territories: [WORLD]", "territories: [XX]", "territories: [XX]", "unknown territory 'XX'"),
    ("territories: [WORLD]", "territories: [us]", "territories: [us]", "upper case: 'US'"),
    ("territories: [WORLD]", "territories: [UK]", "territories: [UK]", "'GB'"),
    ("territories: [WORLD]", "territories: WORLD", "territories: WORLD", "valid list"),
    ("exclude_territories: []", "exclude_territories: [WORLD]", "exclude_territories",
     "excluding WORLD"),
    ("home_territory: US}", "home_territory: WORLD}", "home_territory", "unknown territory"),
    ("kind: film", "kind: movie", "kind: movie", "'film'"),
    ("    title: Harbor Lights", "    titel: Harbor Lights", "titel", "did you mean 'title'?"),
    ("licenses:", "licences:", "licences:", "did you mean 'licenses'?"),
    ("    works: all", "    works: some", "works: some", "expected `all` or a list of ids"),
    ("  - {id: c-mara", "  - {id: c-mara, id: c-x", "{id: c-mara, id: c-x", "duplicate key 'id'"),
    ("    media: [media/harbor.mp4,", "    media: [media/harbor.mp4, media/harbor.mp4,",
     "media/harbor.mp4, media/harbor.mp4", "listed twice"),
    ("    kind: training", "    kind: training: x", "kind: training: x", "invalid YAML"),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), BAD,
                         ids=[b[3][:40] for b in BAD])
def test_malformed_catalogs_are_refused_with_file_and_line(tmp_path: Path, old: str, new: str,
                                                           marker: str, message: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(CatalogError) as e:
        load_catalog(p)
    expected = f"{p}:{_line_of(text, marker.rstrip())}: "
    assert any(x.startswith(expected) and message in x for x in e.value.problems), (
        f"wanted {expected}...{message}, got {e.value.problems}")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("licensor: p-a", "licensor: p-x").replace("owner: p-a,", "owner: p-y,")
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(CatalogError) as e:
        load_catalog(p)
    assert len(e.value.problems) == 2


def test_json_catalogs_get_line_numbers_too(tmp_path: Path) -> None:
    doc = yaml.safe_load(GOOD)
    doc["consents"][0]["party"] = "p-ghost"
    text = json.dumps(doc, indent="\t", default=str)
    p = tmp_path / "cat.json"
    p.write_text(text)
    with pytest.raises(CatalogError) as e:
        load_catalog(p)
    assert e.value.problems == [
        f"{p}:{_line_of(text, 'p-ghost')}: unknown party 'p-ghost'; define it under `parties`"]
    p.write_text(text.replace('"works": "all",', '"works": "all"', 1))
    with pytest.raises(CatalogError, match=r"cat\.json:\d+: invalid JSON"):
        load_catalog(p)


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("")
    with pytest.raises(CatalogError, match="empty"):
        load_catalog(p)
    p.write_text("- 1\n- 2\n")
    with pytest.raises(CatalogError, match="mapping"):
        load_catalog(p)
    with pytest.raises(UsageError, match="no catalog file"):
        load_catalog(tmp_path / "missing.yaml")


# ---------------------------------------------------------------------- the registry


def _dump_registry(settings: Settings, org: str) -> list[tuple[Any, ...]]:
    """Every registry row of an organization, as comparable tuples (audit log excluded)."""
    from clearreel.db import open_session
    from clearreel.rights import models as m

    rows: list[tuple[Any, ...]] = []
    with open_session(settings, org=org) as s:
        for model in (m.Party, m.Work, m.MediaAsset, m.Participation, m.Scene, m.Character,
                      m.License, m.Grant, m.Consent, m.Reservation):
            cols = [c.key for c in model.__table__.columns if c.key not in ("found",)]
            for obj in s.scalars(select(model).order_by(model.pk)):
                rows.append((model.__name__, *(str(getattr(obj, c)) for c in cols)))
        o = s.get(m.Organization, org)
        assert o is not None
        rows.append(("org", o.id, o.name, o.home_territory))
    return rows


def test_import_is_idempotent(any_db: Settings, tmp_path: Path) -> None:
    p = write(tmp_path / "catalog.yaml", base())
    first = import_catalog(any_db, p)
    assert first["created"] == {"organizations": 1, "parties": 5, "works": 2, "characters": 2,
                                "licenses": 1, "consents": 2}
    before = _dump_registry(any_db, "org-test")
    again = import_catalog(any_db, p)
    assert again["created"] == {} and again["updated"] == {}
    assert again["unchanged"] == 13
    assert _dump_registry(any_db, "org-test") == before


def test_import_updates_what_changed_and_keeps_the_rest(any_db: Settings, tmp_path: Path) -> None:
    from clearreel.db import open_session
    from clearreel.rights.models import Consent, License, Work

    doc = base()
    find(doc, "works", "w-one")["media"] = ["a.mp4", "b.mp4"]
    import_catalog(any_db, write(tmp_path / "c.yaml", doc))
    with open_session(any_db, org="org-test") as s:
        w = s.scalars(select(Work).where(Work.id == "w-one")).one()
        w.media[0].status = "ok"  # what curation learnt about a file must survive re-import
    find(doc, "consents", "k-ben").update(status="revoked", revoked="2025-01-01")
    find(doc, "licenses", "l-main")["uses"]["data_mining"] = "notAllowed"
    find(doc, "works", "w-one")["media"] = ["a.mp4", "c.mp4"]
    doc["consents"].append({"id": "k-new", "party": "p-ava", "kind": "voice", "status": "granted",
                            "signed": "2024-01-01"})
    out = import_catalog(any_db, write(tmp_path / "c.yaml", doc))
    assert out["created"] == {"consents": 1}
    assert out["updated"] == {"works": 1, "licenses": 1, "consents": 1}
    with open_session(any_db, org="org-test") as s:
        w = s.scalars(select(Work).where(Work.id == "w-one")).one()
        # Nothing is removed implicitly: b.mp4, left out of the second file, stays.
        assert [(m.uri.rsplit("/", 1)[-1], m.status) for m in w.media] == [
            ("a.mp4", "ok"), ("b.mp4", None), ("c.mp4", None)]
        k = s.scalars(select(Consent).where(Consent.id == "k-ben")).one()
        assert (k.status, str(k.revoked)) == ("revoked", "2025-01-01")
        lic = s.scalars(select(License).where(License.id == "l-main")).one()
        assert {g.use: g.value for g in lic.grants}["data_mining"] == "notAllowed"


def test_export_round_trips(any_db: Settings, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    from clearreel.db import open_session

    # The export names the media where they are; a file imported from another folder may
    # only point there when that folder is a configured media root.
    monkeypatch.setenv("CLEARREEL_MEDIA_ROOTS", str(tmp_path))

    p = tmp_path / "cat.yaml"
    p.write_text(GOOD)
    (tmp_path / "media").mkdir()
    (tmp_path / "media/harbor.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHi.\n")
    import_catalog(any_db, p)
    with open_session(any_db, org="org-a") as s:
        doc = export_catalog(s)
    # Exported paths are absolute, so the file can live anywhere.
    assert doc["works"][0]["media"][0] == str(tmp_path / "media/harbor.mp4")
    assert doc["works"][0]["participations"][1]["points"] == "10.5"
    assert doc["works"][0]["scenes"][0] == {"start": "00:00:04.000", "end": "00:00:11.500",
                                            "performers": ["p-ava"], "characters": ["c-mara"]}
    before = _dump_registry(any_db, "org-a")
    for fmt in ("yaml", "json"):
        out = tmp_path / "elsewhere" / f"export.{fmt}"
        out.parent.mkdir(exist_ok=True)
        out.write_text(dump_catalog(doc, fmt))  # type: ignore[arg-type]
        # Re-importing the export into the same registry changes nothing ...
        again = import_catalog(any_db, out)
        assert again["created"] == {} and again["updated"] == {}
        assert _dump_registry(any_db, "org-a") == before
        # ... and exporting what was read gives the same document.
        assert yaml.safe_load(dump_catalog(load_catalog(out).model_dump(mode="json"), "yaml"))
    # A fresh SQLite workspace (a second workspace on the same PostgreSQL database could not
    # import org-a: that organization belongs to the first workspace).
    fresh = Settings(home=tmp_path / "fresh", database_url=None)
    from clearreel.db import init_db

    init_db(fresh)
    import_catalog(fresh, tmp_path / "elsewhere" / "export.json")
    with open_session(fresh, org="org-a") as s:
        again_doc = json.loads(dump_catalog(export_catalog(s), "json"))
    assert again_doc == json.loads(dump_catalog(doc, "json"))


def test_an_invalid_file_writes_nothing(any_db: Settings, tmp_path: Path) -> None:
    from clearreel.db import open_session
    from clearreel.rights.models import Organization

    doc = base()
    doc["licenses"][0]["licensor"] = "p-nobody"
    with pytest.raises(CatalogError):
        import_catalog(any_db, write(tmp_path / "c.yaml", doc))
    with open_session(any_db, any_org=True) as s:
        assert s.scalars(select(Organization)).all() == []


def test_the_session_is_bound_to_the_catalogs_organization(any_db: Settings, tmp_path: Path):
    import dataclasses

    p = write(tmp_path / "c.yaml", base())
    with pytest.raises(UsageError, match="catalog is for organization 'org-test'"):
        import_catalog(dataclasses.replace(any_db, org="org-other"), p)
    assert import_catalog(dataclasses.replace(any_db, org="org-test"), p)["created"]


def test_tenancy_two_organizations_never_see_each_other(any_db: Settings, tmp_path: Path) -> None:
    from clearreel.db import open_session
    from clearreel.rights.clearance import check_use
    from clearreel.rights.models import Consent, License, Party, Work

    a = base()
    b = base()
    b["organization"] = {"id": "org-b", "name": "B Films"}
    b["parties"] = [p for p in b["parties"] if p["id"] != "p-dist"]
    for w in b["works"]:
        w["participations"] = [x for x in w["participations"] if x["party"] != "p-dist"]
    b["works"] = [b["works"][1]]
    b["licenses"] = []
    b["consents"] = []
    import_catalog(any_db, write(tmp_path / "a.yaml", a))
    import_catalog(dataclasses.replace(any_db, org="org-b"), write(tmp_path / "b.yaml", b))
    with open_session(any_db, org="org-b") as s:
        assert s.scalars(select(Work.id)).all() == ["w-two"]
        assert len(s.scalars(select(Party)).all()) == 4
        assert s.scalars(select(License)).all() == []
        assert s.scalars(select(Consent)).all() == []
        assert export_catalog(s)["organization"]["id"] == "org-b"
        # org-test's licence does not clear org-b's copy of the same work id.
        d = check_use(s, "w-two", "data_mining", on=__import__("datetime").date(2025, 1, 1))
        assert not d.allowed
    with open_session(any_db, org="org-test") as s:
        assert sorted(s.scalars(select(Work.id)).all()) == ["w-one", "w-two"]
        assert check_use(s, "w-two", "data_mining",
                         on=__import__("datetime").date(2025, 1, 1)).allowed
    with pytest.raises(UsageError, match="several organizations"), open_session(any_db):
        pass
