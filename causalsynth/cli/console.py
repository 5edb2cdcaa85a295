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

__all__ = ["Spinner", "err", "out", "print_check", "print_mmm"]

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


def _interval(rec: Mapping[str, Any], key: str) -> str:
    low, high = rec.get(f"{key}_low"), rec.get(f"{key}_high")
    return "" if low is None or high is None else f" [{fmt(low)}; {fmt(high)}]"


def print_mmm(d: Mapping[str, Any], console: Console | None = None) -> None:
    """A media mix fit (``MMMFit.to_dict()``): one row per channel (ROAS with its interval,
    and without the lift tests when calibrated; marginal ROAS; contribution share; decay),
    then the lift tests and the warnings.

    >>> console = Console(width=100, color_system=None)
    >>> print_mmm({"outcome": "revenue", "n_weeks": 3, "r2": 0.9, "channels": [
    ...     {"channel": "tv", "roas": 2.0, "mroas": 1.0, "contribution_share": 40.0,
    ...      "decay": 0.5, "at_bound": ""}]}, console=console)  # doctest: +ELLIPSIS
    media mix model of revenue: 3 weeks, R² 0.900
    ...
    │ tv      │ 2.000 │ 1.000 │ 40.0 %             │ 0.50  │          │
    ...
    """
    console = console or out()
    console.print(f"media mix model of {d['outcome']}: {d['n_weeks']:,} weeks, "
                  f"R² {d['r2']:.3f}", markup=False)
    calibrated = bool(d.get("lift_tests"))
    table = Table()
    for col in ("channel", "ROAS", *(["uncalibrated ROAS"] if calibrated else []),
                "mROAS", "contribution share", "decay", "at bound"):
        table.add_column(col)
    for rec in d["channels"]:
        table.add_row(str(rec["channel"]), fmt(rec["roas"]) + _interval(rec, "roas"),
                      *([fmt(rec.get("roas_uncalibrated"))] if calibrated else []),
                      fmt(rec["mroas"]), f"{rec['contribution_share']:.1f} %",
                      f"{rec['decay']:.2f}", str(rec.get("at_bound") or ""))
    console.print(table)
    if calibrated:
        console.print("ROAS calibrated by the lift tests below; uncalibrated ROAS: the same "
                      "fit without them", markup=False)
    for test in d.get("lift_tests") or []:
        console.print(f"lift test {test['test']}: measured {fmt(test['lift'])} ± "
                      f"{fmt(test['se'])}, model {fmt(test['predicted'])} (without the tests "
                      f"{fmt(test['predicted_uncalibrated'])})", markup=False)
    for warning in d.get("warnings") or []:
        console.print(f"warning: {warning}", markup=False)
