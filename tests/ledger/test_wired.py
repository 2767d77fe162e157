"""The wired paths: revenue of a real `Output` row, and a fee for a real packed dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.db import open_session

from .conftest import ORG, count_postings


def _output(
    s: Settings, oid: str, attribution: list[dict[str, str]], blocked: bool = False
) -> None:
    from clearreel.generate.models import Output

    with open_session(s, ORG) as ses:
        ses.add(
            Output(
                id=oid,
                model="m-tiny",
                dataset="ds-main",
                prompt="a harbour at dusk",
                attribution=attribution,
                blocked=blocked,
                params={},
                reasons=[],
            )
        )


def test_revenue_of_an_output_through_the_cli(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _output(
        ledger_db,
        "out-00000000000000a1",
        [{"work": "w-a", "share": "0.6"}, {"work": "w-b", "share": "0.4"}],
    )
    code, out, err = cli(
        "ledger",
        "revenue",
        "--output",
        "out-00000000000000a1",
        "--amount",
        "100.01",
        "--currency",
        "USD",
        "--on",
        "2026-03-15",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    # The hand-computed example of test_allocate: pool 50.01, studio 50.00, every cent placed.
    assert (data["pool"], data["studio"], data["source"]) == (
        "50.01",
        "50.00",
        "output:out-00000000000000a1",
    )
    assert {(a["party"], a["work"], a["amount"]) for a in data["allocations"]} == {
        ("p-studio", "w-a", "18.01"),
        ("p-ava", "w-a", "9.00"),
        ("p-ben", "w-a", "3.00"),
        ("p-studio", "w-b", "10.00"),
        ("p-cy", "w-b", "10.00"),
    }
    code, out, _ = cli("ledger", "check", "--json")
    assert code == 0 and json.loads(out)["postings"] == 9


def test_output_refusals_write_nothing(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _output(ledger_db, "out-00000000000000b1", [], blocked=True)
    _output(ledger_db, "out-00000000000000b3", [{"work": "w-unknown", "share": "1"}])
    for oid in ("out-00000000000000b1", "out-00000000000000b3", "out-nope"):
        code, _out, err = cli(
            "ledger", "revenue", "--output", oid, "--amount", "5.00", "--currency", "USD"
        )
        assert code == 2, (oid, err)
    assert count_postings(ledger_db) == 0


def _dataset(s: Settings, tmp: Path) -> None:
    from clearreel.dataset import ManifestClip
    from clearreel.dataset.manifest import file_sha256
    from clearreel.dataset.writer import dataset_dir, pack
    from dataset.registry import register_packed

    root = dataset_dir(s, "ds-main")
    (root / "clips").mkdir(parents=True)
    # w-a: three 10 s clips (240 source frames at 24 fps); w-b: one. Minutes 1/2 and 1/6: 3:1.
    spans = [("w-a", 0), ("w-a", 1000), ("w-a", 2000), ("w-b", 0)]
    entries = []
    for i, (work, start) in enumerate(spans):
        cid = f"{work}_m0_{start:07d}_{start + 239:07d}"
        path = root / "clips" / f"{cid}.mp4"
        path.write_bytes(f"clip {i}".encode() * 50)
        entries.append(
            ManifestClip(
                id=cid,
                work=work,
                media=f"/m/{work}.mp4",
                media_sha256="0" * 64,
                start_frame=start,
                end_frame=start + 239,
                source_fps=24.0,
                start_tc="00:00:00:00",
                end_tc="00:00:10:00",
                fps=16.0,
                frames=161,
                width=64,
                height=36,
                file=f"clips/{cid}.mp4",
                sha256=file_sha256(path),
                caption="shot",
                performers=[],
                characters=[],
                licenses=["l-1"],
                consents=[],
                scores={},
            )
        )
    header = {
        "dataset": "ds-main",
        "id": "ds-main-1",
        "organization": ORG,
        "created": "2026-01-01T00:00:00Z",
        "clearance": {"use": "ai_generative_training", "on": "2026-01-01", "territory": "US"},
        "config": {},
        "works": None,
        "pipeline": {"engine": "local"},
    }
    packed = pack(s, root, header=header, clips=entries, exclusions=[], sources=[])
    register_packed(s, "ds-main", "ds-main-1", packed, entries, org=ORG)


def test_deal_for_a_dataset_through_the_cli(ledger_db: Settings, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _dataset(ledger_db, tmp_path)
    _rights(ledger_db, tmp_path)
    code, out, err = cli(
        "ledger",
        "deal",
        "--licensee",
        "Acme AI",
        "--dataset",
        "ds-main",
        "--amount",
        "1000.00",
        "--currency",
        "EUR",
        "--on",
        "2026-03-20",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "deal" and data["studio"] == "0.00"
    assert {w["work"]: w["amount"] for w in data["works"]} == {"w-a": "750.00", "w-b": "250.00"}
    assert {(a["party"], a["work"], a["amount"]) for a in data["allocations"]} == {
        ("p-studio", "w-a", "450.00"),
        ("p-ava", "w-a", "225.00"),
        ("p-ben", "w-a", "75.00"),
        ("p-studio", "w-b", "125.00"),
        ("p-cy", "w-b", "125.00"),
    }
    code, out, _ = cli("ledger", "statements", "--period", "2026-03", "--json")
    assert code == 0 and json.loads(out)["allocated"] == {"EUR": "1000.00"}
    assert cli("ledger", "check")[0] == 0


@pytest.mark.parametrize("amount", ["-1", "1.001", "abc"])
def test_deal_bad_amount_writes_nothing(
    ledger_db: Settings, cli, tmp_path: Path, amount: str
) -> None:  # type: ignore[no-untyped-def]
    _dataset(ledger_db, tmp_path)
    code, _o, _e = cli(
        "ledger",
        "deal",
        "--licensee",
        "Acme",
        "--dataset",
        "ds-main",
        "--amount",
        amount,
        "--currency",
        "EUR",
    )
    assert code == 2 and count_postings(ledger_db) == 0


def _rights(settings: Settings, tmp_path: Path, *, sublicensing: str = "allowed",
            consented: tuple[str, ...] = ("p-ava", "p-cy")) -> None:
    """The studio's licence of w-a and w-b (with `sublicensing` as given) and the training
    consents of `consented`, imported as a studio would (a catalog that states only these)."""
    import yaml

    from clearreel.rights.catalog import import_catalog

    doc = {
        "organization": {"id": ORG, "name": "Northlight Pictures", "home_territory": "US"},
        "licenses": [{"id": "l-1", "licensor": "p-studio", "licensee": ORG, "works": "all",
                      "uses": {"ai_generative_training": "allowed", "sublicensing": sublicensing},
                      "territories": ["WORLD"], "start": "2024-01-01"}],
        "consents": [{"id": f"k-{p}", "party": p, "kind": "training", "status": "granted",
                      "works": "all", "signed": "2024-01-01"} for p in consented],
    }
    f = tmp_path / "rights.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    import_catalog(settings, f, scan=False)


def _deal(cli, *extra: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return cli("ledger", "deal", "--licensee", "Acme AI", "--dataset", "ds-main", "--amount",
               "1000.00", "--currency", "EUR", *extra)


@pytest.mark.parametrize("sublicensing,consented,code", [
    ("notAllowed", ("p-ava", "p-cy"), "license"),  # rules 1-2: the licence forbids it
    ("allowed", ("p-ava",), "consent.missing"),  # rule 3: Cy, present in w-b, has no consent
])
def test_a_deal_that_does_not_clear_every_clip_is_refused_and_writes_nothing(
        ledger_db: Settings, cli, tmp_path: Path, sublicensing: str, consented: tuple[str, ...],
        code: str) -> None:  # type: ignore[no-untyped-def]
    from clearreel.rights.audit import entries

    _dataset(ledger_db, tmp_path)
    _rights(ledger_db, tmp_path, sublicensing=sublicensing, consented=consented)
    rc, out, err = _deal(cli, "--json")
    assert rc == 1, err
    report = json.loads(out)
    assert report["allowed"] is False and report["uncleared_clips"]
    reasons = {r["code"] for u in report["uncleared"] for r in u["reasons"]}
    assert any(r.startswith(code) for r in reasons), reasons
    if code == "consent.missing":  # only the w-b clip (Cy) fails; Ava's clips clear
        assert {u["work"] for u in report["uncleared"]} == {"w-b"}
    assert count_postings(ledger_db) == 0
    with open_session(ledger_db, ORG) as s:
        assert [e.subject for e in entries(s, "ledger.deal_refused")] == ["ds-main"]


def test_a_reference_books_a_deal_or_revenue_once(ledger_db: Settings, cli,
                                                  tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _dataset(ledger_db, tmp_path)
    _rights(ledger_db, tmp_path)
    assert _deal(cli, "--reference", "INV-2026-001")[0] == 0
    booked = count_postings(ledger_db)
    rc, _out, err = _deal(cli, "--reference", "INV-2026-001")
    assert rc == 2 and "INV-2026-001" in err and "already recorded" in err
    assert count_postings(ledger_db) == booked
    _output(ledger_db, "out-00000000000000c1", [{"work": "w-a", "share": "1"}])
    rc, _o, err = cli("ledger", "revenue", "--output", "out-00000000000000c1", "--amount", "10",
                      "--currency", "EUR", "--reference", "INV-2026-001")
    assert rc == 2 and count_postings(ledger_db) == booked  # one reference space per ledger
    assert cli("ledger", "revenue", "--output", "out-00000000000000c1", "--amount", "10",
               "--currency", "EUR", "--reference", "INV-2026-002")[0] == 0
    assert _deal(cli, "--reference", " ")[0] == 2
    assert cli("ledger", "check")[0] == 0
