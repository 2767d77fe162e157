"""Pages of the registry: home, works and their clearance matrix, performers, audit log,
datasets (clips, exclusions, BOM, verify) and models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from clearreel.errors import UsageError
from clearreel.web import views
from clearreel.web._auth import Ctx, check_csrf, page_ctx
from clearreel.web.app import render

router = APIRouter(include_in_schema=False)


def _page(v: str | None) -> int:
    try:
        return max(1, int(v or 1))
    except ValueError:
        return 1


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.db import open_session
    from clearreel.rights.listing import organization

    with open_session(ctx.settings) as s:
        org = organization(s)
    return render(request, ctx, "home.html", org=org)


@router.get("/works", response_class=HTMLResponse)
def works(request: Request, on: str | None = None, territory: str | None = None,
          page: str | None = None, q: str = "", ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    errors: dict[str, str] = {}
    day = None
    try:
        day = views.parse_on(on)
    except UsageError as e:
        errors["on"] = str(e)
    try:
        data = views.works_matrix(ctx.settings, on=day, territory=territory or None,
                                  page=_page(page), query=q.strip())
    except UsageError as e:
        if "territor" not in str(e).lower():
            raise
        errors["territory"] = str(e)
        data = views.works_matrix(ctx.settings, on=day, page=_page(page), query=q.strip())
    return render(request, ctx, "works.html", status=400 if errors else 200, m=data,
                  errors=errors, form={"on": on or "", "territory": territory or "", "q": q})


@router.get("/works/{work_id}", response_class=HTMLResponse)
def work(request: Request, work_id: str, on: str | None = None, territory: str | None = None,
         ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    data = views.work_detail(ctx.settings, work_id, on=views.parse_on(on),
                             territory=territory or None)
    return render(request, ctx, "work.html", d=data)


@router.get("/performers", response_class=HTMLResponse)
def performers(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    return render(request, ctx, "performers.html", d=views.performers(ctx.settings))


@router.get("/performers/{party_id}", response_class=HTMLResponse)
def performer(request: Request, party_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    return render(request, ctx, "performer.html", p=views.performer(ctx.settings, party_id),
                  may_write=ctx.may("rights"))


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, page: str | None = None, action: str | None = None,
          ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("rights")
    return render(request, ctx, "audit.html",
                  a=views.audit_page(ctx.settings, _page(page), action=action))


@router.get("/datasets", response_class=HTMLResponse)
def datasets(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.dataset import list_datasets

    ctx.require("datasets")
    return render(request, ctx, "datasets.html", rows=list_datasets(ctx.settings),
                  may_curate=ctx.may("curate"), errors={}, form={})


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset(request: Request, name: str, page: str | None = None,
            ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("datasets")
    d = views.dataset_page(ctx.settings, name, _page(page))
    return render(request, ctx, "dataset.html", d=d, verify=None, titles=views.work_titles(
        ctx.settings, views.dataset_page_works(d)))


@router.post("/datasets/{name}/verify", response_class=HTMLResponse)
async def dataset_verify(request: Request, name: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    from clearreel.dataset import verify

    ctx.require("datasets")
    check_csrf(ctx, await request.form())
    d = views.dataset_page(ctx.settings, name, 1)
    result = verify(ctx.settings, name)
    return render(request, ctx, "dataset.html", d=d, verify=result,
                  titles=views.work_titles(ctx.settings, views.dataset_page_works(d)))


@router.get("/datasets/{name}/bom")
def dataset_bom(name: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    """The signed bill of materials (the dataset's manifest), as a download."""
    ctx.require("datasets")
    f = views.bom_file(ctx.settings, name)
    return FileResponse(f, media_type="application/json", filename=f"{name}-{f.name}")


def _clip_file(ctx: Ctx, name: str, clip_id: str) -> Path:
    return views.clip_file(ctx.settings, name, clip_id)


@router.get("/datasets/{name}/clips/{clip_id}/thumb.jpg")
def clip_thumb(name: str, clip_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    """The clip's first frame as a small JPEG, cached under the workspace's cache/."""
    ctx.require("datasets")
    f = _clip_file(ctx, name, clip_id)
    cache = ctx.settings.cache_dir(ctx.org, "web", "thumbs")
    target = cache / f"{f.stem}-{f.stat().st_size}.jpg"
    if not target.is_file():
        _thumbnail(f, target)
    return FileResponse(target, media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})


@router.get("/datasets/{name}/clips/{clip_id}/video")
def clip_video(name: str, clip_id: str, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("datasets")
    return FileResponse(_clip_file(ctx, name, clip_id), media_type="video/mp4")


def _thumbnail(src: Path, target: Path, width: int = 160) -> None:
    import av
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as container:
        frame = next(container.decode(video=0), None)
    if frame is None:
        raise HTTPException(404, "the clip has no frame")
    img: Any = frame.to_image()
    img.thumbnail((width, width), Image.Resampling.BILINEAR)
    tmp = target.with_suffix(".part")
    img.save(tmp, "JPEG", quality=80)
    tmp.replace(target)  # never a half-written thumbnail


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require("datasets")
    from clearreel.dataset import list_datasets

    ready = [d["name"] for d in list_datasets(ctx.settings) if d["status"] == "ready"]
    return render(request, ctx, "models.html", rows=views.models(ctx.settings),
                  may_train=ctx.may("train"), datasets=ready, errors={}, form={})


@router.post("/models/refresh", response_class=HTMLResponse)
async def models_refresh(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    """Check every model's dataset again now (`clearreel.train.suspension.refresh`)."""
    from clearreel.dataset import list_datasets

    ctx.require("datasets")
    check_csrf(ctx, await request.form())
    views.refresh_models(ctx.settings)
    ready = [d["name"] for d in list_datasets(ctx.settings) if d["status"] == "ready"]
    return render(request, ctx, "models.html", rows=views.models(ctx.settings),
                  may_train=ctx.may("train"), datasets=ready, errors={}, form={},
                  notice="Every model was checked again against today's registry.")
