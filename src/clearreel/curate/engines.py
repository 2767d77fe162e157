"""Curation engines: how the per-file stage function is mapped over many media files.

An engine takes ONE picklable, top-level stage function and a list of picklable tasks and
yields `(index, result)` pairs as results arrive, in completion order; the pipeline commits
each result as it comes, which is what makes a run resumable. Engines never change what a
task computes, only where it runs, so every engine builds the same dataset (a test compares
them).

Registered by name (`ENGINES`), chosen with `clearreel curate --engine NAME`:

- `local` (default): a `concurrent.futures.ProcessPoolExecutor` on this machine (spawned
  workers; each one sets its thread pools to its share of the cores). With one worker the
  tasks run in this process: no spawn, no pickling.
- `ray`: Ray Data, `ray.data.from_items(tasks).map(stage)`, on a local Ray instance started
  with `ray.init(num_cpus=workers)` or on the cluster `RAY_ADDRESS` points at. Needs the
  `ray` extra: `pip install 'clearreel[ray]'` (or `pip install 'ray[data]'`).

A stage function must not raise for a bad input file: it returns an error value the
pipeline records (see `tasks.analyse_task`). An exception that escapes a stage is a
bug and stops the run.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from clearreel.errors import MissingDependency, UsageError

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    """Maps a stage function over tasks. Used as a context manager: workers (a process pool,
    a Ray instance) start on the first `map` and stop on exit, so several stages share them."""

    name: str
    workers: int

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Apply `fn` to every task; yield `(task index, result)` as each one completes."""
        ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...


def default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


# In a local-engine worker: how many of the pool's tasks are running right now (a shared
# counter) and how many cores the pool has. `thread_share()` reads them.
_ACTIVE: Any = None
_CORES = 0


def thread_share() -> int | None:
    """Cores this task may use now, or None outside a local-engine worker.

    Each worker gets cores / workers threads when it starts; when fewer tasks than workers are
    running (the last files of a batch), a task may use the idle workers' cores too, so the
    tail of a batch does not run on one core while the others wait. Read it just before a
    multi-threaded step (TransNetV2 inference) and set that step's threads from it.
    """
    if _ACTIVE is None:
        return None
    return max(1, _CORES // max(1, int(_ACTIVE.value)))


def _counted(fn: Callable[[Any], Any], task: Any) -> Any:
    """Run one task in a worker, counted as running while it runs (see `thread_share`)."""
    if _ACTIVE is None:
        return fn(task)
    with _ACTIVE.get_lock():
        _ACTIVE.value += 1
    try:
        return fn(task)
    finally:
        with _ACTIVE.get_lock():
            _ACTIVE.value -= 1


def _init_worker(threads: int, active: Any, cores: int, frames: Any = None) -> None:
    global _ACTIVE, _CORES
    _ACTIVE, _CORES = active, cores
    _limit_threads(threads)
    if frames is not None:  # per-frame progress of each file, to the parent (util.progress)
        from clearreel.util.progress import set_frame_sink

        set_frame_sink(lambda key, done, total: frames.put((key, done, total)))


def _drain(queue: Any, sink: Any) -> None:
    """Forward the frame reports the workers queued to the parent's progress."""
    import queue as q

    while queue is not None:
        try:
            key, done, total = queue.get_nowait()
        except (q.Empty, OSError, ValueError):
            return
        if sink is not None:
            sink(key, done, total)


def _limit_threads(threads: int) -> None:
    """Give each worker its share of the cores: BLAS/OpenMP, OpenCV and torch thread pools."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["CLEARREEL_WORKER_THREADS"] = str(threads)
    try:
        import cv2

        cv2.setNumThreads(threads)
    except ImportError:  # pragma: no cover - opencv is a core dependency
        pass
    # torch reads OMP_NUM_THREADS when it is first imported; one imported already (a forked
    # worker, an initializer that imported it) keeps one thread per core, and N workers
    # would each run N threads. TransNetV2's loader applies CLEARREEL_WORKER_THREADS too.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class LocalEngine:
    """A process pool on this machine (the default)."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or default_workers())
        self._pool: Any = None
        self._frames: Any = None
        # Called with (file, frames done, frames total) while a task decodes (util.progress).
        self.on_frames: Callable[[str, int, int], None] | None = None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _get_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            cores = default_workers()
            threads = max(1, cores // self.workers)
            # spawn, not fork: the parent holds database connections and maybe initialised
            # thread pools (torch, OpenMP) that must not be duplicated into children.
            ctx = mp.get_context("spawn")
            self._frames = ctx.Queue()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(threads, ctx.Value("i", 0), cores, self._frames),
            )
        return self._pool

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        if not tasks:
            return
        if self.workers == 1:
            from clearreel.util.progress import set_frame_sink

            set_frame_sink(self.on_frames)
            try:
                for i, task in enumerate(tasks):
                    yield i, fn(task)
            finally:
                set_frame_sink(None)
            return
        from concurrent.futures import FIRST_COMPLETED, wait

        pool = self._get_pool()
        # At most 2 tasks per worker in flight: an interrupted run has not queued the whole
        # batch, and memory stays bounded.
        pending: dict[Any, int] = {}
        it = iter(enumerate(tasks))
        try:
            for i, task in it:
                pending[pool.submit(_counted, fn, task)] = i
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                _drain(self._frames, self.on_frames)
                for fut in done:
                    i = pending.pop(fut)
                    yield i, fut.result()
                    nxt = next(it, None)
                    if nxt is not None:
                        pending[pool.submit(_counted, fn, nxt[1])] = nxt[0]
        finally:
            for fut in pending:
                fut.cancel()


def _ray_row(row: dict[str, Any]) -> dict[str, Any]:
    """Ray Data row function: unpickle the stage function and task, run, pickle the result.

    Rows travel as bytes so Ray Data's Arrow blocks never try to infer a schema from our
    dataclasses (and so the result is bit-for-bit what the local engine would get).
    """
    fn, task = pickle.loads(row["payload"])
    result = pickle.dumps(fn(task), protocol=pickle.HIGHEST_PROTOCOL)
    return {"index": row["index"], "result": result}


class RayEngine:
    """Ray Data over the same stage function, on a local instance or a cluster."""

    name = "ray"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or default_workers())
        self._started = False
        # Ray workers report no frames: progress counts whole files here.
        self.on_frames: Callable[[str, int, int], None] | None = None

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def _init(self) -> Any:
        try:
            import ray
            import ray.data
        except ImportError as e:
            raise MissingDependency(
                "the ray engine needs Ray Data: pip install 'clearreel[ray]' (or pip install "
                f"'ray[data]'), or use --engine local ({e})"
            ) from None
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            address = os.environ.get("RAY_ADDRESS")
            if address:
                ray.init(address=address, **kwargs)
            else:
                # A private local instance sized to the workers asked for; each task gets
                # its share of the cores, like a local-engine worker.
                threads = str(max(1, default_workers() // self.workers))
                env = {
                    v: threads
                    for v in (
                        "OMP_NUM_THREADS",
                        "OPENBLAS_NUM_THREADS",
                        "MKL_NUM_THREADS",
                        "CLEARREEL_WORKER_THREADS",
                    )
                }
                ray.init(num_cpus=self.workers, runtime_env={"env_vars": env}, **kwargs)
            self._started = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.verbose_stats_logs = False
        return ray

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        if not tasks:
            return
        ray = self._init()
        rows = [
            {"index": i, "payload": pickle.dumps((fn, t), protocol=pickle.HIGHEST_PROTOCOL)}
            for i, t in enumerate(tasks)
        ]
        # One block per task, so Ray schedules files independently across workers.
        ds = ray.data.from_items(rows, override_num_blocks=len(rows)).map(
            _ray_row, num_cpus=1, concurrency=min(self.workers, len(rows))
        )
        for row in ds.iter_rows():
            yield int(row["index"]), pickle.loads(row["result"])


ENGINES: dict[str, Callable[[int | None], Engine]] = {"local": LocalEngine, "ray": RayEngine}


def get_engine(name: str, workers: int | None = None) -> Engine:
    """The engine registered as `name`, for `workers` parallel tasks (default: all cores)."""
    try:
        return ENGINES[name](workers)
    except KeyError:
        raise UsageError(
            f"unknown engine {name!r}: choose one of {', '.join(sorted(ENGINES))}"
        ) from None


__all__ = [
    "ENGINES",
    "Engine",
    "LocalEngine",
    "RayEngine",
    "default_workers",
    "get_engine",
    "thread_share",
]
