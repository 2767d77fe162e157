"""EMA Avails as licences: an Excel v1.9 workbook (the template's two header rows and its
version row, written with openpyxl) and an XML v2.5 AvailList (the avails-v2.5.xsd element
names and namespaces), both as MovieLabs publishes them (MovieLabs/mddf)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from clearreel.errors import CatalogError
from clearreel.rights.avails import import_avails, parse_map
from rights.conftest import base, find

ONE = "10.5240/7EC7-228A-510A-053E-CBB8-J"
TWO = "10.5240/1F2A-E1C5-680A-14C6-E76B-I"
MAP = parse_map(["AI-Training=ai_training,ai_generative_training"])

# Excel v1.9 "Template-Movies": row 1 the group, row 2 the column (in template order).
COLUMNS = [
    ("Avail", "DisplayName"), ("Avail", "Licensee"), ("AvailTrans", "AssetLanguage"),
    ("AvailTrans", "Territory"), ("AvailTrans", "TerritoryExclusion"), ("Avail", "StoreType"),
    ("AvailAsset", "WorkType"), ("Disposition", "EntryType"),
    ("AvailMetadata", "TitleInternalAlias"), ("AvailMetadata", "TitleDisplayUnlimited"),
    ("AvailTrans", "LicenseType"), ("AvailTrans", "LicenseRightsDescription"),
    ("AvailTrans", "FormatProfile"), ("AvailTrans", "Start"), ("AvailTrans", "End"),
    ("AvailTrans", "PriceType"), ("AvailTrans", "PriceValue"), ("AvailAsset", "TitleID"),
    ("AvailAsset", "EditID"), ("AvailAsset", "AltID"), ("AvailAsset", "ContentID"),
    ("Avail", "AvailID"), ("Avail", "ALID"), ("AvailTrans", "ContractID"),
    ("AvailTrans", "Exclusive"), ("AvailTrans", "ExclusiveAttributes"),
]


def _xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Template-Movies"
    ws.append([g for g, _ in COLUMNS])
    ws.append([n for _, n in COLUMNS])
    ws.append([1.9] + ["//Opt"] * (len(COLUMNS) - 1))
    for r in rows:
        ws.append([r.get(n) for _, n in COLUMNS])
    wb.save(path)
    return path


def _row(**kw: Any) -> dict[str, Any]:
    return {"DisplayName": "Test Pictures", "Territory": "US", "WorkType": "Movie",
            "EntryType": "Full Extract", "TitleInternalAlias": "One", "LicenseType": "AI-Training",
            "FormatProfile": "HD", "Start": dt.datetime(2025, 1, 1), "End": "Open",
            "TitleID": ONE, "ALID": "md:alid:eidr-s:7EC7-228A-510A-053E-CBB8-J", **kw}


XML = """<?xml version="1.0" encoding="UTF-8"?>
<avails:AvailList xmlns:avails="http://www.movielabs.com/schema/avails/v2.5/avails"
    xmlns:md="http://www.movielabs.com/schema/md/v2.8/md"
    xmlns:mdmec="http://www.movielabs.com/schema/mdmec/v2.8">
  <avails:Avail>
    <avails:ALID>w-two</avails:ALID>
    <avails:Disposition><avails:EntryType>Full Extract</avails:EntryType></avails:Disposition>
    <avails:Licensor><md:DisplayName>Test Pictures</md:DisplayName></avails:Licensor>
    <avails:AvailType>single</avails:AvailType>
    <avails:ShortDescription>AI training window</avails:ShortDescription>
    <avails:Asset contentID="md:cid:org:test:two">
      <avails:WorkType>Short</avails:WorkType>
      <avails:Metadata>
        <avails:TitleInternalAlias>Two</avails:TitleInternalAlias>
        <avails:TitleEIDR-URN>urn:eidr:10.5240:1F2A-E1C5-680A-14C6-E76B-I</avails:TitleEIDR-URN>
      </avails:Metadata>
    </avails:Asset>
    <avails:Transaction TransactionID="T-1">
      <avails:LicenseType>AI-Training</avails:LicenseType>
      <avails:Territory><md:country>GB</md:country></avails:Territory>
      <avails:Territory><md:country>FR</md:country></avails:Territory>
      <avails:Start>2025-01-01T00:00:00</avails:Start>
      <avails:End>2027-01-01T00:00:00</avails:End>
      <avails:FormatProfile>HD</avails:FormatProfile>
      <avails:Term termName="Exclusive"><avails:Boolean>true</avails:Boolean></avails:Term>
    </avails:Transaction>
    <avails:Transaction TransactionID="T-2">
      <avails:LicenseType>SVOD</avails:LicenseType>
      <avails:Territory><md:country>GB</md:country></avails:Territory>
      <avails:Start>2025-01-01T00:00:00</avails:Start>
      <avails:EndCondition>Open</avails:EndCondition>
      <avails:FormatProfile>HD</avails:FormatProfile>
    </avails:Transaction>
  </avails:Avail>
</avails:AvailList>
"""


@pytest.fixture
def reg(registry):  # type: ignore[no-untyped-def]
    doc = base()
    find(doc, "works", "w-one")["eidr"] = ONE
    find(doc, "works", "w-two")["eidr"] = TWO
    doc["licenses"] = []  # only what the avails grant
    r = registry(doc)
    r.settings = dataclasses.replace(r.settings, org=r.org)
    return r


def _licences(reg: Any) -> dict[str, dict[str, Any]]:
    from clearreel.rights.catalog import export_catalog

    with reg.session() as s:
        return {lic["id"]: lic for lic in export_catalog(s)["licenses"]}


def test_excel_v1_9_rows_become_licences(reg: Any, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "avails.xlsx", [
        _row(Exclusive="Yes", TerritoryExclusion=None),
        _row(Territory="WORLD", TerritoryExclusion="CN, RU", TitleID=None,
             ALID="w-two", End=dt.datetime(2026, 6, 30), AvailID="AV-2"),
        _row(LicenseType="EST"),
    ])
    r = import_avails(reg.settings, path, mapping=MAP)
    assert r["licenses"] == 2 and [s["where"] for s in r["skipped"]] == ["row 6"]
    lics = _licences(reg)
    by_eidr = next(v for k, v in lics.items() if v["works"] == ["w-one"])
    assert by_eidr["uses"] == {"ai_training": "allowed", "ai_generative_training": "allowed"}
    assert by_eidr["territories"] == ["US"] and by_eidr["exclusive"] is True
    assert "end" not in by_eidr and by_eidr["start"] == dt.date(2025, 1, 1)
    av2 = lics["avails-AV-2"]
    assert av2["works"] == ["w-two"] and av2["exclude_territories"] == ["CN", "RU"]
    assert av2["end"] == dt.date(2026, 6, 30)
    assert reg.use("w-two", "ai_training", dt.date(2026, 6, 30), territory="DE",
                   performers=[]).allowed
    assert not reg.use("w-two", "ai_training", dt.date(2026, 6, 30), territory="CN",
                       performers=[]).allowed
    assert not reg.use("w-two", "ai_training", dt.date(2026, 7, 1), territory="DE",
                       performers=[]).allowed
    again = import_avails(reg.settings, path, mapping=MAP)
    assert again["changes"] == []


def test_xml_v2_5_transactions_become_licences(reg: Any, tmp_path: Path) -> None:
    path = tmp_path / "avails.xml"
    path.write_text(XML)
    r = import_avails(reg.settings, path, mapping=MAP)
    line = XML.splitlines().index('    <avails:Transaction TransactionID="T-2">') + 1
    assert r["ids"] == ["avails-T-1"] and r["skipped"][0]["where"] == f"line {line}"
    lic = _licences(reg)["avails-T-1"]
    assert lic["works"] == ["w-two"] and lic["territories"] == ["GB", "FR"]
    # An End instant at midnight is exclusive: the last day of the window is the day before.
    assert lic["end"] == dt.date(2026, 12, 31) and lic["exclusive"] is True


def test_a_bad_avails_file_is_refused_whole(reg: Any, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "bad.xlsx", [
        _row(),  # fine on its own
        _row(Territory="UK"),
        _row(TitleID="10.5240/7EC7-228A-510A-053E-CBB8-K", ALID="nope"),
        _row(LicenseType="AI-Mystery"),
        _row(Start="Immediate"),
        _row(DisplayName="Nobody Films"),
    ])
    with pytest.raises(CatalogError) as e:
        import_avails(reg.settings, path, mapping=MAP)
    p = e.value.problems
    assert f"{path}:5: unknown territory 'UK'" in p[0]
    assert p[1].startswith(f"{path}:6:") and "wrong EIDR check character 'K'" in p[1]
    assert p[2].startswith(f"{path}:7:") and "--map AI-Mystery=" in p[2]
    assert p[3].startswith(f"{path}:8:") and "'Immediate' is not a date" in p[3]
    assert p[4].startswith(f"{path}:9:") and "--licensor" in p[4]
    assert _licences(reg) == {}


def test_cli_avails_import(reg: Any, tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLEARREEL_HOME", str(reg.settings.home))
    path = tmp_path / "avails.xml"
    path.write_text(XML)
    code, out, err = cli("--org", reg.org, "catalog", "avails", "import", str(path),
                         "--map", "AI-Training=ai_training", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["licenses"] == 1 and _licences(reg) == {}
    code, _, err = cli("--org", reg.org, "catalog", "avails", "import", str(path))
    assert code == 2 and f"{path}:18: LicenseType 'AI-Training'" in err
    code, _, err = cli("--org", reg.org, "catalog", "avails", "import", str(path),
                       "--map", "AI-Training=ai_trainning")
    assert code == 2 and "did you mean 'ai_training'" in err
