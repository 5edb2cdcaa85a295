"""Conditional independences implied by a DAG, tested by effect size; ``check_dag``.

The local Markov condition says every node is independent of its non-descendants given its
parents. Each implied independence ``X ⊥ Y | Z`` is tested by the residual correlation of a
generalised covariance measure (Shah & Peters 2020): regress X and Y (one-hot indicators for
labels) on a flexible basis of Z (one-hot labels, cubic splines of numbers, and their pairwise
interactions) and correlate the residuals (:mod:`causalsynth.evaluate.conditional_tests`). The
effect size is the largest absolute residual correlation; the p-value (Fisher z, Bonferroni
over indicator pairs) is reported beside it.
An independence *fails* only when the effect reaches the threshold (default 0.05) **and** is
statistically significant (p below 0.05, Bonferroni-corrected over the DAG's claims): at 20,000
rows a correlation of -0.017 already has p = 0.014, so p-values alone would flag negligible
deviations; at a few hundred rows a correlation of 0.06 is noise, so effect sizes alone would.

Large DAGs: a DAG of n nodes implies up to n(n-1)/2 independences (19,540 for a sparse
200-node graph). At most ``max_claims`` (default 200) are tested, the most informative first
(:func:`rank_claims`: nodes closest in the graph, then the smallest conditioning sets); the
rest are listed as untested in the result and its summary. DoWhy's permutation test re-tests
every claim in each of its permutations, so :func:`check_dag` runs it only when the DAG
implies at most ``falsify_max_claims`` (default 100) independences and says so otherwise.
Progress goes to stderr as a tqdm bar when stderr is a terminal (``progress=False`` silences
it).

Time-indexed DAGs (``time``): weeks share trend and season and are autocorrelated, so
:func:`check_dag` also conditions every test on the time context and reads it with an
effective sample size (:mod:`causalsynth.evaluate.series`).

References
----------
Shah, Peters. "The hardness of conditional independence testing and the generalised
covariance measure." Annals of Statistics 48(3), 2020.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from causalsynth._params import Interval, check_param
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG, load_dag
from causalsynth.data import check_data
from causalsynth.evaluate.conditional_tests import ConditionalTests, residual_test
from causalsynth.evaluate.conditional_tests import (  # noqa: F401  the name tests read
    conditioning_basis as _basis,
)
from causalsynth.evaluate.falsify import falsify
from causalsynth.evaluate.series import time_rows

__all__ = [
    "DEFAULT_THRESHOLD",
    "ConditionalTests",
    "DAGCheck",
    "check_dag",
    "implied_independences",
    "independence_tests",
    "rank_claims",
    "residual_test",
]

DEFAULT_THRESHOLD = 0.05
ALPHA = 0.05
MAX_TEST_ROWS = 10_000
#: most implied independences tested by default (the most informative first)
MAX_CLAIMS = 200
#: DoWhy's permutation test runs only for DAGs implying at most this many independences
FALSIFY_MAX_CLAIMS = 100


def implied_independences(dag: DAG) -> list[tuple[str, str, tuple[str, ...]]]:
    """(x, y, given) for every local-Markov independence: x ⊥ y | parents(x), once per pair."""
    graph = dag.to_networkx()
    claims, seen = [], set()
    for x in dag.nodes:
        descendants = nx.descendants(graph, x)
        parents = set(dag.parents(x))
        for y in dag.nodes:
            if y == x or y in descendants or y in parents or frozenset((x, y)) in seen:
                continue
            seen.add(frozenset((x, y)))
            claims.append((x, y, tuple(sorted(parents))))
    return claims


def rank_claims(dag: DAG, claims: list[tuple[str, str, tuple[str, ...]]] | None = None
                ) -> list[tuple[str, str, tuple[str, ...]]]:
    """Claims ordered from most to least informative.

    The order: the distance between x and y in the undirected graph (shortest path; nodes two
    steps apart, sharing a parent or a child, come first: a missing edge is most likely
    between nearby nodes, while a claim between distant nodes of a sparse graph rarely fails),
    then the size of the conditioning set (smaller sets are cheaper and more powerful tests),
    then the declared order. ``claims`` defaults to :func:`implied_independences`.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> rank_claims(load_dag("acquisition"))[0]
    ('demand', 'tv_spend', ())
    """
    claims = implied_independences(dag) if claims is None else list(claims)
    graph = dag.to_networkx().to_undirected()
    dist: dict[str, dict[str, int]] = {}

    def key(item: tuple[int, tuple[str, str, tuple[str, ...]]]) -> tuple[float, int, int]:
        i, (x, y, given) = item
        if x not in dist:
            dist[x] = nx.single_source_shortest_path_length(graph, x)
        return (dist[x].get(y, math.inf), len(given), i)

    return [c for _, c in sorted(enumerate(claims), key=key)]


def _progress(total: int, desc: str, progress: bool | None):
    """A tqdm bar on stderr: shown when stderr is a terminal (None) or when asked (True).

    Under a rich live display (the CLI's spinner), which holds back partial lines, the bar
    is written as a whole line every 5 seconds instead, so it appears above the spinner.
    """
    from tqdm.auto import tqdm

    tty = getattr(sys.stderr, "isatty", None)
    show = bool(tty and tty()) if progress is None else bool(progress)
    proxied = getattr(sys.stderr, "rich_proxied_file", None) is not None
    if not show or not proxied:
        return tqdm(total=total, desc=desc, disable=not show, leave=False, file=sys.stderr)
    return tqdm(total=total, desc=desc, leave=False, file=_Lines(sys.stderr), mininterval=5.0,
                ncols=80)


class _Lines:
    """A file for tqdm that writes each refresh as one whole line (nothing for the clean-up)."""

    def __init__(self, target):
        self.target = target

    def write(self, text: str) -> None:
        text = text.strip("\r\n ")
        if text:
            self.target.write(text + "\n")

    def flush(self) -> None:
        self.target.flush()


def independence_tests(data: pd.DataFrame, dag, threshold: float = DEFAULT_THRESHOLD,
                       seed=None, max_rows: int = MAX_TEST_ROWS,
                       max_claims: int | None = MAX_CLAIMS,
                       progress: bool | None = None, checked: bool = False,
                       time_aware: bool = False) -> pd.DataFrame:
    """Test the independences the DAG implies (at most ``max_claims``); one row per claim.

    Columns: ``x``, ``y``, ``given`` (list), ``test``, ``effect`` (residual correlation weighted
    by unexplained variance), ``residual_corr``, ``p_value``, ``holds``
    (effect below ``threshold`` or not significant at 0.05 / number of tested claims). Tables
    above ``max_rows`` are subsampled (seeded).

    When the DAG implies more than ``max_claims`` independences (``None``: no limit), the
    ``max_claims`` most informative ones are tested (:func:`rank_claims`); rows keep the
    declared order. ``result.attrs`` then holds ``"claims"`` (how many the DAG implies),
    ``"max_claims"`` and ``"untested"``: a frame of the claims not tested (``x``, ``y``,
    ``given``). ``progress``: a tqdm bar on stderr (None: only when stderr is a terminal).
    ``checked``: ``data`` is already typed by ``check_data``.

    ``time_aware`` (DAGs with ``time``): rows are periods laid out by
    :func:`~causalsynth.evaluate.series.time_rows` (index and geo columns order them, if
    present); tests condition on the time context with autocorrelation-aware p-values
    (:func:`residual_test`); above ``max_rows``, whole geos or one window of periods are kept.
    ``result.attrs["time_context"]`` describes the context (None without time).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> bool(independence_tests(dag.simulate(5000, seed=0), dag)["holds"].all())
    True
    """
    dag = load_dag(dag)
    layout = None
    if time_aware and dag.time is not None:
        data, layout = time_rows(data, dag)
    clean = data if checked else check_data(data, dag)
    _check_budget(max_claims, "max_claims")
    rng = as_generator(seed)
    if layout is not None:
        keep = layout.sample(max_rows, rng)
        clean, layout = clean.iloc[keep], layout.take(keep)
    elif len(clean) > max_rows:
        clean = clean.iloc[np.sort(rng.choice(len(clean), max_rows, replace=False))]
    cols = {n: clean[n].to_numpy() if dag.node(n).is_numeric or dag.node_type(n) == "binary"
            else clean[n].astype(str).to_numpy() for n in dag.nodes}
    claims = implied_independences(dag)
    tested, untested = _budget(dag, claims, max_claims)
    alpha = ALPHA / max(len(tested), 1)
    rows = []
    label = ("residual correlation (GCM)" if layout is None else
             f"residual correlation (GCM) given the time context ({layout.describe()}), "
             f"HAC p-value")
    engine = ConditionalTests(cols, layout)
    asked: dict[tuple[str, ...], list[str]] = defaultdict(list)  # columns fitted per set
    for x, y, given in tested:
        asked[given] += [x, y]
    with _progress(len(tested), "independence tests", progress) as bar:
        for x, y, given in tested:
            engine.residuals(given, asked[given])
            effect, p, raw = engine.test(x, y, given)
            rows.append({"x": x, "y": y, "given": list(given), "test": label, "effect": effect,
                         "residual_corr": raw, "p_value": p,
                         "holds": bool(effect < threshold or p >= alpha)})
            bar.update()
    out = pd.DataFrame(rows, columns=["x", "y", "given", "test", "effect", "residual_corr",
                                      "p_value", "holds"])
    out.attrs.update({"claims": len(claims), "max_claims": max_claims,
                      "time_context": None if layout is None else layout.describe(),
                      "untested": pd.DataFrame(
                          [{"x": x, "y": y, "given": list(g)} for x, y, g in untested],
                          columns=["x", "y", "given"])})
    return out


def _check_budget(value, name: str) -> None:
    check_param(name, value, [Interval(int, 1, None), None])


def _budget(dag: DAG, claims: list, max_claims: int | None) -> tuple[list, list]:
    """(tested, untested): the ``max_claims`` most informative claims, in declared order."""
    if max_claims is None or len(claims) <= max_claims:
        return list(claims), []
    chosen = set(rank_claims(dag, claims)[:max_claims])
    return [c for c in claims if c in chosen], [c for c in claims if c not in chosen]


@dataclass
class DAGCheck:
    """Does a table contradict the DAG? Implied independences and DoWhy's falsification test.

    ``independences`` holds the tested claims; ``untested`` the claims beyond the budget
    (``x``, ``y``, ``given``); ``claims`` how many the DAG implies in all.
    """

    dag: str
    threshold: float
    independences: pd.DataFrame
    falsification: dict[str, Any] = field(default_factory=dict)
    untested: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["x", "y", "given"]))
    claims: int | None = None
    #: the time context every test conditioned on (time-indexed DAGs), None for i.i.d. rows
    time_context: str | None = None

    @property
    def violations(self) -> pd.DataFrame:
        return self.independences[~self.independences["holds"]]

    @property
    def passed(self) -> bool:
        """No tested independence fails and DoWhy does not falsify the graph."""
        return self.violations.empty and not self.falsification.get("falsified", False)

    def summary(self) -> str:
        n, bad = len(self.independences), len(self.violations)
        total = self.claims if self.claims is not None else n + len(self.untested)
        lines = [f"DAG {self.dag!r}: {n - bad} of {n} implied independences tested hold "
                 f"(effect < {self.threshold} or not significant)."]
        if self.time_context:
            lines.append(f"Rows are periods of a time series: every test also conditions on "
                         f"the time context ({self.time_context}), common causes of spend "
                         f"plans and sales; its p-value counts autocorrelated periods as "
                         f"fewer independent ones (Bartlett's effective sample size).")
        if len(self.untested):
            lines.append(f"{len(self.untested):,} of the DAG's {total:,} implied independences "
                         f"were NOT tested (claim budget max_claims={n}; the most informative "
                         f"were tested first: nearest nodes, smallest conditioning sets); "
                         f"raise max_claims (--max-claims) to test more")
        for r in self.violations.itertuples():
            given = f" | {', '.join(r.given)}" if r.given else ""
            lines.append(f"  - {r.x} ⊥ {r.y}{given} fails: effect {r.effect:.3f} "
                         f"(p = {r.p_value:.2g}); the data link {r.x} and {r.y} beyond the "
                         f"declared edges — consider an edge between them or a missing "
                         f"common cause")
        f = self.falsification
        if f.get("skipped"):
            lines.append(f"DoWhy permutation test skipped: {f['skipped']}")
        elif f.get("error"):
            lines.append(f"DoWhy falsification could not run: {f['error']}")
        elif f:
            lines.append(
                f"DoWhy permutation test: {f['violations']} of {f['tests']} local Markov tests "
                f"violated at p <= {f['significance_level']} on {f['rows']} rows; the graph is "
                + ("FALSIFIED (random node orders explain the data as well)" if f["falsified"]
                   else "not falsified") + ("" if f["falsifiable"] else
                                            " (but the graph is not falsifiable: too few "
                                            "independences to tell it from permutations)"))
        verdict = ("the data do not contradict the DAG" if self.passed
                   else "the data contradict the DAG")
        if self.passed and len(self.untested):
            verdict += f" (in the {n:,} independences tested)"
        lines.append("verdict: " + verdict)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        from causalsynth.evaluate.metric import jsonable

        total = self.claims if self.claims is not None else len(self.independences)
        return jsonable({"dag": self.dag, "passed": self.passed, "threshold": self.threshold,
                         "claims": total, "tested": len(self.independences),
                         "independences": self.independences,
                         "untested": self.untested, "falsification": self.falsification,
                         "time_context": self.time_context,
                         "summary": self.summary()})

    def __repr__(self) -> str:
        return self.summary()


def check_dag(data: pd.DataFrame, dag, seed=None, threshold: float = DEFAULT_THRESHOLD,
              n_permutations: int = 20, falsify_rows: int = 2000,
              max_claims: int | None = MAX_CLAIMS,
              falsify_max_claims: int | None = FALSIFY_MAX_CLAIMS,
              progress: bool | None = None, time_aware: bool | None = None,
              suggest: bool = False) -> DAGCheck:
    """Do the data contradict the DAG's implied conditional independences?

    Runs :func:`independence_tests` (effect-size judgement) on at most ``max_claims`` claims
    (the most informative first; ``None``: all) and DoWhy's permutation-based
    ``falsify_graph`` (Eulig et al. 2023) with the same residual test on ``falsify_rows`` rows,
    so that its p-values are not driven by sample size alone. DoWhy's test re-tests every
    claim of the DAG in each of ``n_permutations`` permuted graphs, so it is skipped (and the
    summary says so) when the DAG implies more than ``falsify_max_claims`` independences
    (``None``: always run; on 5,000 rows a 25-node DAG with 256 claims takes 139 s with it
    and 9 s without). ``progress``: a tqdm bar on stderr (None: only on a terminal).
    ``suggest``: rank the edges whose addition (or removal) resolves the failed
    independences, with evidence, in ``result.suggestions`` (:mod:`.._discovery_suggest`).

    Time (``time_aware``; default: when the DAG declares ``time``): weekly rows are not
    independent and share trend and seasonality, common causes of spend plans and sales.
    Each test (here and in DoWhy's) then also conditions on the time context, a linear trend
    and 2 Fourier harmonics of the period (plus geo fixed effects on a panel, every number
    scaled within its geo), and its p-value allows for lag-1 autocorrelation (Bartlett's
    effective sample size; on a panel, products summed over geos per period): see
    :mod:`causalsynth.evaluate.series`. The index and geo columns may stay in ``data`` (they
    order the rows); without the index, rows are in time order. On 20 ``weekly_mmm`` series
    of 156 weeks the i.i.d. test rejects the true DAG in all 20, the time-aware one in none.

    Examples
    --------
    >>> from causalsynth import load_dag, check_dag
    >>> weekly = load_dag("weekly_mmm")
    >>> check_dag(weekly.simulate(156, seed=0), weekly, seed=0, n_permutations=5).passed
    True

    References
    ----------
    Eulig, Mastakouri, Blöbaum, Hardt, Janzing. "Toward falsifying causal graphs using a
    permutation-based test." AAAI 2025 (arXiv:2305.09565).
    Bartlett. "Some aspects of the time-correlation problem in regard to tests of
    significance." Journal of the Royal Statistical Society 98(3), 1935.
    """
    dag = load_dag(dag)
    _check_budget(falsify_max_claims, "falsify_max_claims")
    check_param("time_aware", time_aware, [bool, None])
    rng = as_generator(seed)
    aware = dag.time is not None and time_aware is not False
    table = independence_tests(data, dag, threshold=threshold, seed=rng, max_claims=max_claims,
                               progress=progress, time_aware=aware)
    claims = table.attrs["claims"]
    if falsify_max_claims is not None and claims > falsify_max_claims:
        falsification = {"skipped": f"the DAG implies {claims:,} independences, more than "
                                    f"falsify_max_claims={falsify_max_claims:,}; DoWhy would "
                                    f"re-test each in {n_permutations} permuted graphs",
                         "claims": claims, "falsify_max_claims": falsify_max_claims}
    else:
        rows, layout = time_rows(data, dag) if aware else (data, None)
        falsification = falsify(check_data(rows, dag), dag, residual_test, rng, n_permutations,
                                falsify_rows, layout)
    result = DAGCheck(dag=dag.name, threshold=threshold, independences=table,
                      falsification=falsification, untested=table.attrs["untested"],
                      claims=claims, time_context=table.attrs["time_context"])
    if suggest:
        from causalsynth.evaluate._discovery_suggest import with_suggestions
        return with_suggestions(result, data, dag, child_seed(rng), max_claims, aware)
    return result

