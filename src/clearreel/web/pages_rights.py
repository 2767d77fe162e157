"""Pages that change the registry: record a consent, revoke one (with the clips, datasets and
models it reaches shown before confirming), and import a catalog file (dry run first).

The rules live in `clearreel.rights.consents.grant` and `clearreel.train.downstream` (revoke,
import_catalog: what reaches the datasets and models downstream), the functions of `clearreel
consent grant|revoke` and `clearreel catalog import`; these pages only collect the fields, show
the answer, and ask for confirmation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from clearreel.db import open_session
from clearreel.errors import NotFound, UsageError
from clearreel.web import uploads, views
from clearreel.web._auth import Ctx, check_csrf, page_ctx
from clearreel.web.app import render

router = APIRouter(include_in_schema=False)


class _Preview(Exception):
    """Raised inside a session to roll back what a preview computed."""

    def __init__(self, result: Any):
        self.result = result


def _date(value: str, field: str, errors: dict[str, str], *, required: bool = False
          ) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            errors[field] = "Give a date (YYYY-MM-DD)."
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = f"{value!r} is not a date: use YYYY-MM-DD."
        return None


def _consent_row(ctx: Ctx, consent_id: str) -> dict[str, Any]:
    from sqlalchemy import select

    from clearreel.rights.consents import consent_doc
    from clearreel.rights.models import Consent, Party

    with open_session(ctx.settings) as s:
        k = s.scalars(select(Consent).where(Consent.id == consent_id)).first()
        if k is None:
            raise NotFound(f"no consent {consent_id!r}")
        name = s.scalars(select(Party.name).where(Party.id == k.party_id)).first()
        return {**consent_doc(k), "party_name": name or k.party_id}


def revoke_consent(ctx: Ctx, consent_id: str, date: dt.date | None, evidence: str | None,
                   *, commit: bool) -> dict[str, Any]:
    """`consent revoke`: what it reaches (clips, datasets, models suspended). With
    `commit=False` the same function runs in a transaction that is rolled back: the preview."""
    _consent_row(ctx, consent_id)  # NotFound for another organization's consent
    from clearreel.train.downstream import revoke

    try:
        with open_session(ctx.settings) as s:
            affected = revoke(s, consent_id, date=date, evidence=evidence).to_json()
            if not commit:
                raise _Preview(affected)
    except _Preview as p:
        return dict(p.result)
    return affected


def _evidence_note(ctx: Ctx, token: str, note: str) -> str | None:
    if token:
        return str(uploads.path_of(ctx.settings, token))
    return note or None


@router.get("/consents/{consent_id}/revoke", response_class=HTMLResponse)
def revoke_form(request: Request, consent_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    return render(request, ctx, "revoke.html", k=_consent_row(ctx, consent_id), errors={},
                  form={"date": dt.date.today().isoformat()}, affected=None, done=False)


@router.post("/consents/{consent_id}/revoke", response_class=HTMLResponse)
async def revoke_post(request: Request, consent_id: str,
                      ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    form = await request.form()
    check_csrf(ctx, form)
    k = _consent_row(ctx, consent_id)
    data = {"date": str(form.get("date") or ""), "note": str(form.get("note") or "").strip(),
            "evidence": str(form.get("evidence_token") or "")}
    errors: dict[str, str] = {}
    day = _date(data["date"], "date", errors, required=True)
    upload = form.get("evidence")
    if getattr(upload, "filename", None):
        try:
            data["evidence"] = await uploads.save_upload(ctx.settings, upload, kind="evidence")
        except UsageError as e:
            errors["evidence"] = str(e)
    confirm = form.get("action") == "confirm"
    if not errors:
        try:
            affected = revoke_consent(ctx, consent_id, day,
                                      _evidence_note(ctx, data["evidence"], data["note"]),
                                      commit=confirm)
        except UsageError as e:
            if isinstance(e, NotFound):
                raise
            errors["date"] = str(e)
    if errors:
        return render(request, ctx, "revoke.html", status=400, k=k, errors=errors, form=data,
                      affected=None, done=False)
    return render(request, ctx, "revoke.html", k=_consent_row(ctx, consent_id) if confirm else k,
                  errors={}, form=data, affected=affected, done=confirm,
                  models=views.models(ctx.settings) if confirm else [])


GRANT_FIELDS = ("kind", "status", "signed", "expires", "works", "projects", "purposes",
                "description", "note")


def _list(value: str) -> list[str] | None:
    items = [x.strip() for x in value.replace("\n", ",").split(",") if x.strip()]
    return items or None


@router.get("/performers/{party_id}/consents/new", response_class=HTMLResponse)
def grant_form(request: Request, party_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    p = views.performer(ctx.settings, party_id)
    return render(request, ctx, "grant.html", p=p, errors={},
                  form={"kind": "training", "status": "granted",
                        "signed": dt.date.today().isoformat()})


@router.post("/performers/{party_id}/consents/new", response_class=HTMLResponse)
async def grant_post(request: Request, party_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.rights.models import CONSENT_KINDS

    ctx.require("rights")
    p = views.performer(ctx.settings, party_id)  # NotFound for another organization's party
    from clearreel.rights.consents import grant

    form = await request.form()
    check_csrf(ctx, form)
    data = {k: str(form.get(k) or "").strip() for k in GRANT_FIELDS}
    errors: dict[str, str] = {}
    if data["kind"] not in CONSENT_KINDS:
        errors["kind"] = f"Choose one of {', '.join(CONSENT_KINDS)}."
    if data["status"] not in ("granted", "refused"):
        errors["status"] = "A new consent is granted or refused."
    signed = _date(data["signed"], "signed", errors, required=True)
    expires = _date(data["expires"], "expires", errors)
    evidence = None
    upload = form.get("evidence")
    if getattr(upload, "filename", None):
        try:
            evidence = str(uploads.path_of(ctx.settings, await uploads.save_upload(
                ctx.settings, upload, kind="evidence")))
        except UsageError as e:
            errors["evidence"] = str(e)
    if not errors and signed is not None:
        try:
            with open_session(ctx.settings) as s:
                k = grant(s, party=party_id, kind=data["kind"], signed=signed, expires=expires,
                          works=_list(data["works"]), projects=_list(data["projects"]),
                          purposes=_list(data["purposes"]), description=data["description"],
                          evidence=evidence or data["note"] or None, status=data["status"])
                new_id = k.id
        except UsageError as e:
            if isinstance(e, NotFound) and "work" not in str(e):
                raise
            field = ("expires" if "expires" in str(e) else "works" if "work" in str(e)
                     else "signed")
            errors[field] = str(e)
    if errors:
        return render(request, ctx, "grant.html", status=400, p=p, errors=errors, form=data)
    return render(request, ctx, "performer.html", p=views.performer(ctx.settings, party_id),
                  may_write=True, notice=f"Consent {new_id} recorded.")


# ------------------------------------------------------------------------------- catalog


def import_catalog_file(ctx: Ctx, token: str, *, dry_run: bool) -> dict[str, Any]:
    """`catalog import` on an uploaded file; `dry_run` computes the diff and writes nothing."""
    from clearreel.train.downstream import import_catalog

    return import_catalog(ctx.settings, uploads.path_of(ctx.settings, token), dry_run=dry_run)


@router.get("/catalog/import", response_class=HTMLResponse)
def import_form(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    return render(request, ctx, "import.html", errors={}, problems=[], result=None, token="",
                  done=False)


@router.post("/catalog/import", response_class=HTMLResponse)
async def import_post(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.errors import CatalogError

    ctx.require("rights")
    form = await request.form()
    check_csrf(ctx, form)
    token, errors, problems = str(form.get("token") or ""), {}, []
    upload = form.get("file")
    if getattr(upload, "filename", None):
        try:
            token = await uploads.save_upload(ctx.settings, upload, kind="catalog")
        except UsageError as e:
            errors["file"] = str(e)
    elif not token:
        errors["file"] = "Choose a catalog file (YAML or JSON)."
    confirm = form.get("action") == "confirm" and bool(token)
    result = None
    if not errors:
        try:
            result = import_catalog_file(ctx, token, dry_run=not confirm)
        except CatalogError as e:
            problems = list(e.problems)
        except UsageError as e:
            errors["file"] = str(e)
    status = 400 if errors or problems else 200
    return render(request, ctx, "import.html", status=status, errors=errors, problems=problems,
                  result=result, token=token if not confirm else "", done=confirm and not
                  errors and not problems)


__all__ = ["import_catalog_file", "revoke_consent", "router"]
