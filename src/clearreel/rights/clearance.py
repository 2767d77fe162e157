"""The clearance engine (ARCHITECTURE.md, "Clearance rules (contract)"). Deny by default.

A use U of a work W is allowed on date D in territory T only if:

1. a licence from a rights holder of W (a participant with role `studio` or `rights_holder`)
   to the organization says U is `allowed`, covers W, is in force on D (start <= D <= end,
   both inclusive) and covers T (listed, or WORLD, and not excluded);
2. no licence to the organization covering W, U, D and T says `notAllowed` or `constrained`
   (most restrictive wins, whoever the licensor: a co-owner's "no" is a no), and no
   reservation embedded in W's media (IPTC, CAWG/C2PA, TDMRep) forbids U;
3. for `ai_training` and `ai_generative_training`: every performer present has a `training`
   consent that covers W and is in force on D (signed <= D < expires, and for a revoked one
   D < revoked), and none has refused; in the studio's "unless_refused" mode, only a
   refusal or a revocation (with no other consent in force) denies;

and generation (rule 4) needs, for each performer depicted (by name or through a character
they play), a `digital_replica` consent in force whose works/projects/purposes cover the
request, and for each character a licence from its owner allowing `character_generation`
(only the owner's licences count for a character, forbidding ones included).

T is the question's territory, else the organization's home territory; with neither, a
licence must cover WORLD without exclusions, and a forbidding licence anywhere applies.
`on` defaults to today. Every decision lists machine-readable `Reason`s, the ones that
allowed it included (curation records those licence and consent ids in the bill of
materials), and is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from clearreel.errors import NotFound, UsageError
from clearreel.rights.clearance_registry import CONSENT_MODES, RegistryView
from clearreel.rights.decisions import Decision, Reason, _covers, _day, _ids, _in_force
from clearreel.rights.models import (
    Character,
    Consent,
    Grant,
    License,
    MediaAsset,
    Organization,
    Participation,
    Party,
    Reservation,
    Scene,
    Setting,
    Work,
)
from clearreel.rights.vocab import (
    FORBIDDING,
    RIGHTS_ROLES,
    TRAINING_USES,
    USES,
    WORLD,
    is_territory,
)

# Rule 3 (a training consent of every performer present) holds for training and for
# sublicensing, which licenses the work onward for AI training (ARCHITECTURE.md, "Uses").
CONSENTED_USES = (*TRAINING_USES, "sublicensing")

# Rule 3's reason codes per consent kind: `training` for everyone present, `voice` as well for
# everyone heard in audio that is kept.
_CONSENT_CODES = {
    "training": {"refused": "consent.refused", "granted": "consent.granted",
                 "revoked": "consent.revoked", "not_refused": "consent.not_refused",
                 "expired": "consent.expired", "not_yet_signed": "consent.not_yet_signed",
                 "missing": "consent.missing"},
    "voice": {"refused": "voice_consent.refused", "granted": "voice_consent.granted",
              "revoked": "voice_consent.revoked", "not_refused": "voice_consent.not_refused",
              "expired": "voice_consent.expired",
              "not_yet_signed": "voice_consent.not_yet_signed",
              "missing": "voice_consent.missing"},
}


class Clearance(RegistryView):
    """The engine bound to one session, caching the registry it reads.

    Curation asks once per clip, so licences, consents, characters and each work are loaded
    once. The cache is dropped when the session flushes a change to a rights table, commits
    or rolls back (see `_invalidate`); call `invalidate()` after bulk SQL updates.
    """


    # ------------------------------------------------------------------ checks
    def _territory(self, territory: str | None) -> str | None:
        if territory is not None:
            t = territory.strip().upper()
            if not is_territory(t):
                raise UsageError(f"unknown territory {territory!r}: use an ISO 3166-1 alpha-2 code "
                                 "(e.g. US, GB, FR) or WORLD")
            return None if t == WORLD else t
        return self.home

    @staticmethod
    def _covers_territory(lic: License, t: str | None) -> bool:
        if t is None:  # no territory given and no home territory: the licence must cover WORLD
            return WORLD in lic.territories and not lic.exclude_territories
        if t in lic.exclude_territories:
            return False
        return WORLD in lic.territories or t in lic.territories

    @staticmethod
    def _touches_territory(lic: License, t: str | None) -> bool:
        """Whether a forbidding licence applies to the question's territory: with an unknown
        territory (anywhere in the world), a "no" anywhere applies."""
        if t is None:
            return bool(lic.territories)
        return Clearance._covers_territory(lic, t)

    def _licence_rules(self, subject: str, holders: set[str], use: str, on: dt.date,
                       t: str | None, works_covered: Any, forbidders: set[str] | None = None,
                       ) -> tuple[list[Reason], list[Reason], list[Reason]]:
        """(allows, forbids, notes) for rules 1 and 2 over the licences covering `subject`
        (a work, or a character); `holders` are the parties whose licence may allow, and
        `forbidders` those whose licence may forbid (None: anyone's)."""
        where = t or "WORLD"
        allows: list[Reason] = []
        forbids: list[Reason] = []
        notes: list[Reason] = []
        for lic in self.licenses:
            value = next((g.value for g in lic.grants if g.use == use), None)
            if value is None or not works_covered(lic):
                continue
            if lic.licensee != self.org:
                continue  # a licence the studio granted to someone else binds them, not us
            in_force = lic.start <= on and (lic.end is None or on <= lic.end)
            term = f"{lic.start}..{lic.end or 'open'}"
            if value in FORBIDDING:
                if forbidders is not None and lic.licensor_id not in forbidders:
                    continue
                if in_force and self._touches_territory(lic, t):
                    code = "license.forbids" if value == "notAllowed" else "license.constrained"
                    forbids.append(Reason(code, license=lic.id, party=lic.licensor_id, detail=(
                        f"licence {lic.id} from {self.name(lic.licensor_id)} says {use} is "
                        f"{value}" + (" (constrained counts as notAllowed)" if value != "notAllowed"
                                      else "") + f"; it is in force on {on} and covers {where}")))
                continue
            who = self.name(lic.licensor_id)
            if lic.licensor_id not in holders:
                notes.append(Reason("license.licensor_not_rights_holder", license=lic.id,
                                    party=lic.licensor_id, effect="info", detail=(
                                        f"licence {lic.id} allows {use}, but {who} is not a studio "
                                        f"or rights holder of {subject}")))
            elif not in_force:
                code = "license.not_yet_in_force" if on < lic.start else "license.expired"
                notes.append(Reason(code, license=lic.id, party=lic.licensor_id, effect="info",
                                    detail=f"licence {lic.id} allows {use} but runs {term}, "
                                           f"not on {on}"))
            elif not self._covers_territory(lic, t):
                excluded = t is not None and t in lic.exclude_territories
                code = "license.territory_excluded" if excluded else "license.territory_not_covered"
                span = ", ".join(lic.territories)
                if lic.exclude_territories:
                    span += f" except {', '.join(lic.exclude_territories)}"
                notes.append(Reason(code, license=lic.id, party=lic.licensor_id, effect="info",
                                    detail=f"licence {lic.id} allows {use} in {span}, "
                                           f"which does not cover {where}"))
            else:
                allows.append(Reason("license.allows", license=lic.id, party=lic.licensor_id,
                                     effect="allow", detail=(
                                         f"licence {lic.id} from {who} allows {use} of {subject}, "
                                         f"in force {term}, covering {where}")))
        return allows, forbids, notes

    def check_use(self, work: str, use: str, *, on: dt.date | None = None,
                  territory: str | None = None, performers: Sequence[str] | None = None,
                  audit: bool = True, context: dict[str, Any] | None = None,
                  heard: Sequence[str] | None = None) -> Decision:
        """Rules 1-3 for `use` of `work`. `heard`: performers whose voice is in audio that is
        kept (a clip with its audio track): each needs a `voice` consent as well as the
        `training` one (rule 3, the same consent rule of another kind)."""
        if use not in USES:
            raise UsageError(f"unknown use {use!r}: expected one of {', '.join(USES)}")
        self._load()
        on = _day(on)
        t = self._territory(territory)
        w = self.work(work)

        def covers_work(lic: License) -> bool:
            return lic.works is None or w.id in lic.works

        holders = {p.party_id for p in w.participations if p.role in RIGHTS_ROLES}
        allows, forbids, notes = self._licence_rules(w.id, holders, use, on, t, covers_work)
        reasons: list[Reason] = list(allows)
        if not allows:
            reasons.append(Reason("license.none", detail=(
                f"no licence from a rights holder of {w.id} to {self.org} allows {use} on {on} "
                f"in {t or 'WORLD'}")))
            reasons += notes
        reasons += forbids
        for res, uri in self._work_reservations(w):
            if res.use == use and res.value in FORBIDDING:
                where_ = f"{res.source} {uri or ''}".strip()
                reasons.append(Reason("reservation.forbids", reservation=where_,
                                      detail=f"{res.source} in {uri or 'the media'} reserves {use} "
                                             f"({res.value}: {res.raw}); an embedded reservation "
                                             "wins over any licence"))
        present: list[str] = []
        if use in CONSENTED_USES:
            # Performers given (e.g. those seen in one clip) override the presence rule.
            present = (self.present_performers(w.id)[0] if performers is None
                       else _ids(performers))
            self.consents.preload([*present, *(heard or ())])
            for p in present:
                reasons += self._training_consent(p, w.id, on)
        voiced = _ids(heard or ()) if use in CONSENTED_USES else []
        for p in voiced:
            reasons += self._training_consent(p, w.id, on, kind="voice")
        allowed = bool(allows) and not any(r.effect == "deny" for r in reasons)
        d = Decision(allowed, reasons, {
            "work": w.id, "use": use, "on": on.isoformat(), "territory": t or WORLD,
            "performers": present, "consent_mode": self.mode,
            **({"heard": voiced} if heard is not None else {})})
        if audit:
            from clearreel.rights import audit as audit_log

            audit_log.record(self.session, "rights.check", w.id, **d.to_json(),
                             **({"context": context} if context else {}))
        return d

    def _training_consent(self, party: str, work: str, on: dt.date,
                          kind: str = "training") -> list[Reason]:
        """Rule 3 for one performer: a consent of `kind` (`training`; `voice` for a performer
        heard in kept audio) granted and in force on `on`. Codes `consent.*` for training,
        `voice_consent.*` for voice."""
        who = self.name(party)
        c = _CONSENT_CODES[kind]
        use = "training use" if kind == "training" else f"{kind} use (their voice, heard)"
        ks = [k for k in self.consents.get(party, [])
              if k.kind == kind and _covers(k.works, work)]
        refusals = [k for k in ks if k.status == "refused" and k.signed <= on
                    and (k.expires is None or on < k.expires)]
        if refusals:
            return [Reason(c["refused"], consent=k.id, party=party,
                           detail=f"{who} refused {use} of {work} ({k.id}, {k.signed})")
                    for k in refusals]
        granted = [k for k in ks if k.status in ("granted", "revoked") and _in_force(k, on)]
        if granted:
            what = "training" if kind == "training" else f"{kind} use"
            return [Reason(c["granted"], consent=k.id, party=party, effect="allow",
                           detail=f"{who} consented to {what} on {work} ({k.id}, signed "
                                  f"{k.signed}"
                                  + (f", until {k.expires}" if k.expires else "") + ")")
                    for k in granted]
        revoked = [k for k in ks
                   if k.status == "revoked" and k.revoked is not None and k.revoked <= on]
        if revoked:
            return [Reason(c["revoked"], consent=k.id, party=party,
                           detail=f"{who} revoked consent {k.id} on {k.revoked}") for k in revoked]
        if self.mode == "unless_refused":
            return [Reason(c["not_refused"], party=party, effect="allow", detail=(
                f"{who} has no {kind} consent in force for {work} on {on} but has not refused "
                "either; allowed because the studio's consent mode is unless_refused"))]
        expired = [k for k in ks if k.expires is not None and k.expires <= on]
        if expired:
            return [Reason(c["expired"], consent=k.id, party=party,
                           detail=f"{who}'s {kind} consent {k.id} expired on {k.expires}")
                    for k in expired]
        future = [k for k in ks if k.signed > on]
        if future:
            return [Reason(c["not_yet_signed"], consent=k.id, party=party,
                           detail=f"{who}'s {kind} consent {k.id} was signed {k.signed}, "
                                  f"after {on}")
                    for k in future]
        other = [k.id for k in self.consents.get(party, []) if k.kind == kind]
        where = "appears in" if kind == "training" else "is heard in the kept audio of"
        return [Reason(c["missing"], party=party, detail=(
            f"{who} {where} {work} but has no {kind} consent covering it"
            + (f" (their {kind} consents {', '.join(other)} do not cover {work})"
               if other else "")))]

    # ------------------------------------------------------------------ generation
    def check_generation(self, *, performers: Sequence[str] = (), characters: Sequence[str] = (),
                         project: str | None = None, purpose: str | None = None,
                         on: dt.date | None = None, territory: str | None = None,
                         works: Sequence[str] | None = None, audit: bool = True) -> Decision:
        self._load()
        on = _day(on)
        t = self._territory(territory)
        reasons: list[Reason] = []
        depicted: list[tuple[str, str | None]] = [(p, None) for p in _ids(performers)]
        cast: dict[str, list[str]] = {}  # character -> who plays it (the casting rule)
        for cid in _ids(characters):
            c = self.characters.get(cid)
            if c is None:
                raise NotFound(f"unknown character {cid!r}: see `clearreel catalog list`")
            reasons += self._character_licence(c, on, t)
            cast[cid] = self.cast(cid, works)
            for party in cast[cid]:
                if party not in [p for p, _ in depicted]:
                    depicted.append((party, cid))
        for party, via in depicted:
            for r in self._replica_consent(party, via, project, purpose, works, on):
                r.character = r.character or via  # the character that depicts them
                reasons.append(r)
        if not depicted and not characters:
            reasons.append(Reason("generation.unrestricted", effect="allow", detail=(
                "no performer or character is depicted, so rule 4 asks for no consent or licence")))
        allowed = bool(reasons) and not any(r.effect == "deny" for r in reasons)
        d = Decision(allowed, reasons, {
            "performers": [p for p, _ in depicted], "characters": _ids(characters),
            "cast": cast,
            "project": project, "purpose": purpose, "on": on.isoformat(), "territory": t or WORLD})
        if audit:
            from clearreel.rights import audit as audit_log

            subject = ",".join([p for p, _ in depicted] + list(characters)) or None
            audit_log.record(self.session, "rights.generation", subject, **d.to_json())
        return d

    def _replica_consent(self, party: str, via: str | None, project: str | None,
                         purpose: str | None, works: Sequence[str] | None,
                         on: dt.date) -> list[Reason]:
        who = self.name(party) + (f", who plays {via}," if via else "")
        ks = [k for k in self.consents.get(party, []) if k.kind == "digital_replica"]

        def in_scope(k: Consent) -> bool:
            return (_covers(k.projects, project) and _covers(k.purposes, purpose)
                    and (works is None or all(_covers(k.works, w) for w in works)))

        refusals = [k for k in ks if k.status == "refused" and k.signed <= on
                    and (k.expires is None or on < k.expires) and in_scope(k)]
        if refusals:
            return [Reason("replica.refused", consent=k.id, party=party,
                           detail=f"{who} refused a digital replica ({k.id})") for k in refusals]
        live = [k for k in ks if k.status in ("granted", "revoked") and _in_force(k, on)]
        ok = [k for k in live if in_scope(k)]
        if ok:
            return [Reason("replica.consent", consent=k.id, party=party, effect="allow", detail=(
                f"{who} consented to a digital replica ({k.id}) covering project "
                f"{project or 'any'}, purpose {purpose or 'any'}")) for k in ok]
        if live:
            return [Reason("replica.out_of_scope", consent=k.id, party=party, detail=(
                f"{who}'s digital replica consent {k.id} covers projects "
                f"{k.projects or 'all'}, purposes {k.purposes or 'all'}, works {k.works or 'all'}; "
                f"the request is project {project or '(none given)'}, purpose "
                f"{purpose or '(none given)'}")) for k in live]
        revoked = [k for k in ks
                   if k.status == "revoked" and k.revoked is not None and k.revoked <= on]
        if revoked:
            return [Reason("replica.revoked", consent=k.id, party=party,
                           detail=f"{who} revoked digital replica consent {k.id} on {k.revoked}")
                    for k in revoked]
        expired = [k for k in ks if k.expires is not None and k.expires <= on]
        if expired:
            return [Reason("replica.expired", consent=k.id, party=party,
                           detail=f"{who}'s digital replica consent {k.id} expired on {k.expires}")
                    for k in expired]
        return [Reason("replica.missing", party=party,
                       detail=f"{who} has no digital replica consent in force on {on}")]

    def _character_licence(self, c: Character, on: dt.date, t: str | None) -> list[Reason]:
        featuring = {w.id for w in self._all_works()
                     if any(p.character_id == c.id for p in w.participations)
                     or any(c.id in sc.characters for sc in w.scenes)}

        def covers_character(lic: License) -> bool:
            return lic.works is None or bool(featuring & set(lic.works))

        # Rule 4: the character's owner decides. Only the owner's licences allow, and only
        # they can forbid: a co-owner of a work Mara appears in holds no rights in Mara.
        allows, forbids, notes = self._licence_rules(
            f"character {c.id} ({c.name})", {c.owner_id}, "character_generation", on, t,
            covers_character, forbidders={c.owner_id})
        for r in allows:
            r.code = "character.licensed"
        reasons = allows + forbids
        if not allows:
            reasons.append(Reason("character.unlicensed", party=c.owner_id, detail=(
                f"no licence from {self.name(c.owner_id)}, owner of {c.name} ({c.id}), to "
                f"{self.org} allows character_generation on {on} in {t or 'WORLD'}")))
            reasons += notes
        for r in reasons:
            r.character = c.id
        return reasons



# ---------------------------------------------------------------------------- session cache

_KEY = "clearreel.clearance"
_RIGHTS_TYPES = (Organization, Party, Work, MediaAsset, Participation, Scene, Character, License,
                 Grant, Consent, Reservation, Setting)


def engine(session: Session) -> Clearance:
    """The session's cached `Clearance` (created on first use)."""
    c = session.info.get(_KEY)
    if not isinstance(c, Clearance):
        c = Clearance(session)
        session.info[_KEY] = c
    return c


@event.listens_for(Session, "after_flush")
def _invalidate(session: Session, _ctx: Any) -> None:
    c = session.info.get(_KEY)
    if c is None:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _RIGHTS_TYPES):
            c.invalidate()
            return


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, *_: Any) -> None:
    c = session.info.get(_KEY)
    if isinstance(c, Clearance):
        c.invalidate()


def check_use(session: Session, work: str, use: str, *, on: dt.date | None = None,
              territory: str | None = None, performers: Sequence[str] | None = None,
              heard: Sequence[str] | None = None,
              audit: bool = True, context: dict[str, Any] | None = None) -> Decision:
    """May `work` be put to `use` on `on` (default today) in `territory` (default the
    organization's home territory)? `performers` names who is present (e.g. in one clip);
    None applies the presence rule to the whole work; `heard` names who is heard in audio
    that is kept (each also needs a `voice` consent). Raises `NotFound` for an unknown work
    and `UsageError` for an unknown use or territory."""
    return engine(session).check_use(work, use, on=on, territory=territory, performers=performers,
                                     audit=audit, context=context, heard=heard)


def check_generation(session: Session, *, performers: Sequence[str] = (),
                     characters: Sequence[str] = (), project: str | None = None,
                     purpose: str | None = None, on: dt.date | None = None,
                     territory: str | None = None, audit: bool = True,
                     works: Sequence[str] | None = None) -> Decision:
    """May new footage depict these performers and characters (rule 4)?"""
    return engine(session).check_generation(performers=performers, characters=characters,
                                            project=project, purpose=purpose, on=on,
                                            territory=territory, works=works, audit=audit)


def credited_performers(session: Session, work: str) -> list[str]:
    """The parties credited with role `performer` in the work."""
    return engine(session).credited_performers(work)


def present_performers(session: Session, work: str) -> list[str]:
    """Who is present anywhere in the work by the presence rule (see `Clearance`)."""
    return engine(session).present_performers(work)[0]


__all__ = ["CONSENT_MODES", "Clearance", "Decision", "Reason", "check_generation", "check_use",
           "credited_performers", "engine", "present_performers"]
