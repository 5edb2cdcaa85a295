"""Fit several synthesizers on one real table and judge each: the leaderboard.

This is the only module that both trains and judges (the design's one-way flow): it splits
the real table into training and holdout rows (unless a holdout is given), fits every
synthesizer on the training rows, samples, and validates each synthetic table with
:func:`causalsynth.validate` against the same training and holdout rows and the same seed, so
the reports differ only by the synthesizer. A synthesizer that fails is recorded with its error
in its leaderboard row; the others go on. With ``seeds`` every synthesizer is fitted once per
seed, and ``backend`` runs these cells on local processes or a Dask cluster (see
:mod:`causalsynth._grid_backends`) with the serial run's numbers.

Examples
--------
>>> import causalsynth as cs
>>> dag = cs.load_dag("acquisition")
>>> result = cs.compare(dag.simulate(5000, seed=0), dag,
...                     synthesizers=["gaussian_copula", "causal"])   # doctest: +SKIP
>>> result.leaderboard[["synthesizer", "max_ici_diff", "verdict"]]     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._grid_backends import DaskBackend, ProcessBackend, resolve_backend
from causalsynth._grid_cells import Cell, CellResult, error_text, run_cell
from causalsynth._io import json_text, write_text_atomic
from causalsynth._params import Interval, SequenceOf, check_param, check_size
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG, load_dag
from causalsynth.data import check_data
from causalsynth.errors import CausalSynthError
from causalsynth.evaluate.causal import CAUSAL_MAX_ROWS
from causalsynth.evaluate.draws import SYNTHETIC_DRAWS, draws_within
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.metric import jsonable
from causalsynth.evaluate.report import Report, judge
from causalsynth.leaderboard import (
    FRONTIER_COLUMNS,
    LEADERBOARD_COLUMNS,
    REFERENCE,
    frontier_records,
    leaderboard_row,
)
from causalsynth.synthesizers import Synthesizer, make_synthesizer, synthesizer_class

__all__ = ["FRONTIER_COLUMNS", "LEADERBOARD_COLUMNS", "REFERENCE", "Comparison", "DaskBackend",
           "ProcessBackend", "compare", "epsilon_sweep", "frontier_records", "leaderboard_row"]

#: a dict value: the parameters of the synthesizer its key names, or (name, parameters) or a
#: Synthesizer instance under a label of its own
SynthSpec = (Iterable[str | Synthesizer]
             | Mapping[str, Mapping[str, Any] | tuple[str, Mapping[str, Any]] | Synthesizer])


@dataclass
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per synthesizer: ``synthesizer, fit_s, sample_s, quality, shapes, pair_trends,
        max_ici_diff`` (points), ``max_effect_diff`` (relative, 0.1 = 10%, over the effects
        the verdict judges: per-unit GCM slopes of zero-inflated spend are reported in the
        report but not identified, so not counted), ``independences_broken``, ``epsilon`` (of
        the synthesizer's differential-privacy guarantee; NaN without one), ``dcr_share,
        membership_auc, copies_real_rows`` (the privacy gate), ``verdict, error``.
    reports : dict of Report
        The full validation report of every synthesizer that ran.
    meta : dict
        DAG, seed, table sizes, how the holdout was obtained, synthesizer parameters and
        ``families`` (label -> synthesizer name).
    """

    leaderboard: pd.DataFrame
    reports: dict[str, Report] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``leaderboard`` (records), ``reports`` (name -> report), ``meta``."""
        return jsonable({
            "leaderboard": self.leaderboard.to_dict("records"),
            "reports": {name: rep.to_dict() for name, rep in self.reports.items()},
            "meta": self.meta,
        })

    def to_json(self, path: str | Path | None = None) -> str:
        """The comparison as JSON text; written whole to ``path`` when given."""
        return json_text(self.to_dict(), path)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Comparison:
        """A Comparison from ``to_dict()`` output (or a JSON file read back)."""
        if not isinstance(d, Mapping) or "leaderboard" not in d:
            raise CausalSynthError("not a causalsynth comparison: expected a mapping with a "
                                   "'leaderboard'")
        board = pd.DataFrame(d["leaderboard"], columns=LEADERBOARD_COLUMNS)
        return cls(leaderboard=board,
                   reports={k: Report.from_dict(v) for k, v in (d.get("reports") or {}).items()},
                   meta=dict(d.get("meta") or {}))

    @classmethod
    def read_json(cls, path: str | Path) -> Comparison:
        """Read a comparison written by ``to_json(path)``."""
        import json

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CausalSynthError(f"cannot read a comparison from {str(path)!r}: {exc}") from None
        return cls.from_dict(data)

    def judge(self, margins: Margins | None = None) -> Comparison:
        """Every report re-judged under other ``margins`` (no refitting); a new Comparison."""
        reports = {k: judge(r, margins) for k, r in self.reports.items()}
        board = self.leaderboard.copy()
        for i, name in enumerate(board["synthesizer"]):
            if name in reports:
                row = leaderboard_row(name, reports[name].to_dict(), board.at[i, "fit_s"],
                                      board.at[i, "sample_s"], board.at[i, "error"])
                for col, value in row.items():
                    board.at[i, col] = value
        return Comparison(leaderboard=board, reports=reports, meta=dict(self.meta))

    def frontier(self) -> pd.DataFrame:
        """The privacy–attribution frontier: one row per synthesizer with a differential-privacy
        guarantee (``synthesizer, family, epsilon, max_ici_diff, max_effect_diff, verdict``),
        by family and epsilon; the comparison page plots it when it has two rows or more.

        >>> board = pd.DataFrame([leaderboard_row("causal", None), leaderboard_row(
        ...     "causal ε=1", {"meta": {"guarantee": {"epsilon": 1.0}}, "verdict": "preserved"})])
        >>> Comparison(board).frontier()[["synthesizer", "epsilon", "verdict"]]
          synthesizer  epsilon    verdict
        0  causal ε=1      1.0  preserved
        """
        return pd.DataFrame(frontier_records(self.leaderboard.to_dict("records"), self.meta),
                            columns=FRONTIER_COLUMNS)

    def to_html(self, path: str | Path | None = None, links: Mapping[str, str] | None = None,
                embed: bool = True) -> str:
        """A self-contained page: leaderboard, privacy-vs-causal-fidelity scatter, and a
        section per synthesizer (its report folded in when ``embed``, a link when ``links``
        gives one)."""
        from causalsynth.render import render_comparison

        text = render_comparison(self.to_dict(), links=links, embed=embed)
        if path is not None:
            write_text_atomic(path, text)
        return text

    def _repr_html_(self) -> str:
        from causalsynth.render import render_comparison

        return render_comparison(self.to_dict(), embed=False, fragment=True)

    def __repr__(self) -> str:
        cols = ["synthesizer", "max_ici_diff", "verdict"]
        return f"Comparison(\n{self.leaderboard[cols].to_string(index=False)}\n)"


def epsilon_sweep(name: str, epsilons: Iterable[float], **params: Any
                  ) -> dict[str, tuple[str, dict[str, Any]]]:
    """The ``synthesizers`` argument of :func:`compare` that fits ``name`` once per epsilon
    (with ``params`` besides), each row labelled ``"<name> ε=<epsilon>"``.

    Merge sweeps of several synthesizers with ``|``; add non-private ones as
    ``{"gaussian_copula": {}}``. The comparison's :meth:`~Comparison.frontier` and page then
    show attribution error against epsilon.

    >>> sweep = epsilon_sweep("causal", [1, 3], delta=1e-5)
    >>> list(sweep), sweep["causal ε=3"]
    (['causal ε=1', 'causal ε=3'], ('causal', {'delta': 1e-05, 'epsilon': 3.0}))
    >>> result = compare(real, dag, epsilon_sweep("causal", [0.5, 1, 3, 10])
    ...                  | {"causal": {}})                          # doctest: +SKIP
    >>> result.frontier()                                           # doctest: +SKIP
    """
    values = [float(eps) for eps in epsilons]
    return {f"{name} ε={eps:g}": (name, {**params, "epsilon": eps}) for eps in values}


# ---------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------
def _run_validate(real, synthetic, dag, holdout, seed, margins=None, guarantee=None,
                  n_bootstrap=None) -> Report:
    """causalsynth.validate, imported late (it loads the heavy evaluation stack)."""
    from causalsynth.evaluate.validate import validate

    return validate(real, synthetic, dag, holdout=holdout, seed=seed, margins=margins,
                    guarantee=guarantee, n_bootstrap=n_bootstrap)


def _labelled(key: str, value: Any) -> tuple[str | None, Any, Any]:
    """(label, name or Synthesizer, parameters) of a dict entry: ``name: params`` is
    unlabelled; ``label: (name, params)`` and ``label: Synthesizer`` carry their label."""
    if isinstance(value, Synthesizer):
        return str(key), value, None
    if isinstance(value, tuple):
        if len(value) != 2 or not isinstance(value[0], str):
            raise CausalSynthError(f"synthesizers[{key!r}] must be (name, parameters), e.g. "
                                   f"('causal', {{'epsilon': 1.0}}); got {value!r}")
        return str(key), value[0], value[1]
    return None, key, value


def _build(specs: SynthSpec, fit_seed: Callable[[str], int]) -> list[tuple[str, Any]]:
    """(label, synthesizer or exception) pairs; a bad name becomes that row's error."""
    if isinstance(specs, str):
        specs = [s.strip() for s in specs.split(",") if s.strip()]
    items = ([_labelled(k, v) for k, v in specs.items()] if isinstance(specs, Mapping)
             else [(None, s, None) for s in specs])
    if not items:
        raise CausalSynthError("compare needs at least one synthesizer; e.g. "
                               "synthesizers=['gaussian_copula', 'causal']")
    out: list[tuple[str, Any]] = []
    seen: dict[str, int] = {}
    for label, spec, params in items:
        if isinstance(spec, Synthesizer):
            label, synth = label or spec.name, spec
        elif isinstance(spec, str):
            label = label or spec
            try:
                params = dict(params or {})
                if ("random_state" in synthesizer_class(spec).param_names()
                        and "random_state" not in params):
                    params["random_state"] = fit_seed(spec)
                synth = make_synthesizer(spec, **params)
            except CausalSynthError as exc:
                synth = exc
        else:
            raise CausalSynthError(
                f"synthesizers must be names, Synthesizer instances or a dict name -> params "
                f"(or label -> (name, params)); got {type(spec).__name__}")
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label}-{seen[label]}", synth))
    return out


def _split(real: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not 0 < fraction < 1:
        raise CausalSynthError(
            f"The 'holdout_fraction' parameter must be between 0 and 1. Got {fraction!r} instead.")
    n_hold = round(len(real) * fraction)
    if n_hold < 2 or len(real) - n_hold < 2:
        raise CausalSynthError(
            f"the real table has {len(real)} rows: too few to split off a holdout "
            f"({fraction:.0%}); pass holdout= or more rows")
    order = as_generator(seed).permutation(len(real))
    hold = real.iloc[np.sort(order[:n_hold])].reset_index(drop=True)
    train = real.iloc[np.sort(order[n_hold:])].reset_index(drop=True)
    return train, hold


def _split_periods(real: pd.DataFrame, dag: DAG, fraction: float
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last ``fraction`` of the periods of every series (geo) as the holdout: a random
    split would leave gaps in the weeks the synthesizers learn from."""
    if not 0 < fraction < 1:
        raise CausalSynthError(
            f"The 'holdout_fraction' parameter must be between 0 and 1. Got {fraction!r} instead.")
    axis = dag.time
    by = [c for c in (axis.geo, axis.index) if c is not None and c in real.columns]
    table = real.sort_values(by, kind="stable").reset_index(drop=True) if by else real
    geo = (table[axis.geo].to_numpy() if axis.geo in table.columns
           else np.zeros(len(table), int))
    position = pd.Series(geo).groupby(geo, sort=False).cumcount().to_numpy()
    periods = pd.Series(geo).groupby(geo, sort=False).transform("size").to_numpy()
    held = position >= periods - np.round(periods * fraction)
    if held.sum() < 2 or (~held).sum() < 2:
        raise CausalSynthError(
            f"the real table has {len(real)} rows: too few to hold out the last "
            f"{fraction:.0%} of its periods; pass holdout= or more rows")
    return (table[~held].reset_index(drop=True), table[held].reset_index(drop=True))


def _derive(root: int, label: str, step: int) -> int:
    """A cell's seed from the grid's seed and the cell's label: never from the run order."""
    ss = np.random.SeedSequence([root, zlib.crc32(label.encode()), step])
    return int(ss.generate_state(1)[0] % (2**31 - 1))


def _reseeded(synth: Any, seed: int) -> Any:
    """A fresh copy of a synthesizer instance with ``random_state=seed`` (when it has one)."""
    params = synth.get_params()
    if "random_state" in params:
        params["random_state"] = seed
    return type(synth)(**params)


def _cells(synthesizers: SynthSpec, seeds: list[int] | None, root: int, n: int,
           margins: Margins | None, reference: bool, draws: int = 1,
           n_bootstrap: int | None = None) -> list[Cell]:
    """The grid's cells: every entry (once per seed of ``seeds``), then the reference."""
    # a module-level function with its keyword bound: picklable for process and Dask workers
    run = _run_validate if n_bootstrap is None else partial(_run_validate,
                                                            n_bootstrap=n_bootstrap)
    cells = []
    for s in [None] if seeds is None else seeds:
        base = root if s is None else s
        for label, synth in _build(synthesizers, lambda name, b=base: _derive(b, name, 1)):
            if s is not None and isinstance(synth, Synthesizer):  # each seed its own copy
                synth = _reseeded(synth, _derive(s, synth.name, 1))
            cells.append(Cell(label if s is None else f"{label} seed={s}", synth, n, root,
                              _derive(base, label, 2), margins, run, draws))
    if reference:
        cells.append(Cell(REFERENCE, None, n, root, _derive(root, REFERENCE, 0), margins,
                          run))
    return cells


def default_synthetic_rows(n_train: int, dag: DAG) -> int:
    """Synthetic rows per draw ``compare`` samples when ``n`` is not given: as many as the
    training rows. Each draw's figures then carry the same small-sample bias as the real
    table's (on 200 rows of ``ad_funnel`` the fitted model puts exposure's ICI share near 10 %
    where 2,000 rows put it at 14 %, the truth 15 %), and several draws sharpen the synthetic
    side instead of one larger table (:func:`default_synthetic_draws`)."""
    return n_train


#: synthetic draws per synthesizer of a time-indexed DAG: five draws shrink the synthetic
#: side's noise to 45 %: the difference's interval widens by 10 % over the real table's own
SERIES_DRAWS = 5


def default_synthetic_draws(dag: DAG, n_synthetic: int | None = None) -> int:
    """Synthetic draws ``compare`` validates together per synthesizer when ``draws`` is not
    given: :data:`SERIES_DRAWS` for a time-indexed DAG, else :data:`SYNTHETIC_DRAWS` draws of
    ``n_synthetic`` rows, fewer where they would exceed ``CAUSAL_MAX_ROWS`` rows in all."""
    if dag.time is not None:
        return SERIES_DRAWS
    if n_synthetic is None:
        return SYNTHETIC_DRAWS
    return draws_within(n_synthetic, CAUSAL_MAX_ROWS)


def compare(real: pd.DataFrame, dag: DAG | str | dict,
            synthesizers: SynthSpec = ("gaussian_copula", "causal"),
            n: int | None = None, holdout: pd.DataFrame | None = None, seed=0,
            progress: bool = False, holdout_fraction: float = 0.2,
            margins: Margins | None = None, reference: bool = False,
            seeds: Sequence[int] | None = None, backend: Any = None,
            draws: int | None = None, n_bootstrap: int | None = None) -> Comparison:
    """Fit each synthesizer on the real table, validate its synthetic table, rank them.

    Parameters
    ----------
    real : DataFrame
        The real table (columns are the DAG's nodes).
    dag : DAG, path, built-in name or dict
    synthesizers : list of names or Synthesizer instances, or dict name -> parameters
        E.g. ``["gaussian_copula", "causal"]`` or ``{"ctgan": {"epochs": 50}}``. A dict entry
        may also be ``label: (name, parameters)`` or ``label: Synthesizer``, to compare one
        synthesizer under several settings: :func:`epsilon_sweep` builds such a dict over
        epsilons (entries of one name share its fit seed). A synthesizer with a
        differential-privacy guarantee (``guarantee_``) has it in its report and its
        leaderboard row (``epsilon``), and on the privacy–attribution frontier.
    n : int, optional
        Synthetic rows per draw; default: :func:`default_synthetic_rows` (as many as the
        training rows, so that each draw's figures carry the real table's small-sample bias).
        Fidelity, utility and privacy metrics read the first draw (exact copies are counted
        over all of them).
    draws : int, optional
        Synthetic tables of ``n`` rows each synthesizer samples and has validated together
        (the causal comparison combines them: mean figures, the standard error of a mean of
        independent draws); default: :func:`default_synthetic_draws` (10 when rows are
        exchangeable, fewer where they would exceed 100,000 rows in all; 5 for a
        time-indexed DAG).
    n_bootstrap : int, optional
        ``validate``'s bootstrap resamples, for every cell (fewer: a quick look, wider intervals).
    holdout : DataFrame, optional
        Real rows kept out of training, for the privacy metrics. When None, a random
        ``holdout_fraction`` of ``real`` is split off (``meta["holdout"]`` says so).
    seed : int or Generator
        Seeds the split, every fit and sample, and the validations (one seed for all, so
        the reports share their random numbers).
    progress : bool
        Show a progress bar on stderr.
    margins : Margins, optional
        Tolerances of every verdict.
    reference : bool
        Add a leaderboard row ``"split-half (real)"``: two random halves of the training rows
        validated against each other, the real-data yardstick of a perfect synthesizer (at
        half the size, so its intervals are wider). It never counts as a synthesizer.
    seeds : list of int, optional
        Fit and sample every synthesizer once per seed (rows ``"<label> seed=<s>"``; a
        synthesizer instance is copied per seed), to see how much a synthesizer's result
        varies with its own randomness: each cell's ``random_state`` and sample seed come
        from ``s`` and its label only. The split and the validations keep ``seed``. For
        entries given by name, ``seeds=[seed]`` gives the numbers of ``seeds=None``.
    backend : None, int, str, distributed.Client or Backend
        Where the cells (one per synthesizer and seed, plus the reference) run. None: one
        after another in this process. An int ``n``: ``n`` local processes (joblib; 1: this
        process); ``"processes"``: one per CPU. A Dask scheduler address
        (``"tcp://host:8786"``, reached within 10 s or a clear error; ``DaskBackend(address,
        timeout=...)`` for another limit) or a ``distributed.Client``: a Dask cluster
        (``pip install "causalsynth[dask]"``). Every backend gives the same leaderboard
        numbers (not timings) for the same seed; a cell whose worker process dies is that
        row's error, and the other cells finish. Synthesizer instances are sent to the
        workers: the caller's objects stay unfitted.

    Returns
    -------
    Comparison
        ``.leaderboard``, ``.reports``, ``.frontier()``, ``.to_dict()``, ``.to_json()``,
        ``.to_html()``.

    Examples
    --------
    >>> specs = {"ctgan": {"epochs": 30}, "causal": {}}
    >>> result = compare(real, "acquisition", specs)  # doctest: +SKIP
    >>> result.to_html("comparison.html")  # doctest: +SKIP
    >>> sweep = epsilon_sweep("causal", [0.5, 1, 3, 10]) | {"gaussian_copula": {}}
    >>> compare(real, "acquisition", sweep).frontier()  # doctest: +SKIP
    >>> compare(real, "acquisition", specs, seeds=[0, 1, 2], backend=4)  # doctest: +SKIP
    >>> compare(real, "acquisition", specs, backend="tcp://10.0.0.5:8786")  # doctest: +SKIP
    """
    dag = load_dag(dag)
    root = (int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
            else child_seed(as_generator(seed)))
    as_generator(root)  # validates the seed (>= 0)
    check_data(real, dag, what="the real table")
    if n is not None:
        check_size("n", n, owner="compare", columns=len(dag.nodes))
    if draws is not None:
        check_param("draws", draws, [Interval(int, 1, 50)], owner="compare")
    if n_bootstrap is not None:
        check_size("n_bootstrap", n_bootstrap, owner="compare", replicates=True, low=0)
    if seeds is not None:
        check_param("seeds", seeds, [SequenceOf(Interval(int, 0, None))], owner="compare")
        seeds = list(dict.fromkeys(int(s) for s in seeds))
        if not seeds:
            raise CausalSynthError("The 'seeds' parameter of compare must list at least one "
                                   "seed, e.g. seeds=[0, 1, 2]; or leave it None.")
    if holdout is None and dag.time is not None:  # rows are periods: hold out the last ones
        train, holdout = _split_periods(real, dag, holdout_fraction)
        how = (f"split: the last {holdout_fraction:.0%} of the periods of every series held "
               f"out ({len(holdout)} of {len(real)} rows), {len(train)} used for training")
    elif holdout is None:
        train, holdout = _split(real, holdout_fraction, _derive(root, "split", 0))
        how = (f"split: {len(holdout)} of {len(real)} real rows ({holdout_fraction:.0%}) held "
               f"out at random, {len(train)} used for training")
    else:
        check_data(holdout, dag, min_rows=2, min_periods=2, allow_constant=True,
                   what="the holdout table")
        train = real
        how = f"given: {len(holdout)} holdout rows; all {len(real)} real rows used for training"
    n_synth = int(n) if n is not None else default_synthetic_rows(len(train), dag)
    n_draws = int(draws) if draws is not None else default_synthetic_draws(dag, n_synth)
    cells = _cells(synthesizers, seeds, root, n_synth, margins, reference, n_draws,
                   n_bootstrap)
    runner = resolve_backend(backend)  # an unreachable scheduler fails here, before any work

    from causalsynth.render.terminal import progress_bar

    try:
        with progress_bar(progress, len(cells)) as advance:
            if runner is None:  # today's loop: this process, with each cell's steps shown
                results = [run_cell(cell, train, holdout, dag, advance) for cell in cells]
            else:
                def done(i: int, res: Any) -> None:
                    failed = not isinstance(res, CellResult) or res.error is not None
                    advance(cells[i].label, "failed" if failed else "done", done=True)

                results = runner.map(run_cell, cells, shared=(train, holdout, dag),
                                     on_done=done)
        where = runner.describe() if runner is not None else None
    finally:
        if runner is not None:
            runner.close()
    rows, reports, params, families = [], {}, {}, {}
    for cell, res in zip(cells, results, strict=True):
        if not isinstance(res, CellResult):  # the worker died or the cell could not be sent
            res = CellResult(error=error_text(res))
        if res.report is not None:
            reports[cell.label] = res.report
        rows.append(leaderboard_row(cell.label, res.report.to_dict() if res.report else None,
                                    res.fit_s, res.sample_s, res.error))
        if cell.synth is not None:
            synth = cell.synth
            params[cell.label] = synth.get_params() if isinstance(synth, Synthesizer) else None
            families[cell.label] = synth.name if isinstance(synth, Synthesizer) else None
    board = pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS)
    meta = {"dag": dag.name, "seed": root, "n_real": len(real), "n_train": len(train),
            "n_holdout": len(holdout), "n_synthetic": n_synth,
            **({"synthetic_draws": n_draws} if n_draws > 1 else {}), "holdout": how,
            "synthesizers": params, "families": families,
            **({} if seeds is None else {"seeds": seeds}),
            **({} if where is None else {"backend": where}),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    return Comparison(leaderboard=board, reports=reports, meta=meta)
