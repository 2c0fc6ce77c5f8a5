"""A step counter on stderr for long database work; silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def steps(total: int, label: str, *, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield `tick(description)`: call it as each of `total` steps starts."""
    show = enabled and sys.stderr.isatty()
    bar = Progress(TextColumn(f"{label} [progress.description]{{task.description}}"),
                   BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), disable=not show, transient=False)
    with bar:
        task = bar.add_task("", total=total)
        started = False

        def tick(description: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=description)

        yield tick
        if started:
            bar.advance(task)
