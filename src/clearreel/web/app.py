"""The FastAPI application: sign-in, error pages, static assets, and the routers.

Pages are server-rendered Jinja2 templates (web/templates); the few lines of JavaScript in
web/static/app.js only enhance them (live job progress, the confirm step), and every asset is
served from the package: no CDN, no build step.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from clearreel.config import Settings
from clearreel.errors import ClearreelError, Denied, NotFound, VerificationFailed
from clearreel.web._auth import AREAS, COOKIE, PRE_COOKIE, Ctx, SignInRequired
from clearreel.web.accounts import authenticate, end_session, session_account, start_session

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
API = "/api/v1"

# Content Security Policy: scripts and styles from the package only (inline style attributes
# are allowed for the statement chart's colour keys).
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' "
       "'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'none'")

NAV = [  # (area, path, label)
    ("rights", "/works", "Works"),
    ("rights", "/performers", "Performers"),
    ("rights", "/catalog/import", "Catalog import"),
    ("rights", "/audit", "Audit log"),
    ("datasets", "/datasets", "Datasets"),
    ("datasets", "/models", "Models"),
    ("generate", "/generate", "Generate"),
    ("outputs", "/outputs", "Outputs"),
    ("outputs", "/verify", "Verify a file"),
    ("finance", "/finance", "Statements"),
    ("jobs", "/jobs", "Jobs"),
]


def render(request: Request, ctx: Ctx | None, template: str, status: int = 200,
           **data: Any) -> HTMLResponse:
    nav = [(p, label) for area, p, label in NAV if ctx is not None and ctx.may(area)]
    return templates.TemplateResponse(
        request, template, {"ctx": ctx, "nav": nav, "path": request.url.path, **data},
        status_code=status)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# What the routes import on first use, imported before the server answers (see `settle`).
ROUTE_MODULES = ("clearreel.rights.clearance", "clearreel.rights.presence",
                 "clearreel.rights.report", "clearreel.rights.listing", "clearreel.dataset",
                 "clearreel.train.registry", "clearreel.train.suspension",
                 "clearreel.ledger.statements")


def settle() -> None:
    """In a server process (`clearreel serve`), once the app is made and before the first
    request: import what the routes use, then move every object alive now
    (modules, the ORM's mappings, templates) out of the garbage collector's reach
    (`gc.freeze`). They live as long as the process; without this each full collection, every
    few hundred requests, walks all of them again (tens of ms, paid by the request it lands
    on: the tail of the latency)."""
    import gc
    import importlib

    for name in ROUTE_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, *, worker: bool = False) -> FastAPI:
    """The studio for the workspace `settings` names; `worker=True` also runs the job worker
    (`clearreel serve` does; tests run jobs with `clearreel.web.jobs.run_job`)."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        w = None
        if worker:
            from clearreel.web.jobs import Worker

            w = Worker(settings)
            w.start()
        try:
            yield
        finally:
            if w is not None:
                w.stop()

    from clearreel.db.models import load_all

    load_all()  # every table the ORM may flush to (sessions refer to organizations)
    app = FastAPI(title="clearreel studio API", version="1", openapi_url=f"{API}/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="The CLI's JSON documents over HTTP (docs/web.md). "
                              "Authorization: Bearer TOKEN (`clearreel user token NAME`).")
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "text/html" in response.headers.get("content-type", ""):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    _handlers(app)
    _signin_routes(app)
    from clearreel.web import api, pages_make, pages_registry, pages_rights

    app.include_router(pages_registry.router)
    app.include_router(pages_rights.router)
    app.include_router(pages_make.router)
    app.include_router(api.router, prefix=API)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API + "/")


def _status(e: ClearreelError) -> int:
    if isinstance(e, NotFound):
        return 404
    if isinstance(e, Denied):
        return 403
    if isinstance(e, VerificationFailed):
        return 409
    return 400 if e.exit_code == 2 else 500


def _ctx_of(request: Request) -> Ctx | None:
    secret = request.cookies.get(COOKIE)
    found = session_account(request.app.state.settings, secret) if secret else None
    return Ctx(found[0], request.app.state.settings, found[1]) if found else None


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _signin(request: Request, e: SignInRequired) -> Response:
        return RedirectResponse(f"/signin?next={quote(e.next_url, safe='/')}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, e: HTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": e.detail}, status_code=e.status_code,
                                headers=getattr(e, "headers", None))
        return render(request, _ctx_of(request), "error.html", status=e.status_code,
                      code=e.status_code, message=e.detail)

    @app.exception_handler(ClearreelError)
    async def _clearreel(request: Request, e: ClearreelError) -> Response:
        status = _status(e)
        message = "not found in this organization" if status == 404 else str(e)
        if _is_api(request):
            return JSONResponse({"detail": message, "exit_code": e.exit_code}, status_code=status)
        return render(request, _ctx_of(request), "error.html", status=status, code=status,
                      message=message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(x) for x in err['loc'][1:])}: {err['msg']}"
                    for err in e.errors()]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render(request, _ctx_of(request), "error.html", status=422, code=422,
                      message="; ".join(problems))


def _signin_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/signin", response_class=HTMLResponse, include_in_schema=False)
    def signin_form(request: Request, next: str = "/") -> Response:
        token = secrets.token_urlsafe(32)
        resp = render(request, None, "signin.html", next=_safe_next(next), csrf=token,
                      error=None, name="")
        resp.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request), max_age=3600)
        return resp

    @app.post("/signin", include_in_schema=False)
    async def signin(request: Request) -> Response:
        form = await request.form()
        sent, expected = str(form.get("csrf") or ""), request.cookies.get(PRE_COOKIE) or ""
        name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        if not expected or not secrets.compare_digest(sent, expected):
            raise HTTPException(403, "the sign-in form expired: reload the page and try again")
        account = authenticate(request.app.state.settings, name, password) if name else None
        if account is None:
            return render(request, None, "signin.html", status=401, next=target, csrf=expected,
                          name=name, error="Unknown name or wrong password.")
        secret, _csrf = start_session(request.app.state.settings, account)
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(COOKIE, secret, httponly=True, samesite="lax", secure=_secure(request),
                        max_age=12 * 3600, path="/")
        resp.delete_cookie(PRE_COOKIE)
        return resp

    @app.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        ctx = _ctx_of(request)
        form = await request.form()
        if ctx is not None:
            from clearreel.web._auth import check_csrf

            check_csrf(ctx, form)
            end_session(request.app.state.settings, request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/signin", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp


__all__ = ["API", "AREAS", "create_app", "render", "templates"]


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """(METHOD, path) of every route the app serves (docs/web.md lists each one)."""
    from fastapi.routing import APIRoute

    out: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str) -> None:
        for r in routes:
            if isinstance(r, APIRoute):
                out.extend((m, prefix + r.path) for m in sorted(r.methods - {"HEAD"}))
            elif hasattr(r, "include_context"):  # FastAPI >= 0.120 nests included routers
                walk(r.include_context.included_router.routes,
                     prefix + (r.include_context.prefix or ""))
            elif getattr(r, "path", "") == API + "/openapi.json":
                out.append(("GET", r.path))
            elif getattr(r, "path", "") == "/static":
                out.append(("GET", "/static/{file}"))

    walk(app.routes, "")
    return sorted(set(out), key=lambda mp: (mp[1], mp[0]))


def app_from_environment() -> FastAPI:
    """The app of one server process of `clearreel serve --workers N` (uvicorn's factory): the
    settings the parent exported (`cli.serve.export_settings`); the job worker runs in the
    parent, not here."""
    app = create_app(Settings(), worker=False)
    settle()
    return app
