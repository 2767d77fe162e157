"""`clearreel serve --workers N`: several server processes on one workspace, the job worker in
the parent only, and the command line's settings reaching every process."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from web.browser import serve


def test_every_setting_has_its_environment_variable() -> None:
    """The server processes are spawned and read their settings from CLEARREEL_*: a setting
    without a variable would silently take its default there."""
    from clearreel.config import ENVIRONMENT, Settings

    assert {f.name for f in dataclasses.fields(Settings)} == set(ENVIRONMENT)


def test_exported_settings_are_what_a_child_reads(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from clearreel.config import ENVIRONMENT, Settings, export_settings

    for var in ENVIRONMENT.values():  # recorded, so that teardown undoes export_settings
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    s = Settings(home=Path("rel/home"), database_url="postgresql+psycopg://db/x", org="org-a",
                 consent_mode="unless_refused", ca_dir="/keys", key_passphrase="pass phrase")
    export_settings(s)
    assert Settings() == dataclasses.replace(s, home=(tmp_path / "rel/home").resolve())
    export_settings(Settings(home=tmp_path, database_url=None, org=None, ca_dir=None,
                             key_passphrase=None))
    assert Settings().database_url is None and Settings().org is None  # unset, not "None"
    assert Settings().ca_dir is None and Settings().key_passphrase is None


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                out.append((int(stat.parent.name), cmd))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _cpu(pid: int) -> int:
    """User and system CPU time of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_two_server_processes_serve_the_workspace_named_on_the_command_line_and_run_a_job_once(
        studio: dict[str, Any]) -> None:
    import httpx

    proc, base = serve(studio["home"], workers=2, home_flag=True)
    try:
        servers = [p for p, cmd in _children(proc.pid) if "spawn_main" in cmd]
        assert len(servers) == 2, _children(proc.pid)
        h = {"Authorization": f"Bearer {studio['tokens']['creative-a']}"}
        # Keep-alive connections opened at once (as 16 browsers would) are spread over both
        # processes: each answers a share of the requests, so each spends CPU on them. (With
        # one shared socket the first process to wake accepts all 16, and the other idles.)
        before = {p: _cpu(p) for p in servers}

        async def burst() -> None:
            clients = [httpx.AsyncClient(base_url=base, headers=h, timeout=30)
                       for _ in range(16)]
            try:
                for _ in range(12):  # the first round opens the 16 connections at once
                    got = await asyncio.gather(*[c.get("/api/v1/models") for c in clients])
                    assert all(r.status_code == 200 for r in got)
            finally:
                await asyncio.gather(*[c.aclose() for c in clients])

        asyncio.run(burst())
        used = {p: _cpu(p) - before[p] for p in servers}
        assert min(used.values()) > 0.1 * sum(used.values()), used
        with httpx.Client(base_url=base, headers=h, timeout=30) as c:
            for _ in range(8):  # whichever process answers, it reads the --home workspace
                me = c.get("/api/v1/me")
                assert me.status_code == 200 and me.json()["org"] == "org-a"
            job = c.post("/api/v1/jobs", json={"kind": "generate", "params": {
                "model": "a-model", "prompt": "Jonah waits in the rain", "purpose": "previz"}})
            assert job.status_code == 202, job.text
            deadline = time.monotonic() + 120  # a bound on the job's run, not a measurement
            while time.monotonic() < deadline:
                got = c.get(f"/api/v1/jobs/{job.json()['id']}").json()
                if got["state"] not in ("queued", "running"):
                    break
                time.sleep(0.5)
        # Run by the one worker (in the parent), once: two workers would start it twice.
        assert got["state"] == "blocked" and got["attempts"] == 1, got
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not [p for p in servers if Path(f"/proc/{p}").exists()]  # no server left behind


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_exit_2_before_anything_starts(workspace: Any, cli: Any,
                                                          workers: str) -> None:
    import socket

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    try:
        port = str(held.getsockname()[1])
        code, _out, err = cli("serve", "--port", port, "--workers", workers, "--no-worker")
    finally:
        held.close()
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in err, err
