"""ISO 4217 codes come from pycountry, ISO 3166 from pycountry; the minor units that pycountry
lacks stay ours because babel's CLDR digits are not ISO 4217's (measured here)."""

from __future__ import annotations

import pycountry
import pytest

from clearreel.errors import UsageError
from clearreel.ledger.currency import _NO_MINOR, currency_code, exponents, parse_amount


def test_codes_follow_pycountry() -> None:
    current = {c.alpha_3 for c in pycountry.currencies}
    assert set(exponents()) == (current - _NO_MINOR) | {"ANG", "BGN"}
    assert exponents()["XCG"] == 2 and exponents()["JPY"] == 0 and exponents()["KWD"] == 3
    assert exponents()["CLF"] == 4
    for code in ("XAU", "XDR", "XTS", "XXX"):
        with pytest.raises(UsageError, match="unknown currency"):
            currency_code(code)
    assert parse_amount("1.23", "BGN") == 123  # withdrawn, still readable


def test_cldr_digits_are_not_iso_minor_units() -> None:
    """Why babel does not replace the exponent table: CLDR's display digits disagree."""
    babel = pytest.importorskip("babel.numbers")
    differ = {c for c, e in exponents().items() if babel.get_currency_precision(c) != e}
    assert {"IQD", "HUF", "IDR", "COP"} <= differ
    assert exponents()["IQD"] == 3 and babel.get_currency_precision("IQD") == 0


def test_territories_follow_pycountry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from clearreel.rights.vocab import is_territory, iso_3166_alpha2

    assert iso_3166_alpha2() == {c.alpha_2 for c in pycountry.countries}
    assert len(iso_3166_alpha2()) == 249 and is_territory("DE") and not is_territory("UK")
    from clearreel.errors import CatalogError
    from clearreel.rights.catalog import load_catalog

    path = tmp_path / "c.yaml"
    path.write_text("organization: {id: o, name: O, home_territory: Germany}\n")
    with pytest.raises(CatalogError, match="did you mean 'DE'"):
        load_catalog(path)
