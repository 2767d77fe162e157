"""Bad input through the pages: the error beside the field, uploads checked, nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from web.conftest import csrf_of


def _uploads(studio: dict[str, Any]) -> list[Path]:
    d = studio["home"] / "cache" / "web" / "org-a" / "uploads"
    return sorted(d.iterdir()) if d.exists() else []


def test_a_storyboard_that_is_not_an_image_is_refused(clients: dict[str, Any],
                                                      studio: dict[str, Any]) -> None:
    c = clients["creative-a"]
    before = _uploads(studio)
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "prompt": "Mara at dusk",
                                  "model": "a-model"},
               files={"image": ("board.png", b"MZ\x90\x00 not a png", "image/png")})
    assert r.status_code == 400
    assert 'id="image-error"' in r.text and "not an image" in r.text
    assert 'aria-invalid="true" aria-describedby="image-error"' in r.text
    assert _uploads(studio) == before  # nothing half written, no temporary file left


def test_a_real_storyboard_is_accepted(clients: dict[str, Any], studio: dict[str, Any]) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (48, 32), (90, 120, 150)).save(buf, "PNG")
    c = clients["creative-a"]
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "prompt": "the quay at dusk",
                                  "model": "a-model", "purpose": "previz"},
               files={"image": ("board.png", buf.getvalue(), "image/png")})
    assert r.status_code == 200, r.text[:500]
    assert "Allowed" in r.text and 'name="image" value="up-' in r.text


def test_generate_form_validates_each_field(clients: dict[str, Any]) -> None:
    c = clients["creative-a"]
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "prompt": " ",
                                  "model": "nope"})
    assert r.status_code == 400
    assert 'id="prompt-error"' in r.text and 'id="model-error"' in r.text


def test_verify_refuses_a_file_that_is_not_a_video(clients: dict[str, Any],
                                                   studio: dict[str, Any]) -> None:
    c = clients["creative-a"]
    r = c.post("/verify", data={"csrf": csrf_of(c, "/verify")},
               files={"file": ("clip.mp4", b"\x00" * 2048, "video/mp4")})
    assert r.status_code == 400 and "not a video" in r.text and 'id="file-error"' in r.text
    assert _uploads(studio) == [p for p in _uploads(studio) if p.suffix != ".mp4"]


def test_verify_an_unsigned_video(clients: dict[str, Any], studio: dict[str, Any],
                                  tmp_path: Path) -> None:
    import numpy as np

    from clearreel.media import write_video

    f = tmp_path / "plain.mp4"
    write_video(f, np.full((9, 32, 48, 3), 128, dtype=np.uint8), 8.0)
    c = clients["rights-a"]
    r = c.post("/verify", data={"csrf": csrf_of(c, "/verify")},
               files={"file": ("plain.mp4", f.read_bytes(), "video/mp4")})
    assert r.status_code == 200 and "Not verified" in r.text and "absent" in r.text
    assert not [p for p in _uploads(studio) if p.suffix == ".mp4"]  # the upload is not kept


def test_works_filters_show_errors_beside_the_field(clients: dict[str, Any]) -> None:
    c = clients["rights-a"]
    r = c.get("/works?on=2026-13-45")
    assert r.status_code == 400 and 'id="on-error"' in r.text
    r = c.get("/works?territory=ZZZ")
    assert r.status_code == 400 and 'id="territory-error"' in r.text
    assert "Harbor Lights" in r.text  # the matrix is still shown, for the home territory


def test_statement_with_work_titles_chart_and_csv(clients: dict[str, Any]) -> None:
    c = clients["finance-a"]
    period = dt.date.today().strftime("%Y-%m")
    page = c.get(f"/finance?period={period}").text
    assert "<svg" in page and "Harbor Lights" in page and "The Long Tide" in page
    assert "a-harbor</td>" not in page  # titles, not ids, in the lines
    csv = c.get(f"/finance/statements.csv?period={period}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("period,party")
    bad = c.get("/finance?period=2026-13")
    assert bad.status_code == 400 and 'id="period-error"' in bad.text


def test_dataset_page_shows_clips_with_timecodes_and_thumbnails(clients: dict[str, Any]) -> None:
    c = clients["creative-a"]
    page = c.get("/datasets/a-data").text
    assert "00:00:04:00" in page and "Mara on the quay" in page and "a-lic" in page
    import re

    thumb = re.search(r'src="(/datasets/a-data/clips/[^"]+/thumb.jpg)"', page).group(1)
    r = c.get(thumb)
    assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff"
    bom = c.get("/datasets/a-data/bom")
    assert bom.status_code == 200 and bom.json()["dataset"] == "a-data"
    v = c.post("/datasets/a-data/verify", data={"csrf": csrf_of(c)})
    assert v.status_code == 200 and ("Verified" in v.text or "Verification failed" in v.text)
