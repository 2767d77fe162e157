"""The registry's static part (home territory, licences, characters, party names, consent
mode) is shared by the sessions that see one registry version: a committed write of any
process is the next question's answer at once, and nothing a session does to its own rows,
written or rolled back, reaches what the others share."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from .conftest import D, base

MID = D(2025, 6, 1)


def _engine(s):  # the session's clearance engine, loaded
    from clearreel.rights.clearance import engine

    e = engine(s)
    e._load()
    return e


def test_a_committed_licence_change_is_the_next_answer(registry) -> None:
    from clearreel.rights.models import Grant

    r = registry(base())
    assert r.use("w-one", "ai_training", MID).allowed
    with r.session() as s:  # shares what the first question read: same version
        first = _engine(s).licenses[0]
    with r.session() as s:
        for g in s.scalars(select(Grant).where(Grant.use == "ai_training")):
            g.value = "notAllowed"
    d = r.use("w-one", "ai_training", MID)
    assert not d.allowed and "license.forbids" in [x.code for x in d.reasons]
    with r.session() as s:
        assert _engine(s).licenses[0] is not first  # the new version read its own rows


def test_a_consent_mode_setting_and_a_new_party_name_are_read_at_once(registry) -> None:
    from clearreel.rights.models import Party, Setting

    r = registry(base())
    with r.session() as s:
        assert _engine(s).mode == "strict"
    with r.session() as s:
        s.add(Setting(key="consent_mode", value="unless_refused"))
        s.scalars(select(Party).where(Party.id == "p-ava")).one().name = "Ava Renamed"
    with r.session() as s:
        e = _engine(s)
        assert e.mode == "unless_refused" and e.name("p-ava") == "Ava Renamed (p-ava)"


def test_a_rolled_back_write_in_one_session_leaves_the_shared_rows_intact(registry) -> None:
    from clearreel.rights.models import Grant, License

    r = registry(base())
    with r.session() as s:
        shared = _engine(s).licenses
    assert all(inspect(lic).detached for lic in shared)  # no session can expire or flush them
    with pytest.raises(RuntimeError), r.session() as s:
        _engine(s)
        lic = s.scalars(select(License).where(License.id == shared[0].id)).one()
        assert lic is not shared[0]  # the session's own copy
        for g in s.scalars(select(Grant)):
            g.value = "notAllowed"
        s.flush()
        raise RuntimeError("abandon the transaction")
    assert {g.value for g in shared[0].grants} == {"allowed"}  # readable, unchanged
    assert r.use("w-one", "ai_training", MID).allowed


def test_other_organizations_never_share(registry) -> None:
    doc = base()
    a, b = registry(doc), registry(doc)
    with a.session() as s:
        la = _engine(s).licenses
    with b.session() as s:
        lb = _engine(s).licenses
    assert {x.org_id for x in la} == {a.org} and {x.org_id for x in lb} == {b.org}


def test_a_session_that_holds_a_licence_keeps_it_and_can_still_change_it(registry) -> None:
    """Rows a session loaded before it asks are its own: not expunged into the shared part,
    so a change it then makes is written."""
    from clearreel.rights.models import Grant, License

    r = registry(base())
    assert r.use("w-one", "ai_training", MID).allowed  # the shared part exists
    with r.session() as s:
        lic = s.scalars(select(License)).first()
        assert _engine(s).licenses[0] is lic  # the session's own row, not the shared one
        for g in lic.grants:
            if g.use == "ai_training":
                g.value = "notAllowed"
    with r.session() as s:
        assert s.scalars(select(Grant).where(Grant.use == "ai_training")).one().value == \
            "notAllowed"
    assert not r.use("w-one", "ai_training", MID).allowed
