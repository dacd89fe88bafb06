"""Progress of the long CLI steps on stderr: a spinner naming the step while it runs, then the step with its time.

Nothing is shown when stderr is not a terminal, so pipes, logs and tests see only the summary on stdout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

STDERR = Console(stderr=True)


def on_terminal(console: Console) -> bool:
    """True when the console writes to a terminal (a real one: FORCE_COLOR and the like do not make one)."""
    isatty = getattr(console.file, "isatty", None)
    return console.is_terminal and not console.is_dumb_terminal and isatty is not None and isatty()


@contextmanager
def step(label: str, console: Console = STDERR) -> Iterator[None]:
    """Show `label` with a spinner and the time so far while the block runs, then `✓ label 1.2 s` once it is done."""
    if not on_terminal(console):
        yield
        return
    started = time.perf_counter()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False) as shown:
        shown.add_task(escape(label), total=None)
        yield
    console.print(f"[green]✓[/green] {escape(label)} [dim]{time.perf_counter() - started:.1f} s[/dim]", highlight=False)
