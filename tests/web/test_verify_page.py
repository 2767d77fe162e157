"""The verify page and API on a genuine output and on a forged one (the output's id, marked with
the organization's own secret, on frames that do not match its fingerprint)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from web.conftest import csrf_of

OID = "out-00aa11bb22cc33dd"


@pytest.fixture(scope="module")
def genuine(studio: dict[str, Any]) -> dict[str, Any]:
    """A delivered output of org-a: watermarked, signed, recorded with its fingerprint."""
    from clearreel.dataset import get_dataset_row
    from clearreel.db import open_session
    from clearreel.generate.pipeline import ModelInfo, Request, deliver
    from provenance.media import footage

    s = dataclasses.replace(studio["settings"], org="org-a")
    with open_session(s) as session:
        sha = get_dataset_row(session, "a-data").manifest_sha256
    info = ModelInfo("a-model", "a-data", sha, org="org-a")
    result = deliver(s, OID, footage(), 24.0, Request(model="a-model", prompt="the quay"), info)
    assert not result["blocked"], result["reasons"]
    return result


def _forged(studio: dict[str, Any], tmp_path: Path) -> Path:
    from clearreel.media import write_video
    from clearreel.provenance import watermark as wm
    from clearreel.provenance.keys import watermark_key
    from provenance.media import footage

    key = watermark_key(studio["settings"], "org-a", create=False)
    assert key is not None
    path = tmp_path / "forged.mp4"
    marked = wm.embed_id(footage(seed=11), OID, wm.WatermarkConfig(key=key))
    write_video(path, marked, 24, crf=17, preset="medium")
    return path


def _upload(c: Any, path: Path) -> Any:
    return c.post("/verify", data={"csrf": csrf_of(c, "/verify")},
                  files={"file": (path.name, path.read_bytes(), "video/mp4")})


def test_a_genuine_output_verifies_on_the_page(clients: dict[str, Any],
                                               genuine: dict[str, Any]) -> None:
    r = _upload(clients["creative-a"], Path(genuine["path"]))
    assert r.status_code == 200
    assert "Verified:" in r.text and "Not verified" not in r.text and "FORGED" not in r.text
    assert f'href="/outputs/{OID}"' in r.text


def test_a_forged_watermark_is_shown_as_forged(clients: dict[str, Any], studio: dict[str, Any],
                                               genuine: dict[str, Any], tmp_path: Path) -> None:
    r = _upload(clients["creative-a"], _forged(studio, tmp_path))
    assert r.status_code == 200
    assert "FORGED" in r.text and "Verified:" not in r.text
    assert 'class="card decision forged"' in r.text
    # The output id it claims, and why it is not believed (the fingerprint score).
    assert f"claims {OID}" in r.text and "do not match" in r.text
    assert "fingerprint score" in r.text


def test_the_api_reports_a_forged_watermark(api: Any, studio: dict[str, Any],
                                            genuine: dict[str, Any], tmp_path: Path) -> None:
    c = api("creative-a")
    f = _forged(studio, tmp_path)
    doc = c.post("/api/v1/verify", files={"file": (f.name, f.read_bytes(), "video/mp4")}).json()
    assert doc["forged"] and not doc["verified"] and doc["verdict"] == "forged"
    assert doc["watermark"]["output"] == OID and not doc["watermark"]["fingerprint"]["match"]
    p = Path(genuine["path"])
    doc = c.post("/api/v1/verify", files={"file": (p.name, p.read_bytes(), "video/mp4")}).json()
    assert doc["verified"] and not doc["forged"] and doc["verdict"] == "verified"
