"""Settings: where the workspace is, which database, which organization, which engine.

Read from the environment (`CLEARREEL_*`) and overridden by CLI flags. Nothing outside
the workspace (`CLEARREEL_HOME`) is ever written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# The folders of a workspace that hold one sub-folder per organization (files of one studio
# never sit beside another's): datasets/ORG/NAME, models/ORG/NAME, outputs/ORG/, keys/ORG/,
# cache/ORG/ (latents and other per-organization caches; shared caches such as the tiny base
# model stay directly under cache/), anchors/ORG/ (signed checkpoints of the audit log's and the
# ledger's chain heads, kept apart from the database: see provenance.anchors).
ORG_KINDS = ("datasets", "models", "outputs", "keys", "cache", "anchors")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def org_slug(org: str) -> str:
    """The folder name of an organization id: itself when it is a plain name, otherwise
    percent-escaped (`/`, `:`, `@` are legal in catalog ids), so two ids never share a folder
    and no id can climb out of its parent (`..`)."""
    if not org:
        raise ValueError("no organization id")
    slug = re.sub(r"[^A-Za-z0-9._-]", lambda m: "".join(f"%{b:02X}" for b in
                                                         m.group().encode()), org)
    if not slug[0].isalnum():
        slug = f"%{ord(slug[0]):02X}{slug[1:]}"
    return slug


def check_file_name(name: str, what: str = "name") -> str:
    """A dataset or model name that is safe as one folder name (no separators, no `..`)."""
    from clearreel.errors import UsageError

    if not _NAME.fullmatch(name or ""):
        raise UsageError(f"{what} {name!r}: use letters, digits, '.', '_' or '-' "
                         "(starting with a letter or digit, at most 128)")
    return name


@dataclass(frozen=True)
class Settings:
    # The workspace: clearreel.db, keys/, media/, datasets/, models/, outputs/, cache/, anchors/.
    home: Path = field(
        default_factory=lambda: Path(os.environ.get("CLEARREEL_HOME", "clearreel-home"))
    )
    # SQLAlchemy URL; SQLite inside the workspace unless CLEARREEL_DATABASE_URL is set.
    database_url: str | None = field(
        default_factory=lambda: os.environ.get("CLEARREEL_DATABASE_URL")
    )
    # The organization (tenant) every query is scoped to; None means "the only one there is".
    org: str | None = field(default_factory=lambda: os.environ.get("CLEARREEL_ORG"))
    # Rule 3 of the clearance contract: "strict" needs a granted training consent from every
    # performer present; "unless_refused" (a studio's opt-in) only denies on refusal/revocation.
    consent_mode: str = field(
        default_factory=lambda: os.environ.get("CLEARREEL_CONSENT_MODE", "strict")
    )

    # Where organizations' CA private keys are kept: a folder outside the workspace
    # (CLEARREEL_CA_DIR), or keys/ORG/ca.key.enc encrypted with CLEARREEL_KEY_PASSPHRASE;
    # with neither, a CA key is not kept (see provenance.keys).
    ca_dir: str | None = field(default_factory=lambda: os.environ.get("CLEARREEL_CA_DIR") or None)
    key_passphrase: str | None = field(
        default_factory=lambda: os.environ.get("CLEARREEL_KEY_PASSPHRASE") or None, repr=False
    )

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'clearreel.db').resolve()}"

    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    # One function per kind of per-organization folder; every path of a studio's files is
    # built here, so no command can reach another organization's files by a shared name.
    def org_dir(self, kind: str, org: str) -> Path:
        if kind not in ORG_KINDS:
            raise ValueError(f"not a per-organization folder: {kind!r}")
        return self.home / kind / org_slug(org)

    def dataset_dir(self, org: str, name: str) -> Path:
        return self.org_dir("datasets", org) / check_file_name(name, "dataset name")

    def model_dir(self, org: str, name: str) -> Path:
        return self.org_dir("models", org) / check_file_name(name, "model name")

    def outputs_dir(self, org: str) -> Path:
        return self.org_dir("outputs", org)

    def keys_dir(self, org: str) -> Path:
        return self.org_dir("keys", org)

    def cache_dir(self, org: str, *parts: str) -> Path:
        return self.org_dir("cache", org).joinpath(*parts)

    def anchors_dir(self, org: str) -> Path:
        return self.org_dir("anchors", org)


# The environment variable of each setting (`Settings()` reads them): `clearreel serve`
# exports the command line's settings through them to the server processes it spawns.
ENVIRONMENT = {"home": "CLEARREEL_HOME", "database_url": "CLEARREEL_DATABASE_URL",
               "org": "CLEARREEL_ORG", "consent_mode": "CLEARREEL_CONSENT_MODE",
               "ca_dir": "CLEARREEL_CA_DIR", "key_passphrase": "CLEARREEL_KEY_PASSPHRASE"}


def export_settings(s: Settings) -> None:
    """Put `s` in this process's environment (`CLEARREEL_*`, read by `Settings()`), so that a
    spawned child acts on the same workspace, database and organization as its parent, with
    the options given on the command line."""
    for name, var in ENVIRONMENT.items():
        value = getattr(s, name)
        if name == "home":
            value = value.resolve()
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = str(value)


def get_settings() -> Settings:
    return Settings()
