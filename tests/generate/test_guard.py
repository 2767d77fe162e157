"""The prompt guard (contract rule 4 + the deny list), on a real registry."""

from __future__ import annotations

import datetime as dt

import pytest

from clearreel.db import open_session
from clearreel.generate.guard import check_prompt, find_depicted, mentions, normalize
from clearreel.rights import audit
from clearreel.rights.models import Setting
from provenance.conftest import catalog

ON = dt.date(2026, 6, 1)


def ask(settings, prompt, **kw):
    with open_session(settings) as s:
        return check_prompt(s, prompt, on=kw.pop("on", ON), home=settings.home, **kw)


def deny_codes(d):
    return sorted(r.code for r in d.reasons if r.effect == "deny")


def test_a_prompt_with_nobody_in_it_is_allowed(studio):
    d = ask(studio(), "a lighthouse at dusk, waves, slow dolly in")
    assert d.allowed and deny_codes(d) == []


def test_performer_by_name_needs_replica_consent_in_scope(studio):
    s = studio()
    assert ask(s, "Ava Stone walks along the pier", project="proj-a", purpose="previz").allowed
    d = ask(s, "Ava Stone walks along the pier", project="proj-b", purpose="previz")
    assert not d.allowed and deny_codes(d) == ["replica.out_of_scope"]
    d = ask(s, "Ava Stone walks along the pier", project="proj-a", purpose="final")
    assert not d.allowed and deny_codes(d) == ["replica.out_of_scope"]


def test_character_implies_its_performer(studio):
    s = studio()
    with open_session(s) as session:
        assert find_depicted(session, "Mara looks out to sea") == ([], ["c-mara"])
    d = ask(s, "Mara looks out to sea", project="proj-b")
    assert not d.allowed and deny_codes(d) == ["replica.out_of_scope"]
    assert d.question["performers"] == ["p-ava"]
    assert ask(s, "Mara looks out to sea", project="proj-a", purpose="previz").allowed


def test_character_needs_character_generation_from_its_owner(studio):
    s = studio()
    # Jon Harker is owned by the co-producer, who licensed no character_generation.
    d = ask(s, "Jonny runs through the rain")
    assert not d.allowed
    assert any(c.startswith("character") for c in deny_codes(d)), deny_codes(d)
    # The Gull: the studio's own character, no performer: its licence is enough.
    assert ask(s, "the gull circles the harbour").allowed


def test_refused_consent_blocks(studio):
    d = ask(studio(), "ZOE PARK smiles")  # accent- and case-insensitive
    assert not d.allowed and deny_codes(d) == ["replica.refused"]


@pytest.mark.parametrize(("change", "on", "code"), [
    ({"status": "revoked", "revoked": "2026-05-01"}, ON, "replica.revoked"),
    ({"expires": "2026-05-01"}, ON, "replica.expired"),
])
def test_revoked_or_expired_consent_blocks(studio, change, on, code):
    doc = catalog()
    k = next(c for c in doc["consents"] if c["id"] == "k-ben-dr")
    k.update(change)
    s = studio(doc)
    d = ask(s, "Ben Reyes at the helm", on=on)
    assert not d.allowed and deny_codes(d) == [code]
    # Before the revocation or expiry, the same request was allowed.
    assert ask(s, "Ben Reyes at the helm", on=dt.date(2026, 4, 1)).allowed


@pytest.mark.parametrize("prompt", [
    "Darth Vader on the pier", "a pikachu plush on a table", "PIKACHU", "Pokémon battle",
    "a scene with tom cruise", "Spider-Man swings", "spider man swings",
])
def test_deny_list_refuses_third_party_names(studio, prompt):
    d = ask(studio(), prompt)
    assert not d.allowed and deny_codes(d) == ["prompt.denylist"]


@pytest.mark.parametrize("prompt", [
    "a marathon runner at dawn",        # contains "mara"
    "lava stones on a beach",          # contains "ava stone"
    "a batmanesque silhouette",         # "batman" inside a longer word
    "a jonnycake on a plate",           # alias "jonny" inside a word
    "a gull",                           # not "the gull"
])
def test_no_false_positive_on_substrings(studio, prompt):
    d = ask(studio(), prompt)
    assert d.allowed, [r.detail for r in d.reasons]


def test_studio_extends_and_relaxes_the_deny_list(studio):
    s = studio()
    (s.home / "denylist.txt").write_text("# our rivals\nRival Studios Franchise\n")
    with open_session(s) as session:
        session.add(Setting(key="generate.denylist_allow", value=["Sherlock Holmes BBC"]))
        session.add(Setting(key="generate.denylist", value=["Captain Nemo"]))
    assert not ask(s, "the rival studios franchise logo").allowed
    assert not ask(s, "captain nemo's submarine").allowed
    assert ask(s, "sherlock holmes bbc style").allowed


def test_every_request_is_audited(studio_any_db):
    s = studio_any_db()
    ask(s, "a lighthouse")
    ask(s, "Darth Vader")
    with open_session(s) as session:
        entries = audit.entries(session, "generate.guard")
        assert [e.payload["allowed"] for e in entries] == [False, True]
        assert entries[0].payload["prompt"] == "Darth Vader"
        assert entries[0].payload["denylisted"] == ["Darth Vader"]
        assert audit.verify(session) == []


def test_normalisation():
    assert normalize("  Zoë   PARK! ") == "zoe park"
    assert mentions("Hello, MÁRA.", "Mara") and not mentions("Marathon", "Mara")


def test_empty_prompt_is_bad_input(studio):
    from clearreel.errors import UsageError

    with pytest.raises(UsageError):
        ask(studio(), "   ")


def test_a_character_adapter_depicts_its_character_whatever_the_prompt(studio):
    s = studio()
    d = ask(s, "sks walks on the beach", characters=["c-mara"], project="proj-b")
    assert not d.allowed and deny_codes(d) == ["replica.out_of_scope"]
    assert d.question["characters"] == ["c-mara"] and d.question["performers"] == ["p-ava"]
