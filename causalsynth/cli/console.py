"""What the command line prints: the summary on stdout, errors and progress on stderr.

Examples
--------
>>> from rich.console import Console
>>> console = Console(width=60, color_system=None)
>>> print_check({"passed": True}, True, None, console=console)
the data do not contradict the DAG
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from causalsynth.render.format import fmt

__all__ = ["Spinner", "err", "out", "print_check"]

#: rows of a check's first table printed on the terminal (the JSON holds them all)
_CHECK_ROWS = 40


class _Stdout(Console):
    """The terminal summary. A reader that stops reading (``| head``) does not change the
    exit code: rich's default turns a broken pipe into exit 1, which here means "not
    preserved"; the rest of the summary goes to /dev/null instead."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def out() -> Console:
    """The console of a command's summary (stdout)."""
    return _Stdout(highlight=False)


def err() -> Console:
    """The console of errors and progress (stderr)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


class Spinner:
    """A rich status spinner on stderr (quiet when stderr is not a terminal)."""

    def __init__(self, text: str):
        self.status = err().status(text) if sys.stderr.isatty() else None

    def __enter__(self) -> Spinner:
        if self.status is not None:
            self.status.__enter__()
        return self

    def update(self, text: str) -> None:
        if self.status is not None:
            self.status.update(text)

    def __exit__(self, *exc: object) -> bool:
        if self.status is not None:
            self.status.__exit__(*exc)
        return False


def print_check(d: Mapping[str, Any], passed: bool, result: Any,
                console: Console | None = None) -> None:
    """A DAG check: the verdict, then the result's summary or, without one, its first table."""
    console = console or out()
    console.print("[bold green]the data do not contradict the DAG[/]" if passed
                  else "[bold red]the data contradict the DAG[/]")
    summary = getattr(result, "summary", None)
    summary = summary() if callable(summary) else summary
    if isinstance(summary, str) and summary:
        console.print(summary, markup=False)
        return
    for key, value in d.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            table = Table(title=key.replace("_", " "), title_justify="left")
            cols = list(value[0])
            for c in cols:
                table.add_column(str(c))
            for rec in value[:_CHECK_ROWS]:
                table.add_row(*[", ".join(map(str, v)) if isinstance(v, list)
                                else fmt(v) if not isinstance(v, str) else v
                                for v in (rec.get(c) for c in cols)])
            console.print(table)
            break
