"""The cells of a compare grid: one (synthesizer, seed, DAG) job each, and how it fails.

A *cell* is one job of :func:`causalsynth.compare`: fit on the training rows, sample, validate
(or judge the split-half reference). A cell carries its own seeds (derived from the caller's
seed and the cell's label, never from the order in which workers pick cells up), so a grid
gives the same numbers in this process, on local processes and on a cluster
(:mod:`causalsynth._grid_backends`). A cell that fails returns its error as a leaderboard row
(:func:`error_text`, one line); a cell whose worker process dies comes back as a
:class:`WorkerLost` value, which the leaderboard also shows as that row's error. Either way the
other cells finish.

Examples
--------
>>> run_cell(Cell("broken", ValueError("no such synthesizer"), 10, 0, 0, None, None),
...          None, None, None).error
'ValueError: no such synthesizer'
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalsynth.errors import CausalSynthError

__all__ = ["Cell", "CellResult", "WorkerLost", "error_text", "run_cell"]

#: torch and SDV keep global random state per process: cells of one process run one at a time
_CELL_LOCK = threading.Lock()


class WorkerLost(CausalSynthError):
    """The process that ran a cell died (or the cluster went away) before the cell finished."""


def error_text(exc: BaseException) -> str:
    """One line: the exception's type and the first line of its message.

    >>> error_text(RuntimeError("the model diverged\\nmore"))
    'RuntimeError: the model diverged'
    """
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")

@dataclass
class Cell:
    """One job of a compare grid.

    ``synth`` is an unfitted synthesizer, or the exception that building it raised (the cell
    then only reports it), or None for the split-half reference (``split_seed`` splits the
    training rows). ``seed`` seeds the validation, ``sample_seed`` the synthetic sample;
    ``validate`` is the validation function ``(real, synthetic, dag, holdout, seed, margins,
    guarantee) -> Report``; ``draws``: synthetic tables of ``n`` rows sampled and validated
    together (the first with ``sample_seed``).
    """

    label: str
    synth: Any
    n: int
    seed: int
    sample_seed: int
    margins: Any
    validate: Callable[..., Any]
    draws: int = 1


@dataclass
class CellResult:
    report: Any = None
    fit_s: float = math.nan
    sample_s: float = math.nan
    error: str | None = None


def _quiet(*args: Any, **kwargs: Any) -> None:
    return None


def run_cell(cell: Cell, train: Any, holdout: Any, dag: Any,
             advance: Callable[..., None] = _quiet) -> CellResult:
    """Fit, sample and validate one cell (or judge the split-half reference); any failure of
    the cell becomes its result's ``error`` (one line)."""
    with _CELL_LOCK:
        if cell.synth is None:
            return _reference(cell, train, holdout, dag, advance)
        return _synthesizer(cell, train, holdout, dag, advance)


def _synthesizer(cell: Cell, train: Any, holdout: Any, dag: Any, advance: Callable) -> CellResult:
    out, label, synth = CellResult(), cell.label, cell.synth
    if isinstance(synth, BaseException):
        advance(label, "skipped", done=True)
        out.error = error_text(synth)
        return out
    try:
        advance(label, "fitting")
        t0 = time.perf_counter()
        synth.fit(train, dag)
        out.fit_s = time.perf_counter() - t0
        advance(label, "sampling")
        t0 = time.perf_counter()
        seeds = [cell.sample_seed, *(int(s) % (2**31 - 1) for s in np.random.SeedSequence(
            cell.sample_seed).generate_state(cell.draws - 1))]
        synthetic = [synth.sample(cell.n, seed=s) for s in seeds]
        synthetic = synthetic[0] if cell.draws == 1 else synthetic
        out.sample_s = time.perf_counter() - t0
        advance(label, "validating")
        report = cell.validate(train, synthetic, dag, holdout, cell.seed, cell.margins,
                               guarantee=getattr(synth, "guarantee_", None))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # one failing synthesizer must not sink the comparison
        advance(label, "failed", done=True)
        out.error = error_text(exc)
        return out
    if not report.meta.get("synthesizer"):
        report.meta["synthesizer"] = label
    report.meta.setdefault("timings", {})
    report.meta["timings"].update({"fit": out.fit_s, "sample": out.sample_s})
    advance(label, "done", done=True)
    out.report = report
    return out


def _reference(cell: Cell, train: Any, holdout: Any, dag: Any, advance: Callable) -> CellResult:
    """Two halves of the training rows judged against each other, like a synthesizer."""
    from causalsynth.data import check_data
    from causalsynth.evaluate.reference import split_half

    advance(cell.label, "validating")
    try:
        half_a, half_b = split_half(check_data(train, dag), dag, cell.sample_seed)
        report = cell.validate(half_a, half_b, dag, holdout, cell.seed, cell.margins)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # e.g. a half too small or constant: say so in the row
        advance(cell.label, "failed", done=True)
        return CellResult(error=(
            f"no split-half reference for these {len(train):,} training rows: "
            f"{error_text(exc)} (a label level that occurs once cannot be in both halves)"))
    report.meta["synthesizer"] = cell.label
    advance(cell.label, "done", done=True)
    return CellResult(report=report)
