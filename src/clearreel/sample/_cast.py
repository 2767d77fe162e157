"""Who and what is in the sample studio: parties, characters, works, licences and consents.

Every entry exists to exercise one rule of the clearance contract (ARCHITECTURE.md); the
comment next to it says which. `docs/sample-studio.md` has the same map in prose.

Dates are chosen around the reference date (clearreel's "today" when this was written,
2026-11-22) so that every outcome is the same on any date from `STABLE_FROM` to
`STABLE_UNTIL`: the expired licence ended on 2025-12-31, the revoked consent was revoked on
2026-03-01, and everything in force runs to 2031-12-31 or later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clearreel.sample._render import Look

REFERENCE_DATE = dt.date(2026, 11, 22)
STABLE_FROM = dt.date(2026, 3, 1)  # Dev's training consent is revoked from this day
STABLE_UNTIL = dt.date(2031, 12, 31)  # the first licence in force to end
BEFORE_REVOCATION = dt.date(2025, 6, 1)  # a date on which the past is different
HOME_TERRITORY = "US"
ORG = {"id": "org-northlight", "name": "Northlight Pictures", "home_territory": HOME_TERRITORY}

TRAINING_USES = ("ai_training", "ai_generative_training")
TDM_USES = ("ai_training", "ai_generative_training", "ai_inference", "data_mining")


@dataclass(frozen=True)
class CharacterDef:
    id: str
    name: str
    owner: str
    performer: str
    look: Look
    lines: tuple[str, ...]
    note: str


CHARACTERS: dict[str, CharacterDef] = {c.id: c for c in (
    CharacterDef("c-mara", "Mara", "p-northlight", "p-ava",
                 Look((220, 45, 45), "tall", 0.55),
                 ("Where were you?", "The tide is turning.", "We leave at dawn.",
                  "I kept the lamp lit.", "Don't look back."),
                 "red, tall and thin; owner Northlight allows character_generation; "
                 "Ava's digital_replica consent covers only previz"),
    CharacterDef("c-jonah", "Jonah", "p-harborline", "p-ben",
                 Look((45, 95, 230), "round", 0.42),
                 ("I was at the harbor.", "The boats are gone.", "Listen to the bell.",
                  "Nobody saw me.", "It's colder than last year."),
                 "blue and round; owned by co-owner Harborline, whose licence says "
                 "character_generation: constrained (counts as notAllowed)"),
    CharacterDef("c-theo", "Theo", "p-northlight", "p-dev",
                 Look((245, 150, 25), "square", 0.45),
                 ("Who's there?", "I fixed the engine.", "Give me an hour."),
                 "orange and square; his performer revoked his training consent"),
    CharacterDef("c-iris", "Iris", "p-meridian", "p-cleo",
                 Look((45, 185, 80), "triangle", 0.5),
                 ("The wind has changed.", "Close the shutters."),
                 "green triangle; her performer refused training"),
    CharacterDef("c-wren", "Wren", "p-meridian", "p-eli",
                 Look((205, 50, 205), "diamond", 0.32),
                 ("Can you hear it?", "Over the ridge."),
                 "small magenta diamond; his performer never answered"),
)}

PARTIES: list[tuple[dict[str, Any], str]] = [
    ({"id": "p-northlight", "name": "Northlight Pictures", "kind": "company"},
     "the studio itself: rights holder and licensor of its own library"),
    ({"id": "p-harborline", "name": "Harborline Films", "kind": "company"},
     "co-owner of Low Tide; forbids generative training of it (rule 2)"),
    ({"id": "p-meridian", "name": "Meridian Distribution", "kind": "company"},
     "rights holder of Northwind: an expired licence and a territory-limited one"),
    ({"id": "p-atlas", "name": "Atlas Sales Agency", "kind": "company"},
     "holds no rights in any work: its licence must be ignored (rule 1)"),
    ({"id": "p-nora", "name": "Nora Vale", "kind": "person"}, "director"),
    ({"id": "p-ava", "name": "Ava Stone", "kind": "person"},
     "plays Mara; consents to training and (for previz) to a digital replica"),
    ({"id": "p-ben", "name": "Ben Okafor", "kind": "person"},
     "plays Jonah; consents to training (listed works) and to a digital replica"),
    ({"id": "p-dev", "name": "Dev Raman", "kind": "person"},
     "plays Theo; revoked his training consent on 2026-03-01"),
    ({"id": "p-cleo", "name": "Cleo Park", "kind": "person"}, "plays Iris; refused training"),
    ({"id": "p-eli", "name": "Eli Novak", "kind": "person"},
     "plays Wren; never answered (no consent on file)"),
]
BBB_PARTY = ({"id": "p-blender", "name": "Blender Foundation", "kind": "company"},
             "licensor of Big Buck Bunny under CC BY 3.0")

# Performers whose training consent is in force on every date of the stable window.
TRAINING_CONSENTED = frozenset({"p-ava", "p-ben"})


@dataclass(frozen=True)
class Scenario:
    """One film of the studio and the rules it exists to exercise."""

    key: str  # file stem: media/<key>.mp4
    work: str
    title: str
    kind: str
    year: int
    # scenes | partial_scenes | speaker_labels | none: the source of presence in the catalog
    # (partial_scenes: a shot list that stops halfway through the film)
    presence: str
    cast: tuple[str, ...]  # character ids (credited performers follow)
    # Who is on screen in each fresh scene shot, cycled; the last scene shot repeats the first.
    groups: tuple[tuple[str, ...], ...]
    participations: tuple[dict[str, Any], ...]
    # Does a licence allow ai_generative_training in the home territory on the reference date?
    gen_training_licensed: bool
    note: str
    narration: tuple[str, ...] = ()
    labels: bool = True  # subtitles carry speaker labels
    extra: bool = False
    # Variable frame rate: irregular presentation times (truth.json records them per frame)
    vfr: bool = False


def _cast_participations(cast: tuple[str, ...], points: int) -> tuple[dict[str, Any], ...]:
    return tuple({"party": CHARACTERS[c].performer, "role": "performer", "character": c,
                  "points": points} for c in cast)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "harbor", "w-harbor", "Harbor Lights", "film", 2019, "scenes",
        ("c-mara", "c-jonah", "c-theo"),
        (("c-mara",), ("c-mara", "c-jonah"), ("c-jonah", "c-theo"), ("c-theo",), (),
         ("c-jonah",), ("c-mara", "c-theo")),
        ({"party": "p-northlight", "role": "studio", "points": 60},
         {"party": "p-nora", "role": "director", "points": 6},
         *_cast_participations(("c-mara", "c-jonah", "c-theo"), 8)),
        True,
        "the studio's own film, with a shot list (scenes): shots with Theo are excluded "
        "(consent revoked), the others are cleared",
    ),
    Scenario(
        "tides", "w-tides", "Low Tide", "film", 2021, "speaker_labels",
        ("c-mara", "c-jonah"),
        (("c-mara", "c-jonah"), ("c-jonah",), ("c-mara",), ()),
        ({"party": "p-northlight", "role": "studio", "points": 40},
         {"party": "p-harborline", "role": "rights_holder", "points": 40},
         *_cast_participations(("c-mara", "c-jonah"), 10)),
        False,
        "co-owned; the studio allows generative training, co-owner Harborline says "
        "notAllowed (most restrictive wins); presence only from subtitle speaker labels",
    ),
    Scenario(
        "northwind", "w-northwind", "Northwind", "film", 2016, "none",
        ("c-iris", "c-wren"),
        (("c-iris",), ("c-wren",), (), ("c-iris", "c-wren")),
        ({"party": "p-meridian", "role": "rights_holder", "points": 70},
         *_cast_participations(("c-iris", "c-wren"), 15)),
        False,
        "acquired: the licence for the US expired, the new one covers only GB, IE and CA; "
        "no scenes and no speaker labels, so every credited performer counts as present",
        narration=("The wind came early that year.", "Nobody on the ridge spoke of it.",
                   "By winter the road was gone.", "Some stayed. Most did not."),
        labels=False,
    ),
)

VFR_SHORT = 5  # the second extra short (`clearreel demo` renders five films) is VFR
EXTRA_TITLES = ("Paper Boats", "Glasshouse", "Ember Street", "Quiet Orbit", "Salt Road",
                "The Long Field", "Lantern Bay", "Midwinter")


def extra_scenario(n: int) -> Scenario:
    """Films beyond the three: clean studio shorts with Mara and Jonah (all cleared)."""
    title = EXTRA_TITLES[(n - 4) % len(EXTRA_TITLES)]
    if n - 4 >= len(EXTRA_TITLES):
        title = f"{title} {(n - 4) // len(EXTRA_TITLES) + 1}"
    return Scenario(
        f"short{n:02d}", f"w-short-{n:02d}", title, "short", 2020 + n % 6, "partial_scenes",
        ("c-mara", "c-jonah"), (("c-mara",), ("c-jonah",), ("c-mara", "c-jonah"), ()),
        ({"party": "p-northlight", "role": "studio", "points": 80},
         *_cast_participations(("c-mara", "c-jonah"), 10)),
        True, "a studio short with consenting performers: cleared. Its shot list is partial "
        "(it stops halfway): the time it does not cover counts both credited performers as "
        "present, so after a revocation those clips go too"
        + (". Variable frame rate: its frames are shown for irregular times, and its scenes "
           "and subtitles are placed by presentation time" if n == VFR_SHORT else ""),
        extra=True, vfr=n == VFR_SHORT)


def scenarios(films: int) -> list[Scenario]:
    return [SCENARIOS[i] if i < len(SCENARIOS) else extra_scenario(i + 1) for i in range(films)]


@dataclass(frozen=True)
class LicenseDef:
    body: dict[str, Any]
    note: str
    works: tuple[str, ...] = field(default=())  # works it needs; dropped when none is present


ALL_TDM_ALLOWED = dict.fromkeys(TDM_USES, "allowed")


def licenses(work_ids: list[str], bbb: bool) -> list[tuple[dict[str, Any], str]]:
    """The licences, restricted to the works present (a licence with no work left is dropped)."""
    studio_works = [w for w in work_ids if w in ("w-harbor", "w-tides") or w.startswith("w-short-")]
    defs: list[LicenseDef] = [
        LicenseDef({"id": "l-northlight-library", "licensor": "p-northlight",
                    "licensee": ORG["id"], "works": studio_works,
                    "uses": {**ALL_TDM_ALLOWED, "character_generation": "allowed",
                             "sublicensing": "allowed"},
                    "territories": ["WORLD"], "exclude_territories": [],
                    "start": "2024-01-01", "end": "2032-12-31"},
                   "rule 1: the studio licenses its own library to itself, every use (also "
                   "sublicensing, so the demo's licence deal clears), worldwide",
                   tuple(studio_works)),
        LicenseDef({"id": "l-harborline-tides", "licensor": "p-harborline",
                    "licensee": ORG["id"], "works": ["w-tides"],
                    "uses": {"ai_training": "allowed", "ai_generative_training": "notAllowed",
                             "ai_inference": "allowed", "data_mining": "allowed",
                             "character_generation": "constrained"},
                    "territories": ["WORLD"], "exclude_territories": [],
                    "start": "2024-06-01", "end": "2032-12-31"},
                   "rule 2: a co-owner forbids generative training (conflicts with the studio's "
                   "licence; the most restrictive wins) and constrains character_generation "
                   "(constrained counts as notAllowed): Jonah, whom Harborline owns, cannot be "
                   "generated", ("w-tides",)),
        LicenseDef({"id": "l-meridian-2019", "licensor": "p-meridian", "licensee": ORG["id"],
                    "works": ["w-northwind"], "uses": dict(ALL_TDM_ALLOWED),
                    "territories": ["WORLD"], "exclude_territories": [],
                    "start": "2019-01-01", "end": "2025-12-31"},
                   "rule 1: expired on 2025-12-31 (inclusive); clears Northwind only for dates "
                   "up to then", ("w-northwind",)),
        LicenseDef({"id": "l-meridian-2026", "licensor": "p-meridian", "licensee": ORG["id"],
                    "works": ["w-northwind"],
                    "uses": {"ai_training": "allowed", "ai_generative_training": "allowed"},
                    "territories": ["GB", "IE", "CA"], "exclude_territories": [],
                    "start": "2026-01-01", "end": "2031-12-31"},
                   "rule 1: the renewal covers only GB, IE and CA, not the studio's home "
                   "territory (US)", ("w-northwind",)),
        LicenseDef({"id": "l-meridian-inference", "licensor": "p-meridian",
                    "licensee": ORG["id"], "works": ["w-northwind"],
                    "uses": {"ai_inference": "allowed", "data_mining": "allowed"},
                    "territories": ["WORLD"], "exclude_territories": ["CN"],
                    "start": "2026-01-01", "end": "2031-12-31"},
                   "rule 1: worldwide except an excluded territory (CN)", ("w-northwind",)),
        LicenseDef({"id": "l-atlas-northwind", "licensor": "p-atlas", "licensee": ORG["id"],
                    "works": ["w-northwind"],
                    "uses": {**ALL_TDM_ALLOWED, "character_generation": "allowed"},
                    "territories": ["WORLD"], "exclude_territories": [],
                    "start": "2026-01-01"},
                   "rule 1 trap: Atlas holds no rights in Northwind (not a studio or "
                   "rights_holder participant), so this open-ended allowance clears nothing",
                   ("w-northwind",)),
    ]
    if bbb:
        defs.append(LicenseDef(
            {"id": "l-bbb-cc-by", "licensor": "p-blender", "licensee": ORG["id"],
             "works": ["w-bbb"], "uses": {**ALL_TDM_ALLOWED, "character_generation": "allowed",
                                          "sublicensing": "allowed"},
             "territories": ["WORLD"], "exclude_territories": [], "start": "2008-05-30"},
            "Creative Commons Attribution 3.0 (CC BY 3.0): every use, worldwide, open-ended, "
            "on condition of attribution: \"Big Buck Bunny (c) 2008 Blender Foundation, "
            "www.bigbuckbunny.org\"", ("w-bbb",)))
    out = []
    for d in defs:
        body = dict(d.body)
        body["works"] = [w for w in body["works"] if w in work_ids]
        if body["works"]:
            out.append((body, d.note))
    return out


def consents(work_ids: list[str]) -> list[tuple[dict[str, Any], str]]:
    ben_works = [w for w in work_ids if w in ("w-harbor", "w-tides") or w.startswith("w-short-")]
    items: list[tuple[dict[str, Any], str]] = [
        ({"id": "k-ava-training", "party": "p-ava", "kind": "training", "status": "granted",
          "works": "all",
          "description": "Use of my recorded performances to train Northlight's private video "
                         "model",
          "signed": "2024-02-01", "expires": "2033-01-01", "revoked": None},
         "rule 3: granted, all works, in force"),
        ({"id": "k-ava-replica", "party": "p-ava", "kind": "digital_replica", "status": "granted",
          "works": "all", "purposes": ["previz"],
          "description": "A digital replica of my likeness for previsualisation only",
          "signed": "2024-02-01", "expires": "2033-01-01", "revoked": None},
         "rule 4: scope limited to the purpose previz; a request for final is denied"),
        ({"id": "k-ben-training", "party": "p-ben", "kind": "training", "status": "granted",
          "works": ben_works or "all",
          "description": "Training on the listed works only",
          "signed": "2024-03-15", "expires": "2034-03-15", "revoked": None},
         "rule 3: granted for a list of works"),
        ({"id": "k-ben-replica", "party": "p-ben", "kind": "digital_replica", "status": "granted",
          "works": "all", "description": "A digital replica of my likeness, any project",
          "signed": "2024-03-15", "revoked": None},
         "rule 4: granted, no scope limits, no expiry"),
        ({"id": "k-dev-training", "party": "p-dev", "kind": "training", "status": "revoked",
          "works": "all", "description": "Training consent, later withdrawn in writing",
          "signed": "2024-05-01", "revoked": "2026-03-01"},
         "rule 3: revoked on 2026-03-01: in force before, denied from that day"),
        ({"id": "k-cleo-training", "party": "p-cleo", "kind": "training", "status": "refused",
          "works": "all", "description": "Declined to allow training on her performances",
          "signed": "2024-04-02", "revoked": None},
         "rule 3: refused"),
    ]
    return items
