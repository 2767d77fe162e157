"""Who is asking: the session cookie (pages) or a bearer token (API); roles; CSRF.

Authorization answers (docs/web.md, "Security"):
- not signed in: a page redirects to /signin, the API answers 401;
- signed in, but the role may not use the page or call: 403;
- an object (work, performer, dataset, model, output, job) of another organization, or one
  that does not exist: 404, the same answer, so ids of other studios cannot be probed.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

from clearreel.config import Settings
from clearreel.web.accounts import Account, session_account, token_account

COOKIE = "cr_session"
PRE_COOKIE = "cr_signin"  # double-submit CSRF token of the sign-in form (before a session)

# Which roles may use each area. admin may use everything.
AREAS: dict[str, tuple[str, ...]] = {
    "rights": ("admin", "rights"),  # works, performers, consents, catalog import, audit log
    "datasets": ("admin", "rights", "creative"),  # datasets, BOM, verify, models
    "curate": ("admin", "rights"),  # start a curation job
    "train": ("admin", "creative"),  # start a training job
    "generate": ("admin", "creative"),  # guard, generation jobs
    "outputs": ("admin", "creative", "rights"),  # outputs gallery, provenance, verify upload
    "finance": ("admin", "finance"),  # statements
    "jobs": ("admin", "rights", "creative"),
}


class SignInRequired(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


@dataclass(frozen=True)
class Ctx:
    """The request's account and the settings scoped to its organization."""

    account: Account
    settings: Settings
    csrf: str = ""

    @property
    def org(self) -> str:
        return self.account.org

    def may(self, area: str) -> bool:
        return self.account.role in AREAS[area]

    def require(self, area: str) -> None:
        if not self.may(area):
            raise HTTPException(403, f"the {self.account.role} role may not use {area}; "
                                     f"ask an admin (roles allowed: {', '.join(AREAS[area])})")


def _scoped(base: Settings, account: Account) -> Settings:
    return dataclasses.replace(base, org=account.org)


def page_ctx(request: Request) -> Ctx:
    base: Settings = request.app.state.settings
    secret = request.cookies.get(COOKIE)
    found = session_account(base, secret) if secret else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    account, csrf = found
    return Ctx(account, _scoped(base, account), csrf)


def api_ctx(request: Request) -> Ctx:
    base: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    account = token_account(base, token.strip()) if scheme.lower() == "bearer" else None
    if account is None:
        raise HTTPException(401, "give an API token: Authorization: Bearer TOKEN "
                                 "(create one with `clearreel user token NAME`)",
                            headers={"WWW-Authenticate": "Bearer"})
    return Ctx(account, _scoped(base, account))


def check_csrf(ctx: Ctx, form: Any) -> None:
    sent = str(form.get("csrf") or "")
    if not ctx.csrf or not secrets.compare_digest(sent, ctx.csrf):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page "
                                 "and submit again")


__all__ = ["AREAS", "COOKIE", "PRE_COOKIE", "Ctx", "SignInRequired", "api_ctx", "check_csrf",
           "page_ctx"]
