"""Consent grant and revoke, and catalog import, through the pages and the API: preview first,
nothing written until confirmed, errors beside the fields."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import yaml

from web.conftest import csrf_of
from web.studio import catalog


def _consent(studio: dict[str, Any], cid: str) -> Any:
    from sqlalchemy import select

    from clearreel.db import open_session
    from clearreel.rights.models import Consent

    with open_session(dataclasses.replace(studio["settings"], org="org-a")) as s:
        return s.scalars(select(Consent).where(Consent.id == cid)).one()


def _model_status(studio: dict[str, Any], name: str) -> str:
    from clearreel.web import views

    rows = views.models(dataclasses.replace(studio["settings"], org="org-a"))
    return next(m["status"] for m in rows if m["name"] == name)


def test_revoke_shows_what_it_reaches_then_suspends_the_model(clients: dict[str, Any],
                                                              studio: dict[str, Any]) -> None:
    c = clients["rights-a"]
    form = c.get("/consents/a-k-ava-train/revoke")
    assert form.status_code == 200 and 'name="date"' in form.text
    csrf = csrf_of(c, "/consents/a-k-ava-train/revoke")
    preview = c.post("/consents/a-k-ava-train/revoke",
                     data={"csrf": csrf, "date": "2026-01-01", "action": "preview"})
    assert preview.status_code == 200, preview.text[:1000]
    assert "What revoking it would reach" in preview.text
    assert "a-model" in preview.text and "a-data" in preview.text
    assert "a-harbor_m0_" in preview.text  # the clips, with their timecodes
    assert _consent(studio, "a-k-ava-train").status == "granted"  # the preview wrote nothing
    assert _model_status(studio, "a-model") == "active"
    done = c.post("/consents/a-k-ava-train/revoke",
                  data={"csrf": csrf, "date": "2026-01-01", "action": "confirm"})
    assert done.status_code == 200 and "Revoked" in done.text
    k = _consent(studio, "a-k-ava-train")
    assert k.status == "revoked" and str(k.revoked) == "2026-01-01"
    assert _model_status(studio, "a-model") == "suspended"
    models = c.get("/models").text
    assert "suspended" in models and "model.dataset_uncleared" in models
    checked = c.post("/models/refresh", data={"csrf": csrf_of(c, "/models")})
    assert checked.status_code == 200 and "checked again" in checked.text
    assert "suspended" in checked.text
    assert clients["finance-a"].post("/models/refresh", data={"csrf": "x"}).status_code == 403
    again = c.post("/consents/a-k-ava-train/revoke",
                   data={"csrf": csrf, "date": "2026-01-01", "action": "confirm"})
    assert again.status_code == 400 and "already revoked" in again.text
    assert 'id="date-error"' in again.text


def test_revoke_refuses_a_bad_date_and_bad_evidence(clients: dict[str, Any]) -> None:
    c = clients["rights-a"]
    csrf = csrf_of(c, "/consents/a-k-ben-train/revoke")
    r = c.post("/consents/a-k-ben-train/revoke", data={"csrf": csrf, "date": "2026-02-30"})
    assert r.status_code == 400 and 'id="date-error"' in r.text
    r = c.post("/consents/a-k-ben-train/revoke", data={"csrf": csrf, "date": "2023-01-01",
                                                       "action": "confirm"})
    assert r.status_code == 400 and "before" in r.text  # before it was signed
    r = c.post("/consents/a-k-ben-train/revoke", data={"csrf": csrf, "date": "2026-01-01"},
               files={"evidence": ("letter.pdf", b"\x7fELF binary", "application/pdf")})
    assert r.status_code == 400 and 'id="evidence-error"' in r.text


def test_grant_a_consent_with_evidence(clients: dict[str, Any], studio: dict[str, Any]) -> None:
    from PIL import Image

    c = clients["rights-a"]
    csrf = csrf_of(c, "/performers/a-ben/consents/new")
    bad = c.post("/performers/a-ben/consents/new",
                 data={"csrf": csrf, "kind": "digital_replica", "status": "granted",
                       "signed": "2026-03-01", "expires": "2026-01-01", "works": "a-nope"})
    assert bad.status_code == 400
    assert 'id="expires-error"' in bad.text or 'id="works-error"' in bad.text
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 200, 200)).save(buf, "PNG")
    ok = c.post("/performers/a-ben/consents/new",
                data={"csrf": csrf, "kind": "digital_replica", "status": "granted",
                      "signed": "2026-03-01", "purposes": "previz, final",
                      "works": "a-harbor", "description": "Previz of Jonah"},
                files={"evidence": ("signed.png", buf.getvalue(), "image/png")})
    assert ok.status_code == 200, ok.text[:800]
    assert "recorded" in ok.text
    from sqlalchemy import select

    from clearreel.db import open_session
    from clearreel.rights.models import Consent

    with open_session(dataclasses.replace(studio["settings"], org="org-a")) as s:
        k = s.scalars(select(Consent).where(Consent.party_id == "a-ben",
                                            Consent.kind == "digital_replica")).one()
    assert k.purposes == ["previz", "final"] and k.works == ["a-harbor"]
    assert "sha256:" in (k.evidence or "")  # the uploaded document, hashed


def test_catalog_import_dry_run_then_confirm(clients: dict[str, Any],
                                             studio: dict[str, Any]) -> None:
    c = clients["rights-a"]
    doc = {"organization": catalog("org-a", "a-")["organization"],  # a file states changes
           "works": [{"id": "a-tide", "title": "The Longer Tide", "kind": "short"}]}
    body = yaml.safe_dump(doc).encode()
    csrf = csrf_of(c, "/catalog/import")
    dry = c.post("/catalog/import", data={"csrf": csrf, "action": "preview"},
                 files={"file": ("cat.yaml", body, "application/yaml")})
    assert dry.status_code == 200, dry.text[:800]
    assert "The Longer Tide" in dry.text and "Dry run" in dry.text
    assert "The Long Tide" in c.get("/works").text  # nothing written yet
    import re

    token = re.search(r'name="token" value="([^"]+)"', dry.text).group(1)
    done = c.post("/catalog/import", data={"csrf": csrf, "action": "confirm", "token": token})
    assert done.status_code == 200 and "Imported" in done.text
    assert "The Longer Tide" in c.get("/works").text


def test_catalog_import_refuses_invalid_and_foreign_files(clients: dict[str, Any]) -> None:
    c = clients["rights-a"]
    csrf = csrf_of(c, "/catalog/import")
    bad = c.post("/catalog/import", data={"csrf": csrf},
                 files={"file": ("cat.yaml", b"organization: {id: org-a}\nworks: [{id: 3}]\n",
                                 "application/yaml")})
    assert bad.status_code == 400 and "nothing was written" in bad.text
    foreign = yaml.safe_dump(catalog("org-b", "b-")).encode()
    r = c.post("/catalog/import", data={"csrf": csrf},
               files={"file": ("cat.yaml", foreign, "application/yaml")})
    assert r.status_code == 400 and "org-b" in r.text
    r = c.post("/catalog/import", data={"csrf": csrf},
               files={"file": ("cat.exe", b"MZ", "application/octet-stream")})
    assert r.status_code == 400 and 'id="file-error"' in r.text


def test_api_revoke_dry_run_and_grant(api: Any, studio: dict[str, Any]) -> None:
    a = api("rights-a")
    r = a.post("/api/v1/consents/a-k-ava-replica/revoke", json={"dry_run": True})
    assert r.status_code == 200 and r.json()["consent"] == "a-k-ava-replica"
    assert _consent(studio, "a-k-ava-replica").status == "granted"
    r = a.post("/api/v1/consents", json={"party": "a-ava", "kind": "voice",
                                         "signed": "2026-02-01"})
    assert r.status_code == 201 and r.json()["kind"] == "voice"
    r = a.post("/api/v1/consents", json={"party": "b-ava", "kind": "voice",
                                         "signed": "2026-02-01"})
    assert r.status_code == 404
    doc = {"organization": catalog("org-a", "a-")["organization"],
           "works": [{"id": "a-harbor", "title": "Harbour Lights", "kind": "film"}]}
    r = a.post("/api/v1/catalog/import", files={"file": ("c.yaml", yaml.safe_dump(doc).encode())})
    assert r.status_code == 200, r.text
    assert r.json()["dry_run"] is True and r.json()["changes"][0]["new"] == "Harbour Lights"
    assert api("creative-a").post("/api/v1/consents/a-k-ava-replica/revoke",
                                  json={"dry_run": True}).status_code == 403
