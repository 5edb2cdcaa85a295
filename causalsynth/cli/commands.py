"""The commands: simulate, synthesize, validate, compare, check-dag, discover, mmm, demo.

Each parses its options, checks its outputs before any work, calls the Python API, writes its
outputs as one set and prints a short summary; its exit code says the verdict (see
:mod:`causalsynth.cli`). Tests may replace ``causalsynth.validate``, ``causalsynth.compare`` or
``causalsynth.check_dag``: the commands look them up when they run.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

import causalsynth
from causalsynth._params import check_size
from causalsynth.cli.console import Spinner, out, print_check, print_mmm
from causalsynth.cli.exits import (
    EXIT_COPIES,
    EXIT_NOT_PRESERVED,
    EXIT_OK,
    best_exit,
    guard,
    verdict_exit,
)
from causalsynth.cli.files import (
    check_demo_folder,
    check_outputs,
    commit,
    json_output,
    read_dag,
    read_lift_tests,
    read_rows,
)
from causalsynth.cli.options import (
    DagOpt,
    JsonOpt,
    Judging,
    SeedOpt,
    judging_options,
    parse_params,
)
from causalsynth.comparison import REFERENCE
from causalsynth.dag import load_dag
from causalsynth.errors import CausalSynthError, DAGError, DataError
from causalsynth.guarantee import PrivacyGuarantee
from causalsynth.render.terminal import print_leaderboard, print_summary
from causalsynth.synthesizers import REGISTRY, Synthesizer, make_synthesizer, synthesizer_class

__all__ = ["DEMO_EPOCHS", "app"]

#: Epochs for the demo's neural synthesizers: short, CPU-sized (the whole demo < 3 min).
DEMO_EPOCHS = {"ctgan": 30, "tvae": 50}

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

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output table (.csv or .parquet).")]
RealArg = Annotated[Path, typer.Argument(help="Real table (.csv or .parquet).")]
EpochsOpt = Annotated[int | None, typer.Option(
    "--epochs", min=1, help="Training epochs for the neural synthesizers.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"causalsynth {causalsynth.__version__}")
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


def _takes(name: str) -> Mapping[str, inspect.Parameter]:
    """The parameters a synthesizer's constructor takes."""
    return inspect.signature(synthesizer_class(name).__init__).parameters


def _make(name: str, params: dict[str, Any], seed: int) -> Synthesizer:
    """A synthesizer by name; seeds its fit when it takes ``random_state``."""
    takes = _takes(name)
    if "random_state" in takes and "random_state" not in params:
        params = {**params, "random_state": seed}
    if "epochs" in params and "epochs" not in takes:
        params = {k: v for k, v in params.items() if k != "epochs"}
    return make_synthesizer(name, **params)


def _specs(names: Sequence[str], epochs: int | None) -> dict[str, dict[str, Any]]:
    """name -> params; ``epochs`` goes to the synthesizers that take it."""
    if not names:
        raise CausalSynthError(
            "--synthesizers is empty; e.g. --synthesizers gaussian_copula,causal")
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise CausalSynthError(f"unknown synthesizer(s) {unknown}; choose from "
                               f"{', '.join(REGISTRY)}")
    specs: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            takes = epochs is not None and "epochs" in _takes(name)
        except CausalSynthError:
            takes = False  # a missing optional dependency: compare records it in the row
        specs[name] = {"epochs": epochs} if takes else {}
    return specs


def _seed_list(text: str) -> list[int]:
    """``--seeds 0,1,2`` as a list of ints >= 0."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise CausalSynthError(f"--seeds must be comma-separated ints >= 0, e.g. --seeds 0,1,2; "
                               f"got {text!r}")
    return seeds


@app.command()
@guard
def simulate(
    dag: Annotated[str, typer.Argument(help="DAG with a simulation block: file or built-in name.")],
    out_path: OutOpt,
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, help="Rows to draw.")] = 20_000,
    seed: SeedOpt = 0,
    json_path: JsonOpt = None,
) -> None:
    """Draw a table with known causal truth from a declared DAG."""
    check_outputs([], table=out_path, json_path=json_path, dag=dag)
    graph = read_dag(dag)
    if graph.simulation is None:
        raise DAGError(f"the DAG {graph.name!r} has no 'simulation' block, so it cannot be "
                       f"simulated; add one or use a built-in DAG such as 'acquisition'")
    check_size("--rows", rows, owner="simulate", columns=len(graph.nodes) + 2)
    frame = graph.simulate(rows, seed=seed)
    outputs: dict[Path | None, Any] = {out_path: frame}
    if json_path is not None:
        truth = graph.ground_truth()
        outputs[json_path] = json_output({
            "command": "simulate", "dag": graph.name, "rows": rows, "seed": seed,
            "output": str(out_path), "columns": list(frame.columns),
            "ground_truth": {"target": truth.target, "method": truth.method,
                             "ici": truth.ici.to_dict("records"),
                             "effects": truth.effects.to_dict("records")}})
    commit(outputs)
    out().print(f"wrote {rows:,} rows × {frame.shape[1]} columns of DAG "
                f"[bold]{graph.name}[/] to {out_path}")


@app.command()
@guard
def synthesize(
    data: RealArg,
    dag: DagOpt,
    out_path: OutOpt,
    synthesizer: Annotated[str, typer.Option(
        "--synthesizer", "-y", help="gaussian_copula, ctgan, tvae, copulagan, causal, "
                                    "diffusion, wgan or par (series).")] = "causal",
    rows: Annotated[int | None, typer.Option(
        "--rows", "-n", min=1, help="Synthetic rows (default: as many as the real table); "
                                    "on a geo panel geos x weeks.")
    ] = None,
    geos: Annotated[int | None, typer.Option(
        "--geos", min=1, help="Geos to draw on a panel DAG (synthesizers that make series; "
                              "default: as many as the real table).")] = None,
    epochs: EpochsOpt = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Extra synthesizer parameter key=value (repeatable).")] = None,
    seed: SeedOpt = 0,
    json_path: JsonOpt = None,
) -> None:
    """Fit a synthesizer on a real table and write a synthetic one."""
    check_outputs([data], table=out_path, json_path=json_path, dag=dag)
    graph = read_dag(dag)
    real = read_rows(data, "the real table")
    params = parse_params(param or [])
    if epochs is not None:
        params["epochs"] = epochs
    model = _make(synthesizer, params, seed)
    with Spinner(f"fitting {synthesizer} on {len(real):,} rows…") as spin:
        t0 = time.perf_counter()
        model.fit(real, graph)
        fit_s = time.perf_counter() - t0
        layout = getattr(model, "layout_", None)  # --geos alone: that many geos, real weeks
        n = rows or (geos * layout.periods if geos and layout is not None else len(real))
        spin.update(f"sampling {n:,} rows…")
        t0 = time.perf_counter()
        synthetic = model.sample(n, seed=seed, geos=geos)
        sample_s = time.perf_counter() - t0
    meta = {"command": "synthesize", "synthesizer": synthesizer,
            "params": model.get_params(), "input": str(data), "output": str(out_path),
            "rows": n, "seed": seed, "dag": graph.name, "fit_s": fit_s, "sample_s": sample_s}
    guarantee = getattr(model, "guarantee_", None)
    if guarantee is not None:  # typed, or a dict from a synthesizer of another package
        guarantee = PrivacyGuarantee.from_dict(guarantee)
        meta["guarantee"] = guarantee.to_dict()
    commit({out_path: synthetic, json_path: json_output(meta) if json_path is not None else None})
    out().print(f"wrote {n:,} synthetic rows from [bold]{synthesizer}[/] to {out_path} "
                f"(fit {fit_s:.1f} s, sample {sample_s:.1f} s)")
    if guarantee is not None:
        delta = "–" if guarantee.delta is None else f"{guarantee.delta:g}"
        out().print(f"differential privacy: (epsilon = {guarantee.epsilon:g}, delta = {delta})"
                    + (f"; accountant: {guarantee.accountant}" if guarantee.accountant else ""))


@app.command()
@guard
@judging_options
def validate(
    real: RealArg,
    synthetic: Annotated[Path, typer.Argument(help="Synthetic table (.csv or .parquet).")],
    dag: DagOpt,
    *,
    judging: Judging,
) -> None:
    """Does the synthetic table tell the same causal story?

    Exit 0 preserved, 1 not preserved, 3 inconclusive (agreement not shown within the
    margins), 4 the synthetic table copies real rows (privacy gate).
    """
    judging.check_outputs([real, synthetic], dag)
    graph = read_dag(dag)
    frames = [read_rows(real, "the real table"), read_rows(synthetic, "the synthetic table")]
    with Spinner("validating: causal, fidelity, utility and privacy checks…"):
        report = causalsynth.validate(frames[0], frames[1], graph, **judging.api_options())
    judging.write(report)
    print_summary(report.to_dict(), console=out())
    judging.print_written(out(), "report")
    raise typer.Exit(EXIT_COPIES if report.copies_real_rows else verdict_exit(report.verdict))


@app.command()
@guard
@judging_options
def compare(
    real: RealArg,
    dag: DagOpt,
    synthesizers: Annotated[str, typer.Option(
        "--synthesizers", help="Comma-separated synthesizer names.")] = "gaussian_copula,causal",
    rows: Annotated[int | None, typer.Option(
        "--rows", "-n", min=1, help="Synthetic rows per draw (default: as many as the "
                                    "training rows).")
    ] = None,
    epochs: EpochsOpt = None,
    draws: Annotated[int | None, typer.Option(
        "--draws", min=1, max=50, help="Synthetic tables each synthesizer samples, validated "
                                       "together (default: 10, at most 100,000 rows in all; "
                                       "5 for a time DAG).")
    ] = None,
    seeds: Annotated[str | None, typer.Option(
        "--seeds", help="Comma-separated seeds: fit every synthesizer once per seed (a grid).")
    ] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Run the grid's cells on N local processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Run the grid's cells on the Dask cluster whose scheduler is at ADDRESS "
             "(tcp://host:8786; needs causalsynth[dask]).")] = None,
    *,
    judging: Judging,
) -> None:
    """Fit several synthesizers, validate each, print the leaderboard.

    Exit 0 when at least one synthesizer preserves attribution, 3 when none does but some
    verdict is inconclusive, 1 when every verdict is "not preserved", 4 when every
    synthesizer that ran copies real rows. Each (synthesizer, seed) cell runs in this process,
    on --workers local processes or on a Dask cluster (--scheduler); same numbers either way.
    """
    if workers is not None and scheduler is not None:
        raise CausalSynthError("--workers and --scheduler exclude each other: give --workers N "
                               "for local processes or --scheduler ADDRESS for a Dask cluster")
    judging.check_outputs([real], dag)
    graph = read_dag(dag)
    if rows is not None:
        check_size("--rows", rows, owner="compare", columns=len(graph.nodes))
    frame = read_rows(real, "the real table")
    specs = _specs([s.strip() for s in synthesizers.split(",") if s.strip()], epochs)
    grid: dict[str, Any] = {"backend": scheduler if scheduler is not None else workers}
    if seeds is not None:
        grid["seeds"] = _seed_list(seeds)
    result = causalsynth.compare(frame, graph, specs, n=rows, draws=draws, progress=True,
                                 **{k: v for k, v in grid.items() if v is not None},
                                 **judging.api_options())
    judging.write(result)
    console = out()
    console.print(f"holdout {result.meta['holdout']}")
    if result.meta.get("backend"):
        console.print(f"cells ran on {result.meta['backend']}")
    print_leaderboard(result.leaderboard, console=console)
    judging.print_written(console, "comparison")
    board = result.leaderboard[result.leaderboard["synthesizer"] != REFERENCE]
    safe = board[board["copies_real_rows"] != True]  # noqa: E712 (None: failed row)
    if len(board) and not len(safe):
        raise typer.Exit(EXIT_COPIES)
    raise typer.Exit(best_exit(safe["verdict"]))


@app.command("check-dag")
@guard
def check_dag(
    data: RealArg,
    dag: DagOpt,
    json_path: JsonOpt = None,
    seed: SeedOpt = 0,
    max_claims: Annotated[int | None, typer.Option(
        "--max-claims", min=0, help="Test at most this many implied independences, the most "
        "informative first; the rest are reported as untested (default 200; 0: all).")] = None,
    suggest: Annotated[bool, typer.Option(
        "--suggest", help="When the data contradict the DAG, rank the edges to add (or "
        "remove) that resolve the failed independences, with their evidence.")] = False,
) -> None:
    """Do the data contradict the DAG's conditional independences? Exit 0 if not, 1 if so."""
    check_outputs([data], json_path=json_path, dag=dag)
    graph = read_dag(dag)
    frame = read_rows(data, "the table")
    budget = {} if max_claims is None else {"max_claims": max_claims or None}
    if suggest:
        budget["suggest"] = True
    with Spinner("testing the DAG's implied independences…"):
        result = causalsynth.check_dag(frame, graph, seed=seed, **budget)
    d = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    commit({json_path: json_output(d) if json_path is not None else None})
    passed = bool(getattr(result, "passed", d.get("passed")))
    print_check(d, passed, result)
    raise typer.Exit(EXIT_OK if passed else EXIT_NOT_PRESERVED)


@app.command()
@guard
def discover(
    data: Annotated[Path, typer.Argument(help="Table (.csv or .parquet).")],
    dag: Annotated[str | None, typer.Option(
        "--dag", "-d", help="DAG (YAML file or built-in name): node types, roles and time "
                            "as background knowledge; its edges are only compared with."
    )] = None,
    method: Annotated[str, typer.Option("--method", "-m", help="pc, ges or lingam.")] = "pc",
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", "-b", min=0, help="Resamples for edge stability (0: none).")] = 20,
    json_path: JsonOpt = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML page with the "
                                                             "graph here.")] = None,
    seed: SeedOpt = 0,
) -> None:
    """What structure do the data show? Causal discovery with causal-learn (exit 0)."""
    from causalsynth.render.discovery_plot import render_discovery

    check_outputs([data], html=html, json_path=json_path, dag=dag)
    graph = read_dag(dag) if dag is not None else None
    frame = read_rows(data, "the table")
    with Spinner(f"discovering ({method}, {bootstrap} resamples)…"):
        result = causalsynth.discover(frame, graph, method=method, seed=seed,
                                      n_bootstrap=bootstrap)
    d = result.to_dict()
    commit({json_path: json_output(d) if json_path is not None else None,
            html: render_discovery(d) if html is not None else None})
    out().print(result.summary(), markup=False)
    for path, kind in ((html, "HTML"), (json_path, "JSON")):
        if path is not None:
            out().print(f"{kind} discovery: {path}")


@app.command()
@guard
def mmm(
    data: Annotated[Path, typer.Argument(help="Weekly table (.csv or .parquet): dates, spend "
                                              "per channel, controls, revenue.")],
    dag: DagOpt,
    lift_tests: Annotated[Path | None, typer.Option(
        "--lift-tests", metavar="FILE.csv",
        help="Geo-lift or conversion-lift experiments that calibrate the fit: one row per "
             "test with channel, start, end (in the table's time index), lift (incremental "
             "revenue) and se (geo optional on a panel).")] = None,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", "-b", min=0, help="Block-bootstrap resamples for the intervals "
                                         "(0: none).")] = 100,
    json_path: JsonOpt = None,
    seed: SeedOpt = 0,
) -> None:
    """Fit the media mix model: ROAS, marginal ROAS, contribution shares, the budget split.

    With --lift-tests the fit is calibrated by the experiments and the table shows ROAS
    with and without them. Exit 0 when the model was fitted, 2 on bad input (a lift-test
    file without its columns or with an unknown channel, say).
    """
    check_outputs([data, lift_tests], json_path=json_path, dag=dag)
    graph = read_dag(dag)
    frame = read_rows(data, "the table")
    tests = read_lift_tests(lift_tests) if lift_tests is not None else None
    with Spinner("fitting the media mix model…"):
        try:
            fit = causalsynth.fit_mmm(frame, graph, n_bootstrap=bootstrap, seed=seed,
                                      lift_tests=tests)
        except DataError as exc:
            if tests is None or not str(exc).startswith("invalid data: lift"):
                raise
            raise DataError(f"--lift-tests {str(lift_tests)!r}: "
                            f"{str(exc).removeprefix('invalid data: ')}") from None
    commit({json_path: json_output(fit.to_dict()) if json_path is not None else None})
    print_mmm(fit.to_dict(), console=out())
    if json_path is not None:
        out().print(f"JSON fit: {json_path}")
    raise typer.Exit(EXIT_OK)


@app.command()
@guard
def demo(
    folder: Annotated[Path, typer.Option("--out", "-o", help="Folder for the reports.")] = Path(
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
) -> None:
    """The acquisition campaign end to end: simulate, fit 4 synthesizers, validate, compare.

    Writes real.csv, comparison.html, comparison.json and a JSON + HTML report per
    synthesizer into the output folder (default ./causalsynth-demo) and prints the
    leaderboard. Files already there are not replaced unless --overwrite is given.
    """
    if folder.exists() and not folder.is_dir():
        raise DataError(f"--out {str(folder)!r} is a file; give a folder")
    if quick:
        rows = min(rows, 600)
    epochs = {"ctgan": 2, "tvae": 2} if quick else DEMO_EPOCHS
    specs = {"gaussian_copula": {}, "ctgan": {"epochs": epochs["ctgan"]},
             "tvae": {"epochs": epochs["tvae"]}, "causal": {}}
    files = [folder / f for f in ("real.csv", "comparison.json", "comparison.html",
                                  *(f"{n}{ext}" for n in specs for ext in (".json", ".html")))]
    check_demo_folder(folder, files, overwrite)
    console = out()
    graph = load_dag("acquisition")
    console.print(f"[bold]causalsynth demo[/]: the acquisition campaign ({rows:,} simulated "
                  f"rows); brand TV and paid social drive clicks, clicks drive revenue.")
    real = graph.simulate(rows, seed=seed)
    t0 = time.perf_counter()
    # the split-half row shows what a perfect synthesizer would get at this table size
    result = causalsynth.compare(real, graph, specs, seed=seed, progress=True, reference=True)
    outputs: dict[Path | None, Any] = {folder / "real.csv": real}
    links = {}
    for name, report in result.reports.items():
        if name not in specs:  # the split-half reference: in the comparison, no own file
            continue
        outputs[folder / f"{name}.json"] = report.to_json() + "\n"
        outputs[folder / f"{name}.html"] = report.to_html()
        links[name] = f"{name}.html"
    outputs[folder / "comparison.json"] = result.to_json() + "\n"
    # the per-synthesizer reports sit beside it: link them rather than render them twice
    outputs[folder / "comparison.html"] = result.to_html(links=links, embed=False)
    # reports of a synthesizer that failed this time must not survive from an earlier run
    commit(outputs, remove=[f for f in files if f not in outputs])
    elapsed = time.perf_counter() - t0
    print_leaderboard(result.leaderboard, console=console)
    console.print(f"holdout {result.meta['holdout']}")
    console.print(f"\nreports in [bold]{folder.resolve()}[/] ({elapsed:.0f} s):")
    console.print(f"  open {folder / 'comparison.html'} in a browser")
    console.print(f"  per synthesizer: {', '.join(f'{n}.html/.json' for n in links)}")
    console.print(f"  the simulated table: {folder / 'real.csv'}; try:\n"
                  f"  causalsynth validate {folder / 'real.csv'} SYNTH.csv --dag acquisition")
