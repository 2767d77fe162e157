"""Every clearance rule of the contract, at its boundaries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clearreel.errors import NotFound, UsageError

from .conftest import D, base, codes, find

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

MID = D(2025, 6, 1)


def lic(id_: str, licensor: str = "p-studio", uses: dict | None = None, **kw) -> dict:
    d = {"id": id_, "licensor": licensor, "licensee": "org-test", "works": "all",
         "uses": uses or {"data_mining": "allowed"}, "territories": ["WORLD"],
         "start": "2024-01-01"}
    d.update(kw)
    return d


# ---------------------------------------------------------------------- rule 1


def test_allowed_with_reasons_naming_the_licence_and_consents(registry):
    r = registry(base())
    d = r.use("w-one", "ai_training", MID)
    assert d.allowed
    assert codes(d, "allow") == ["license.allows", "consent.granted", "consent.granted"]
    assert d.licenses == ["l-main"]
    assert d.consents == ["k-ava", "k-ben"]
    j = d.to_json()
    assert j["allowed"] is True and j["reasons"][0]["license"] == "l-main"
    assert {x["party"] for x in j["reasons"][1:]} == {"p-ava", "p-ben"}


def test_deny_by_default_without_any_licence(registry):
    doc = base()
    doc["licenses"] = []
    d = registry(doc).use("w-one", "data_mining", MID)
    assert not d.allowed and codes(d) == ["license.none"]


@pytest.mark.parametrize(("on", "allowed", "code"), [
    (D(2023, 12, 31), False, "license.not_yet_in_force"),
    (D(2024, 1, 1), True, None),       # start is inclusive
    (D(2026, 12, 31), True, None),     # end is inclusive
    (D(2027, 1, 1), False, "license.expired"),
])
def test_licence_dates_are_inclusive(registry, on, allowed, code):
    d = registry(base()).use("w-one", "data_mining", on)
    assert d.allowed is allowed
    if code:
        assert code in codes(d, "info")


def test_open_ended_licence(registry):
    doc = base()
    del find(doc, "licenses", "l-main")["end"]
    assert registry(doc).use("w-one", "data_mining", D(2090, 1, 1)).allowed


def test_use_not_listed_is_not_allowed(registry):
    d = registry(base()).use("w-one", "character_generation", MID)
    assert not d.allowed and codes(d) == ["license.none"]


def test_licence_must_cover_the_work(registry):
    doc = base()
    find(doc, "licenses", "l-main")["works"] = ["w-two"]
    r = registry(doc)
    assert not r.use("w-one", "data_mining", MID).allowed
    assert r.use("w-two", "data_mining", MID).allowed


def test_licensor_must_hold_rights_in_the_work(registry):
    doc = base()
    doc["licenses"] = [lic("l-dist", licensor="p-dist"), lic("l-ava", licensor="p-ava")]
    d = registry(doc).use("w-one", "data_mining", MID)
    assert not d.allowed
    assert codes(d) == ["license.none", "license.licensor_not_rights_holder",
                        "license.licensor_not_rights_holder"]


def test_a_co_owner_licence_counts(registry):
    doc = base()
    doc["licenses"] = [lic("l-co", licensor="p-co")]
    r = registry(doc)
    assert r.use("w-one", "data_mining", MID).allowed          # p-co is rights_holder of w-one
    assert not r.use("w-two", "data_mining", MID).allowed      # ... but not of w-two


def test_licensee_must_be_the_organization(registry):
    doc = base()
    doc["licenses"] = [lic("l-out", licensee="p-dist")]
    assert not registry(doc).use("w-one", "data_mining", MID).allowed


# ---------------------------------------------------------------------- territories


@pytest.mark.parametrize(("territories", "exclude", "ask", "allowed", "code"), [
    (["US", "CA"], [], "US", True, None),
    (["US", "CA"], [], "GB", False, "license.territory_not_covered"),
    (["WORLD"], ["FR"], "FR", False, "license.territory_excluded"),
    (["WORLD"], ["FR"], "DE", True, None),
    (["US"], ["US"], "US", False, "license.territory_excluded"),
    (["WORLD"], [], "WORLD", True, None),
    (["US"], [], "WORLD", False, "license.territory_not_covered"),
    (["WORLD"], ["FR"], "WORLD", False, "license.territory_not_covered"),
])
def test_territory_inclusion_and_exclusion(registry, territories, exclude, ask, allowed, code):
    doc = base()
    find(doc, "licenses", "l-main").update(territories=territories, exclude_territories=exclude)
    d = registry(doc).use("w-one", "data_mining", MID, territory=ask)
    assert d.allowed is allowed
    if code:
        assert code in codes(d, "info")


def test_territory_defaults_to_home_then_world(registry):
    doc = base()
    find(doc, "licenses", "l-main")["territories"] = ["US"]
    r = registry(doc)
    assert r.use("w-one", "data_mining", MID).allowed           # home territory US
    assert r.use("w-one", "data_mining", MID).question["territory"] == "US"
    del doc["organization"]["home_territory"]
    r2 = registry(doc)
    d = r2.use("w-one", "data_mining", MID)
    assert not d.allowed and d.question["territory"] == "WORLD"  # must cover WORLD
    find(doc, "licenses", "l-main")["territories"] = ["WORLD"]
    assert registry(doc).use("w-one", "data_mining", MID).allowed


def test_lower_case_territory_is_accepted_unknown_is_refused(registry):
    r = registry(base())
    assert r.use("w-one", "data_mining", MID, territory="fr").question["territory"] == "FR"
    with pytest.raises(UsageError, match="unknown territory 'XX'"):
        r.use("w-one", "data_mining", MID, territory="XX")


# ---------------------------------------------------------------------- rule 2


def test_most_restrictive_wins_across_licences(registry):
    doc = base()
    doc["licenses"].append(lic("l-no", uses={"data_mining": "notAllowed"}))
    d = registry(doc).use("w-one", "data_mining", MID)
    assert not d.allowed
    assert codes(d, "allow") == ["license.allows"]
    assert codes(d, "deny") == ["license.forbids"]
    assert d.denials[0].license == "l-no"


def test_a_co_owner_forbids(registry):
    doc = base()
    doc["licenses"].append(lic("l-co-no", licensor="p-co", uses={"ai_training": "notAllowed"}))
    d = registry(doc).use("w-one", "ai_training", MID)
    assert not d.allowed and d.denials[0].party == "p-co"


def test_constrained_counts_as_not_allowed(registry):
    doc = base()
    doc["licenses"].append(lic("l-c", uses={"data_mining": "constrained"}))
    d = registry(doc).use("w-one", "data_mining", MID)
    assert not d.allowed and codes(d, "deny") == ["license.constrained"]


@pytest.mark.parametrize(("extra", "allowed"), [
    ({"start": "2026-01-01"}, True),                               # not yet in force on D
    ({"end": "2025-05-31"}, True),                                 # ended the day before D
    ({"end": "2025-06-01"}, False),                                # ends on D: in force
    ({"territories": ["FR"]}, True),                               # elsewhere
    ({"territories": ["WORLD"], "exclude_territories": ["US"]}, True),
    ({"works": ["w-two"]}, True),                                  # another work
    ({"licensee": "p-dist"}, True),                                # binds someone else
])
def test_a_forbidding_licence_only_counts_where_it_applies(registry, extra, allowed):
    doc = base()
    doc["licenses"].append(lic("l-no", uses={"data_mining": "notAllowed"}, **extra))
    assert registry(doc).use("w-one", "data_mining", MID).allowed is allowed


def test_with_no_territory_a_forbid_anywhere_applies(registry):
    doc = base()
    del doc["organization"]["home_territory"]
    doc["licenses"].append(lic("l-no-fr", uses={"data_mining": "notAllowed"}, territories=["FR"]))
    r = registry(doc)
    assert not r.use("w-one", "data_mining", MID).allowed
    assert r.use("w-one", "data_mining", MID, territory="US").allowed


def test_a_reservation_in_the_media_wins_over_the_licence(registry):
    from clearreel.rights.models import Reservation, Work

    r = registry(base())
    with r.session() as s:
        w = s.scalars(select(Work).where(Work.id == "w-one")).one()
        s.add(Reservation(work_pk=w.pk, use="ai_training", value="notAllowed",
                          source="cawg.training-mining", raw="{}"))
    d = r.use("w-one", "ai_training", MID)
    assert not d.allowed and "reservation.forbids" in codes(d, "deny")
    assert r.use("w-one", "data_mining", MID).allowed  # other uses are not reserved


# ---------------------------------------------------------------------- rule 3


@pytest.mark.parametrize(("on", "allowed", "code"), [
    (D(2024, 1, 14), False, "consent.not_yet_signed"),
    (D(2024, 1, 15), True, None),      # signed on D: in force
    (D(2026, 12, 31), True, None),     # the day before it expires
])
def test_consent_signature_date(registry, on, allowed, code):
    d = registry(base()).use("w-one", "ai_training", on)
    assert d.allowed is allowed
    if code:
        assert code in codes(d, "deny")


def test_consent_expiry_date_is_the_first_day_it_no_longer_holds(registry):
    doc = base()
    find(doc, "licenses", "l-main")["end"] = "2030-01-01"
    r = registry(doc)
    assert r.use("w-one", "ai_training", D(2026, 12, 31)).allowed
    d = r.use("w-one", "ai_training", D(2027, 1, 1))
    assert not d.allowed and d.denials[0].code == "consent.expired"
    assert d.denials[0].consent == "k-ava"


def test_revoked_consent_holds_until_its_revoked_date_exclusive(registry):
    doc = base()
    find(doc, "consents", "k-ben").update(status="revoked", revoked="2025-03-01")
    r = registry(doc)
    assert r.use("w-one", "ai_training", D(2025, 2, 28)).allowed  # answered as it was then
    d = r.use("w-one", "ai_training", D(2025, 3, 1))
    assert not d.allowed
    assert [(x.code, x.consent, x.party) for x in d.denials] == [
        ("consent.revoked", "k-ben", "p-ben")]


def test_refused_consent_denies(registry):
    doc = base()
    find(doc, "consents", "k-ben")["status"] = "refused"
    d = registry(doc).use("w-one", "ai_generative_training", MID)
    assert not d.allowed and codes(d, "deny") == ["consent.refused"]


def test_a_refusal_wins_over_a_grant(registry):
    doc = base()
    doc["consents"].append({"id": "k-ben-no", "party": "p-ben", "kind": "training",
                            "status": "refused", "signed": "2025-01-01"})
    r = registry(doc)
    assert r.use("w-one", "ai_training", D(2024, 12, 31)).allowed
    assert not r.use("w-one", "ai_training", D(2025, 1, 1)).allowed


def test_missing_consent_and_consent_scope(registry):
    doc = base()
    find(doc, "consents", "k-ben")["works"] = ["w-two"]
    d = registry(doc).use("w-one", "ai_training", MID)
    assert not d.allowed
    assert [(x.code, x.party) for x in d.denials] == [("consent.missing", "p-ben")]


def test_other_kinds_of_consent_do_not_count_for_training(registry):
    doc = base()
    find(doc, "consents", "k-ben")["kind"] = "likeness"
    assert not registry(doc).use("w-one", "ai_training", MID).allowed


def test_consents_only_matter_for_training_uses(registry):
    doc = base()
    doc["consents"] = []
    r = registry(doc)
    assert r.use("w-one", "data_mining", MID).allowed
    assert r.use("w-one", "ai_inference", MID).allowed
    assert not r.use("w-one", "ai_training", MID).allowed


# ---------------------------------------------------------------------- presence


def test_no_scenes_means_every_credited_performer_is_present(registry):
    doc = base()
    doc["consents"] = [c for c in doc["consents"] if c["id"] != "k-ben"]
    r = registry(doc)
    d = r.use("w-one", "ai_training", MID)
    assert not d.allowed and d.question["performers"] == ["p-ava", "p-ben"]
    # w-two has a scene with only Ava, but the time outside it (its length is not known
    # before it is probed) counts every credited performer: unknown presence is not absence.
    d2 = r.use("w-two", "ai_training", MID)
    assert not d2.allowed and d2.question["performers"] == ["p-ava", "p-ben"]


def test_a_character_in_a_scene_brings_its_performer(registry):
    doc = base()
    doc["consents"] = [c for c in doc["consents"] if c["id"] != "k-ben"]
    find(doc, "works", "w-two")["scenes"].append(
        {"start": "00:00:05", "end": "00:00:06", "characters": ["c-jon"]})
    d = registry(doc).use("w-two", "ai_training", MID)
    assert not d.allowed and d.question["performers"] == ["p-ava", "p-ben"]


def test_explicit_performers_override_the_presence_rule(registry):
    doc = base()
    doc["consents"] = [c for c in doc["consents"] if c["id"] != "k-ben"]
    r = registry(doc)
    assert r.use("w-one", "ai_training", MID, performers=["p-ava"]).allowed
    assert r.use("w-one", "ai_training", MID, performers=[]).allowed
    assert not r.use("w-two", "ai_training", MID, performers=["p-ben"]).allowed


def test_speaker_labels_add_performers(registry, tmp_path):
    srt = tmp_path / "three.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nJONNY: Where were you?\n\n"
                   "2\n00:00:03,000 --> 00:00:04,000\n- NARRATOR: Long ago.\n")
    doc = base()
    doc["works"].append({"id": "w-three", "title": "Three", "kind": "episode",
                         "subtitles": [str(srt)],
                         "participations": [{"party": "p-studio", "role": "studio"},
                                            {"party": "p-ava", "role": "performer"}]})
    doc["consents"] = [c for c in doc["consents"] if c["id"] != "k-ben"]
    d = registry(doc).use("w-three", "ai_training", MID)
    # Only Ava is credited; the label JONNY is an alias of Jon, played by Ben, who has no
    # consent: the label adds him.
    assert not d.allowed and d.question["performers"] == ["p-ava", "p-ben"]
    assert codes(d, "deny") == ["consent.missing"]


def test_credited_performers(registry):
    from clearreel.rights.clearance import credited_performers, present_performers

    r = registry(base())
    with r.session() as s:
        assert credited_performers(s, "w-one") == ["p-ava", "p-ben"]
        assert present_performers(s, "w-two") == ["p-ava", "p-ben"]


# ---------------------------------------------------------------------- unless_refused


def test_unless_refused_mode(registry, monkeypatch):
    doc = base()
    find(doc, "consents", "k-ava").update(status="revoked", revoked="2025-01-01")
    doc["consents"] = [c for c in doc["consents"] if c["id"] != "k-ben"]
    r = registry(doc)
    d = r.use("w-one", "ai_training", MID)
    assert codes(d, "deny") == ["consent.revoked", "consent.missing"]
    monkeypatch.setenv("CLEARREEL_CONSENT_MODE", "unless_refused")
    d = r.use("w-one", "ai_training", MID)
    # Ben never answered: allowed; Ava revoked: still denied.
    assert codes(d, "deny") == ["consent.revoked"]
    assert ("consent.not_refused", "p-ben") in [(x.code, x.party) for x in d.reasons]
    d = r.use("w-one", "ai_training", MID, performers=["p-ben"])
    assert d.allowed and d.question["consent_mode"] == "unless_refused"


def test_unless_refused_still_denies_a_refusal(registry):
    from clearreel.rights.clearance import Clearance

    doc = base()
    find(doc, "consents", "k-ben")["status"] = "refused"
    r = registry(doc)
    with r.session() as s:
        d = Clearance(s, consent_mode="unless_refused").check_use("w-one", "ai_training", on=MID)
    assert codes(d, "deny") == ["consent.refused"]


def test_consent_mode_stored_in_the_registry(registry):
    from clearreel.rights.models import Setting

    doc = base()
    doc["consents"] = []
    r = registry(doc)
    with r.session() as s:
        s.add(Setting(key="consent_mode", value="unless_refused"))
    assert r.use("w-one", "ai_training", MID).allowed


# ---------------------------------------------------------------------- rule 4


def replica(id_: str = "k-ava-dr", **kw) -> dict:
    d = {"id": id_, "party": "p-ava", "kind": "digital_replica", "status": "granted",
         "signed": "2025-01-01"}
    d.update(kw)
    return d


def test_a_performer_needs_a_digital_replica_consent(registry):
    r = registry(base())
    d = r.generation(performers=["p-ava"], on=MID)
    assert not d.allowed and codes(d) == ["replica.missing"]   # a training consent is not enough
    doc = base()
    doc["consents"].append(replica())
    d = registry(doc).generation(performers=["p-ava"], on=MID)
    assert d.allowed and d.consents == ["k-ava-dr"]


@pytest.mark.parametrize(("scope", "project", "purpose", "allowed"), [
    ({}, None, None, True),
    ({"projects": ["proj-a"]}, "proj-a", None, True),
    ({"projects": ["proj-a"]}, "proj-b", None, False),
    ({"projects": ["proj-a"]}, None, None, False),           # unstated request, listed scope
    ({"purposes": ["previz"]}, None, "previz", True),
    ({"purposes": ["previz"]}, None, "final", False),
    ({"projects": ["proj-a"], "purposes": ["previz"]}, "proj-a", "final", False),
])
def test_digital_replica_scope(registry, scope, project, purpose, allowed):
    doc = base()
    doc["consents"].append(replica(**scope))
    d = registry(doc).generation(performers=["p-ava"], project=project, purpose=purpose, on=MID)
    assert d.allowed is allowed
    if not allowed:
        assert codes(d, "deny") == ["replica.out_of_scope"]


def test_digital_replica_works_scope(registry):
    doc = base()
    doc["consents"].append(replica(works=["w-two"]))
    r = registry(doc)
    assert r.generation(performers=["p-ava"], on=MID).allowed
    assert r.generation(performers=["p-ava"], works=["w-two"], on=MID).allowed
    assert not r.generation(performers=["p-ava"], works=["w-one"], on=MID).allowed


@pytest.mark.parametrize(("change", "on", "code"), [
    ({"status": "revoked", "revoked": "2025-05-01"}, D(2025, 5, 1), "replica.revoked"),
    ({"expires": "2025-05-01"}, D(2025, 5, 1), "replica.expired"),
    ({"status": "refused"}, MID, "replica.refused"),
    ({}, D(2024, 12, 31), "replica.missing"),
])
def test_digital_replica_in_force(registry, change, on, code):
    doc = base()
    doc["consents"].append(replica(**change))
    d = registry(doc).generation(performers=["p-ava"], on=on)
    assert not d.allowed and codes(d, "deny") == [code]


def test_character_generation_needs_the_owners_licence(registry):
    doc = base()
    doc["consents"] += [replica(), replica("k-ben-dr", party="p-ben")]
    find(doc, "licenses", "l-main")["uses"]["character_generation"] = "allowed"
    r = registry(doc)
    d = r.generation(characters=["c-mara"], on=MID)   # owned by p-studio, the licensor
    assert d.allowed
    assert codes(d, "allow") == ["character.licensed", "replica.consent"]
    assert d.question["performers"] == ["p-ava"]        # Mara is played by Ava
    d = r.generation(characters=["c-jon"], on=MID)    # owned by p-co: l-main is not theirs
    assert not d.allowed and codes(d, "deny") == ["character.unlicensed"]
    doc["licenses"].append(lic("l-co-char", licensor="p-co", works=["w-one"],
                               uses={"character_generation": "allowed"}))
    assert registry(doc).generation(characters=["c-jon"], on=MID).allowed


def test_character_generation_constrained_and_without_performer_consent(registry):
    doc = base()
    find(doc, "licenses", "l-main")["uses"]["character_generation"] = "constrained"
    d = registry(doc).generation(characters=["c-mara"], on=MID)
    assert not d.allowed
    assert codes(d, "deny") == ["license.constrained", "character.unlicensed", "replica.missing"]


def test_only_the_owner_can_forbid_a_character(registry):
    doc = base()
    doc["consents"].append(replica())
    find(doc, "licenses", "l-main")["uses"]["character_generation"] = "allowed"
    # p-co co-owns w-one, where Mara appears, but holds no rights in Mara (owned by p-studio).
    doc["licenses"].append(lic("l-co-no", licensor="p-co",
                               uses={"character_generation": "notAllowed"}))
    assert registry(doc).generation(characters=["c-mara"], on=MID).allowed
    doc["licenses"].append(lic("l-studio-no", works=["w-one"],
                               uses={"character_generation": "notAllowed"}))
    d = registry(doc).generation(characters=["c-mara"], on=MID)
    assert not d.allowed and [(r.code, r.license) for r in d.denials] == [
        ("license.forbids", "l-studio-no")]


def test_generation_depicting_nobody_is_unrestricted(registry):
    d = registry(base()).generation(on=MID)
    assert d.allowed and codes(d) == ["generation.unrestricted"]


def test_unknown_character_is_an_error(registry):
    with pytest.raises(NotFound):
        registry(base()).generation(characters=["c-nobody"], on=MID)


# ---------------------------------------------------------------------- inputs, audit, cache


def test_unknown_work_and_use(registry):
    r = registry(base())
    with pytest.raises(NotFound, match="unknown work"):
        r.use("w-nope", "ai_training", MID)
    with pytest.raises(UsageError, match="unknown use"):
        r.use("w-one", "training", MID)


def test_on_defaults_to_today(registry):
    import datetime as dt

    from clearreel.rights.clearance import check_use

    r = registry(base())
    with r.session() as s:
        d = check_use(s, "w-one", "data_mining")
    assert d.question["on"] == dt.date.today().isoformat()


def test_every_decision_is_audited(registry):
    from clearreel.rights import audit
    from clearreel.rights.clearance import check_generation, check_use

    r = registry(base())
    with r.session() as s:
        check_use(s, "w-one", "ai_training", on=MID, context={"clip": "c1"})
        check_use(s, "w-one", "ai_training", on=MID, audit=False)
        check_generation(s, performers=["p-ava"], on=MID)
        e = audit.entries(s)
        assert [x.action for x in e] == ["rights.generation", "rights.check", "catalog.import"]
        assert e[1].subject == "w-one" and e[1].payload["allowed"] is True
        assert e[1].payload["context"] == {"clip": "c1"}
        assert e[1].payload["reasons"][0]["license"] == "l-main"
        assert audit.verify(s) == []


def test_cache_sees_changes_made_in_the_same_session(registry):
    from clearreel.rights.clearance import check_use
    from clearreel.rights.models import Grant, License

    r = registry(base())
    with r.session() as s:
        assert check_use(s, "w-one", "data_mining", on=MID).allowed
        s.add(License(id="l-late", licensor_id="p-co", licensee=r.org, works=None,
                      territories=["WORLD"], exclude_territories=[], start=D(2024, 1, 1),
                      grants=[Grant(use="data_mining", value="notAllowed")]))
        s.flush()
        assert not check_use(s, "w-one", "data_mining", on=MID).allowed
