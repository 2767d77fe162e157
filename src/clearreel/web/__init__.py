"""The web studio: FastAPI app, server-rendered pages, the JSON API, accounts and jobs.

- `create_app(settings) -> FastAPI` (`clearreel serve` runs it with uvicorn);
- accounts (`clearreel.web.accounts`): `add_user`, `issue_token`, `authenticate`;
- jobs (`clearreel.web.jobs`): `submit`, `run_job`, `Worker`.

Pages and API call the same package functions as the CLI; nothing here decides a rule.
Importing this package is cheap: FastAPI is imported by `create_app` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clearreel.config import Settings


def create_app(settings: Settings, **kwargs: Any) -> Any:
    """See `clearreel.web.app.create_app`."""
    from clearreel.web.app import create_app as _create

    return _create(settings, **kwargs)


__all__ = ["create_app"]
