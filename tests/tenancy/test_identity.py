"""The organization is an identity, not a parameter: a workspace knows its organizations, an
unknown one is exit 2 everywhere (with the known ones listed), a catalog only writes the
organization it is imported into, and two workspaces sharing one PostgreSQL database never
see each other's organizations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from clearreel.config import Settings
from rights.conftest import base, find, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

# Every command that acts for an organization, with arguments that are otherwise fine.
COMMANDS = [
    ["catalog", "list", "--json"],
    ["catalog", "show", "w-one", "--json"],
    ["rights", "check", "--work", "w-one", "--use", "ai_training", "--json"],
    ["ledger", "check", "--json"],
    ["ledger", "statements", "--period", "2026-01", "--json"],
    ["audit", "verify", "--json"],
    ["audit", "list", "--json"],
    ["audit", "anchors", "export", "anchors-copy"],
    ["dataset", "list", "--json"],
    ["dataset", "delete", "ds", "--yes"],
    ["models", "list", "--json"],
    ["curate", "--dataset", "ds", "--json"],
    ["train", "--dataset", "ds", "--base", "tiny", "--name", "m"],
    ["generate", "--model", "m", "a harbour", "--json"],
    ["attribution", "index", "--dataset", "ds"],
]


def _import(cli, doc: dict, path: Path, *org: str) -> tuple[int, str, str]:
    return cli(*(["--org", org[0]] if org else []), "catalog", "import", str(write(path, doc)),
               "--json")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_an_unknown_organization_is_exit_2_with_the_known_ones(any_db: Settings, tmp_path: Path,
                                                               cli, args) -> None:
    code, _, err = _import(cli, base(), tmp_path / "c.yaml")
    assert code == 0, err
    code, out, err = cli("--org", "org-tset", *args)  # a typo of org-test
    assert code == 2, (args, err)
    assert out == ""  # nothing on stdout, not "ledger intact" / "0 entries"
    assert "unknown organization 'org-tset'" in err and "did you mean 'org-test'" in err
    assert "This workspace holds: org-test" in err


def test_a_known_organization_still_works(any_db: Settings, tmp_path: Path, cli) -> None:
    _import(cli, base(), tmp_path / "c.yaml")
    code, out, _ = cli("--org", "org-test", "ledger", "check", "--json")
    assert code == 0
    code, out, _ = cli("--org", "org-test", "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["entries"] >= 1


def _consent(settings: Settings, org: str, cid: str) -> str:
    from clearreel.db import open_session
    from clearreel.rights.models import Consent

    with open_session(settings, org=org) as s:
        return s.scalars(select(Consent.status).where(Consent.id == cid)).one()


def test_a_catalog_only_writes_the_organization_it_is_imported_into(
        any_db: Settings, tmp_path: Path, cli) -> None:
    a = base()
    b = base()
    b["organization"] = {"id": "org-b", "name": "B Films", "home_territory": "US"}
    for lic in b["licenses"]:
        lic["licensee"] = "org-b"
    find(b, "consents", "k-ava").update(status="revoked", revoked="2025-03-01")
    assert _import(cli, a, tmp_path / "a.yaml")[0] == 0
    # A second organization needs --org naming it.
    code, _, err = _import(cli, b, tmp_path / "b.yaml")
    assert code == 2 and "--org org-b" in err
    code, _, err = _import(cli, b, tmp_path / "b.yaml", "org-b")
    assert code == 0, err
    assert _consent(any_db, "org-b", "k-ava") == "revoked"

    # A file naming org-b that would flip its revoked consent back to granted:
    flip = base()
    flip["organization"] = dict(b["organization"])
    flip["licenses"] = b["licenses"]
    p = tmp_path / "flip.yaml"
    # ... imported while acting for org-test: refused, nothing written;
    code, out, err = _import(cli, flip, p, "org-test")
    assert code == 2 and out == "" and "only write the organization it is imported into" in err
    # ... with no --org in a workspace of two organizations: refused too.
    code, _, err = _import(cli, flip, p)
    assert code == 2 and "several organizations" in err
    assert _consent(any_db, "org-b", "k-ava") == "revoked"
    assert _consent(any_db, "org-test", "k-ava") == "granted"

    # A catalog declaring an organization nobody holds does not create it without --org.
    new = base()
    new["organization"] = {"id": "org-new", "name": "New"}
    new["licenses"] = []
    code, _, err = _import(cli, new, tmp_path / "new.yaml", "org-test")
    assert code == 2
    code, _, err = cli("--org", "org-new", "catalog", "list")
    assert code == 2 and "unknown organization 'org-new'" in err


def test_the_only_organization_is_chosen_and_a_foreign_catalog_refused(
        any_db: Settings, tmp_path: Path, cli) -> None:
    assert _import(cli, base(), tmp_path / "a.yaml")[0] == 0
    other = base()
    other["organization"] = {"id": "org-other", "name": "Other"}
    other["licenses"] = []
    code, _, err = _import(cli, other, tmp_path / "o.yaml")
    assert code == 2 and "does not hold" in err and "--org org-other" in err
    code, out, _ = cli("catalog", "list", "--json")
    assert code == 0 and json.loads(out)["organization"]["id"] == "org-test"


@pytest.mark.pg
def test_two_workspaces_sharing_one_database_never_see_each_other(
        any_db: Settings, tmp_path: Path, cli) -> None:
    if any_db.database_url is None:
        pytest.skip("two workspaces share a database on PostgreSQL")
    from clearreel.db import init_db, open_session
    from clearreel.errors import UsageError

    assert _import(cli, base(), tmp_path / "a.yaml")[0] == 0
    other = Settings(home=tmp_path / "second", database_url=any_db.database_url)
    init_db(other)
    home = ["--home", str(other.home)]
    code, _, err = cli(*home, "catalog", "list")
    assert code == 2 and "no organization" in err
    for args in (["catalog", "list"], ["ledger", "check"], ["audit", "verify"]):
        code, out, err = cli(*home, "--org", "org-test", *args)
        assert code == 2 and out == "" and "another workspace" in err, args
    # Importing the same organization id from the second workspace is refused: it cannot
    # take over (or rewrite) the first workspace's organization.
    code, _, err = cli(*home, "catalog", "import", str(tmp_path / "a.yaml"))
    assert code == 2 and "another workspace" in err
    with pytest.raises(UsageError, match="another workspace"), \
            open_session(dataclasses.replace(other, org="org-test")):
        pass
    # The first workspace is untouched and still sees its organization.
    code, out, _ = cli("catalog", "list", "--json")
    assert code == 0 and json.loads(out)["organization"]["id"] == "org-test"
    # Re-running init in the second workspace does not claim the first one's organization.
    init_db(other)
    code, _, _ = cli(*home, "--org", "org-test", "catalog", "list")
    assert code == 2
