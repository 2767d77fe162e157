"""`clearreel serve`: the web studio and the JSON API."""

from __future__ import annotations

import os
import socket
from typing import Any

import typer

from clearreel.cli._common import err, settings
from clearreel.config import export_settings
from clearreel.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def default_workers() -> int:
    """One server process per CPU, at most 4: a request's Python runs on one core (the GIL),
    so one process serves one request at a time however many threads it has."""
    return max(1, min(4, os.cpu_count() or 1))


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
          workers: int = typer.Option(0, "--workers", min=0, max=64,
                                      help="Server processes (0: one per CPU, at most 4)."),
          worker: bool = typer.Option(True, "--worker/--no-worker",
                                      help="Run browser-started jobs in this server."),
          access_log: bool = typer.Option(False, "--access-log", help="Log every request.")
          ) -> None:
    """The web studio (pages) and the JSON API (/api/v1, OpenAPI at /api/v1/openapi.json).

    With several server processes, the job worker (one at a time, each job in its own child
    process) runs in this parent process, so that a job is started once however many
    processes answer requests."""
    try:
        import uvicorn
    except ImportError:
        from clearreel.errors import MissingDependency

        raise MissingDependency("the web studio needs uvicorn and fastapi: "
                                "pip install 'fastapi' 'uvicorn'") from None
    from clearreel.db import connect

    s = settings()
    connect(s)  # a missing workspace is exit 2 before the server starts
    n = workers or default_workers()
    _listener(host, port, reuse_port=False).close()  # the port is free (else exit 2)
    err.print(f"clearreel studio on http://{host}:{port}/ ({n} server process"
              f"{'es' if n > 1 else ''}; API: /api/v1, docs: docs/web.md)", markup=False)
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning",
                               "access_log": access_log}
    if n == 1:
        from clearreel.web import create_app
        from clearreel.web.app import settle

        app = create_app(s, worker=worker)
        settle()
        uvicorn.run(app, **options)
        return
    from clearreel.web.jobs import Worker

    export_settings(s)  # the server processes are spawned: they read these
    w = Worker(s) if worker else None
    if w is not None:
        w.start()
    try:
        if hasattr(socket, "SO_REUSEPORT"):
            supervise(n, host, port, options)
        else:  # no per-process sockets here: uvicorn's shared one
            uvicorn.run("clearreel.web.app:app_from_environment", factory=True, workers=n,
                        **options)
    finally:
        if w is not None:
            w.stop()


def _listener(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({e.strerror}): choose another "
                         "--port or stop the server that holds it") from None
    return sock


def _server_process(host: str, port: int, options: dict[str, Any]) -> None:
    """One server process: its own listening socket on the shared port (SO_REUSEPORT), so the
    kernel spreads new connections over the processes. (With one shared socket, the process
    that wakes first accepts every waiting connection, and a browser's or client's keep-alive
    connections then stay on that one process.)"""
    import uvicorn

    sock = _listener(host, port, reuse_port=True)
    sock.listen(2048)
    config = uvicorn.Config("clearreel.web.app:app_from_environment", factory=True,
                            **{k: v for k, v in options.items() if k not in ("host", "port")})
    uvicorn.Server(config).run(sockets=[sock])


def supervise(n: int, host: str, port: int, options: dict[str, Any]) -> None:
    """Run `n` server processes until SIGINT or SIGTERM; one that dies is started again."""
    import multiprocessing
    import signal
    import threading
    import time

    from clearreel.errors import InternalError

    ctx = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def start() -> Any:
        p = ctx.Process(target=_server_process, args=(host, port, options), daemon=True)
        p.start()
        return p

    procs = [start() for _ in range(n)]
    deaths: list[float] = []
    try:
        while not stop.wait(0.5):
            for i, p in enumerate(procs):
                if p.is_alive():
                    continue
                deaths = [t for t in deaths if t > time.monotonic() - 60] + [time.monotonic()]
                if len(deaths) > 2 * n:
                    raise InternalError(f"server processes keep exiting ({len(deaths)} in a "
                                        f"minute, the last with code {p.exitcode}); see above")
                err.print(f"a server process exited (code {p.exitcode}); starting another",
                          markup=False)
                procs[i] = start()
    finally:
        for p in procs:
            p.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
