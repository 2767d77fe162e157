"""Settings: where the workspace is, which database, which organization, which engine.

Read from the environment (`CLEARREEL_*`) and overridden by CLI flags. Nothing outside
the workspace (`CLEARREEL_HOME`) is ever written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    # The workspace: clearreel.db, keys/, media/, datasets/, models/, outputs/, cache/.
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

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'clearreel.db').resolve()}"

    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"


def get_settings() -> Settings:
    return Settings()
