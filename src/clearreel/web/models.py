"""Accounts and jobs: who may sign in to the web studio and the API, and what they started.

A user has a role in exactly one organization. Passwords are stored as argon2id hashes
(argon2-cffi's defaults, RFC 9106); API tokens and session ids are random 256-bit secrets
stored as SHA-256 digests only, so a copy of the database gives no usable credential.

Jobs (curate, train, generate started from the browser) keep their state and progress here,
so a restarted server finds each job where it stood.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearreel.db import Base, TenantMixin, utcnow

ROLES = ("admin", "rights", "creative", "finance")
JOB_KINDS = ("curate", "train", "generate")
JOB_STATES = ("queued", "running", "done", "failed", "blocked")


class User(TenantMixin, Base):
    """An account. `name` is unique in the workspace (the sign-in form asks for no org)."""

    __tablename__ = "web_users"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(TenantMixin, Base):
    """A bearer token for scripts; only its SHA-256 is kept (`prefix` helps to tell them apart)."""

    __tablename__ = "web_api_tokens"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("web_users.pk", ondelete="CASCADE"),
                                         index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebSession(TenantMixin, Base):
    """A signed-in browser: the cookie holds the secret, the row its digest and CSRF token."""

    __tablename__ = "web_sessions"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("web_users.pk", ondelete="CASCADE"),
                                         index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(DateTime)


class Job(TenantMixin, Base):
    """A long task started from the browser, run by the worker (see web.jobs)."""

    __tablename__ = "web_jobs"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)  # "job-" + 12 hex
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    user: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_pid: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime)


__all__ = ["JOB_KINDS", "JOB_STATES", "ROLES", "ApiToken", "Job", "User", "WebSession"]
