"""Progress bars on stderr for reading and writing large files; silent when not a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from edupulse.data.load import ProgressFn


@contextmanager
def progress_bars(stream: TextIO) -> Iterator[ProgressFn]:
    """Yield `report(label, done, total)`: one bar per label, updated in place."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn(),
                   console=Console(file=stream), disable=not stream.isatty(), transient=True)
    tasks: dict[str, object] = {}
    with bar:
        def report(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

        yield report
