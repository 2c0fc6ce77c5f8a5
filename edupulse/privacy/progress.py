"""Row counters on stderr for long privacy work (exports, checksums); silent when not a TTY."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def counter(enabled: bool = True) -> Iterator[Callable[[str, int, int | None], None]]:
    """Yield `report(label, done, total)`: one bar per label, updated in place."""
    show = enabled and sys.stderr.isatty()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), disable=not show)
    tasks: dict[str, int] = {}
    with bar:
        def report(label: str, done: int, total: int | None = None) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        yield report
