"""The HTML chart's value axis: round gridlines, grouped digits, and room for its labels
(large amounts were clipped at the left edge of the SVG)."""

from __future__ import annotations

import re

import pytest

from clearreel.ledger.statements import _axis_step, _grouped, svg_chart


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
    svg = svg_chart("USD", {"2026-05": {}, "2026-06": {"w-a": 370_370_145}}, {"w-a": "#000"})
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">([^<]+)</text>', svg)
    assert [lb for _x, lb in labels] == ["0", "1,000,000", "2,000,000", "3,000,000", "4,000,000"]
    for x, lb in labels:
        assert float(x) >= 6.0 * len(lb)  # ~6 px per 11 px digit: nothing left of x=0


@pytest.mark.browser
def test_statements_page_renders_in_chromium(ledger_ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The self-contained page renders headless with its chart (no network, no assets)."""
    import datetime as dt
    import shutil
    import subprocess

    from PIL import Image

    from clearreel.ledger import record_attributed_revenue, render_html

    from .conftest import ORG

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("install Debian's chromium for the browser tests")
    attr = [{"work": "w-a", "share": "0.7"}, {"work": "w-b", "share": "0.3"}]
    for month in (4, 5, 6):
        record_attributed_revenue(
            ledger_ws,
            "output:o-1",
            attr,
            f"{month}00.00",
            "USD",
            on=dt.date(2026, month, 2),
            org=ORG,
        )
    _report, page = render_html(ledger_ws, "2026-06", org=ORG)
    html_path, png = tmp_path / "s.html", tmp_path / "s.png"
    html_path.write_text(page)
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1000,900",
            f"--screenshot={png}",
            html_path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    img = Image.open(png).convert("RGB")
    colours = {
        img.getpixel((x, y)) for x in range(0, img.width, 2) for y in range(0, img.height, 2)
    }
    # The Okabe-Ito bar colours of w-a (#0072B2) and w-b (#E69F00) are on screen.
    assert (0x00, 0x72, 0xB2) in colours and (0xE6, 0x9F, 0x00) in colours
