"""The ``causalsynth`` command line: demo, simulate, synthesize, validate, compare, check-dag.

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

Examples
--------
.. code-block:: console

    $ causalsynth demo
    $ causalsynth simulate acquisition --rows 20000 --seed 0 -o real.csv
    $ causalsynth synthesize real.csv --dag acquisition --synthesizer causal -o synth.csv
    $ causalsynth validate real.csv synth.csv --dag acquisition --html report.html
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

try:  # typer >= 0.2x vendors click; before, it used click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException

from causalsynth import __version__
from causalsynth._io import output_problems, read_table, same_file, write_outputs
from causalsynth.dag import DAG, builtin_dags, load_dag
from causalsynth.errors import CausalSynthError, DAGError, DataError

__all__ = ["app", "main"]

EXIT_OK, EXIT_NOT_PRESERVED, EXIT_ERROR, EXIT_INCONCLUSIVE = 0, 1, 2, 3
EXIT_COPIES = 4  # the privacy gate: the synthetic table copies real rows
EXIT_SIGINT, EXIT_SIGTERM = 128 + 2, 128 + 15  # the shell's convention: 128 + signal number
_QUIET_MODULES = ("sdmetrics", "sdv", "rdt", "copulas", "ctgan", "dowhy", "econml", "sklearn",
                  "statsmodels", "torch", "joblib")

app = typer.Typer(
    name="causalsynth",
    help="Causal-aware synthetic data: does attribution survive synthesis?",
    epilog="Exit codes: 0 preserved (or success), 1 not preserved, 2 bad input or error (one "
           "line; --debug shows the traceback), 3 inconclusive, 4 the synthetic table copies "
           "real rows (privacy gate), 130 interrupted by Ctrl-C, 143 terminated (SIGTERM). "
           "Outputs are written whole, all or none.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# ---- shared options ------------------------------------------------------------------------
DagOpt = Annotated[str, typer.Option("--dag", "-d",
                                     help="DAG: a YAML file or a built-in name "
                                          "(acquisition, saturation, ad_funnel).")]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", min=0, help="Random seed.")]
ReferenceOpt = Annotated[bool, typer.Option(
    "--reference", help="Also judge two random halves of the real table against each other "
                        "(the split-half yardstick of a perfect synthesizer).")]
IciMarginOpt = Annotated[float, typer.Option(
    "--ici-margin", min=0.0, help="Tolerated difference of an ICI share, in points.")]
EffectMarginOpt = Annotated[float, typer.Option(
    "--effect-margin", min=0.0, help="Tolerated relative difference of an effect (0.1 = 10%).")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]
HtmlOpt = Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
HoldoutOpt = Annotated[Path | None, typer.Option(
    "--holdout", help="Real rows kept out of training (CSV/Parquet), for the privacy figures.")]


class _Stdout(Console):
    """The terminal summary. A reader that stops reading (``| head``) does not change the
    exit code: rich's default turns a broken pipe into exit 1, which here means "not
    preserved"; the rest of the summary goes to /dev/null instead."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _out() -> Console:
    return _Stdout(highlight=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _api(name: str) -> Callable[..., Any]:
    """The API function behind a command, imported when used (the evaluation stack is heavy)."""
    import causalsynth

    if name not in ("validate", "check_dag", "compare"):  # pragma: no cover - programming error
        raise KeyError(name)
    return getattr(causalsynth, name)


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error into one line on stderr and exit code 2 (traceback with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            with warnings.catch_warnings():
                if not debug:  # third-party advice is noise on a terminal; --debug shows it
                    for module in _QUIET_MODULES:
                        warnings.filterwarnings("ignore", module=module)
                return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if debug:
                raise
            _err().print(f"error: {_message(exc)}", style="bold red", markup=False)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper


def _message(exc: BaseException) -> str:
    if isinstance(exc, CausalSynthError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no file at {str(exc.filename)!r}; check the path"
    if isinstance(exc, PermissionError):
        return (f"permission denied for {str(exc.filename)!r}; check the permissions of the "
                f"file and its folder")
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)
    return (f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            f"(rerun with --debug for the traceback)")


def _dag(source: str) -> DAG:
    """A DAG from a path or a built-in name; a name that is neither fails clearly."""
    if "\n" not in source and source not in builtin_dags() and not Path(source).exists():
        names = ", ".join(builtin_dags())
        raise DAGError(f"no DAG file at {source!r} and no built-in DAG of that name; give a "
                       f"path to a YAML file or one of: {names}")
    return load_dag(source)


def _dag_file(source: str) -> Path | None:
    """The file a DAG option reads: a built-in's own file for a built-in name."""
    builtin = builtin_dags()
    if source in builtin:
        return builtin[source]
    return Path(source) if source and "\n" not in source else None


def _outputs(inputs: Sequence[Path | None], table: Path | None = None,
             html: Path | None = None, json_path: Path | None = None,
             dag: str | None = None) -> None:
    """Refuse, before any work, outputs that are inputs (the DAG file included, compared as
    files: symlinks, relative paths, hard links), that clash, that cannot be written, or
    that have the wrong suffix."""
    ins = [(p, "one of the input files") for p in inputs if p is not None]
    dag_file = _dag_file(dag) if dag is not None else None
    if dag_file is not None:
        ins.append((dag_file, "the DAG file"))
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


def _read(path: Path, what: str):
    frame = read_table(path)
    if frame.empty:
        raise DataError(f"{what} {str(path)!r} has no rows")
    return frame


def _json(payload: dict[str, Any]) -> str:
    """Strict JSON text of a command's result (no NaN), ending in a newline."""
    from causalsynth.evaluate.metric import jsonable

    return json.dumps(jsonable(payload), indent=2, allow_nan=False) + "\n"


def _commit(outputs: dict[Path | None, Any], remove: Sequence[Path] = ()) -> None:
    """Write a command's outputs as one set, all or none (None paths are skipped).

    Refused after an interrupt that some library swallowed: that run must not leave outputs.
    """
    if _SIGNALS:
        raise KeyboardInterrupt
    outputs = {p: c for p, c in outputs.items() if p is not None}
    write_outputs(outputs, remove=remove)
    _WRITTEN.extend(outputs)


class _Spinner:
    """A rich status spinner on stderr (quiet when stderr is not a terminal)."""

    def __init__(self, text: str):
        self.status = _err().status(text) if sys.stderr.isatty() else None

    def __enter__(self):
        if self.status is not None:
            self.status.__enter__()
        return self

    def update(self, text: str) -> None:
        if self.status is not None:
            self.status.update(text)

    def __exit__(self, *exc):
        if self.status is not None:
            self.status.__exit__(*exc)
        return False


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``key=value`` strings to a dict; values parsed as JSON when they parse, else text."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise CausalSynthError(f"--param {item!r} must look like key=value, e.g. "
                                   f"--param batch_size=500")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


def _make(name: str, params: dict[str, Any], seed: int):
    """A synthesizer by name; seeds its fit when it takes ``random_state``."""
    import inspect

    from causalsynth.synthesizers import make_synthesizer, synthesizer_class

    accepts = inspect.signature(synthesizer_class(name).__init__).parameters
    if "random_state" in accepts and "random_state" not in params:
        params = {**params, "random_state": seed}
    if "epochs" in params and "epochs" not in accepts:
        params = {k: v for k, v in params.items() if k != "epochs"}
    return make_synthesizer(name, **params)


# ---- commands --------------------------------------------------------------------------------
def _version(value: bool) -> None:
    if value:
        typer.echo(f"causalsynth {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Causal-aware synthetic data: does attribution survive synthesis?

    Exit codes: 0 preserved / success, 1 not preserved, 2 bad input or error, 3 inconclusive,
    4 copies real rows (add --debug to a command for the traceback), 130 interrupted (Ctrl-C),
    143 terminated.
    """


@app.command()
@_guard
def simulate(
    dag: Annotated[str, typer.Argument(help="DAG with a simulation block: file or built-in name.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table (.csv or .parquet).")],
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, help="Rows to draw.")] = 20_000,
    seed: SeedOpt = 0,
    json_path: JsonOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Draw a table with known causal truth from a declared DAG."""
    _outputs([], table=out, json_path=json_path, dag=dag)
    graph = _dag(dag)
    if graph.simulation is None:
        raise DAGError(f"the DAG {graph.name!r} has no 'simulation' block, so it cannot be "
                       f"simulated; add one or use a built-in DAG such as 'acquisition'")
    frame = graph.simulate(rows, seed=seed)
    outputs: dict[Path | None, Any] = {out: frame}
    if json_path is not None:
        truth = graph.ground_truth()
        outputs[json_path] = _json({
            "command": "simulate", "dag": graph.name, "rows": rows, "seed": seed,
            "output": str(out), "columns": list(frame.columns),
            "ground_truth": {"target": truth.target, "method": truth.method,
                             "ici": truth.ici.to_dict("records"),
                             "effects": truth.effects.to_dict("records")}})
    _commit(outputs)
    _out().print(f"wrote {rows:,} rows × {frame.shape[1]} columns of DAG "
                 f"[bold]{graph.name}[/] to {out}")


@app.command()
@_guard
def synthesize(
    data: Annotated[Path, typer.Argument(help="Real table (.csv or .parquet).")],
    dag: DagOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table (.csv or .parquet).")],
    synthesizer: Annotated[str, typer.Option(
        "--synthesizer", "-y", help="gaussian_copula, ctgan, tvae, copulagan, causal, "
                                    "diffusion or wgan.")] = "causal",
    rows: Annotated[int | None, typer.Option(
        "--rows", "-n", min=1, help="Synthetic rows (default: as many as the real table).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(
        "--epochs", min=1, help="Training epochs (neural synthesizers).")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Extra synthesizer parameter key=value (repeatable).")] = None,
    seed: SeedOpt = 0,
    json_path: JsonOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Fit a synthesizer on a real table and write a synthetic one."""
    _outputs([data], table=out, json_path=json_path, dag=dag)
    graph = _dag(dag)
    real = _read(data, "the real table")
    params = _parse_params(param or [])
    if epochs is not None:
        params["epochs"] = epochs
    model = _make(synthesizer, params, seed)
    n = rows or len(real)
    with _Spinner(f"fitting {synthesizer} on {len(real):,} rows…") as spin:
        t0 = time.perf_counter()
        model.fit(real, graph)
        fit_s = time.perf_counter() - t0
        spin.update(f"sampling {n:,} rows…")
        t0 = time.perf_counter()
        synthetic = model.sample(n, seed=seed)
        sample_s = time.perf_counter() - t0
    meta = {"command": "synthesize", "synthesizer": synthesizer,
            "params": model.get_params(), "input": str(data), "output": str(out), "rows": n,
            "seed": seed, "dag": graph.name, "fit_s": fit_s, "sample_s": sample_s}
    _commit({out: synthetic, json_path: _json(meta) if json_path is not None else None})
    _out().print(f"wrote {n:,} synthetic rows from [bold]{synthesizer}[/] to {out} "
                 f"(fit {fit_s:.1f} s, sample {sample_s:.1f} s)")


@app.command()
@_guard
def validate(
    real: Annotated[Path, typer.Argument(help="Real table (.csv or .parquet).")],
    synthetic: Annotated[Path, typer.Argument(help="Synthetic table (.csv or .parquet).")],
    dag: DagOpt,
    holdout: HoldoutOpt = None,
    html: HtmlOpt = None,
    json_path: JsonOpt = None,
    seed: SeedOpt = 0,
    reference: ReferenceOpt = False,
    ici_points: IciMarginOpt = 5.0,
    effect_rel: EffectMarginOpt = 0.10,
    debug: DebugOpt = False,
) -> None:
    """Does the synthetic table tell the same causal story?

    Exit 0 preserved, 1 not preserved, 3 inconclusive (too few real rows to tell), 4 the
    synthetic table copies real rows (privacy gate).
    """
    from causalsynth.render.terminal import print_summary

    _outputs([real, synthetic, holdout], html=html, json_path=json_path, dag=dag)
    graph = _dag(dag)
    frames = [_read(real, "the real table"), _read(synthetic, "the synthetic table")]
    hold = _read(holdout, "the holdout table") if holdout is not None else None
    with _Spinner("validating: causal, fidelity, utility and privacy checks…"):
        report = _api("validate")(frames[0], frames[1], graph, holdout=hold, seed=seed,
                                  margins=_margins(ici_points, effect_rel), reference=reference)
    d = report.to_dict()
    _commit({json_path: report.to_json() + "\n" if json_path is not None else None,
             html: report.to_html() if html is not None else None})
    print_summary(d, console=_out())
    for p, what in ((html, "HTML report"), (json_path, "JSON report")):
        if p is not None:
            _out().print(f"{what}: {p}")
    raise typer.Exit(EXIT_COPIES if report.copies_real_rows else verdict_exit(report.verdict))


@app.command()
@_guard
def compare(
    real: Annotated[Path, typer.Argument(help="Real table (.csv or .parquet).")],
    dag: DagOpt,
    synthesizers: Annotated[str, typer.Option(
        "--synthesizers", help="Comma-separated synthesizer names.")] = "gaussian_copula,causal",
    rows: Annotated[int | None, typer.Option(
        "--rows", "-n", min=1, help="Synthetic rows each (default: as many as training rows).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(
        "--epochs", min=1, help="Training epochs for the neural synthesizers.")] = None,
    holdout: HoldoutOpt = None,
    html: HtmlOpt = None,
    json_path: JsonOpt = None,
    seed: SeedOpt = 0,
    reference: ReferenceOpt = False,
    ici_points: IciMarginOpt = 5.0,
    effect_rel: EffectMarginOpt = 0.10,
    debug: DebugOpt = False,
) -> None:
    """Fit several synthesizers, validate each, print the leaderboard.

    Exit 0 when at least one synthesizer preserves attribution, 3 when none does but some
    verdict is inconclusive, 1 when every verdict is "not preserved".
    """
    from causalsynth.render.terminal import print_leaderboard

    _outputs([real, holdout], html=html, json_path=json_path, dag=dag)
    graph = _dag(dag)
    frame = _read(real, "the real table")
    hold = _read(holdout, "the holdout table") if holdout is not None else None
    names = [s.strip() for s in synthesizers.split(",") if s.strip()]
    specs = _specs(names, epochs)
    result = _api("compare")(frame, graph, specs, n=rows, holdout=hold, seed=seed,
                             progress=True, margins=_margins(ici_points, effect_rel),
                             reference=reference)
    _commit({json_path: result.to_json() + "\n" if json_path is not None else None,
             html: result.to_html() if html is not None else None})
    out = _out()
    out.print(f"holdout {result.meta['holdout']}")
    print_leaderboard(result.leaderboard, console=out)
    for p, what in ((html, "HTML comparison"), (json_path, "JSON comparison")):
        if p is not None:
            out.print(f"{what}: {p}")
    from causalsynth.comparison import REFERENCE

    board = result.leaderboard[result.leaderboard["synthesizer"] != REFERENCE]
    safe = board[board["copies_real_rows"] != True]  # noqa: E712 (None: failed row)
    if len(board) and not len(safe):
        raise typer.Exit(EXIT_COPIES)
    raise typer.Exit(best_exit(safe["verdict"]))


def verdict_exit(verdict: str | None) -> int:
    """The exit code of one verdict: 0 preserved, 1 not preserved, 3 inconclusive."""
    return {"preserved": EXIT_OK, "inconclusive": EXIT_INCONCLUSIVE}.get(
        verdict, EXIT_NOT_PRESERVED)


def best_exit(verdicts: Iterable[str | None]) -> int:
    """The exit code of the best verdict among several (preserved > inconclusive > not)."""
    codes = {verdict_exit(v) for v in verdicts}
    return next((c for c in (EXIT_OK, EXIT_INCONCLUSIVE) if c in codes), EXIT_NOT_PRESERVED)


def _margins(ici_points: float, effect_rel: float):
    from causalsynth.evaluate.verdict import Margins

    return Margins(ici_points=ici_points, effect_rel=effect_rel)


def _specs(names: Sequence[str], epochs: int | None) -> dict[str, dict[str, Any]]:
    """name -> params; ``epochs`` goes to the synthesizers that take it."""
    import inspect

    from causalsynth.synthesizers import REGISTRY, synthesizer_class

    if not names:
        raise CausalSynthError(
            "--synthesizers is empty; e.g. --synthesizers gaussian_copula,causal")
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise CausalSynthError(f"unknown synthesizer(s) {unknown}; choose from "
                               f"{', '.join(REGISTRY)}")
    specs: dict[str, dict[str, Any]] = {}
    for name in names:
        params: dict[str, Any] = {}
        if epochs is not None:
            try:
                takes = "epochs" in inspect.signature(synthesizer_class(name).__init__).parameters
            except CausalSynthError:
                takes = False  # a missing optional dependency: compare records it in the row
            if takes:
                params["epochs"] = epochs
        specs[name] = params
    return specs


@app.command("check-dag")
@_guard
def check_dag(
    data: Annotated[Path, typer.Argument(help="Real table (.csv or .parquet).")],
    dag: DagOpt,
    json_path: JsonOpt = None,
    seed: SeedOpt = 0,
    max_claims: Annotated[int | None, typer.Option(
        "--max-claims", min=0, help="Test at most this many implied independences, the most "
        "informative first; the rest are reported as untested (default 200; 0: all).")] = None,
    debug: DebugOpt = False,
) -> None:
    """Do the data contradict the DAG's conditional independences? Exit 0 if not, 1 if so."""
    _outputs([data], json_path=json_path, dag=dag)
    graph = _dag(dag)
    frame = _read(data, "the table")
    budget = {} if max_claims is None else {"max_claims": max_claims or None}
    with _Spinner("testing the DAG's implied independences…"):
        result = _api("check_dag")(frame, graph, seed=seed, **budget)
    d = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    _commit({json_path: _json(d) if json_path is not None else None})
    passed = bool(getattr(result, "passed", d.get("passed")))
    _print_check(d, passed, result)
    raise typer.Exit(EXIT_OK if passed else EXIT_NOT_PRESERVED)


def _print_check(d: dict[str, Any], passed: bool, result: Any) -> None:
    """Generic rendering: the verdict, then the result's summary or its first table."""
    from rich.table import Table

    from causalsynth.render.html import fmt

    out = _out()
    out.print("[bold green]the data do not contradict the DAG[/]" if passed
              else "[bold red]the data contradict the DAG[/]")
    summary = getattr(result, "summary", None)
    summary = summary() if callable(summary) else summary
    if isinstance(summary, str) and summary:
        out.print(summary, markup=False)
        return
    for key, value in d.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            table = Table(title=key.replace("_", " "), title_justify="left")
            cols = list(value[0])
            for c in cols:
                table.add_column(str(c))
            for rec in value[:40]:
                table.add_row(*[", ".join(map(str, v)) if isinstance(v, list)
                                else fmt(v) if not isinstance(v, str) else v
                                for v in (rec.get(c) for c in cols)])
            out.print(table)
            break


@app.command()
@_guard
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the reports.")] = Path(
        "causalsynth-demo"),
    # 5,000 rows keeps the whole demo (4 fits, 4 validations) within a few minutes on 2 cores
    rows: Annotated[int, typer.Option("--rows", "-n", min=50, help="Real rows to simulate.")
                    ] = 5_000,
    seed: SeedOpt = 0,
    quick: Annotated[bool, typer.Option(
        "--quick", help="Tiny sizes and 2 epochs (seconds; for tests and a first look).")] = False,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the files of an earlier demo run in the output folder.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """The acquisition campaign end to end: simulate, fit 4 synthesizers, validate, compare.

    Writes real.csv, comparison.html, comparison.json and a JSON + HTML report per
    synthesizer into the output folder (default ./causalsynth-demo) and prints the
    leaderboard. Files already there are not replaced unless --overwrite is given.
    """
    from causalsynth.render.terminal import print_leaderboard

    if out.exists() and not out.is_dir():
        raise DataError(f"--out {str(out)!r} is a file; give a folder")
    if quick:
        rows = min(rows, 600)
    epochs = {"ctgan": 2, "tvae": 2} if quick else {"ctgan": DEMO_EPOCHS["ctgan"],
                                                     "tvae": DEMO_EPOCHS["tvae"]}
    specs = {"gaussian_copula": {}, "ctgan": {"epochs": epochs["ctgan"]},
             "tvae": {"epochs": epochs["tvae"]}, "causal": {}}
    files = [out / f for f in ("real.csv", "comparison.json", "comparison.html",
                               *(f"{n}{ext}" for n in specs for ext in (".json", ".html")))]
    _demo_outputs(out, files, overwrite)
    console = _out()
    graph = load_dag("acquisition")
    console.print(f"[bold]causalsynth demo[/]: the acquisition campaign ({rows:,} simulated "
                  f"rows); brand TV and paid social drive clicks, clicks drive revenue.")
    real = graph.simulate(rows, seed=seed)
    t0 = time.perf_counter()
    # the split-half row shows what a perfect synthesizer would get at this table size
    result = _api("compare")(real, graph, specs, seed=seed, progress=True, reference=True)
    outputs: dict[Path | None, Any] = {out / "real.csv": real}
    links = {}
    for name, report in result.reports.items():
        if name not in specs:  # the split-half reference: in the comparison, no own file
            continue
        outputs[out / f"{name}.json"] = report.to_json() + "\n"
        outputs[out / f"{name}.html"] = report.to_html()
        links[name] = f"{name}.html"
    outputs[out / "comparison.json"] = result.to_json() + "\n"
    # the per-synthesizer reports sit beside it: link them rather than render them twice
    outputs[out / "comparison.html"] = result.to_html(links=links, embed=False)
    # reports of a synthesizer that failed this time must not survive from an earlier run
    _commit(outputs, remove=[f for f in files if f not in outputs])
    elapsed = time.perf_counter() - t0
    print_leaderboard(result.leaderboard, console=console)
    console.print(f"holdout {result.meta['holdout']}")
    console.print(f"\nreports in [bold]{out.resolve()}[/] ({elapsed:.0f} s):")
    console.print(f"  open {out / 'comparison.html'} in a browser")
    console.print(f"  per synthesizer: {', '.join(f'{n}.html/.json' for n in links)}")
    console.print(f"  the simulated table: {out / 'real.csv'}; try:\n"
                  f"  causalsynth validate {out / 'real.csv'} SYNTH.csv --dag acquisition")


#: Epochs for the demo's neural synthesizers: short, CPU-sized (the whole demo < 3 min).
DEMO_EPOCHS = {"ctgan": 30, "tvae": 50}


def _demo_outputs(out: Path, files: Sequence[Path], overwrite: bool) -> None:
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


#: Signals received in this run (SIGINT, SIGTERM), in order; a run that got one exits 130/143.
_SIGNALS: list[int] = []
#: Outputs written by this run (to say so when an interrupt comes after the writing).
_WRITTEN: list[Path] = []


def _on_signal(signum: int, _frame: Any) -> None:
    """SIGINT and SIGTERM: remember the signal, then unwind like Ctrl-C so every temporary
    file is removed. Remembering it means a KeyboardInterrupt that some library swallows
    ("Exception ignored in ...") still ends the run with 130/143 and no outputs."""
    _SIGNALS.append(signum)
    raise KeyboardInterrupt


def _interrupted_code() -> int:
    signum = _SIGNALS[0] if _SIGNALS else signal.SIGINT
    name = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted (Ctrl-C, SIGINT)"
    done = ("; its outputs had been written whole before" if _WRITTEN
            else "; no outputs were written")
    _err().print(f"error: {name}{done}", style="bold red", markup=False)
    return EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``causalsynth = causalsynth.cli:main``).

    Exit codes: 0 success / preserved, 1 not preserved, 3 inconclusive, 4 copies real rows,
    2 bad input or any error (one line; with ``--debug`` the traceback), 130 interrupted by
    Ctrl-C, 143 terminated by SIGTERM.
    """
    _SIGNALS.clear()
    _WRITTEN.clear()
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is not signal.SIG_IGN:  # ignored (nohup, `&`): keep so
                previous[sig] = signal.signal(sig, _on_signal)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        code = app(args=list(argv) if argv is not None else None, prog_name="causalsynth",
                   standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        code = _interrupted_code()
    except ClickException as exc:  # option errors: one line, not a usage box
        code = _usage_error(exc)
    except Exception:  # only with --debug; otherwise _guard turned it into one line
        traceback.print_exc()
        code = EXIT_ERROR
    else:
        if _SIGNALS:  # interrupted, but the interrupt was swallowed on the way
            code = _interrupted_code()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        _SIGNALS.clear()  # the state of this run only (main may be called again in-process)
        _WRITTEN.clear()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _usage_error(exc: Any) -> int:
    """A command-line usage error in one line (help itself when no command was given)."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()
        return int(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    _err().print(f"error: {exc.format_message()}{hint}", style="bold red", markup=False)
    return int(getattr(exc, "exit_code", EXIT_ERROR))


if __name__ == "__main__":  # pragma: no cover
    main()
