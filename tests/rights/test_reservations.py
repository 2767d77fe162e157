"""Reservations embedded in real media: IPTC PLUS / TDMRep XMP in an MP4 written with PyAV,
and a CAWG training-mining assertion in a C2PA manifest signed with the studio's keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.rights.reservations import (
    FoundReservation,
    _from_xmp,
    append_xmp_box,
    make_xmp_packet,
    read_reservations,
)

from .conftest import D, base, find, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def tiny_mp4(path: Path, frames: int = 6) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as c:
        st = c.add_stream("libx264", rate=6)
        st.width, st.height, st.pix_fmt = 64, 36, "yuv420p"
        for i in range(frames):
            img = np.full((36, 64, 3), 30 * i, np.uint8)
            for pkt in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in st.encode():
            c.mux(pkt)
    return path


def decoded_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def c2pa_sign(settings: Settings, src: Path, dst: Path, entries: dict) -> None:
    import c2pa

    from clearreel.provenance import signing_chain_pem

    manifest = {
        "claim_generator_info": [{"name": "clearreel-tests", "version": "0"}],
        "title": src.name,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}},
            {"label": "cawg.training-mining", "data": {"entries": entries}},
        ],
    }
    from clearreel.provenance.keys import signing_key_pem

    org = "org-reservations-signer"  # any key will do: only the assertion is read
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, signing_chain_pem(settings, org),
                               signing_key_pem(settings, org), None)
    signer = c2pa.Signer.from_info(info)
    with c2pa.Builder(manifest) as b, src.open("rb") as fi, dst.open("wb") as fo:
        b.sign(signer, "video/mp4", fi, fo)


def test_plain_media_has_no_reservation(tmp_path: Path) -> None:
    assert read_reservations(tiny_mp4(tmp_path / "a.mp4")) == []


def test_iptc_plus_data_mining_in_an_mp4(tmp_path: Path) -> None:
    p = tiny_mp4(tmp_path / "a.mp4")
    append_xmp_box(p, make_xmp_packet(data_mining="DMI-PROHIBITED-AIMLTRAINING"))
    uri = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
    assert read_reservations(p) == [
        FoundReservation("ai_training", "notAllowed", "iptc:plus:DataMining", uri),
        FoundReservation("ai_generative_training", "notAllowed", "iptc:plus:DataMining", uri),
    ]
    assert decoded_frames(p) == 6  # the file still plays


@pytest.mark.parametrize(("code", "expected"), [
    ("DMI-PROHIBITED", {"ai_training": "notAllowed", "ai_generative_training": "notAllowed",
                        "ai_inference": "notAllowed", "data_mining": "notAllowed"}),
    ("DMI-PROHIBITED-GENAIMLTRAINING", {"ai_generative_training": "notAllowed"}),
    ("DMI-PROHIBITED-SEECONSTRAINT", {"ai_training": "constrained",
                                      "ai_generative_training": "constrained",
                                      "ai_inference": "constrained", "data_mining": "constrained"}),
    ("DMI-ALLOWED", {"ai_training": "allowed", "ai_generative_training": "allowed",
                     "ai_inference": "allowed", "data_mining": "allowed"}),
    ("DMI-UNSPECIFIED", {}),
])
def test_plus_vocabulary(code: str, expected: dict) -> None:
    found = _from_xmp(make_xmp_packet(data_mining=code).split(b"?>", 1)[1].rsplit(b"<?", 1)[0])
    assert {f.use: f.value for f in found} == expected


def test_xmp_element_form_and_tdmrep(tmp_path: Path) -> None:
    packet = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
      xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
          xmlns:tdm="http://www.w3.org/ns/tdmrep/">
        <plus:DataMining rdf:resource="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-GENAIMLTRAINING"/>
        <tdm:reservation>1</tdm:reservation>
      </rdf:Description></rdf:RDF></x:xmpmeta>"""
    p = tmp_path / "b.mp4"
    p.write_bytes(b"\0\0\0\x08free" + packet + b"\0" * 16)
    found = read_reservations(p)
    assert ("ai_generative_training", "notAllowed", "iptc:plus:DataMining") in [
        (f.use, f.value, f.source) for f in found]
    assert sorted(f.use for f in found if f.source == "tdmrep:reservation") == [
        "ai_generative_training", "ai_inference", "ai_training", "data_mining"]


def test_cawg_training_mining_in_a_signed_c2pa_manifest(workspace: Settings,
                                                        tmp_path: Path) -> None:
    src = tiny_mp4(tmp_path / "src.mp4")
    dst = tmp_path / "signed.mp4"
    c2pa_sign(workspace, src, dst, {
        "cawg.ai_generative_training": {"use": "notAllowed"},
        "cawg.ai_training": {"use": "constrained", "constraint_info": "ask the studio"},
        "cawg.data_mining": {"use": "allowed"},
    })
    found = {(f.use, f.value, f.source) for f in read_reservations(dst)}
    assert found == {("ai_generative_training", "notAllowed", "cawg.training-mining"),
                     ("ai_training", "constrained", "cawg.training-mining"),
                     ("data_mining", "allowed", "cawg.training-mining")}
    raw = next(f.raw for f in read_reservations(dst) if f.use == "ai_training")
    assert json.loads(raw) == {"cawg.ai_training": {"use": "constrained",
                                                    "constraint_info": "ask the studio"}}
    assert decoded_frames(dst) == 6


def test_import_records_reservations_and_they_win(workspace: Settings, tmp_path: Path, cli) -> None:
    from clearreel.db import open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.clearance import check_use

    media = tmp_path / "cat" / "media"
    media.mkdir(parents=True)
    c2pa_sign(workspace, tiny_mp4(tmp_path / "src.mp4"), media / "one.mp4",
              {"cawg.ai_generative_training": {"use": "notAllowed"}})
    two = tiny_mp4(media / "two.mp4")
    doc = base()
    find(doc, "works", "w-one")["media"] = ["media/one.mp4"]
    find(doc, "works", "w-two")["media"] = ["media/two.mp4", "s3://bucket/two-4k.mov"]
    cat = write(tmp_path / "cat" / "catalog.yaml", doc)
    out = import_catalog(workspace, cat)
    assert out["reservations"] == 1 and out["warnings"] == []
    with open_session(workspace) as s:
        d = check_use(s, "w-one", "ai_generative_training", on=D(2025, 6, 1))
        assert not d.allowed
        r = next(x for x in d.reasons if x.code == "reservation.forbids")
        assert r.reservation == f"cawg.training-mining {media / 'one.mp4'}"
        assert check_use(s, "w-one", "ai_training", on=D(2025, 6, 1)).allowed
    # Idempotent: the same reservation is not recorded twice.
    assert import_catalog(workspace, cat)["updated"] == {}
    # A reservation added to the media later is found by `rights scan`.
    append_xmp_box(two, make_xmp_packet(data_mining="DMI-PROHIBITED"))
    code, stdout, _ = cli("rights", "scan", "--json")
    assert code == 0
    rows = json.loads(stdout)["reservations"]
    assert len(rows) == 5 and {r["work"] for r in rows} == {"w-one", "w-two"}
    code, stdout, _ = cli("rights", "check", "--work", "w-two", "--use", "data_mining",
                          "--on", "2025-06-01", "--json")
    assert code == 1
    assert [r["code"] for r in json.loads(stdout)["reasons"] if r["effect"] == "deny"] == [
        "reservation.forbids"]


def test_an_unreadable_media_path_is_a_warning(workspace: Settings, tmp_path: Path) -> None:
    from clearreel.rights.catalog import import_catalog

    (tmp_path / "media" / "dir.mp4").mkdir(parents=True)
    doc = base()
    find(doc, "works", "w-one")["media"] = ["media/dir.mp4", "media/missing.mp4"]
    out = import_catalog(workspace, write(tmp_path / "catalog.yaml", doc))
    assert len(out["warnings"]) == 2 and "cannot read" in out["warnings"][0]
    assert "does not exist" in out["warnings"][1]
