"""Accounts: users with a role in one organization, argon2 passwords, API tokens, sessions.

The CLI run by the workspace's operator is the admin path (`clearreel user add`, `clearreel
user token`); people and scripts reach the registry through these accounts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from clearreel.config import Settings
from clearreel.db import open_session, utcnow
from clearreel.errors import NotFound, UsageError
from clearreel.web.models import ROLES, ApiToken, User, WebSession

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD = 12
SESSION_HOURS = 12
TOKEN_PREFIX = "crt_"


@dataclass(frozen=True)
class Account:
    """A signed-in user, detached from the database session."""

    pk: int
    name: str
    role: str
    org: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role, "org": self.org}


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def digest(secret: str) -> str:
    """SHA-256 of a random 256-bit secret: enough for a token (no dictionary to attack)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _account(u: User) -> Account:
    return Account(u.pk, u.name, u.role, u.org_id)


def _known_org(settings: Settings, org: str | None) -> str:
    from clearreel.db import connect
    from clearreel.db.orgs import check_org, resolve_org

    # One place decides: an organization of this workspace, or exit 2 listing the known ones.
    return resolve_org(settings) if org is None else check_org(settings, connect(settings), org)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is too short: use at least {MIN_PASSWORD} characters "
                         "(or let `clearreel user add` generate one)")


def add_user(settings: Settings, name: str, role: str, *, org: str | None = None,
             password: str | None = None) -> tuple[Account, str]:
    """Create an account; returns it and its password (generated when none is given)."""
    from clearreel.rights import audit

    if not NAME.fullmatch(name or ""):
        raise UsageError(f"user name {name!r}: use lowercase letters, digits, '.', '_' or '-' "
                         "(at most 64, starting with a letter or digit)")
    if role not in ROLES:
        raise UsageError(f"--role {role!r}: use one of {', '.join(ROLES)}")
    org = _known_org(settings, org)
    if password is None:
        password = secrets.token_urlsafe(15)
    check_password(password)
    with open_session(settings, any_org=True) as s:
        if s.scalars(select(User).where(User.name == name)).first() is not None:
            raise UsageError(f"a user named {name!r} already exists: choose another name")
    with open_session(settings, org=org) as s:
        u = User(name=name, role=role, password_hash=_hasher().hash(password), active=True)
        s.add(u)
        s.flush()
        audit.record(s, "account.add", name, role=role)
        return _account(u), password


def list_users(settings: Settings, org: str | None = None) -> list[dict[str, object]]:
    org = _known_org(settings, org)
    with open_session(settings, org=org) as s:
        return [{"name": u.name, "role": u.role, "org": u.org_id, "active": u.active,
                 "created": u.created.isoformat(timespec="seconds")}
                for u in s.scalars(select(User).order_by(User.name))]


def issue_token(settings: Settings, name: str) -> tuple[Account, str]:
    """A new API token for `name` (shown once; only its digest is stored)."""
    from clearreel.rights import audit

    with open_session(settings, any_org=True) as s:
        u = s.scalars(select(User).where(User.name == name)).first()
        if u is None:
            raise NotFound(f"no user named {name!r}: create one with `clearreel user add`")
        org = u.org_id
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with open_session(settings, org=org) as s:
        u = s.scalars(select(User).where(User.name == name)).one()
        s.add(ApiToken(user_pk=u.pk, digest=digest(token), prefix=token[:10]))
        audit.record(s, "account.token", name, prefix=token[:10])
        return _account(u), token


def authenticate(settings: Settings, name: str, password: str) -> Account | None:
    """The account when the password matches; None otherwise (same work either way)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    ph = _hasher()
    with open_session(settings, any_org=True) as s:
        u = s.scalars(select(User).where(User.name == name, User.active.is_(True))).first()
        stored = u.password_hash if u else _dummy_hash()
        try:
            ph.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if u is None:
            return None
        if ph.check_needs_rehash(u.password_hash):
            u.password_hash = ph.hash(password)
        return _account(u)


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against for an unknown name, so timing does not tell names apart."""
    if not _DUMMY:
        _DUMMY.append(_hasher().hash(secrets.token_hex(16)))
    return _DUMMY[0]


def token_account(settings: Settings, token: str) -> Account | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    with open_session(settings, any_org=True) as s:
        row = s.execute(select(User).join(ApiToken, ApiToken.user_pk == User.pk)
                        .where(ApiToken.digest == digest(token), ApiToken.revoked.is_(None),
                               User.active.is_(True))).scalars().first()
        return _account(row) if row else None


def start_session(settings: Settings, account: Account) -> tuple[str, str]:
    """(cookie secret, CSRF token) of a new browser session."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with open_session(settings, org=account.org) as s:
        s.add(WebSession(user_pk=account.pk, digest=digest(secret), csrf=csrf,
                         expires=utcnow() + dt.timedelta(hours=SESSION_HOURS)))
    return secret, csrf


def session_account(settings: Settings, secret: str) -> tuple[Account, str] | None:
    """(account, CSRF token) of a live session; None when unknown or expired."""
    with open_session(settings, any_org=True) as s:
        row = s.execute(select(User, WebSession.csrf)
                        .join(WebSession, WebSession.user_pk == User.pk)
                        .where(WebSession.digest == digest(secret),
                               WebSession.expires > utcnow(), User.active.is_(True))).first()
        return (_account(row[0]), row[1]) if row else None


def end_session(settings: Settings, secret: str) -> None:
    with open_session(settings, any_org=True) as s:
        for row in s.scalars(select(WebSession).where(WebSession.digest == digest(secret))):
            s.delete(row)


__all__ = ["ROLES", "Account", "add_user", "authenticate", "check_password", "end_session",
           "issue_token", "list_users", "session_account", "start_session", "token_account"]
