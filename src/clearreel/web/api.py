"""The JSON API (`/api/v1`): the CLI's `--json` documents over HTTP, bearer-token auth.

Each route names the CLI command whose document it returns; both call the same function.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from clearreel.db import open_session
from clearreel.web import uploads, views
from clearreel.web._auth import Ctx, api_ctx

router = APIRouter()


class GenerateCheck(BaseModel):
    model: str = Field(description="A registered model.")
    prompt: str = Field(min_length=1, max_length=2000)
    project: str | None = None
    purpose: str | None = None


class JobIn(BaseModel):
    kind: str = Field(description="curate, train or generate.")
    params: dict[str, Any] = Field(default_factory=dict)


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Liveness (no authentication)."""
    return {"status": "ok"}


@router.get("/me", tags=["meta"])
def me(ctx: Ctx = Depends(api_ctx)) -> dict[str, str]:
    """The token's account: name, role, organization."""
    return ctx.account.to_json()


@router.get("/catalog", tags=["rights"])
def catalog(ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """`clearreel catalog list --json`."""
    from clearreel.rights.listing import registry_lists

    ctx.require("rights")
    with open_session(ctx.settings) as s:
        return registry_lists(s)


@router.get("/catalog/{entry_id}", tags=["rights"])
def catalog_entry(entry_id: str, ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """`clearreel catalog show ID --json`."""
    from clearreel.rights.catalog import show_entry

    ctx.require("rights")
    with open_session(ctx.settings) as s:
        return show_entry(s, entry_id)


@router.get("/rights/check", tags=["rights"])
def rights_check(work: str, use: str, territory: str | None = None, on: str | None = None,
                 performer: list[str] = Query(default=[]),
                 ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel rights check --json` (audited); HTTP 200 either way, `allowed` says."""
    from clearreel.rights.clearance import check_use

    ctx.require("rights")
    day = views.parse_on(on)
    with open_session(ctx.settings) as s:
        d = check_use(s, work, use, on=day, territory=territory, performers=performer or None)
        return JSONResponse(_jsonable(d.to_json()))


@router.get("/rights/matrix", tags=["rights"])
def rights_matrix(on: str | None = None, territory: str | None = None, page: int = 1,
                  q: str = "", ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """The works x uses clearance matrix (one page of 50 works) on a date in a territory."""
    ctx.require("rights")
    return JSONResponse(_jsonable(views.works_matrix(
        ctx.settings, on=views.parse_on(on), territory=territory, page=max(page, 1), query=q)))


@router.get("/performers/{party_id}", tags=["rights"])
def performer(party_id: str, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """A performer with every consent (scope, status) and their credits."""
    ctx.require("rights")
    return JSONResponse(_jsonable(views.performer(ctx.settings, party_id)))


@router.get("/audit", tags=["rights"])
def audit(limit: int = Query(20, ge=1, le=1000), action: str | None = None,
          ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel audit verify --json` with `audit list --json`'s entries."""
    from clearreel.rights import audit as audit_log
    from clearreel.rights.listing import audit_rows

    ctx.require("rights")
    with open_session(ctx.settings) as s:
        problems = audit_log.verify(s)
        rows = audit_rows(s, action, limit)
    return JSONResponse(_jsonable({"valid": not problems, "problems": problems,
                                   "entries": rows}))


class RevokeIn(BaseModel):
    date: str | None = Field(None, description="Revoked from (YYYY-MM-DD, default today).")
    evidence: str | None = Field(None, description="A note or document reference.")
    dry_run: bool = Field(False, description="Show what it would reach; write nothing.")


class GrantIn(BaseModel):
    party: str
    kind: str = Field(description="training, digital_replica, likeness or voice.")
    signed: str = Field(description="YYYY-MM-DD")
    status: str = "granted"
    expires: str | None = None
    works: list[str] | None = None
    projects: list[str] | None = None
    purposes: list[str] | None = None
    description: str = ""
    evidence: str | None = None


@router.post("/consents/{consent_id}/revoke", tags=["rights"])
def consent_revoke(consent_id: str, body: RevokeIn, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel consent revoke ID --json`: the clips, datasets and models (suspended) it
    reaches; with `dry_run` the same answer, rolled back."""
    from clearreel.web.pages_rights import revoke_consent

    ctx.require("rights")
    affected = revoke_consent(ctx, consent_id, views.parse_on(body.date, "date"),
                              body.evidence, commit=not body.dry_run)
    return JSONResponse(_jsonable(affected))


@router.post("/consents", tags=["rights"], status_code=201)
def consent_grant(body: GrantIn, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel consent grant --json`: record a consent (granted or refused)."""
    from clearreel.rights.consents import consent_doc, grant

    ctx.require("rights")
    signed = views.parse_on(body.signed, "signed")
    if signed is None:
        from clearreel.errors import UsageError

        raise UsageError("signed: give the date the consent was signed (YYYY-MM-DD)")
    with open_session(ctx.settings) as s:
        k = grant(s, party=body.party, kind=body.kind, signed=signed, status=body.status,
                  expires=views.parse_on(body.expires, "expires"), works=body.works,
                  projects=body.projects, purposes=body.purposes,
                  description=body.description, evidence=body.evidence)
        return JSONResponse(_jsonable(consent_doc(k)), status_code=201)


@router.post("/catalog/import", tags=["rights"])
async def catalog_import(file: UploadFile = File(...), dry_run: bool = Query(True),
                         ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel catalog import FILE --json` (dry run by default: `?dry_run=false` writes)."""
    from clearreel.errors import CatalogError
    from clearreel.web.pages_rights import import_catalog_file

    ctx.require("rights")
    token = await uploads.save_upload(ctx.settings, file, kind="catalog")
    try:
        return JSONResponse(_jsonable(import_catalog_file(ctx, token, dry_run=dry_run)))
    except CatalogError as e:
        return JSONResponse({"detail": "invalid catalog: nothing was written",
                             "problems": e.problems}, status_code=400)
    finally:
        uploads.path_of(ctx.settings, token).unlink(missing_ok=True)


@router.get("/datasets", tags=["datasets"])
def datasets(ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """`clearreel dataset list --json`."""
    from clearreel.dataset import list_datasets

    ctx.require("datasets")
    return {"datasets": list_datasets(ctx.settings)}


@router.get("/datasets/{name}", tags=["datasets"])
def dataset(name: str, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel dataset show NAME --json`."""
    from clearreel.dataset import show

    ctx.require("datasets")
    return JSONResponse(_jsonable(show(ctx.settings, name)))


@router.post("/datasets/{name}/verify", tags=["datasets"])
def dataset_verify(name: str, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel dataset verify NAME --json` (HTTP 200; `ok` says)."""
    from clearreel.dataset import verify

    ctx.require("datasets")
    return JSONResponse(_jsonable(verify(ctx.settings, name)))


@router.get("/models", tags=["datasets"])
def models(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """Registered models with their dataset and status."""
    ctx.require("datasets")
    return JSONResponse(_jsonable({"models": views.models(ctx.settings)}))


@router.get("/outputs", tags=["generate"])
def outputs(ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """The newest outputs (made and blocked)."""
    ctx.require("outputs")
    return {"outputs": views.outputs(ctx.settings)}


@router.get("/outputs/{output_id}", tags=["generate"])
def output(output_id: str, ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """One output record: prompt, model, dataset, reasons, attribution shares."""
    ctx.require("outputs")
    return views.output(ctx.settings, output_id)[0]


@router.post("/generate/check", tags=["generate"])
def generate_check(body: GenerateCheck, ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """The prompt guard's report (audited as `generate.guard`), before any frame is made:
    `allowed`, `reasons`, and `depicted` (who was named, how, and the consent or licence that
    allowed or refused it), as in `generate --json`'s `guard`."""
    from clearreel.generate.pipeline import Request, guard_report, model_info

    ctx.require("generate")
    req = Request(model=body.model, prompt=body.prompt, project=body.project,
                  purpose=body.purpose)
    return guard_report(ctx.settings, req, model_info(ctx.settings, body.model))


@router.post("/jobs", tags=["jobs"], status_code=202)
def job_submit(body: JobIn, ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """Queue a curate, train or generate job (the `curate`, `train`, `generate` commands);
    generate's result is `generate --json`'s document."""
    from clearreel.web import jobs

    ctx.require(body.kind if body.kind in ("curate", "train", "generate") else "jobs")
    return jobs.submit(ctx.settings, body.kind, body.params, ctx.account.name)


@router.get("/jobs", tags=["jobs"])
def job_list(ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    from clearreel.web.jobs import list_jobs

    ctx.require("jobs")
    return {"jobs": list_jobs(ctx.settings)}


@router.get("/jobs/{job_id}", tags=["jobs"])
def job_get(job_id: str, ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    from clearreel.web.jobs import get_job

    ctx.require("jobs")
    return get_job(ctx.settings, job_id)


@router.post("/verify", tags=["generate"])
async def verify(file: UploadFile = File(...), ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    """`clearreel verify FILE --json` on an uploaded video."""
    ctx.require("outputs")
    return JSONResponse(_jsonable(await uploads.verify_upload(ctx.settings, file)))


@router.get("/ledger/statements", tags=["finance"])
def statements(period: str, ctx: Ctx = Depends(api_ctx)) -> dict[str, Any]:
    """`clearreel ledger statements --period YYYY-MM --json`."""
    from clearreel.ledger import statements as build

    ctx.require("finance")
    return build(ctx.settings, period)


def _jsonable(doc: Any) -> Any:
    """Dates and paths as the CLI's `emit_json` writes them."""
    from clearreel.util.jsonable import jsonable

    return jsonable(doc)


__all__ = ["router"]
