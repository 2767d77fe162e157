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
- `ray`: Ray tasks (`ray.remote(num_cpus=1)`, one per job), on a local Ray instance started
  with `ray.init(num_cpus=workers)` or on the cluster `RAY_ADDRESS` points at. Needs the
  `ray` extra: `pip install 'clearreel[ray]'`.

Both run jobs through a `Batch`: a priority queue whose jobs start as workers come free and
whose results come back as they complete, with jobs added while others run. `map` is a batch
of one stage; the pipeline keeps one batch over analysis, plan and cut (see `curate.cut`).

A stage function must not raise for a bad input file: it returns an error value the
pipeline records (see `tasks.analyse_task`). An exception that escapes a stage is a
bug and stops the run.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
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
    # Called with (file, frames done, frames total) while a task decodes, where the engine
    # can report it (util.progress).
    on_frames: Callable[[str, int, int], None] | None

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Apply `fn` to every task; yield `(task index, result)` as each one completes."""
        ...

    def batch(self) -> Batch:
        """An empty batch on this engine's workers (see `Batch`)."""
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


def decoder_threads() -> int:
    """Threads for FFmpeg's decoder in this task: the worker's share of the cores now
    (`thread_share`), else `CLEARREEL_WORKER_THREADS`, else 0 (FFmpeg picks: a thread per
    core, which oversubscribes the cores when every worker does it)."""
    share = thread_share()
    env = os.environ.get("CLEARREEL_WORKER_THREADS", "")
    return share if share is not None else int(env) if env.isdigit() else 0


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


class Batch:
    """Jobs queued on an engine and run as workers come free, highest priority (lowest value)
    first; `next()` returns each one's result as it completes. Jobs may be submitted while
    others run (a result can lead to more work), and queued ones cancelled.

    The pipeline keeps one batch for a whole run, so speculative cuts fill the cores that
    would idle at the tail of the analysis (see `curate.cut`). Engines differ only in
    `_start` and `_wait`: how a job is handed to a worker and how a finished one is found.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self._queue: list[tuple[Any, int, Any, Callable[[Any], Any], Any]] = []
        self._seq = itertools.count()
        self._running: dict[Any, Any] = {}  # handle -> key

    def submit(self, key: Any, fn: Callable[[Any], Any], task: Any, priority: Any = 0) -> None:
        heapq.heappush(self._queue, (priority, next(self._seq), key, fn, task))

    def cancel(self, drop: Callable[[Any], bool]) -> list[Any]:
        """Remove the queued (not yet running) jobs whose key `drop` accepts; their keys."""
        gone = [j[2] for j in self._queue if drop(j[2])]
        self._queue = [j for j in self._queue if not drop(j[2])]
        heapq.heapify(self._queue)
        return gone

    def pending(self) -> list[Any]:
        """Keys of the jobs queued or running."""
        return [j[2] for j in self._queue] + list(self._running.values())

    def __bool__(self) -> bool:
        return bool(self._queue or self._running)

    def next(self) -> tuple[Any, Any]:
        """Block until a job completes; its `(key, result)`. A job's exception is raised here.
        Raises `LookupError` when nothing is queued or running."""
        if not self:
            raise LookupError("no job is queued or running")
        # One job queued beyond the workers, so a worker never waits for the parent to
        # commit the last result before it gets its next job.
        while self._queue and len(self._running) < self.workers + 1:
            _, _, key, fn, task = heapq.heappop(self._queue)
            self._running[self._start(fn, task)] = key
        handle, result = self._wait()
        return self._running.pop(handle), result

    def close(self) -> None:
        self._queue.clear()
        self._running.clear()

    def _start(self, fn: Callable[[Any], Any], task: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _wait(self) -> tuple[Any, Any]:  # pragma: no cover
        raise NotImplementedError


def _map(batch: Batch, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """`Engine.map` on a batch: every task once, in the given order of priority."""
    try:
        for i, task in enumerate(tasks):
            batch.submit(i, fn, task, priority=i)
        while batch:
            yield batch.next()
    finally:
        batch.close()


class _InlineBatch(Batch):
    """One worker: each job runs in this process when `next()` asks (no spawn, no pickling)."""

    def __init__(self, engine: LocalEngine):
        super().__init__(0)  # nothing starts before `next()` asks, so priorities hold exactly
        self._engine = engine

    def next(self) -> tuple[Any, Any]:
        if not self._queue:
            raise LookupError("no job is queued or running")
        from clearreel.util.progress import set_frame_sink

        _, _, key, fn, task = heapq.heappop(self._queue)
        set_frame_sink(self._engine.on_frames)
        try:
            return key, fn(task)
        finally:
            set_frame_sink(None)


class _PoolBatch(Batch):
    def __init__(self, engine: LocalEngine):
        super().__init__(engine.workers)
        self._engine = engine

    def _start(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self._engine._get_pool().submit(_counted, fn, task)

    def _wait(self) -> tuple[Any, Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        while True:
            done, _ = wait(self._running, timeout=0.25, return_when=FIRST_COMPLETED)
            _drain(self._engine._frames, self._engine.on_frames)
            if done:  # the one started first, of those done
                fut = next(f for f in self._running if f in done)
                return fut, fut.result()

    def close(self) -> None:
        for fut in self._running:
            fut.cancel()
        super().close()


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

    def batch(self) -> Batch:
        return _InlineBatch(self) if self.workers == 1 else _PoolBatch(self)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        return _map(self.batch(), fn, tasks)


def _ray_call(payload: bytes) -> bytes:
    """A Ray task: unpickle the stage function and task, run, pickle the result (bytes both
    ways, so the result is bit-for-bit what the local engine would get)."""
    fn, task = pickle.loads(payload)
    return pickle.dumps(fn(task), protocol=pickle.HIGHEST_PROTOCOL)


class _RayBatch(Batch):
    def __init__(self, engine: RayEngine):
        super().__init__(engine.workers)
        self._engine = engine

    def _start(self, fn: Callable[[Any], Any], task: Any) -> Any:
        # Ray starts with the first job: a run with nothing left to do never needs it.
        remote = self._engine._init()
        return remote.remote(pickle.dumps((fn, task), protocol=pickle.HIGHEST_PROTOCOL))

    def _wait(self) -> tuple[Any, Any]:
        import ray

        refs = list(self._running)
        ready, _ = ray.wait(refs, num_returns=1)
        return ready[0], pickle.loads(ray.get(ready[0]))

    def close(self) -> None:
        if self._running:
            import ray

            for ref in self._running:
                with contextlib.suppress(Exception):  # a job that already finished
                    ray.cancel(ref)
        super().close()


class RayEngine:
    """Ray tasks running the same stage functions, on a local instance or a cluster."""

    name = "ray"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or default_workers())
        self._started = False
        self._remote: Any = None
        # Ray workers report no frames: progress counts whole files here.
        self.on_frames: Callable[[str, int, int], None] | None = None

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
            self._remote = None

    def _init(self) -> Any:
        if self._remote is not None:
            return self._remote
        try:
            import ray
        except ImportError as e:
            raise MissingDependency(
                "the ray engine needs Ray: pip install 'clearreel[ray]', or use "
                f"--engine local ({e})"
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
        # One CPU per task: Ray schedules files independently across the workers.
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_ray_call)
        return self._remote

    def batch(self) -> Batch:
        return _RayBatch(self)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        return _map(self.batch(), fn, tasks)


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
    "Batch",
    "Engine",
    "LocalEngine",
    "RayEngine",
    "decoder_threads",
    "default_workers",
    "get_engine",
    "thread_share",
]
