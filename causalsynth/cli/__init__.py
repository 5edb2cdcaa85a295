"""The ``causalsynth`` command line: demo, simulate, synthesize, validate, compare, check-dag,
discover, mmm.

Thin by design: parse, call the Python API, print a short coloured summary, write outputs.
Tables are read and written as CSV or Parquet (by suffix). Every command that computes takes
``--json PATH``. Outputs are written whole or not at all, and a path that is one of the inputs
is refused before any work starts.

Exit codes: 0 when attribution is preserved (or the command succeeded), 1 when it is not
preserved (``validate``; ``compare`` when no synthesizer preserves it; ``check-dag`` when the
data contradict the DAG), 3 when the verdict is inconclusive (the real table is too small to
tell at these margins; ``compare``: none preserved, some inconclusive), 4 when the privacy
gate finds that the synthetic table copies real rows (``validate``; ``compare`` when every
synthesizer that ran does), whatever the causal verdict, 2 on bad input or any error, with
the error in one line (``--debug`` shows the traceback).
An interrupted run exits 130 (Ctrl-C, SIGINT) or 143 (SIGTERM) with one line and writes none
of its outputs: the outputs of one command are written as a set, all or none.

Modules: :mod:`~causalsynth.cli.commands` (the typer app and its commands),
:mod:`~causalsynth.cli.options` (options shared by several commands),
:mod:`~causalsynth.cli.files` (inputs, and outputs written as one set),
:mod:`~causalsynth.cli.console` (what is printed), :mod:`~causalsynth.cli.exits` (exit codes,
one-line errors, interrupts).

Examples
--------
.. code-block:: console

    $ causalsynth demo
    $ causalsynth simulate acquisition --rows 20000 --seed 0 -o real.csv
    $ causalsynth synthesize real.csv --dag acquisition --synthesizer causal -o synth.csv
    $ causalsynth validate real.csv synth.csv --dag acquisition --html report.html
"""

from __future__ import annotations

from collections.abc import Sequence

from causalsynth.cli.commands import app
from causalsynth.cli.exits import (
    EXIT_COPIES,
    EXIT_ERROR,
    EXIT_INCONCLUSIVE,
    EXIT_NOT_PRESERVED,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    best_exit,
    run,
    verdict_exit,
)

__all__ = [
    "EXIT_COPIES", "EXIT_ERROR", "EXIT_INCONCLUSIVE", "EXIT_NOT_PRESERVED", "EXIT_OK",
    "EXIT_SIGINT", "EXIT_SIGTERM", "app", "best_exit", "main", "verdict_exit",
]


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``causalsynth = causalsynth.cli:main``): run the command
    line on ``argv`` (default: the process's arguments) and exit with its code.

    Exit codes: 0 success / preserved, 1 not preserved, 3 inconclusive, 4 copies real rows,
    2 bad input or any error (one line; with ``--debug`` the traceback), 130 interrupted by
    Ctrl-C, 143 terminated by SIGTERM.
    """
    run(app, argv)
