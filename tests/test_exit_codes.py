"""Exit codes at the CLI boundary (ARCHITECTURE.md, "CLI"): 2 bad input, 3 an environment
fault with one line and no traceback unless --debug; messages are printed as plain text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _clearreel(home: Path, *args: str, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLEARREEL_")}
    return subprocess.run(
        [sys.executable, "-m", "clearreel", *args], capture_output=True, text=True,
        env={**base, "CLEARREEL_HOME": str(home), **(env or {})}, timeout=120)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "ws"
    r = _clearreel(home, "init")
    assert r.returncode == 0, r.stderr
    return home


def test_an_unreachable_database_is_exit_3_in_one_line(home: Path) -> None:
    # Nothing listens on port 9 of localhost: the connection is refused.
    url = "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=5"
    r = _clearreel(home, "--database-url", url, "catalog", "list")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "database" in lines[0], lines
    assert r.stdout == ""


def test_debug_shows_the_traceback_and_keeps_the_exit_code(home: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=5"
    r = _clearreel(home, "--debug", "--database-url", url, "catalog", "list")
    assert r.returncode == 3 and "Traceback" in r.stderr
    r = _clearreel(home, "--database-url", url, "catalog", "list",
                   env={"CLEARREEL_DEBUG": "1"})
    assert r.returncode == 3 and "Traceback" in r.stderr


def test_messages_are_plain_text_not_markup(home: Path) -> None:
    """A speaker label echoed in an error ([JON]) is printed as typed, not eaten as markup."""
    r = _clearreel(home, "catalog", "import", str(home / "[JON] [bold]cast.yaml"))
    assert r.returncode == 2, r.stderr
    assert "[JON] [bold]cast.yaml" in r.stderr and "Traceback" not in r.stderr
