"""The files a command reads and writes: the DAG, the tables, and its outputs as one set.

Outputs are checked before any work starts (an output that is an input, the DAG file
included, is refused; so are clashing, unwritable or mis-suffixed paths) and written whole,
all or none, at the end. The state of the current run (signals received, outputs written)
lives in :data:`RUN`, so an interrupt that some library swallowed still stops the writing.

Examples
--------
>>> try:
...     check_outputs([Path("real.csv")], json_path=Path("real.csv"))
... except CausalSynthError as exc:
...     print(exc)  # doctest: +ELLIPSIS
the --json 'real.csv' is one of the input files ('real.csv'); choose another path ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from causalsynth._io import json_text, output_problems, read_table, same_file, write_outputs
from causalsynth.dag import DAG, builtin_dags, load_dag
from causalsynth.errors import CausalSynthError, DAGError, DataError
from causalsynth.evaluate.metric import jsonable

__all__ = [
    "RUN",
    "RunState",
    "check_demo_folder",
    "check_outputs",
    "commit",
    "dag_file",
    "json_output",
    "read_dag",
    "read_lift_tests",
    "read_rows",
]


@dataclass
class RunState:
    """What happened in this run: signals received (in order) and outputs written."""

    signals: list[int] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def reset(self) -> None:
        self.signals.clear()
        self.written.clear()


#: the current run (``main`` resets it; it may be called again in-process)
RUN = RunState()


# ---- inputs ----------------------------------------------------------------------------------
def read_dag(source: str) -> DAG:
    """A DAG from a path or a built-in name; a name that is neither fails clearly."""
    if "\n" not in source and source not in builtin_dags() and not Path(source).exists():
        names = ", ".join(builtin_dags())
        raise DAGError(f"no DAG file at {source!r} and no built-in DAG of that name; give a "
                       f"path to a YAML file or one of: {names}")
    return load_dag(source)


def dag_file(source: str) -> Path | None:
    """The file a DAG option reads: a built-in's own file for a built-in name.

    >>> dag_file("acquisition").name, str(dag_file("my.yaml"))
    ('acquisition.yaml', 'my.yaml')
    """
    builtin = builtin_dags()
    if source in builtin:
        return builtin[source]
    return Path(source) if source and "\n" not in source else None


def read_rows(path: Path, what: str) -> pd.DataFrame:
    """A table (CSV or Parquet) that must have rows; ``what`` names it in errors."""
    frame = read_table(path)
    if frame.empty:
        raise DataError(f"{what} {str(path)!r} has no rows")
    return frame


def read_lift_tests(path: Path) -> pd.DataFrame:
    """The lift tests of ``--lift-tests`` (CSV or Parquet): one row per experiment with
    ``channel, start, end, lift, se`` (``geo`` optional); a missing column is named with
    the file. Channels, windows and numbers are checked by ``fit_mmm`` against the model.

    >>> read_lift_tests(Path("none.csv"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    causalsynth.errors.DataError: invalid data: no file at 'none.csv'; check the path
    """
    from causalsynth.evaluate.mmm_lift import LIFT_COLUMNS

    frame = read_rows(path, "the lift-test file")
    missing = [c for c in LIFT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"the lift-test file {str(path)!r} lacks the column(s) "
                        f"{', '.join(missing)}; it needs one row per experiment with "
                        f"{', '.join(LIFT_COLUMNS)} (geo optional); columns present: "
                        f"{', '.join(map(str, frame.columns))}")
    return frame


# ---- outputs ---------------------------------------------------------------------------------
def check_outputs(inputs: Sequence[Path | None], table: Path | None = None,
                  html: Path | None = None, json_path: Path | None = None,
                  dag: str | None = None) -> None:
    """Refuse, before any work, outputs that are inputs (the DAG file included, compared as
    files: symlinks, relative paths, hard links), that clash, that cannot be written, or
    that have the wrong suffix."""
    ins = [(p, "one of the input files") for p in inputs if p is not None]
    source = dag_file(dag) if dag is not None else None
    if source is not None:
        ins.append((source, "the DAG file"))
    outs = [(p, what) for p, what in ((table, "output table"), (html, "--html"),
                                      (json_path, "--json")) if p is not None]
    problems = []
    for p, what in outs:
        clash = next((f"{role} ({str(q)!r})" for q, role in ins if same_file(p, q)), None)
        if clash is not None:
            problems.append(f"the {what} {str(p)!r} is {clash}; choose another path "
                            f"(inputs are never overwritten)")
        else:
            problems.extend(output_problems(p, what))
    if table is not None and table.suffix.lower() not in (".csv", ".parquet", ".pq"):
        problems.append(f"the output table {str(table)!r} must end in .csv or .parquet")
    if html is not None and html.suffix.lower() not in (".html", ".htm"):
        problems.append(f"--html {str(html)!r} must end in .html")
    if any(same_file(p, q) for i, (p, _) in enumerate(outs) for q, _ in outs[i + 1:]):
        problems.append("two outputs share one path; give each output its own file")
    if problems:
        raise CausalSynthError("; ".join(problems))


def check_demo_folder(out: Path, files: Sequence[Path], overwrite: bool) -> None:
    """Refuse, before any work, a demo folder that cannot be written or that holds files of
    an earlier run (unless ``overwrite``)."""
    problems = output_problems(files[0], "output")
    if problems:
        raise CausalSynthError(problems[0])
    there = [f.name for f in files if f.exists() or f.is_symlink()]
    if there and not overwrite:
        raise CausalSynthError(
            f"--out {str(out)!r} already holds {', '.join(there)}; give an empty or new "
            f"folder, or add --overwrite to replace them")
    for f in files:
        if f.is_dir():
            raise CausalSynthError(f"{str(f)!r} is a folder; the demo writes a file there: "
                                   f"give another --out folder")


def json_output(payload: dict[str, Any]) -> str:
    """Strict JSON text of a command's result (no NaN), ending in a newline.

    >>> json_output({"rows": 3, "share": float("nan")})
    '{\\n  "rows": 3,\\n  "share": null\\n}\\n'
    """
    return json_text(jsonable(payload)) + "\n"


def commit(outputs: dict[Path | None, Any], remove: Sequence[Path] = ()) -> None:
    """Write a command's outputs as one set, all or none (None paths are skipped).

    Refused after an interrupt that some library swallowed: that run must not leave outputs.
    """
    if RUN.signals:
        raise KeyboardInterrupt
    outputs = {p: c for p, c in outputs.items() if p is not None}
    write_outputs(outputs, remove=remove)
    RUN.written.extend(outputs)
