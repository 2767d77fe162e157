"""The HTML chart's value axis: round gridlines, grouped digits, and room for its labels
(large amounts were clipped at the left edge of the SVG)."""

from __future__ import annotations

import re

from clearreel.ledger.statements import _axis_step, _grouped, _svg_chart


def test_axis_step_is_round_and_covers_the_peak() -> None:
    for peak in (0, 1, 7, 99, 12_345, 370_370_145, 10**12 + 1):
        step = _axis_step(peak)
        assert step * 4 >= peak
        assert str(step).rstrip("0") in ("1", "2", "25", "5")


def test_grouped_digits() -> None:
    assert _grouped("7407402.89") == "7,407,402.89"
    assert _grouped("-1234") == "-1,234"
    assert _grouped("0.05") == "0.05"


def test_large_amount_labels_fit_left_of_the_axis() -> None:
    svg = _svg_chart("USD", {"2026-05": {}, "2026-06": {"w-a": 370_370_145}}, {"w-a": "#000"})
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">([^<]+)</text>', svg)
    assert [lb for _x, lb in labels] == ["0", "1,000,000", "2,000,000", "3,000,000", "4,000,000"]
    for x, lb in labels:
        assert float(x) >= 6.0 * len(lb)  # ~6 px per 11 px digit: nothing left of x=0
