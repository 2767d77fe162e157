"""Pages that make things: generate (guard first, then a job), outputs and provenance, verify an
uploaded file, statements, and jobs (curate, train, generate) with live progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from clearreel.errors import NotFound, UsageError
from clearreel.web import uploads, views
from clearreel.web._auth import Ctx, check_csrf, page_ctx
from clearreel.web.app import render

router = APIRouter(include_in_schema=False)

GEN_FIELDS = ("prompt", "model", "project", "purpose")


def _model_names(ctx: Ctx) -> list[str]:
    from clearreel.train import list_models

    return [m.name for m in list_models(ctx.settings)]


@router.get("/generate", response_class=HTMLResponse)
def generate_form(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("generate")
    return render(request, ctx, "generate.html", models=_model_names(ctx), form={},
                  errors={}, decision=None)


@router.post("/generate", response_class=HTMLResponse)
async def generate_check(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    """Step 1: the prompt guard's decision, explained, before any frame is made."""
    from clearreel.generate.pipeline import Request as GenRequest
    from clearreel.generate.pipeline import guard_report, model_info

    ctx.require("generate")
    form = await request.form()
    check_csrf(ctx, form)
    data = {k: str(form.get(k) or "").strip() for k in GEN_FIELDS}
    models = _model_names(ctx)
    errors: dict[str, str] = {}
    if not data["prompt"]:
        errors["prompt"] = "Describe the shot to generate."
    elif len(data["prompt"]) > 2000:
        errors["prompt"] = "Keep the prompt under 2000 characters."
    if data["model"] not in models:
        errors["model"] = "Choose one of the organization's models."
    image = None
    upload = form.get("image")
    if getattr(upload, "filename", None):
        try:
            image = await uploads.save_upload(ctx.settings, upload, kind="image")
        except UsageError as e:
            errors["image"] = str(e)
    if errors:
        return render(request, ctx, "generate.html", status=400, models=models, form=data,
                      errors=errors, decision=None)
    req = GenRequest(model=data["model"], prompt=data["prompt"], project=data["project"] or None,
                     purpose=data["purpose"] or None,
                     image=str(uploads.path_of(ctx.settings, image)) if image else None)
    report = guard_report(ctx.settings, req, model_info(ctx.settings, req.model))
    return render(request, ctx, "generate.html", models=models, form=data, errors={},
                  decision=report, image=image)


@router.post("/generate/start")
async def generate_start(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    """Step 2 (after an allowed decision): a background job; the job runs the guard again."""
    from clearreel.web import jobs

    ctx.require("generate")
    form = await request.form()
    check_csrf(ctx, form)
    params: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in GEN_FIELDS}
    token = str(form.get("image") or "")
    if token:
        params["image"] = str(uploads.path_of(ctx.settings, token))
    job = jobs.submit(ctx.settings, "generate", params, ctx.account.name)
    return RedirectResponse(f"/jobs/{job['id']}", status_code=303)


@router.get("/outputs", response_class=HTMLResponse)
def outputs(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("outputs")
    return render(request, ctx, "outputs.html", rows=views.outputs(ctx.settings))


@router.get("/outputs/{output_id}", response_class=HTMLResponse)
def output(request: Request, output_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    from pathlib import Path

    from clearreel.generate import verify_file

    ctx.require("outputs")
    doc, path = views.output(ctx.settings, output_id)
    report = verify_file(ctx.settings, Path(path)) if path and Path(path).is_file() else None
    return render(request, ctx, "output.html", o=doc, report=report,
                  titles=views.work_titles(ctx.settings))


@router.get("/outputs/{output_id}/video")
def output_video(output_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    from pathlib import Path

    ctx.require("outputs")
    _doc, path = views.output(ctx.settings, output_id)
    if not path or not Path(path).is_file():
        raise NotFound(f"output {output_id} has no file")
    return FileResponse(path, media_type="video/mp4")


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("outputs")
    return render(request, ctx, "verify.html", report=None, errors={})


@router.post("/verify", response_class=HTMLResponse)
async def verify_upload(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("outputs")
    form = await request.form()
    check_csrf(ctx, form)
    try:
        report = await uploads.verify_upload(ctx.settings, form.get("file"))
    except UsageError as e:
        return render(request, ctx, "verify.html", status=400, report=None,
                      errors={"file": str(e)})
    return render(request, ctx, "verify.html", report=report, errors={})


# ------------------------------------------------------------------------------- finance


def finance_doc(ctx: Ctx, period: str) -> dict[str, Any]:
    """The ledger's statements for `period`, with work titles for the lines and the chart."""
    from clearreel.db import open_session
    from clearreel.ledger.statements import build, chart_colours, earnings_by_month, svg_chart

    titles = views.work_titles(ctx.settings)
    with open_session(ctx.settings) as s:
        report = build(s, period)
        history = earnings_by_month(s, period)
    named = {cur: {m: {titles.get(w, w): amt for w, amt in per.items()}
                   for m, per in months.items()} for cur, months in history.items()}
    colours = chart_colours(named)
    charts = [{"currency": cur, "svg": svg_chart(cur, named[cur], colours),
               "legend": [(w, colours[w]) for w in sorted({w for m in named[cur].values()
                                                           for w in m})]}
              for cur in sorted(named)]
    for st in report["statements"]:
        for ln in st["lines"]:
            ln["title"] = titles.get(ln.get("work") or "", ln.get("work") or "")
    return {"report": report, "charts": charts}


@router.get("/finance", response_class=HTMLResponse)
def finance(request: Request, period: str | None = None, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.ledger.statements import parse_period

    ctx.require("finance")
    period = (period or dt.date.today().strftime("%Y-%m")).strip()
    try:
        parse_period(period)
    except UsageError as e:
        return render(request, ctx, "finance.html", status=400, period=period, d=None,
                      errors={"period": str(e)})
    return render(request, ctx, "finance.html", period=period, d=finance_doc(ctx, period),
                  errors={})


@router.get("/finance/statements.csv")
def finance_csv(period: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.ledger import statements, to_csv

    ctx.require("finance")
    report = statements(ctx.settings, period)
    return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="statements-{report["period"]}.csv"'})


# ------------------------------------------------------------------------------- jobs


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.web.jobs import list_jobs

    ctx.require("jobs")
    return render(request, ctx, "jobs.html", rows=list_jobs(ctx.settings))


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.web.jobs import get_job

    ctx.require("jobs")
    return render(request, ctx, "job.html", j=get_job(ctx.settings, job_id))


@router.get("/jobs/{job_id}/state")
def job_state(job_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    """The job document, polled by the job page's script for live progress."""
    from clearreel.web.jobs import get_job

    ctx.require("jobs")
    return JSONResponse(get_job(ctx.settings, job_id))


@router.post("/jobs/{kind}", response_class=HTMLResponse)
async def job_start(request: Request, kind: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    """Start a curate or train job from the datasets or models page."""
    from clearreel.web import jobs

    if kind not in ("curate", "train"):
        raise NotFound(f"no job kind {kind!r}")
    ctx.require(kind)
    form = await request.form()
    check_csrf(ctx, form)
    params: dict[str, Any] = {k: str(v).strip() for k, v in form.items()
                              if k in ("dataset", "name", "territory")}
    steps = str(form.get("steps") or "").strip()
    if steps:
        params["steps"] = int(steps) if steps.isdigit() else steps
    errors = jobs.validate(kind, params)
    if errors:
        from clearreel.dataset import list_datasets

        if kind == "curate":
            return render(request, ctx, "datasets.html", status=400, errors=errors,
                          form=params, rows=list_datasets(ctx.settings), may_curate=True)
        return render(request, ctx, "models.html", status=400, errors=errors, form=params,
                      rows=views.models(ctx.settings), may_train=True,
                      datasets=_dataset_names(ctx))
    job = jobs.submit(ctx.settings, kind, params, ctx.account.name)
    return RedirectResponse(f"/jobs/{job['id']}", status_code=303)


def _dataset_names(ctx: Ctx) -> list[str]:
    from clearreel.dataset import list_datasets

    return [d["name"] for d in list_datasets(ctx.settings) if d["status"] == "ready"]


__all__ = ["finance_doc", "router"]
