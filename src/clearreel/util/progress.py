"""Progress that works everywhere: the one implementation every stage and command uses.

Always on stderr (stdout stays one JSON document under `--json`):

- on a terminal, rich bars, one per stage, counting what the stage counts (files, clips,
  steps) and, within a stage that decodes, the **frames** of the file being worked on
  (`frames(...)`), so a single feature film moves frame by frame instead of sitting at
  "0/1";
- without a terminal (a log file, CI, a pipe), plain lines: one when a stage starts, one when
  it ends (with its count and duration), and at most one every `interval` seconds in between
  (`analyse: 2/3 files, frames 61440/172800 (35%), 42 s`);
- `enabled=False`: nothing.

Workers report frames through `frame_sink`: the local engine's pool forwards them from its
processes through a queue (`set_frame_sink` in each worker), one worker reports in-process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")

# (key, frames done, frames total) from the code that decodes; None: nobody listens.
FrameSink = Callable[[str, int, int], None]
_sink: FrameSink | None = None


def set_frame_sink(sink: FrameSink | None) -> None:
    """Where `report_frames` goes in this process (an engine worker, or the pipeline)."""
    global _sink
    _sink = sink


def report_frames(key: str, done: int, total: int) -> None:
    """Called by decoding code after each chunk: `done` of `total` frames of file `key`."""
    if _sink is not None:
        _sink(key, done, total)


class _Stage:
    def __init__(self, name: str, total: int, done: int, unit: str):
        self.name, self.total, self.done, self.unit = name, total, done, unit
        self.started = time.monotonic()
        self.frames: dict[str, tuple[int, int]] = {}  # key -> (done, total), files in flight
        self.task: Any = None
        self.frame_task: Any = None


class Progress:
    """Stages of one run (see the module docstring); a context manager."""

    def __init__(self, enabled: bool = True, *, stream: IO[str] | None = None,
                 terminal: bool | None = None, interval: float | None = None, prefix: str = ""):
        import os

        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        # Seconds between plain status lines (CLEARREEL_PROGRESS_INTERVAL, default 30).
        self.interval = interval if interval is not None else float(
            os.environ.get("CLEARREEL_PROGRESS_INTERVAL", "30"))
        self.prefix = prefix
        self._stages: dict[str, _Stage] = {}
        self._last_line = 0.0
        self._rich: Any = None
        if not enabled:
            return
        is_tty = terminal if terminal is not None else bool(
            getattr(self.stream, "isatty", lambda: False)())
        if is_tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(file=self.stream, force_terminal=True), transient=False)
            self._rich.start()

    # -- stages ---------------------------------------------------------------------------

    def stage(self, name: str, total: int, done: int = 0, unit: str = "files") -> None:
        if not self.enabled:
            return
        st = _Stage(name, total, done, unit)
        self._stages[name] = st
        if self._rich is not None:
            st.task = self._rich.add_task(f"{self.prefix}{name}", total=total, completed=done)
        else:
            resumed = f" ({done} already done)" if done else ""
            self._line(f"{name}: {total} {unit}{resumed}")
            self._last_line = time.monotonic()

    def advance(self, name: str, n: int = 1, key: str | None = None) -> None:
        st = self._stages.get(name)
        if st is None:
            return
        st.done += n
        if key is not None:
            st.frames.pop(key, None)
        finished = bool(st.total) and st.done >= st.total
        if self._rich is not None:
            self._rich.update(st.task, completed=st.done)
            self._frame_bar(st)
        elif not finished:
            self._maybe_line(st)
        if finished:
            self._end(st)

    def frames(self, name: str, key: str, done: int, total: int) -> None:
        """Frames decoded of file `key` within stage `name`."""
        st = self._stages.get(name)
        if st is None:
            return
        st.frames[key] = (done, max(total, done))
        if self._rich is not None:
            self._frame_bar(st)
        else:
            self._maybe_line(st)

    def sink(self, name: str) -> FrameSink:
        """A `FrameSink` feeding stage `name`."""
        return lambda key, done, total: self.frames(name, key, done, total)

    def close(self) -> None:
        for st in list(self._stages.values()):
            self._end(st)
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- output ---------------------------------------------------------------------------

    def _frame_bar(self, st: _Stage) -> None:
        done = sum(d for d, _ in st.frames.values())
        total = sum(t for _, t in st.frames.values())
        label = f"{self.prefix}  frames" if len(st.frames) != 1 else \
            f"{self.prefix}  {_short(next(iter(st.frames)))}"
        if st.frame_task is None:
            if not st.frames:
                return
            st.frame_task = self._rich.add_task(label, total=total or None, completed=done)
        elif not st.frames:
            self._rich.remove_task(st.frame_task)
            st.frame_task = None
        else:
            self._rich.update(st.frame_task, description=label, total=total or None,
                              completed=done)

    def _maybe_line(self, st: _Stage) -> None:
        now = time.monotonic()
        if now - self._last_line < self.interval:
            return
        self._last_line = now
        self._line(self._status(st))

    def _status(self, st: _Stage) -> str:
        text = f"{st.name}: {st.done}/{st.total} {st.unit}"
        if st.frames:
            done = sum(d for d, _ in st.frames.values())
            total = sum(t for _, t in st.frames.values())
            pct = f" ({100 * done // total}%)" if total else ""
            text += f", frames {done}/{total}{pct} of {len(st.frames)} in progress"
        return text + f", {time.monotonic() - st.started:.0f} s"

    def _end(self, st: _Stage) -> None:
        if self._stages.pop(st.name, None) is None:
            return
        if self._rich is not None:
            if st.frame_task is not None:
                self._rich.remove_task(st.frame_task)
        else:
            self._line(f"{st.name}: done, {st.done}/{st.total} {st.unit} in "
                       f"{time.monotonic() - st.started:.1f} s")

    def _line(self, text: str) -> None:
        self.stream.write(f"{self.prefix}{text}\n")
        self.stream.flush()


def _short(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name if len(name) <= 28 else name[:12] + "…" + name[-15:]


def track(items: Iterable[T], description: str, total: int | None = None,
          enabled: bool = True, unit: str = "items", stream: IO[str] | None = None) -> Iterator[T]:
    """Iterate `items`, reporting progress as one stage named `description`."""
    if not enabled:
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(True, stream=stream) as p:
        p.stage(description, total or 0, unit=unit)
        for item in items:
            yield item
            p.advance(description)


__all__ = ["FrameSink", "Progress", "report_frames", "set_frame_sink", "track"]
