"""Curation reports frames within each file (not "0/1" for a whole film), from the local
engine's worker processes too, as plain lines on stderr when there is no terminal; with
`--json` stdout still holds the one document."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.sample import REFERENCE_DATE
from curate.test_pipeline import CONFIG, import_catalog, studio

__all__ = ["studio"]  # the module's sample studio fixture


@pytest.mark.parametrize("workers", [1, 2])
def test_curate_reports_frames_within_a_file(
    workers: int, studio: Path, workspace: Settings, capsys, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    from clearreel.curate import curate

    monkeypatch.setenv("CLEARREEL_PROGRESS_INTERVAL", "0")
    import_catalog(workspace, studio / "catalog.yaml")
    curate(workspace, "p", on=REFERENCE_DATE, config=CONFIG, workers=workers, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "curate analyse: 2 files"
    partial = [tuple(map(int, m.groups())) for line in err
               if (m := re.search(r"frames (\d+)/(\d+)", line))]
    assert any(0 < done < total for done, total in partial), err
    assert any(line.startswith("curate analyse: done, 2/2 files") for line in err)
    assert any(line.startswith("curate cut: done") for line in err)


def test_curate_json_keeps_stdout_to_the_document(
    studio: Path, workspace: Settings, cli, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    import_catalog(workspace, studio / "catalog.yaml")
    monkeypatch.setenv("CLEARREEL_HOME", str(workspace.home))
    config = workspace.home / "config.json"
    config.write_text(json.dumps(CONFIG.to_dict()))
    code, out, err = cli("curate", "--dataset", "j", "--on", REFERENCE_DATE.isoformat(),
                         "--workers", "1", "--config", str(config), "--json")
    assert code == 0 and json.loads(out)["dataset"] == "j"
    assert "curate analyse: 2 files" in err
