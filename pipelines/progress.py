"""Progress a person and a log can follow: per dataset and stage, rows and seconds, never a value.

On a terminal (stderr is a TTY) a live display shows each dataset's current stage with rows done of
rows total (rich, which Prefect already depends on); otherwise each stage ends with one plain log
line with its counts. The stages report through ``counted`` (a chunk iterator that counts rows) and
``stage_finished``; `release_folder` chooses the display with ``use_display``. With no display
chosen (library use, deployments), reporting does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, Protocol

import pandas as pd


class Display(Protocol):
    def dataset_started(self, number: int, count: int, name: str) -> None: ...
    def stage(self, stage: str, done: int, total: int | None) -> None: ...
    def stage_finished(self, stage: str, rows: int | None, seconds: float) -> None: ...
    def dataset_finished(self, line: str) -> None: ...
    def close(self) -> None: ...


class _Silent:
    def dataset_started(self, number: int, count: int, name: str) -> None:
        pass

    def stage(self, stage: str, done: int, total: int | None) -> None:
        pass

    def stage_finished(self, stage: str, rows: int | None, seconds: float) -> None:
        pass

    def dataset_finished(self, line: str) -> None:
        pass

    def close(self) -> None:
        pass


def stage_line(stage: str, rows: int | None, seconds: float) -> str:
    """`detect: 2000 rows in 3.8 s`, or `verify: 2.1 s` for a stage without a row count."""
    return f"{stage}: {rows} rows in {seconds:.1f} s" if rows is not None else f"{stage}: {seconds:.1f} s"


class LineDisplay(_Silent):
    """Plain lines for logs: one when a dataset starts, one per stage with its counts, one at the end."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.prefix = ""

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def dataset_started(self, number: int, count: int, name: str) -> None:
        self.prefix = f"[{number}/{count}]"
        self._print(f"{self.prefix} {name} …")

    def stage_finished(self, stage: str, rows: int | None, seconds: float) -> None:
        self._print(f"{self.prefix} {stage_line(stage, rows, seconds)}")

    def dataset_finished(self, line: str) -> None:
        self._print(f"{self.prefix} {line}")


class RichDisplay(_Silent):
    """A live bar per dataset: '[1/3] roster · detect  ━━━━━━  1200/2000 rows  0:00:04'."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("rows"), TimeElapsedColumn(), console=self.console, transient=False)
        self.progress.start()
        self.task: Any = None
        self.label = ""

    def dataset_started(self, number: int, count: int, name: str) -> None:
        self.label = f"[{number}/{count}] {name}"
        self.task = self.progress.add_task(f"{self.label} · extract", total=None)

    def stage(self, stage: str, done: int, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=f"{self.label} · {stage}", completed=done, total=total)

    def stage_finished(self, stage: str, rows: int | None, seconds: float) -> None:
        if self.task is not None and rows is not None:
            self.progress.update(self.task, description=f"{self.label} · {stage} done", completed=rows, total=rows)

    def dataset_finished(self, line: str) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=f"{self.label} · done")
        self.progress.console.print(f"{self.label.split(' ', 1)[0]} {line}", markup=False, highlight=False)
        self.task = None

    def close(self) -> None:
        self.progress.stop()


_display: Display = _Silent()


def use_display(kind: str | None) -> Display:
    """``"auto"``: the live display on a terminal, plain lines otherwise; ``None``: nothing."""
    global _display
    _display.close()
    if kind is None:
        _display = _Silent()
    elif kind == "auto" and sys.stderr.isatty():
        try:
            _display = RichDisplay()
        except ImportError:  # rich comes with Prefect; without it, plain lines
            _display = LineDisplay()
    else:
        _display = LineDisplay()
    return _display


def display() -> Display:
    return _display


def counted(stage: str, chunks: Iterator[pd.DataFrame], total: int | None = None) -> Iterator[pd.DataFrame]:
    """The chunks, unchanged, reporting rows done (of ``total``) after each one."""
    done = 0
    _display.stage(stage, 0, total)
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        _display.stage(stage, done, total)


def stage_started(stage: str, total: int | None = None) -> None:
    _display.stage(stage, 0, total)


def stage_finished(stage: str, rows: int | None, seconds: float) -> None:
    """The stage's counts on the display, and in the Prefect task's log when run in a task."""
    _display.stage_finished(stage, rows, seconds)
    try:
        from prefect import get_run_logger

        get_run_logger().info(stage_line(stage, rows, seconds))
    except Exception:  # outside a flow or task run: nothing to log to
        pass


class QuietRepeats:
    """A logging filter that lets a message through only when it differs from the last one of its
    template (Prefect's runner says "1 scheduled runs skipped (at capacity)" at every poll)."""

    def __init__(self) -> None:
        self.last: dict[object, str] = {}

    def filter(self, record: Any) -> bool:
        text = record.getMessage()
        if self.last.get(record.msg) == text:
            return False
        self.last[record.msg] = text
        return True


def quiet_runner_logs() -> None:
    """For `kaifang serve`: the runner's repeated status lines once, not at every poll."""
    import logging

    logging.getLogger("prefect.runner").addFilter(QuietRepeats())


def flush_run_logs() -> None:
    """Send the stage lines still queued for the Prefect API while its temporary server is up (after
    it stops, Prefect would print "Error logging to API" for them)."""
    try:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)
    except Exception:  # logging must never fail a release
        pass
