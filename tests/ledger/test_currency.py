from __future__ import annotations

from decimal import Decimal

import pytest

from clearreel.errors import UsageError
from clearreel.ledger.currency import exponent, format_amount, parse_amount, to_decimal


@pytest.mark.parametrize(
    ("code", "exp"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("ISK", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
        ("usd", 2),
    ],
)
def test_iso4217_exponents(code: str, exp: int) -> None:
    assert exponent(code) == exp


@pytest.mark.parametrize(
    ("text", "code", "minor"),
    [
        ("1234.56", "USD", 123456),
        ("0.01", "USD", 1),
        ("7", "USD", 700),
        ("7.5", "EUR", 750),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0.001", "KWD", 1),
        (" 3.10 ", "GBP", 310),
    ],
)
def test_parse_amount(text: str, code: str, minor: int) -> None:
    assert parse_amount(text, code) == minor


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("-5.00", "USD", "negative"),
        ("abc", "USD", "not a decimal"),
        ("1,000.00", "USD", "not a decimal"),
        ("1e3", "USD", "not a decimal"),
        ("+5", "USD", "not a decimal"),
        ("", "USD", "not a decimal"),
        ("5.", "USD", "not a decimal"),
        (".5", "USD", "not a decimal"),
        ("$5", "USD", "not a decimal"),
        ("12.345", "USD", "decimal place"),
        ("12.500", "USD", "decimal place"),
        ("100.5", "JPY", "decimal place"),
        ("1.2345", "KWD", "decimal place"),
        ("0", "USD", "zero"),
        ("0.00", "USD", "zero"),
        ("5", "XYZ", "unknown currency"),
        ("5", "XAU", "unknown currency"),
        ("5", "", "unknown currency"),
        ("99999999999999999999", "USD", "too large"),
    ],
)
def test_parse_amount_refuses(text: str, code: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse_amount(text, code)


def test_format_round_trips() -> None:
    assert format_amount(123456, "USD") == "1234.56"
    assert format_amount(5, "USD") == "0.05"
    assert format_amount(1500, "JPY") == "1500"
    assert format_amount(1, "KWD") == "0.001"
    assert format_amount(-250, "EUR") == "-2.50"
    assert format_amount(0, "USD") == "0.00"
    assert to_decimal(123456, "USD") == Decimal("1234.56")
    for code, minor in [("USD", 98765), ("JPY", 42), ("KWD", 1001), ("CLF", 12345)]:
        assert parse_amount(format_amount(minor, code), code) == minor
