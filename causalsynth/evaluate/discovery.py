"""``discover``: what structure do the data show? Causal discovery with marketing knowledge.

The declared DAG is the analyst's claim; :func:`discover` asks the data, with causal-learn's
algorithms (not a re-implementation):

* ``"pc"`` — the PC algorithm (Spirtes, Glymour & Scheines) with the conditional-independence
  test of :func:`~causalsynth.check_dag`: residual correlations on a spline basis, labels
  one-hot, an edge dropped when its effect is below ``threshold`` or not significant at
  ``alpha``; on a time-indexed DAG every test also conditions on trend and season (and geo
  effects) with an autocorrelation-aware p-value (:mod:`causalsynth.evaluate.series`);
* ``"ges"`` — greedy equivalence search (Chickering 2002) with the BIC score, on the table with
  the time context partialled out;
* ``"lingam"`` — DirectLiNGAM (Shimizu et al. 2011), for linear relations with non-Gaussian
  noise, on the same time-adjusted table.

With a DAG, its roles are background knowledge (tiers context → spend → mediator → outcome:
spend cannot cause demand, the outcome causes nothing) and so are the forbidden and required
edges of its ``discovery:`` block; the declared edges are *not* used. Edge stability is the
share of ``n_bootstrap`` resamples (moving blocks of weeks on a time table, whole geos on a
panel: :mod:`causalsynth.evaluate.resample`) in which discovery finds the edge again.

References
----------
Spirtes, Glymour, Scheines. *Causation, Prediction, and Search.* MIT Press, 2000.
Chickering. "Optimal structure identification with greedy search." JMLR 3, 2002.
Shimizu et al. "DirectLiNGAM: a direct method for learning a linear non-Gaussian structural
equation model." JMLR 12, 2011.
Zheng et al. "Causal-learn: causal discovery in Python." JMLR 25, 2024.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from causalsynth._params import Interval, Options, check_param
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import load_dag
from causalsynth.errors import DataError
from causalsynth.evaluate._discovery_graph import (
    compare_to_dag,
    edges_from_matrix,
    pair_counts,
    stability_rows,
)
from causalsynth.evaluate.resample import resampler

__all__ = ["DiscoveredGraph", "discover", "min_rows"]

#: rows below which discovery refuses a table: this many per node, and at least the floor
ROWS_PER_NODE = {"pc": 10, "ges": 10, "lingam": 20}
ROWS_FLOOR = {"pc": 50, "ges": 30, "lingam": 100}
#: effect size below which PC treats two nodes as independent (check_dag's judges at 0.05)
DISCOVERY_THRESHOLD = 0.02
#: rows ``discover`` reads by default (larger tables are subsampled). PC's cost grows with the
#: rows (about 70 s for weekly_mmm, 4 min for a 40-geo geo_mmm panel at 20,000 rows; seconds
#: for the i.i.d. DAGs); an effect at the 0.02 threshold is 2 standard errors at 10,000
#: independent rows and 2.8 at 20,000, fewer on autocorrelated weeks
MAX_ROWS = 20_000
_COLUMNS = ["source", "target", "kind", "found", "stability", "same_direction",
            "reverse_direction"]


def min_rows(method: str, n_nodes: int) -> int:
    """Fewest rows ``discover`` accepts for ``method`` on ``n_nodes`` nodes.

    >>> min_rows("pc", 11)
    110
    """
    return max(ROWS_FLOOR[method], ROWS_PER_NODE[method] * n_nodes)


@dataclass
class DiscoveredGraph:
    """A graph discovered from a table: edges, their stability, and how it was found.

    ``edges``: one row per adjacency found (``source``, ``target``, ``kind``: ``"->"``,
    ``"--"`` not oriented, ``"<->"`` conflicting), then pairs found in at least 20 % of the
    resamples only (``found`` False); ``stability``: share of bootstrap resamples adjacent,
    ``same_direction`` / ``reverse_direction``: share oriented source -> target / the other way
    (None without bootstrap). ``dag``: the declared DAG's name and edges when one was given.
    """

    method: str
    nodes: list[str]
    edges: list[dict[str, Any]]
    rows: int
    n_bootstrap: int
    knowledge: dict[str, Any] = field(default_factory=dict)
    time_context: str | None = None
    time_nodes: list[str] = field(default_factory=list)
    dag: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def found(self) -> list[tuple[str, str, str]]:
        """(source, target, kind) of the edges of the graph."""
        return [(e["source"], e["target"], e["kind"]) for e in self.edges if e["found"]]

    def to_frame(self) -> pd.DataFrame:
        """The edges as a DataFrame (columns ``source``, ``target``, ``kind``, ``found``,
        ``stability``, ``same_direction``, ``reverse_direction``)."""
        return pd.DataFrame(self.edges, columns=_COLUMNS)

    def to_networkx(self) -> nx.DiGraph:
        """The graph as a ``networkx.DiGraph``: a directed edge once, an unoriented or
        conflicting one in both directions; attributes ``kind`` and ``stability``."""
        g = nx.DiGraph(method=self.method)
        g.add_nodes_from(self.nodes)
        for e in self.edges:
            if not e["found"]:
                continue
            attrs = {"kind": e["kind"], "stability": e["stability"]}
            g.add_edge(e["source"], e["target"], **attrs)
            if e["kind"] != "->":
                g.add_edge(e["target"], e["source"], **attrs)
        return g

    def compare(self, dag=None) -> dict[str, Any]:
        """Recovery of ``dag`` (default: the DAG given to ``discover``): skeleton precision,
        recall and F1, orientation accuracy, structural Hamming distance, and the DAG's edges
        missing, reversed or unoriented and the extra ones."""
        if dag is None:
            if self.dag is None:
                raise DataError("this graph was discovered without a DAG; pass the DAG to "
                                "compare with: graph.compare(dag)")
            dag_edges = [tuple(e) for e in self.dag["edges"]]
        else:
            dag_edges = load_dag(dag).edges
        return compare_to_dag(self.found, self.nodes, dag_edges)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, nodes, edges, knowledge, settings and, with a DAG, the
        comparison with it."""
        from causalsynth.evaluate.metric import jsonable

        return jsonable({
            "method": self.method, "nodes": self.nodes, "edges": self.edges,
            "rows": self.rows, "n_bootstrap": self.n_bootstrap, "knowledge": self.knowledge,
            "time_context": self.time_context, "time_nodes": self.time_nodes,
            "dag": self.dag, "comparison": self.compare() if self.dag else None,
            "params": self.params, "seconds": self.seconds, "summary": self.summary()})

    def summary(self) -> str:
        """The graph in a few lines: edges with their stability, then the comparison."""
        lines = [f"{self.method.upper()} on {self.rows:,} rows: {len(self.found)} edges"
                 + (f", stability over {self.n_bootstrap} resamples" if self.n_bootstrap
                    else "")]
        if self.time_context:
            lines.append(f"every test conditions on the time context ({self.time_context})"
                         if self.method == "pc" else
                         f"the time context ({self.time_context}) is partialled out first")
        for e in self.edges:
            if not e["found"]:
                continue
            stab = "" if e["stability"] is None else f"  (kept in {e['stability']:.0%})"
            lines.append(f"  {e['source']} {e['kind']} {e['target']}{stab}")
        if self.dag:
            c = self.compare()
            lines.append(f"against the DAG {self.dag['name']!r}: skeleton precision "
                         f"{_pct(c['skeleton_precision'])}, recall {_pct(c['skeleton_recall'])}"
                         f", orientation {_pct(c['orientation_accuracy'])}, SHD {c['shd']}")
            for key, what in (("missing", "declared, not found"), ("extra", "found, not "
                              "declared"), ("reversed", "found reversed")):
                if c[key]:
                    lines.append(f"  {what}: " + ", ".join(f"{e[0]} -> {e[1]}" if key !=
                                 "extra" else f"{e[0]} {e[2]} {e[1]}" for e in c[key]))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _knowledge_dict(k) -> dict[str, Any]:
    return {"tiers": k.tiers, "forbidden": [list(e) for e in k.forbidden],
            "required": [list(e) for e in k.required]}


def discover(table: pd.DataFrame, dag=None, method: str = "pc", seed=None,
             n_bootstrap: int = 20, alpha: float = 0.01,
             threshold: float = DISCOVERY_THRESHOLD, knowledge: bool = True,
             max_rows: int = MAX_ROWS, max_depth: int | None = None,
             time_aware: bool | None = None) -> DiscoveredGraph:
    """Discover a causal graph from ``table`` with causal-learn, roles as background knowledge.

    Parameters
    ----------
    table : DataFrame
        One column per node (with a DAG: its nodes, plus the time index and geo columns of a
        time-indexed DAG, which order the rows).
    dag : DAG, path or built-in name, optional
        Gives node types, roles (tiers: context → spend → mediator → outcome), the time axis
        and the ``discovery:`` block's forbidden and required edges; its edges are only used to
        compare with. Without one every column is a node, with no knowledge and no time.
    method : {"pc", "ges", "lingam"}
    seed : int or numpy Generator
    n_bootstrap : int
        Resamples for edge stability (0: none). Each resample reruns the whole discovery.
    alpha : float
        PC: significance level of each independence test.
    threshold : float
        PC: smallest effect (residual correlation weighted by unexplained variance, as in
        ``check_dag``) counted as a dependence.
    knowledge : bool
        Use the roles and the ``discovery:`` block (False: the data alone).
    max_rows : int
        Larger tables are subsampled (seeded; whole series of a time table). PC's time grows
        with the rows: about 70 s on weekly_mmm's 20,000 weeks, 4 min on a 40-geo panel of
        20,000 rows (2 shared cores).
    max_depth : int, optional
        PC: largest conditioning set (None: no limit).
    time_aware : bool, optional
        Condition on the time context (default: when the DAG declares ``time``).

    Returns
    -------
    DiscoveredGraph

    Raises
    ------
    DataError
        Fewer rows than :func:`min_rows` for the method, or a table that does not fit the DAG.
    DAGError
        A required edge that goes against the roles.

    Examples
    --------
    >>> import causalsynth as cs
    >>> dag = cs.load_dag("acquisition")
    >>> g = cs.discover(dag.simulate(2000, seed=0), dag, seed=0, n_bootstrap=0)
    >>> c = g.compare()
    >>> c["skeleton_precision"], c["skeleton_recall"], c["orientation_accuracy"]
    (1.0, 0.75, 1.0)
    """
    from causalsynth.evaluate._discovery_run import METHODS

    check_param("method", method, Options(set(METHODS)), owner="discover")
    check_param("n_bootstrap", n_bootstrap, Interval(int, 0, None), owner="discover")
    check_param("alpha", alpha, Interval(float, 0, 1, closed="neither"), owner="discover")
    check_param("threshold", threshold, Interval(float, 0, 1, closed="left"), owner="discover")
    check_param("max_rows", max_rows, Interval(int, 1, None), owner="discover")
    check_param("max_depth", max_depth, [Interval(int, 0, None), None], owner="discover")
    check_param("knowledge", knowledge, bool, owner="discover")
    check_param("time_aware", time_aware, [bool, None], owner="discover")
    return run_discovery(table, dag, method, seed, n_bootstrap, alpha=alpha,
                         threshold=threshold, knowledge=knowledge, max_rows=max_rows,
                         max_depth=max_depth, time_aware=time_aware)


def run_discovery(table: pd.DataFrame, dag, method: str, seed, n_bootstrap: int, *,
                  alpha: float = 0.01, threshold: float = DISCOVERY_THRESHOLD,
                  knowledge: bool = True, max_rows: int = MAX_ROWS,
                  max_depth: int | None = None, time_aware: bool | None = None,
                  allow_constant: bool = False) -> DiscoveredGraph:
    """:func:`discover` on checked parameters. ``allow_constant``: a constant column is a
    finding, not bad input (on a synthetic table: that node is found isolated)."""
    from causalsynth.evaluate._discovery_data import prepare
    from causalsynth.evaluate._discovery_knowledge import Knowledge, knowledge_from_dag
    from causalsynth.evaluate._discovery_run import run

    start = time.perf_counter()
    dag = None if dag is None else load_dag(dag)
    rng = as_generator(seed, owner="discover")
    prep = prepare(table, dag, max_rows, rng, time_aware=time_aware is not False,
                   allow_constant=allow_constant)
    need = min_rows(method, len(prep.nodes))
    if len(prep) < need:
        raise DataError(f"discover(method={method!r}) needs at least {need} rows for "
                        f"{len(prep.nodes)} nodes ({ROWS_PER_NODE[method]} per node, at least "
                        f"{ROWS_FLOOR[method]}); the table has {len(prep)}. Use a longer table "
                        f"or fewer nodes")
    know = (knowledge_from_dag(dag, list(prep.nodes), exogenous=prep.time_nodes)
            if dag is not None and knowledge else Knowledge(prep.nodes))
    settings = {"alpha": alpha, "threshold": threshold, "max_depth": max_depth}

    def once(p) -> list:
        m, _ = run(method, p, know, alpha, threshold, max_depth, child_seed(rng))
        return edges_from_matrix(m, prep.nodes)

    edges = once(prep)
    runs = []
    if n_bootstrap:
        periods = (len(prep) // prep.layout.n_geos
                   if prep.layout is not None and prep.layout.geo is not None else None)
        draw = resampler(dag if prep.layout is not None else None, periods)
        runs = [once(prep.take(draw(len(prep), len(prep), rng))) for _ in range(n_bootstrap)]
    rows = stability_rows(edges, pair_counts(runs), n_bootstrap)
    return DiscoveredGraph(
        method=method, nodes=list(prep.nodes), edges=rows, rows=len(prep),
        n_bootstrap=n_bootstrap, knowledge=_knowledge_dict(know),
        time_context=None if prep.layout is None else prep.layout.describe(),
        time_nodes=sorted(prep.time_nodes),
        dag=None if dag is None else {"name": dag.name, "edges": [list(e) for e in dag.edges]},
        params={**settings, "knowledge": knowledge, "max_rows": max_rows,
                "seed": seed if isinstance(seed, int) else None},
        seconds=time.perf_counter() - start)
