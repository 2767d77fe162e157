"""What the clearance engine answers: a `Decision` with the machine-readable `Reason`s behind
it (the ones that allowed it included: curation records those licence and consent ids in the
bill of materials), and the small predicates the rules share (a consent in force, a scope
that covers a value).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from clearreel.rights.models import Consent


@dataclass
class Reason:
    """Why a decision went the way it did. `effect` is `allow` (this cleared it), `deny`
    (this blocked it) or `info` (context: e.g. a licence that did not count, and why)."""

    code: str
    license: str | None = None
    consent: str | None = None
    party: str | None = None
    detail: str = ""
    effect: str = "deny"
    reservation: str | None = None  # the source and media URI of an embedded reservation
    character: str | None = None  # the character concerned (rule 4, the prompt guard)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Decision:
    allowed: bool
    reasons: list[Reason] = field(default_factory=list)
    # What was asked (for the audit log and for readable output).
    question: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reasons": [r.to_json() for r in self.reasons],
                **self.question}

    @property
    def licenses(self) -> list[str]:
        """The licences that cleared an allowed decision (for a bill of materials)."""
        return _ids(r.license for r in self.reasons if r.effect == "allow")

    @property
    def consents(self) -> list[str]:
        """The consents that cleared an allowed decision."""
        return _ids(r.consent for r in self.reasons if r.effect == "allow")

    @property
    def denials(self) -> list[Reason]:
        return [r for r in self.reasons if r.effect == "deny"]


def _ids(values: Any) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def _in_force(k: Consent, on: dt.date) -> bool:
    """A consent is in force from its signature until it expires or is revoked (both
    exclusive: an `expires` or `revoked` date is the first day it no longer holds)."""
    return (k.signed <= on and (k.expires is None or on < k.expires)
            and (k.revoked is None or on < k.revoked))


def _covers(scope: list[str] | None, value: str | None) -> bool:
    """A scope list that is absent covers everything; a present one must name the value."""
    return scope is None or (value is not None and value in scope)


def _day(on: dt.date | dt.datetime | None) -> dt.date:
    if on is None:
        return dt.date.today()
    return on.date() if isinstance(on, dt.datetime) else on


__all__ = ["Decision", "Reason"]
