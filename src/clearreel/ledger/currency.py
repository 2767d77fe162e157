"""Currencies and exact amounts: ISO 4217 codes, their minor units, and parsing.

The ledger stores every amount as an integer count of the currency's minor unit (cents for
USD, yen for JPY, fils for KWD). The exponent of each code is the "minor unit" column of
ISO 4217 (list one, as published by the maintenance agency, SIX); codes whose minor unit
is "N.A." (gold, SDR, test codes) are not money a studio is paid in and are refused.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from clearreel.errors import UsageError

# ISO 4217 minor units that are not 2. Source: ISO 4217 list one (SIX), 2024 edition.
_EXPONENT_0 = (
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
)
_EXPONENT_3 = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_EXPONENT_4 = ("CLF", "UYW")
# No minor unit ("N.A." in ISO 4217): precious metals, SDR, bond-market units, the test and
# "no currency" codes; and XAD (Arab Accounting Dinar, an accounting unit). Not money a
# studio is paid in.
_NO_MINOR = frozenset({"XAD", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT",
                       "XSU", "XTS", "XUA", "XXX"})
# Withdrawn from ISO 4217, kept so that postings recorded in them still read and total:
# ANG (replaced by XCG, 2025), BGN (Bulgaria adopted the euro, 2026-01-01).
_WITHDRAWN = {"ANG": 2, "BGN": 2}


@functools.cache
def exponents() -> dict[str, int]:
    """Every accepted code -> its minor unit. The codes are pycountry's ISO 4217 list (Debian
    iso-codes, kept current with ISO's amendments); pycountry has no minor units, and babel's
    CLDR `digits` are display rounding that differ from ISO for 15 active codes (IQD 3 vs 0,
    HUF, IDR, COP 2 vs 0, ...: amounts would be mis-scaled), so the exponents other than 2
    are the lists above, from ISO 4217 list one."""
    import pycountry

    out = {c.alpha_3: 2 for c in pycountry.currencies if c.alpha_3 not in _NO_MINOR}
    for codes, exp in ((_EXPONENT_0, 0), (_EXPONENT_3, 3), (_EXPONENT_4, 4)):
        out.update(dict.fromkeys(codes, exp))
    out.update(_WITHDRAWN)
    return out


def __getattr__(name: str) -> object:
    if name == "EXPONENTS":  # the old constant, computed on first use
        return exponents()
    raise AttributeError(name)


# Plain decimal notation only: digits, an optional point and fraction. No exponent, sign,
# grouping or currency symbol, so "1e3", "+5", "1,000" and "$5" are all malformed.
_AMOUNT = re.compile(r"^(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?$")
# Postings are stored as signed 64-bit integers.
MAX_MINOR = 2**63 - 1


def currency_code(code: str) -> str:
    """The upper-case ISO 4217 code, or UsageError for an unknown one."""
    c = (code or "").strip().upper()
    if c not in exponents():
        raise UsageError(
            f"unknown currency {code!r}: use an ISO 4217 code with minor units, "
            "e.g. USD, EUR, JPY, KWD"
        )
    return c


def exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    return exponents()[currency_code(code)]


def parse_amount(text: str, currency: str, *, allow_zero: bool = False) -> int:
    """A positive decimal string in major units -> integer minor units, exactly.

    Refuses (UsageError) negative, malformed, zero (unless `allow_zero`) amounts and any
    amount with more decimal places than the currency has, even trailing zeros: "12.500 USD"
    is refused rather than silently reinterpreted.
    """
    c = currency_code(currency)
    exp = exponents()[c]
    s = (text or "").strip()
    if s.startswith("-"):
        raise UsageError(
            f"amount {text!r} is negative: record revenue and fees as positive amounts"
        )
    m = _AMOUNT.match(s)
    if not m:
        raise UsageError(
            f"amount {text!r} is not a decimal number: write it like 1234.56 "
            "(digits and one point; no sign, grouping, exponent or symbol)"
        )
    frac = m.group("frac") or ""
    if len(frac) > exp:
        raise UsageError(
            f"amount {text!r} has {len(frac)} decimal place(s) but {c} has {exp}: "
            f"round it to the {c} minor unit"
        )
    minor = int(m.group("int")) * 10**exp + int(frac.ljust(exp, "0") or "0")
    if minor == 0 and not allow_zero:
        raise UsageError(f"amount {text!r} is zero: nothing to record")
    if minor > MAX_MINOR:
        raise UsageError(
            f"amount {text!r} is too large for the ledger (at most {MAX_MINOR} {c} minor units)"
        )
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units -> Decimal in major units with the currency's exact places."""
    exp = exponent(currency)
    return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def format_amount(minor: int, currency: str) -> str:
    """Integer minor units -> decimal string in major units ("12.30", "1200", "0.005")."""
    return f"{to_decimal(minor, currency):f}"


__all__ = ["currency_code", "exponent", "exponents", "format_amount", "parse_amount", "to_decimal"]
