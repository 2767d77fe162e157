"""Vocabularies of the rights registry: uses, territories, and the machine-readable
reservation vocabularies found in media (IPTC PLUS, CAWG / C2PA training-and-data-mining,
TDMRep), mapped onto clearreel's uses.
"""

from __future__ import annotations

import functools

from clearreel.rights.models import (
    CONSENT_KINDS,
    CONSENT_STATUSES,
    PARTY_KINDS,
    RIGHTS_ROLES,
    ROLES,
    USE_VALUES,
    USES,
    WORK_KINDS,
)

# The four uses of the CAWG training-and-data-mining assertion (CAWG 1.1 §"Training and
# Data Mining"), which the C2PA 1.x `c2pa.training-mining` assertion used before it.
TDM_USES = ("ai_training", "ai_generative_training", "ai_inference", "data_mining")
# Uses whose clearance needs the performers' training consent (contract rule 3).
TRAINING_USES = ("ai_training", "ai_generative_training")
# A use value that forbids: CAWG says `constrained` means "not allowed unless the
# constraint_info is satisfied", which a machine cannot check; so it counts as notAllowed.
FORBIDDING = ("notAllowed", "constrained")

WORLD = "WORLD"

@functools.cache
def iso_3166_alpha2() -> frozenset[str]:
    """ISO 3166-1 alpha-2 officially assigned codes, from `pycountry` (Debian iso-codes,
    maintained with the ISO 3166 Maintenance Agency's changes). Loaded on first use (about
    80 ms), not at import."""
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


def __getattr__(name: str) -> object:
    if name == "ISO_3166_ALPHA2":  # the old constant, computed lazily
        return iso_3166_alpha2()
    raise AttributeError(name)


def is_territory(code: str, *, world: bool = True) -> bool:
    """An ISO 3166-1 alpha-2 code (upper case), or `WORLD` when `world` is true."""
    return code in iso_3166_alpha2() or (world and code == WORLD)


def territory_hint(value: str) -> str | None:
    """The alpha-2 code that a country name, alpha-3 or numeric code means ("Germany",
    "DEU", "276" -> "DE"), for error messages; None when it is none of them."""
    import pycountry

    try:
        return str(pycountry.countries.lookup(value.strip()).alpha_2)
    except LookupError:
        return None


# IPTC PLUS "Data Mining" (plus:DataMining, IPTC Photo Metadata 2023.1 / PLUS LDF 1.2.x).
# The value is a URI of the PLUS vocabulary; we map each to the uses it forbids.
PLUS_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
_ALL_TDM = TDM_USES
PLUS_DATA_MINING: dict[str, dict[str, str]] = {
    "DMI-UNSPECIFIED": {},
    "DMI-ALLOWED": dict.fromkeys(_ALL_TDM, "allowed"),
    # "Prohibited for AI/ML training": generative training is a kind of AI/ML training.
    "DMI-PROHIBITED-AIMLTRAINING": dict.fromkeys(TRAINING_USES, "notAllowed"),
    "DMI-PROHIBITED-GENAIMLTRAINING": {"ai_generative_training": "notAllowed"},
    # Search-engine indexing is not one of our uses, so "except indexing" forbids them all.
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": dict.fromkeys(_ALL_TDM, "notAllowed"),
    "DMI-PROHIBITED": dict.fromkeys(_ALL_TDM, "notAllowed"),
    # "Prohibited, see ...": prohibited unless a constraint we cannot evaluate is met.
    "DMI-PROHIBITED-SEECONSTRAINT": dict.fromkeys(_ALL_TDM, "constrained"),
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": dict.fromkeys(_ALL_TDM, "constrained"),
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": dict.fromkeys(_ALL_TDM, "constrained"),
}

# W3C TDMRep (Final CG Report 2024, §"XMP"): `tdm:reservation` 1 reserves all TDM rights
# (EU DSM Directive art. 4(3) opt-out); 0 means not reserved.
TDMREP_NS = "http://www.w3.org/ns/tdmrep/"

# CAWG `cawg.training-mining` entry keys (`cawg.ai_training`, ...) and the C2PA 1.x
# `c2pa.training-mining` ones (`c2pa.ai_training`, ...) map to the use after the prefix.
TRAINING_MINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")


def training_mining_use(entry_key: str) -> str | None:
    prefix, _, name = entry_key.partition(".")
    if prefix in ("cawg", "c2pa") and name in TDM_USES:
        return name
    return None


__all__ = [
    "CONSENT_KINDS", "CONSENT_STATUSES", "FORBIDDING", "PARTY_KINDS",
    "PLUS_DATA_MINING", "PLUS_NS", "PLUS_VOCAB", "RIGHTS_ROLES", "ROLES", "TDMREP_NS", "TDM_USES",
    "TRAINING_MINING_LABELS", "TRAINING_USES", "USES", "USE_VALUES", "WORK_KINDS", "WORLD",
    "is_territory", "training_mining_use",
]
