"""Does the synthetic table tell the same causal story? ICI, effects, independences, verdict.

Both tables are judged by the same machinery on the same random numbers: the model families
are chosen once, on the real table; the ICI and interventional effects of both fitted models
use the same uniforms (so differences come from the data, not from Monte Carlo noise); and each
table's bootstrap resamples have that table's own size. A synthetic table drawn larger than the
real one is thus measured more precisely, while every difference's interval still carries the
real table's own noise (so a synthetic table never claims more certainty than the real table
behind it supports).

This module measures (:func:`measure_causal`: a
:class:`~causalsynth.evaluate.causal_comparison.CausalComparison`, its rows written by
:mod:`causalsynth.evaluate.causal_rows`) and writes a report's ``causal`` section
(:func:`causal_section`); the verdict is decided from the comparison by
:func:`~causalsynth.evaluate.verdict.judge_causal`, with the default ``Margins``: ICI shares
within 5 points, effects within 10%, independence effect sizes within 0.05, clear treatment
orderings kept, at an error rate of 5%. The real-data reference (a table's canonical row
order, its split halves) is :mod:`causalsynth.evaluate.reference`; its names are importable
from here too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG, load_dag
from causalsynth.data import check_data
from causalsynth.evaluate.causal_comparison import CausalComparison
from causalsynth.evaluate.causal_rows import (
    dml_rows,
    gcm_effect_rows,
    ici_rows,
    independence_rows,
    ranking_pairs,
)
from causalsynth.evaluate.draws import (
    DRAW_COLUMNS,
    combine_draws,
    draw_bootstrap,
    draw_names,
    draws_note,
    synthetic_draws,
)
from causalsynth.evaluate.effects import dml_effects
from causalsynth.evaluate.gcm_models import choose_families, selection_note
from causalsynth.evaluate.geo_units import panel_families, within_geo
from causalsynth.evaluate.independence import independence_tests
from causalsynth.evaluate.influence import (
    DEFAULT_MC_ROWS,
    TableEstimates,
    apart_from_time,
    check_target,
    common_uniforms,
    table_estimates,
    time_label,
)
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.mmm_compare import has_mmm, measure_mmm, mmm_section
from causalsynth.evaluate.reference import (
    canonical_rows,
    panel_periods,
    reference_summary,
    split_half,
)
from causalsynth.evaluate.resample import resampler
from causalsynth.evaluate.verdict import Verdict, judge_causal
from causalsynth.media.time import borrow_dates

#: the measuring names, and (re-exported) the margins and the real-data reference
__all__ = ["CAUSAL_MAX_ROWS", "Margins", "canonical_rows", "causal_section", "compare_causal",
           "lost_columns", "measure_causal", "panel_periods", "reference_summary",
           "split_half"]

#: rows of the g-formula's Monte Carlo (a table's rows, repeated when it has fewer)
_EFFECT_ROWS = 50_000
#: bootstrap replicates: many for small tables (cheap, and their noise is what is judged)
_SMALL_TABLE = 2_000
#: rows per table the causal comparison fits on: larger tables are subsampled at random, and
#: the intervals are those of this many rows (stated in the report); GCM fits, Monte Carlo
#: ICI and the bootstrap grow with the rows, while 100,000 rows already pin ICI shares and
#: effects far tighter than the default margins
CAUSAL_MAX_ROWS = 100_000


def _usable_draws(real: pd.DataFrame, draws: list[pd.DataFrame]
                  ) -> tuple[list[str], list[str], list[pd.DataFrame], int]:
    """Lost columns (in any draw: a synthesizer that loses a variable once loses it), the rare
    labels absent by chance, the draws to measure and how many were set aside. A draw that
    lacks a rare label by chance is set aside while another draw has them all (five series
    of a year each often miss a one-week event in one of them); only when every draw lacks
    one is the comparison left unmeasured."""
    checks = [lost_columns(real, d) for d in draws]
    lost = sorted(set().union(*(c[0] for c in checks)))
    whole = [d for d, c in zip(draws, checks, strict=True) if not c[1]]
    if lost or not whole:
        return lost, sorted(set().union(*(c[1] for c in checks))), draws, 0
    return lost, [], whole, len(draws) - len(whole)


def _subsample(table: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """``rows`` rows of ``table`` drawn without replacement (in their order), or all of it."""
    if len(table) <= rows:
        return table
    return table.iloc[np.sort(rng.choice(len(table), rows, replace=False))].reset_index(
        drop=True)



def lost_columns(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Columns that vary in the real table but are constant in the synthetic one: those lost,
    and those chance explains (the real share of the synthetic table's one value, raised to
    its number of rows, is at least 1 %: a label seen in 1 of 166 real weeks is missing from
    a faithful table of 166 weeks 37 % of the time)."""
    lost: list[str] = []
    chance: list[str] = []
    for c in real.columns:
        if real[c].nunique() > 1 and synthetic[c].nunique() <= 1:
            share = float((real[c] == synthetic[c].iloc[0]).mean()) if len(synthetic) else 0.0
            (chance if share ** len(synthetic) >= 0.01 else lost).append(c)
    return lost, chance


def default_bootstrap(n_rows: int, linear: bool) -> int:
    """30 replicates when cheap (linear mechanisms, or a small table), else 10."""
    return 30 if linear or n_rows <= _SMALL_TABLE else 10


def measure_causal(real: pd.DataFrame, synthetic: pd.DataFrame | Sequence[pd.DataFrame],
                   dag, seed=None, target: str | None = None, n_bootstrap: int | None = None,
                   mc_rows: int = DEFAULT_MC_ROWS, n_jobs: int = 1,
                   checked: bool = False,
                   periods: tuple[int | None, int | None] = (None, None)) -> CausalComparison:
    """ICI, effects, independences and treatment orderings of both tables, with their noise.

    ``synthetic`` may be a list of several draws of one synthesizer (same size): each is
    measured, and the synthetic side is their combination (:mod:`causalsynth.evaluate.draws`:
    the mean figure, the standard error of a mean of independent draws), with the bootstrap
    budget shared among them.

    ``n_bootstrap`` defaults to 30 when the fitted mechanisms are linear (exact ICI: cheap) or
    the real table is small (at most 2,000 rows), else 10; given, it also sets the marketing-mix
    refits of a time DAG (default 50, 20 for a panel). ``checked``: the tables are already
    typed by ``check_data`` and in canonical row order (``validate`` prepares them once); then
    ``periods`` gives the rows per series of a geo panel, real and synthetic (else they are
    read from the tables' geo columns).

    A geo panel (both tables with geo series) is fitted within geos and per head
    (:mod:`causalsynth.evaluate.geo_units`): the GCM (linear mechanisms, exact ICI, 30
    replicates of whole geos by default) and DML see each table in its own geos' units, so the
    ICI shares split within-geo variation and effects per unit are within-geo per-head slopes;
    independences and marketing-mix rows read the tables as given (they handle geos
    themselves). A synthetic table without geos leaves both tables as given.
    """
    start = time.perf_counter()
    dag = load_dag(dag)
    target = check_target(dag, target)
    draws = synthetic_draws(synthetic)
    if not checked and dag.time is not None and dag.time.geo is not None:
        periods = (panel_periods(real, dag), panel_periods(draws[0], dag))
    if checked:
        real_c, syn_cs = real, draws
    else:
        real_c = canonical_rows(check_data(real, dag, what="the real table"), dag)
        syn_cs = [canonical_rows(check_data(d, dag, allow_constant=True, what=what), dag)
                  for d, what in zip(draws, draw_names(len(draws)), strict=True)]
    if dag.time is not None and dag.time.country:  # holidays: a synthetic table without
        syn_cs = [borrow_dates(s, real_c) for s in syn_cs]  # dates sits on the real's
    lost, by_chance, syn_cs, short = _usable_draws(real_c, syn_cs)
    rng = as_generator(seed)
    subsample = None
    if dag.time is None and max(len(real_c), len(syn_cs[0])) > CAUSAL_MAX_ROWS:
        subsample = {"rows": CAUSAL_MAX_ROWS, "real_rows": len(real_c),
                     "synthetic_rows": len(syn_cs[0])}
        real_c = _subsample(real_c, CAUSAL_MAX_ROWS, rng)
        syn_cs = [_subsample(s, CAUSAL_MAX_ROWS, rng) for s in syn_cs]
    syn_c = syn_cs[0]
    # geo panels: the GCM and DML see within-geo, per-head values (linear mechanisms)
    real_m, syn_m, units = within_geo(real_c, syn_c, dag, periods, target)
    families = choose_families(real_m, dag, child_seed(rng))
    if units is not None and units["within_geo"]:
        families = panel_families(families, dag)
    upstream = [*dag.ancestors(target), target]
    linear = all(dag.node(n).is_numeric for n in upstream) and all(
        families.get(n) == "linear" for n in upstream if n in families)
    # a panel in geo units: linear mechanisms, and labels only at roots keep the ICI exact
    linear = linear or (units is not None and units["within_geo"] and all(
        dag.node(n).is_numeric or not dag.parents(n) for n in upstream))
    n_boot = (n_bootstrap if n_bootstrap is not None
              else default_bootstrap(len(real_c), linear))
    uniforms = common_uniforms(dag, mc_rows, _EFFECT_ROWS, rng)
    est_seed = child_seed(rng)  # the same seed for both tables: same resampling streams
    # time-indexed tables: moving blocks of periods, or whole geos of a panel
    resample, resample_s = (resampler(dag, p) for p in periods)
    common: dict[str, Any] = dict(target=target, families=families, uniforms=uniforms,
                                  n_bootstrap=n_boot, n_jobs=n_jobs)
    # flexible (boosted) nuisance models only where there are rows enough to fit them
    flexible = (len(real_c) > _SMALL_TABLE
                and any(f not in ("linear", "logistic") for f in families.values()))
    dml_seed, ind_seed = child_seed(rng), child_seed(rng)
    est_r = _nodes_apart_from_time(table_estimates(
        real_m, dag, n_resample=None, seed=est_seed, resample=resample, periods=periods[0],
        **common), time_label(dag))
    dml_boot = n_boot if len(real_c) <= _SMALL_TABLE else 0
    dml_r = dml_effects(real_m, dag, target, seed=dml_seed, flexible=flexible,
                        n_bootstrap=dml_boot, resample=resample, periods=periods[0])
    ind_r = _independences(real_c, dag, ind_seed, periods[0])
    # zero spend of the table the GCM is fitted on (a panel in geo units has none left: its
    # linear per-head slopes are read from the within-geo variation, zero weeks included)
    zeros = {t: float((real_m[t] == 0).mean()) if dag.node(t).is_numeric else 0.0
             for t in dag.treatments}
    m = len(syn_cs)
    per_draw: dict[str, Any] = {**common, "n_bootstrap": draw_bootstrap(n_boot, m)}
    boot_s = draw_bootstrap(dml_boot, m) if dml_boot else 0
    tables: dict[str, list[pd.DataFrame]] = {n: [] for n in DRAW_COLUMNS if n != "mmm"}
    est_s = None
    failed_s = 0
    for j, syn_j in enumerate(syn_cs):
        if lost or by_chance:  # its model may not even be fittable; lost decides the verdict
            est_s, dml_s, ind_s = None, [], None
        else:
            # the synthetic side's noise at its own size: a table drawn larger (or several
            # draws) is measured more precisely; the difference keeps the real table's noise
            syn_m = syn_m if j == 0 else within_geo(real_c, syn_j, dag, periods, target)[1]
            est_s = _nodes_apart_from_time(table_estimates(
                syn_m, dag, n_resample=None, seed=est_seed, resample=resample_s,
                periods=periods[1], **per_draw), time_label(dag))
            failed_s += est_s.bootstrap_failed
            dml_s = dml_effects(syn_m, dag, target, seed=dml_seed, flexible=flexible,
                                n_bootstrap=boot_s, resample=resample_s, periods=periods[1])
            ind_s = _independences(syn_j, dag, ind_seed, periods[1])
        tables["ici"].append(ici_rows(est_r, est_s))
        tables["effects"].append(pd.DataFrame(gcm_effect_rows(est_r, est_s, target, zeros)
                                              + dml_rows(dml_r, dml_s, target, zeros)))
        tables["independences"].append(independence_rows(dag, ind_r, ind_s, len(real_c),
                                                          len(syn_j)))
        tables["ranking"].append(ranking_pairs(dag, est_r, est_s))
        if lost or by_chance:
            break
    mmm, curves = (measure_mmm(real_c, syn_cs, dag, seed=child_seed(rng), periods=periods,
                               n_bootstrap=n_bootstrap)
                   if has_mmm(dag) and not (lost or by_chance)
                   else (pd.DataFrame(), pd.DataFrame()))
    combined = {name: combine_draws(name, frames) for name, frames in tables.items()}
    return CausalComparison(
        target=target, n_real=len(real_c), n_synthetic=len(syn_c), n_draws=m,
        ici=combined["ici"], effects=combined["effects"],
        independences=combined["independences"], ranking=combined["ranking"],
        lost_columns=lost, treatments=[t for t in dag.treatments if t in upstream],
        method={"ici": est_r.method, "families": families, "n_bootstrap": n_boot,
                "bootstrap_rows_synthetic": None if est_s is None else est_s.n_resample,
                "bootstrap_failed": {"real": est_r.bootstrap_failed,
                                     "synthetic": None if est_s is None else failed_s},
                **({"ici_time_row": time_label(dag),
                    "ici_shares": "each node's share of the target's variance the calendar "
                                  "leaves (summing to 100 without time's row); time's row: "
                                  "the share the time features explain (reported, not "
                                  "judged)"} if time_label(dag) in est_r.players else {}),
                **({"draws": {**draws_note(m, per_draw["n_bootstrap"],
                                           [*combined.values(), mmm]),
                              **({"set_aside": f"{short} draw(s) lacking a rare label by "
                                               f"chance"} if short else {})}}
                   if m > 1 or short else {}),
                "effects": ["gcm: intervention on the fitted DoWhy GCM, common random numbers",
                            "dml: EconML LinearDML, controls = treatment's parents (backdoor)"],
                "independence_test": "residual correlation (GCM); the difference of effect "
                                     "sizes is judged" + ("; rows tested as series: trend and "
                                     "season given, autocorrelation allowed for"
                                     if dag.time is not None else ""),
                "rule": "'not preserved': differences significant with both tables' noise, "
                        "Bonferroni within the decision family (0.4 alpha) and within the "
                        "rest (alpha/2), or an effect both tables are sure of with opposite "
                        "signs (alpha/10); 'preserved': equivalence (TOST) to the real "
                        "table's figures with the synthetic table's own noise",
                **({"bootstrap": "moving blocks of consecutive periods (rows of a time-indexed "
                                 "table are not independent)",
                    "mmm": "fit_mmm on both tables: adstock + Hill per channel, controls, "
                           "block-bootstrap intervals"} if dag.time is not None else {}),
                **({"subsample": subsample} if subsample else {}),
                **({"families_note": note} if (note := selection_note(dag)) else {}),
                **({"geo_units": units} if units is not None else {}),
                **({"absent_by_chance": by_chance} if by_chance else {})},
        seconds=time.perf_counter() - start, mmm=mmm, mmm_curves=curves)


def _independences(table: pd.DataFrame, dag: DAG, seed, periods: int | None) -> pd.DataFrame:
    """Implied independences of a typed table; a time-indexed table's rows are tested as
    series (time context, autocorrelation, geos of ``periods`` rows each)."""
    if dag.time is None:
        return independence_tests(table, dag, seed=seed, checked=True)
    if dag.time.geo is not None:  # the series layout, as a geo column the tests read
        geo = np.arange(len(table)) // periods if periods else np.zeros(len(table), int)
        table = table.assign(**{dag.time.geo: geo})
    return independence_tests(table, dag, seed=seed, checked=True, time_aware=True)


def causal_section(comparison: CausalComparison, verdict: Verdict) -> dict[str, Any]:
    """The ``causal`` section of a report: what was measured and how it was judged."""
    from causalsynth.evaluate.metric import jsonable

    ici = verdict.ici.assign(diff_pp=verdict.ici["diff"])
    ranking_order = _orders(comparison)
    return jsonable({
        "verdict": verdict.verdict,
        "reasons": verdict.reasons,
        "target": comparison.target,
        "n_real": comparison.n_real,
        "n_synthetic": comparison.n_synthetic,
        **({"n_draws": comparison.n_draws} if comparison.n_draws > 1 else {}),
        "margins": asdict(verdict.margins),
        "n_judged": verdict.n_judged,
        "confirmable": verdict.confirmable,
        "shown": verdict.shown,
        "details": verdict.details,
        "treatments": comparison.treatments,
        "lost_columns": comparison.lost_columns,
        "method": comparison.method,
        "ici": ici.to_dict("records"),
        "treatment_ranking": {**ranking_order,
                              "kept": not (verdict.ranking["status"] == "beyond").any(),
                              "pairs": verdict.ranking.to_dict("records")},
        "effects": verdict.effects.to_dict("records"),
        "independences": verdict.independences.to_dict("records"),
        **({"mmm": mmm_section(verdict.mmm, comparison.mmm_curves)} if len(verdict.mmm) else {}),
        "seconds": comparison.seconds,
    })


def compare_causal(real: pd.DataFrame, synthetic: pd.DataFrame | Sequence[pd.DataFrame],
                   dag, seed=None, margins: Margins | None = None, target: str | None = None,
                   n_bootstrap: int | None = None, mc_rows: int = DEFAULT_MC_ROWS,
                   n_jobs: int = 1, checked: bool = False,
                   periods: tuple[int | None, int | None] = (None, None)) -> dict[str, Any]:
    """The causal section of a report: ICI, effects, independences and the verdict with reasons.

    ``synthetic`` (one table or several draws), ``checked``, ``periods``: see
    :func:`measure_causal`.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> real, fresh = dag.simulate(2000, seed=1), dag.simulate(2000, seed=2)
    >>> compare_causal(real, fresh, dag, seed=0)["verdict"] in ("preserved", "inconclusive")
    True
    """
    comparison = measure_causal(real, synthetic, dag, seed=seed, target=target,
                                n_bootstrap=n_bootstrap, mc_rows=mc_rows, n_jobs=n_jobs,
                                checked=checked, periods=periods)
    return causal_section(comparison, judge_causal(comparison, margins))


def _nodes_apart_from_time(est: TableEstimates, label: str) -> TableEstimates:
    """The nodes' ICI shares as shares of what the calendar leaves (time's row, the share of
    the target's variance the time features explain, kept as it is): each table's time share
    is estimated with noise of its own (a year of weeks pins it to about +-10 points), which
    would otherwise move every node's share with it."""
    if label not in est.players:
        return est
    i = est.players.index(label)
    nodes = np.arange(len(est.players)) != i
    rest = max(100.0 - float(est.shares[i]), 1e-9)
    mc_se = np.array(est.mc_se, float, copy=True)
    mc_se[nodes] = mc_se[nodes] * 100.0 / rest
    return replace(est, shares=apart_from_time(est.shares, i), mc_se=mc_se,
                   boot_shares=apart_from_time(est.boot_shares, i) if len(est.boot_shares)
                   else est.boot_shares)


def _orders(c: CausalComparison) -> dict[str, list[str]]:
    by = c.ici.set_index("node")
    treatments = [t for t in c.ranking[["a", "b"]].stack().unique()] if len(c.ranking) else []
    order = lambda col: sorted(treatments, key=lambda t: -by.loc[t, col])  # noqa: E731
    return {"real": order("real_share"), "synthetic": order("synthetic_share")}
