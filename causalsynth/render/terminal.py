"""Short coloured summaries for the terminal (rich): one report, or a leaderboard.

Examples
--------
>>> from rich.console import Console
>>> report = {"verdict": "preserved", "causal": {"reasons": ["ICI shares within 2 points"]}}
>>> print_summary(report, console=Console(width=80, color_system=None))
attribution preserved
  • ICI shares within 2 points
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from causalsynth.evaluate.verdict import INCONCLUSIVE, PRESERVED
from causalsynth.leaderboard import COLUMNS
from causalsynth.render.format import effect_kind, fmt, guarantee_text, points

__all__ = ["print_leaderboard", "print_summary", "progress_bar", "verdict_text"]


def verdict_text(verdict: str | None, short: bool = False) -> str:
    """Rich markup for a verdict: green preserved, amber inconclusive, red not preserved."""
    if verdict == PRESERVED:
        return f"[bold green]{PRESERVED}[/]"
    if verdict == INCONCLUSIVE:
        return f"[bold yellow]{INCONCLUSIVE}[/]" + ("" if short else
                                                    " (agreement not shown within your margins)")
    if verdict is None:
        return "[dim]–[/]"
    return f"[bold red]{verdict}[/]"


#: per-quantity status -> row style
_STATUS_STYLE = {"beyond": "red", "unclear": "yellow"}


def _metric(section: Mapping[str, Any], name: str) -> Any:
    m = section.get(name) or {}
    return None if m.get("error") else m.get("value")


def print_summary(report: Mapping[str, Any], console: Console | None = None,
                  title: str | None = None) -> None:
    """Print a report's verdict, reasons and headline figures (a few lines)."""
    console = console or Console()
    causal = report.get("causal") or {}
    verdict = report.get("verdict")
    console.print(f"{escape(title) + ': ' if title else ''}attribution {verdict_text(verdict)}")
    gate = report.get("privacy_gate") or {}
    if gate.get("flagged"):
        console.print(f"PRIVACY GATE: {escape(gate['reason'])}", style="bold red",
                      highlight=False)
    notes = (report.get("meta") or {}).get("notes") or []
    for reason in [*(causal.get("reasons") or []), *notes]:  # at most five, then notes
        console.print(f"  • {reason}", markup=False, highlight=False)
    n_details = sum(len(v) for v in (causal.get("details") or {}).values())
    if n_details:
        console.print(f"  ({n_details} lines on every judged figure, by family, in the JSON "
                      f"and HTML reports)", markup=False, highlight=False)
    guarantee = (report.get("meta") or {}).get("guarantee")
    if isinstance(guarantee, Mapping):  # privacy: the guarantee before the empirical figures
        console.print(f"  {guarantee_text(guarantee)}", style="bold", markup=False,
                      highlight=False)
    if gate.get("reason") and not gate.get("flagged"):
        console.print(f"  privacy gate: {gate['reason']}", markup=False, highlight=False)
    ref = causal.get("reference") or {}
    if ref.get("verdict"):
        console.print(f"  split-half reference (real vs real, {ref['n_rows'][0]:,} and "
                      f"{ref['n_rows'][1]:,} rows): {verdict_text(ref['verdict'])}",
                      highlight=False)
    ici = causal.get("ici") or []
    if ici:
        t = Table(title=f"ICI on {causal.get('target', 'outcome')} (%)", title_justify="left")
        for col in ("node", "real", "synthetic", "diff (pts)"):
            t.add_column(col, justify="left" if col == "node" else "right")
        for r in ici:
            style = _STATUS_STYLE.get(r.get("status"), "")
            t.add_row(str(r.get("node")), points(r.get("real_share")),
                      points(r.get("synthetic_share")), points(r.get("diff_pp"), sign=True),
                      style=style)
        console.print(t)
    eff = causal.get("effects") or []
    if eff:
        t = Table(title="Treatment effects", title_justify="left")
        for col in ("treatment", "kind", "method", "real", "synthetic", "rel. diff"):
            t.add_column(col, justify="left" if col in ("treatment", "kind", "method")
                         else "right")
        for r in eff:
            t.add_row(str(r.get("treatment")), effect_kind(r.get("kind"), short=True),
                      str(r.get("method")),
                      fmt(r.get("real")), fmt(r.get("synthetic")),
                      fmt(r.get("rel_diff"), pct=True),
                      style=_STATUS_STYLE.get(r.get("status"), ""))
        console.print(t)
    ind = causal.get("independences") or []
    fid, priv = report.get("fidelity") or {}, report.get("privacy") or {}
    bits = []
    if ind:
        beyond = sum(r.get("status") == "beyond" for r in ind)
        bits.append(f"independences differing {beyond}/{len(ind)}")
    for label, section, name, pct in (
        ("quality", fid, "quality_score", True),
        ("DCR closer to train", priv, "dcr_share_closer_to_train", True),
        ("membership AUC", priv, "membership_inference_auc", False),
    ):
        v = _metric(section, name)
        if v is not None:
            bits.append(f"{label} {fmt(v, pct=pct)}")
    failed = [f"{sec}/{k}" for sec in ("fidelity", "utility", "privacy")
              for k, m in (report.get(sec) or {}).items() if m.get("error")]
    if bits:
        console.print("  " + " · ".join(bits), highlight=False)
    if failed:
        console.print(f"  metrics that failed (see report): {', '.join(failed)}",
                      style="yellow", markup=False)


#: the terminal's leaderboard columns (declared in causalsynth.leaderboard)
_LEADER_COLUMNS = [c for c in COLUMNS if c.short is not None]
_LEGEND = ("ICI Δ: largest ICI share difference (points); effect Δ: largest relative effect "
           "difference; CI: conditional independences differing beyond the margin; DCR: "
           "synthetic rows closer to training than holdout rows are; MIA: membership-inference "
           "AUC (0.5 = no leak); copy: the privacy gate flags copied real rows")
_LEGEND_EPSILON = "; ε: the synthesizer's differential-privacy guarantee (– none)"


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "flag":
        return "[bold red]YES[/]" if value else "no"
    if isinstance(value, bool):
        return str(value)
    if kind == "count":
        return f"{int(value):,}"
    if kind in ("seconds", "points"):
        return f"{value:,.1f}"
    if kind == "auc":
        return f"{value:.3f}"
    if kind == "epsilon":
        return f"{value:g}"
    return fmt(value, pct=kind == "share")


def print_leaderboard(board: pd.DataFrame, console: Console | None = None,
                      title: str = "Leaderboard") -> None:
    """Print a comparison leaderboard (compact, fits 80 columns); failures show their error.

    Columns: fit seconds, SDMetrics quality, largest ICI difference (points),
    largest relative effect difference, conditional independences broken, share of synthetic
    rows closer to training than holdout rows (DCR), membership-inference AUC, verdict; and
    the epsilon of each differential-privacy guarantee when some synthesizer has one.
    """
    console = console or Console()
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0),
              show_edge=False)
    private = "epsilon" in board.columns and bool(board["epsilon"].notna().any())
    cols = [c for c in _LEADER_COLUMNS if c.key in board.columns
            and (c.key != "epsilon" or private)]  # ε only when some synthesizer has one
    for c in cols:  # a long label wraps, so that every figure stays whole
        t.add_column(str(c.short), justify="left" if c.kind in ("name", "verdict") else "right",
                     no_wrap=c.kind != "name", overflow="fold")
    for rec in board.to_dict("records"):
        cells = []
        for c in cols:
            if c.kind == "verdict":
                cells.append("[bold red]failed[/]" if rec.get("error")
                             else verdict_text(rec.get(c.key), short=True))
            elif c.kind == "name":
                cells.append(escape(str(rec.get(c.key))))
            else:
                cells.append(_cell(rec.get(c.key), c.kind))
        t.add_row(*cells)
    console.print(t)
    console.print(_LEGEND + (_LEGEND_EPSILON if private else ""), style="dim", highlight=False)
    for rec in board.to_dict("records"):
        if rec.get("error"):
            console.print(f"  {rec['synthesizer']} failed: {rec['error']}", style="red",
                          markup=False, highlight=False)


@contextmanager
def progress_bar(enabled: bool, total: int) -> Iterator[Callable[..., None]]:
    """A rich progress bar on stderr (or nothing), for a loop over labelled steps.

    ``with progress_bar(enabled, total) as advance:`` gives ``advance(label, step,
    done=False)``, which shows the step and, when ``done``, counts one of ``total``.

    >>> with progress_bar(False, 2) as advance:
    ...     advance("causal", "fitting")
    """
    if not enabled:
        yield lambda *a, **k: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=False)
    bar.start()
    try:
        task = bar.add_task("comparing", total=total)

        def advance(label: str, step: str, done: bool = False) -> None:
            bar.update(task, description=f"{label}: {step}", advance=1 if done else 0)

        yield advance
    finally:
        bar.stop()
