"""Output records: ids, lookup."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.errors import NotFound
from clearreel.generate.models import Output


def new_output_id() -> str:
    """`out-` + 64 random bits in hex: exactly what the watermark can carry."""
    return f"out-{secrets.token_hex(8)}"


def find_output(session: Session, output_id: str) -> Output | None:
    return session.scalars(select(Output).where(Output.id == output_id)).first()


def get_output(session: Session, output_id: str) -> Output:
    out = find_output(session, output_id)
    if out is None:
        raise NotFound(f"no output {output_id!r} in this organization: "
                       "list outputs with `clearreel audit list --action generate.request`")
    return out


__all__ = ["Output", "find_output", "get_output", "new_output_id"]
