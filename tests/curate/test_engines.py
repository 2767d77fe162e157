"""Curation engines: the same stage function gives the same results, whatever runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clearreel.curate.engines import ENGINES, LocalEngine, get_engine
from clearreel.errors import UsageError

TASKS = [-5, 3, -1, 8, 0, -13]


def test_registry_and_unknown_engine() -> None:
    assert {"local", "ray"} <= set(ENGINES)
    with pytest.raises(UsageError, match="unknown engine 'spark'"):
        get_engine("spark")


@pytest.mark.parametrize("workers", [1, 2])
def test_local_engine_maps_every_task_once(workers: int) -> None:
    with LocalEngine(workers) as eng:
        got = dict(eng.map(abs, TASKS))
        again = dict(eng.map(abs, TASKS[:2]))  # the pool is reused across stages
    assert got == {i: abs(t) for i, t in enumerate(TASKS)}
    assert again == {0: 5, 1: 3}


@pytest.mark.ray
@pytest.mark.slow
def test_ray_engine_maps_every_task_once() -> None:
    pytest.importorskip("ray.data")
    with get_engine("ray", 2) as eng:
        assert dict(eng.map(abs, TASKS)) == {i: abs(t) for i, t in enumerate(TASKS)}


@pytest.mark.ray
@pytest.mark.slow
def test_local_and_ray_build_the_same_dataset(sample_studio: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    studio = Path(sample_studio["root"])
    pytest.importorskip("ray.data")
    from clearreel.dataset import load

    from .test_pipeline import import_catalog, new_workspace, run

    built = {}
    for engine in ("local", "ray"):
        s = new_workspace(tmp_path / engine)
        import_catalog(s, studio / "catalog.yaml")
        summary = run(s, engine=engine, workers=2)
        ds = load(s, "d1")
        built[engine] = (
            [(c.id, c.sha256, c.caption, c.performers) for c in ds.clips],
            ds.merkle_root,
            summary["excluded_by_reason"],
        )
    assert built["local"] == built["ray"]
    assert built["local"][0]


@pytest.mark.slow
def test_killing_curate_midway_and_rerunning(sample_studio: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """SIGKILL a real `clearreel curate` process once clips are being written, run it again."""
    studio = Path(sample_studio["root"])
    import sqlalchemy as sa

    from clearreel.dataset import load, verify
    from clearreel.sample import REFERENCE_DATE

    from .test_pipeline import CONFIG, import_catalog, new_workspace, run

    ref = new_workspace(tmp_path / "ref")
    import_catalog(ref, studio / "catalog.yaml")
    run(ref)
    s = new_workspace(tmp_path / "killed")
    import_catalog(s, studio / "catalog.yaml")
    cfg = tmp_path / "cfg.json"
    import json

    cfg.write_text(json.dumps(CONFIG.to_dict()))
    env = {**os.environ, "CLEARREEL_HOME": str(s.home)}
    env.pop("CLEARREEL_DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "clearreel",
        "curate",
        "--dataset",
        "d1",
        "--on",
        REFERENCE_DATE.isoformat(),
        "--config",
        str(cfg),
        "--workers",
        "1",
        "--json",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = sa.create_engine(s.url)
    deadline = time.monotonic() + 120
    written = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as c:
                try:
                    written = c.execute(
                        sa.text("select count(*) from dataset_clips where status = 'written'")
                    ).scalar_one()
                except sa.exc.OperationalError:
                    written = 0
            if written >= 1:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        proc.wait(30)
        engine.dispose()
    assert written >= 1 and proc.returncode == -signal.SIGKILL, (
        "the run finished before it was killed"
    )
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["resumed"] is True
    a, b = load(ref, "d1"), load(s, "d1")
    assert [(c.id, c.sha256) for c in a.clips] == [(c.id, c.sha256) for c in b.clips]
    assert a.merkle_root == b.merkle_root
    assert verify(s, "d1", on=REFERENCE_DATE)["ok"]


def _twice(x: int) -> int:
    return 2 * x


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_runs_jobs_by_priority_takes_new_ones_and_cancels_queued_ones(
    workers: int,
) -> None:
    with LocalEngine(workers) as eng:
        b = eng.batch()
        for i in range(6):  # queued before anything starts
            b.submit(("low", i), _twice, i, priority=(1, i))
        b.submit(("high", 0), _twice, 10, priority=(0, 0))
        # Nothing starts before `next()` is called: these two are dropped whatever the timing.
        dropped = b.cancel(lambda k: k[0] == "low" and k[1] >= 4)
        assert sorted(dropped) == [("low", 4), ("low", 5)]
        got: list[tuple[object, int]] = []
        while b:
            key, result = b.next()
            got.append((key, result))
            if key == ("low", 0):  # a result can lead to more work
                b.submit(("more", 0), _twice, 100, priority=(0, 1))
                assert ("more", 0) in b.pending()
        with pytest.raises(LookupError):
            b.next()
    done = dict(got)
    assert len(done) == len(got)  # every job once, the dropped ones never
    assert done == {("high", 0): 20, ("more", 0): 200, **{("low", i): 2 * i for i in range(4)}}
    if workers == 1:
        # In-process, a job starts only when asked for, so priorities hold exactly: the
        # high one first, the one submitted later ahead of the low ones queued before it.
        assert [k for k, _ in got] == [
            ("high", 0), ("low", 0), ("more", 0), ("low", 1), ("low", 2), ("low", 3)
        ]


def test_an_empty_ray_batch_needs_no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resumed run with nothing left to analyse or cut never starts (or imports) Ray."""
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with get_engine("ray", 2) as eng:
        assert dict(eng.map(abs, [])) == {}
        b = eng.batch()
        assert not b and b.pending() == []
        b.close()
        b.submit(0, abs, -1)
        from clearreel.errors import MissingDependency

        with pytest.raises(MissingDependency, match="clearreel\\[ray\\]"):
            b.next()
