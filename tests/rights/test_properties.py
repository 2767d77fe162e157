"""Property tests: restricting can never clear. Adding a `notAllowed` licence or revoking a
consent never turns a denial into an allowance, whatever the registry and the question."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clearreel.config import Settings

from .conftest import base

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

# Weighted towards registries that allow, so that both outcomes are explored.
LICENSORS = ["p-studio", "p-studio", "p-studio", "p-co", "p-dist", "p-ava"]
USES = ["ai_training", "ai_generative_training", "data_mining"]
VALUES = ["allowed"] * 12 + ["notAllowed", "constrained"]
TERRITORIES = ["WORLD", "WORLD", "WORLD", "US", "FR", "GB"]
DAY0 = dt.date(2024, 1, 1)

days = st.integers(min_value=0, max_value=1000).map(lambda n: DAY0 + dt.timedelta(days=n))
early = st.just(DAY0) | days  # half of the licences and consents start on day 0


@st.composite
def licences(draw: Any) -> dict[str, Any]:
    start = draw(early)
    return {
        "licensor": draw(st.sampled_from(LICENSORS)),
        "works": draw(st.sampled_from([None, None, ["w-one"], ["w-two"]])),
        "uses": draw(st.dictionaries(st.sampled_from(USES), st.sampled_from(VALUES), min_size=2)),
        "territories": draw(st.lists(st.sampled_from(TERRITORIES), min_size=1, max_size=2,
                                     unique=True)),
        "exclude": draw(st.sampled_from([[], [], [], ["US"], ["FR"]])),
        "start": start,
        "end": draw(st.none() | st.none()
                    | st.integers(0, 900).map(lambda n: start + dt.timedelta(days=n))),
    }


@st.composite
def consents(draw: Any) -> dict[str, Any]:
    signed = draw(early)
    status = draw(st.sampled_from(["granted"] * 5 + ["refused", "revoked"]))
    revoked = signed + dt.timedelta(days=draw(st.integers(0, 600))) if status == "revoked" else None
    return {
        "party": draw(st.sampled_from(["p-ava", "p-ben"])),
        "status": status,
        "works": draw(st.sampled_from([None, None, ["w-one"], ["w-two"]])),
        "signed": signed,
        "expires": draw(st.none()
                        | st.integers(1, 900).map(lambda n: signed + dt.timedelta(days=n))),
        "revoked": revoked,
    }


questions = st.fixed_dictionaries({
    "work": st.sampled_from(["w-one", "w-two"]),
    "use": st.sampled_from(USES),
    "on": days,
    "territory": st.sampled_from([None, "US", "US", "FR", "WORLD"]),
    "mode": st.sampled_from(["strict", "unless_refused"]),
})

_ids = itertools.count()


@pytest.fixture(scope="module")
def org(shared: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    """An organization with parties and works only; each example adds its own licences and
    consents in a transaction that is rolled back."""
    from clearreel.rights.catalog import import_catalog

    from .conftest import write

    doc = base()
    doc["organization"]["id"] = "org-prop"
    doc["licenses"] = []
    doc["consents"] = []
    import_catalog(dataclasses.replace(shared, org="org-prop"),
                   write(tmp_path_factory.mktemp("prop") / "c.yaml", doc))
    return shared, "org-prop"


def _add_licence(s: Any, org: str, spec: dict[str, Any]) -> Any:
    from clearreel.rights.models import Grant, License

    lic = License(id=f"l{next(_ids)}", licensor_id=spec["licensor"], licensee=org,
                  works=spec["works"], territories=spec["territories"],
                  exclude_territories=spec["exclude"], start=spec["start"], end=spec["end"],
                  grants=[Grant(use=u, value=v) for u, v in spec["uses"].items()])
    s.add(lic)
    return lic


def _add_consent(s: Any, spec: dict[str, Any]) -> Any:
    from clearreel.rights.models import Consent

    k = Consent(id=f"k{next(_ids)}", party_id=spec["party"], kind="training",
                status=spec["status"], works=spec["works"], projects=None, purposes=None,
                description="", signed=spec["signed"], expires=spec["expires"],
                revoked=spec["revoked"])
    s.add(k)
    return k


def _decide(s: Any, q: dict[str, Any]) -> bool:
    from clearreel.rights.clearance import Clearance

    c = Clearance(s, consent_mode=q["mode"])
    return c.check_use(q["work"], q["use"], on=q["on"], territory=q["territory"],
                       audit=False).allowed


def _scenario(settings_: Settings, org: str, lics: list, ks: list, q: dict, change: Any) -> None:
    from clearreel.db import open_session

    with open_session(settings_, org=org) as s:
        try:
            for spec in lics:
                _add_licence(s, org, spec)
            added = [_add_consent(s, spec) for spec in ks]
            s.flush()
            before = _decide(s, q)
            event(f"allowed before: {before}")
            change(s, added)
            s.flush()
            after = _decide(s, q)
            assert not (after and not before), "a restriction turned a denial into an allowance"
        finally:
            s.rollback()


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lics=st.lists(licences(), min_size=1, max_size=4), ks=st.lists(consents(), max_size=5),
       q=questions,
       forbid=licences())
def test_adding_a_not_allowed_licence_never_clears(org, lics, ks, q, forbid) -> None:
    settings_, org_id = org
    forbid = {**forbid, "uses": dict.fromkeys(forbid["uses"], "notAllowed")}
    _scenario(settings_, org_id, lics, ks, q, lambda s, _: _add_licence(s, org_id, forbid))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lics=st.lists(licences(), min_size=1, max_size=3), ks=st.lists(consents(), min_size=1,
                                                                       max_size=4),
       q=questions, pick=st.integers(0, 3), after_days=st.integers(0, 700))
def test_revoking_a_consent_never_clears(org, lics, ks, q, pick, after_days) -> None:
    settings_, org_id = org

    def revoke(s: Any, added: list) -> None:
        granted = [k for k in added if k.status == "granted"]
        if not granted:
            return
        k = granted[pick % len(granted)]
        k.status = "revoked"
        k.revoked = k.signed + dt.timedelta(days=after_days)

    _scenario(settings_, org_id, lics, ks, q, revoke)
