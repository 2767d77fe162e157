"""Accounts: `clearreel user add/token/list`, argon2 hashes, tokens stored hashed, sign-in."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from sqlalchemy import select

from clearreel.config import Settings


@pytest.fixture
def org_ws(any_db: Settings, tmp_path: Any) -> Settings:
    import yaml

    from clearreel.rights.catalog import import_catalog
    from web.studio import catalog

    for org, p in (("org-a", "a-"), ("org-b", "b-")):
        f = tmp_path / f"{org}.yaml"
        f.write_text(yaml.safe_dump(catalog(org, p)))
        import_catalog(dataclasses.replace(any_db, org=org), f, scan=False)
    return any_db


def test_user_add_prints_a_password_stored_as_argon2(org_ws: Settings, cli: Any) -> None:
    from clearreel.db import open_session
    from clearreel.web.accounts import authenticate
    from clearreel.web.models import User

    code, out, err = cli("--org", "org-a", "user", "add", "ava", "--role", "rights", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["role"] == "rights" and doc["org"] == "org-a" and len(doc["password"]) >= 12
    with open_session(org_ws, any_org=True) as s:
        stored = s.scalars(select(User.password_hash).where(User.name == "ava")).one()
    assert stored.startswith("$argon2id$") and doc["password"] not in stored
    assert authenticate(org_ws, "ava", doc["password"]).org == "org-a"  # type: ignore[union-attr]
    assert authenticate(org_ws, "ava", doc["password"] + "x") is None
    assert authenticate(org_ws, "nobody", doc["password"]) is None


def test_user_add_refuses_bad_input(org_ws: Settings, cli: Any) -> None:
    assert cli("--org", "org-a", "user", "add", "x", "--role", "boss")[0] == 2
    assert cli("--org", "org-nope", "user", "add", "x", "--role", "admin")[0] == 2
    assert cli("--org", "org-a", "user", "add", "Bad Name", "--role", "admin")[0] == 2
    # two organizations and no --org: the operator must say which
    assert cli("user", "add", "x", "--role", "admin")[0] == 2
    assert cli("--org", "org-a", "user", "add", "dup", "--role", "admin")[0] == 0
    assert cli("--org", "org-b", "user", "add", "dup", "--role", "admin")[0] == 2


def test_password_from_stdin_and_minimum_length(org_ws: Settings) -> None:
    from typer.testing import CliRunner

    from clearreel.cli import build_app
    from clearreel.errors import UsageError
    from clearreel.web.accounts import authenticate

    r = CliRunner().invoke(build_app(), ["--org", "org-a", "user", "add", "ben", "--role",
                                         "finance", "--password-stdin"],
                           input="a long enough passphrase\n")
    assert r.exit_code == 0, r.output
    assert "a long enough passphrase" not in r.stdout
    assert authenticate(org_ws, "ben", "a long enough passphrase") is not None
    r = CliRunner().invoke(build_app(), ["--org", "org-a", "user", "add", "cy", "--role",
                                         "finance", "--password-stdin"], input="short\n")
    assert isinstance(r.exception, UsageError)


def test_token_is_shown_once_and_stored_as_a_digest(org_ws: Settings, cli: Any) -> None:
    from clearreel.db import open_session
    from clearreel.web.accounts import token_account
    from clearreel.web.models import ApiToken

    assert cli("--org", "org-b", "user", "add", "bo", "--role", "creative")[0] == 0
    code, out, _ = cli("user", "token", "bo", "--json")
    assert code == 0
    token = json.loads(out)["token"]
    with open_session(org_ws, any_org=True) as s:
        digests = list(s.scalars(select(ApiToken.digest)))
    assert token not in digests and len(digests) == 1
    acct = token_account(org_ws, token)
    assert acct is not None and acct.org == "org-b" and acct.role == "creative"
    assert token_account(org_ws, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert cli("user", "token", "nobody")[0] == 2
    code, out, _ = cli("--org", "org-b", "user", "list", "--json")
    assert [u["name"] for u in json.loads(out)["users"]] == ["bo"]
