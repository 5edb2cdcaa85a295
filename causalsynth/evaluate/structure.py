"""The structure the data show, beyond the declared DAG: discovered on the real table and on
the synthetic one, compared, beside what sampling noise alone does.

The verdict judges a synthetic table on the declared DAG only; a synthesizer that drops a
dependence the DAG does not test, or invents one it does not mention, goes unseen there. This
section runs :func:`~causalsynth.discover` (GES with the DAG's roles as knowledge; on a time
table with trend and season partialled out) on both tables and lists how the synthetic graph
differs from the real one: the structural Hamming distance (node pairs whose edges differ),
the edges *lost* (found on the real table, not on the synthetic one), *gained* and
*reoriented*, each with its stability on both tables.

The **split-half reference** is what sampling noise alone does: the real table is split in two
halves ``n_splits`` times (rows at random; for a time table whole geos of a panel, or
alternating quarters of one series from a random start), each half discovered and the two
graphs compared the same way. The synthetic table is split the same way (a faithful table is
another sample of the same population: its halves show sampling noise as the real table's
do). An edge's **stability** on a table is the share of its ``2 n_splits`` halves whose graph
keeps the pair adjacent (the half-sample stability of Meinshausen and Bühlmann's stability
selection). A difference is *seen between halves* when the same node pair also differs between
the two halves of one split, of either table: noise alone moves it. The synthetic table is
**within the reference** when every difference is seen between halves; a pair on which all
the halves of each table agree, but the two tables disagree, is a difference noise does not
explain. The real and synthetic graphs see twice the rows of a half (at most 20,000 and
10,000 rows: larger tables are subsampled), so their own noise is smaller than the halves'.

Measured (``benchmarks/bench_structure.py``, ``acquisition`` and ``saturation`` at 20,000
rows): a fresh draw is within the reference in 40 of 40 seeds, the ``causal`` synthesizer in 38
of 40; ctgan and tvae at 30 epochs are beyond in 19 of 20 runs (the one within: tvae, whose
own halves disagree on as many pairs as it differs from the real graph). A rule on the SHD
against the real table's halves alone (SHD at most their largest) put a fresh draw of
``acquisition`` beyond in 2 of 20 seeds; against either table's halves it missed ctgan in 4 of
10 runs. The section is informational: it does not join the verdict, and these rates are
measured, not guaranteed. It holds node names,
edges and shares only, never a row. A failure is recorded as ``error``, a table too small to
discover as ``skipped``; neither stops ``validate``.

References
----------
Meinshausen, Bühlmann. "Stability selection." JRSS B 72(4), 2010.

Examples
--------
>>> import causalsynth as cs
>>> from causalsynth.evaluate._shared import Tables
>>> dag = cs.load_dag("saturation")
>>> real, fresh = dag.simulate(2000, seed=0), dag.simulate(2000, seed=1)
>>> s = structure_section(Tables(dag, real, fresh), seed=0)
>>> s["judged"], s["shd"], s["within_reference"]
(False, 0, True)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.evaluate._discovery_graph import compare_graphs
from causalsynth.evaluate.discovery import DiscoveredGraph, min_rows, run_discovery

__all__ = ["STRUCTURE_METHOD", "STRUCTURE_SPLITS", "structure_section"]

#: GES: about 0.05 to 0.3 s a run whatever the rows, where the time-aware PC takes seconds
STRUCTURE_METHOD = "ges"
#: split halves of each table: the reference and the edges' stability
STRUCTURE_SPLITS = 5
#: rows of a half at most (the real and synthetic graphs: twice as many)
HALF_ROWS = 10_000
#: nodes beyond which validate skips the section: GES's search grows fast with the nodes
#: (measured at 1,000 rows: about 0.2 s a run at 16 nodes, 0.6 s at 20, 1.3 s at 25; the
#: section runs 22)
MAX_NODES = 16
NOTE = ("informational: the discovered structure does not join the verdict, which judges "
        "the declared DAG's quantities")


def structure_section(tables, seed, method: str = STRUCTURE_METHOD,
                      n_splits: int = STRUCTURE_SPLITS, max_nodes: int = MAX_NODES
                      ) -> dict[str, Any]:
    """The discovered-structure section of a report (see the module notes).

    Parameters
    ----------
    tables : Tables
        ``real`` and ``synthetic`` (checked, in canonical row order), ``dag`` and ``periods``.
    seed : int or numpy Generator
    method : {"ges", "pc", "lingam"}
    n_splits : int
        Splits of each table into halves (at least 1).
    max_nodes : int
        A DAG with more nodes is skipped (with the reason).

    Returns
    -------
    dict
        ``shd``, ``lost``, ``gained``, ``reoriented`` (rows with the pair's ``source`` and
        ``target``, the edge as ``real`` and ``synthetic`` spell it, such as ``"a -> b"``
        (None where absent), ``real_stability``, ``synthetic_stability`` and
        ``between_halves``), the two graphs'
        ``real_edges`` and ``synthetic_edges`` (with their stability), ``reference``
        (``shd`` of the real table's splits, ``synthetic_shd`` of the synthetic table's,
        ``max_shd`` of both, ``cross_shd`` of each real half against a synthetic half,
        ``noisy_pairs``: the pairs seen between halves), ``within_reference``, ``summary``,
        ``judged``
        (always False), ``note``, ``seconds``; or ``error`` / ``skipped`` with the reason.
    """
    start = time.perf_counter()
    try:
        out = _section(tables, seed, method, n_splits, max_nodes)
    except Exception as exc:  # informational: a failure is recorded, never sinks the report
        out = {"error": f"{type(exc).__name__}: {exc}"}
    return {**out, "method": method, "judged": False, "note": NOTE,
            "seconds": time.perf_counter() - start}


def _section(tables, seed, method: str, n_splits: int, max_nodes: int) -> dict[str, Any]:
    dag: DAG = tables.dag
    if len(dag.nodes) > max_nodes:
        return {"skipped": f"the DAG has {len(dag.nodes)} nodes; discovery on both tables and "
                           f"{4 * n_splits} half tables grows fast with the nodes, so it runs "
                           f"up to {max_nodes}; call causalsynth.discover on each table to "
                           f"see their graphs"}
    rng = as_generator(seed)
    need = min_rows(method, len(dag.nodes))
    real = _located(tables.real, dag, tables.periods[0])
    syn = _located(tables.synthetic, dag, tables.periods[1])
    if len(real) < need:
        return {"skipped": f"discovery ({method}) needs at least {need} rows for "
                           f"{len(dag.nodes)} nodes; the real table has {len(real)}"}
    graphs = [run_discovery(t, dag, method, child_seed(rng), 0, max_rows=2 * HALF_ROWS,
                            allow_constant=True) for t in (real, syn)]
    diff = compare_graphs(graphs[0].found, graphs[1].found, graphs[0].nodes)
    small = min(len(real), len(syn)) // 2
    if small < need:
        which = "real" if len(real) <= len(syn) else "synthetic"
        ref: dict[str, Any] = {"skipped": f"a half of the {which} table would hold {small} "
                                          f"rows; discovery ({method}) needs {need}: no "
                                          f"reference, no stability"}
        stab = None
    else:
        halves = [_split(t, dag, p, method, rng, n_splits)
                  for t, p in ((real, tables.periods[0]), (syn, tables.periods[1]))]
        stab = [_stability(h) for h in halves]
        shd = [h["shd"] for h in halves[0]]
        cross = [compare_graphs(r["graphs"][i], s["graphs"][i], graphs[0].nodes)["shd"]
                 for r, s in zip(*halves, strict=True) for i in (0, 1)]
        syn_shd = [h["shd"] for h in halves[1]]
        noisy = set().union(*(h["pairs"] for side in halves for h in side))
        ref = {"n_splits": n_splits, "rows": halves[0][0]["rows"], "shd": shd,
               "synthetic_shd": syn_shd, "max_shd": max(shd + syn_shd), "cross_shd": cross,
               "noisy_pairs": sorted(" - ".join(sorted(p)) for p in noisy)}
    out = {"nodes": graphs[0].nodes, "tiers": graphs[0].knowledge.get("tiers"),
           "time_context": graphs[0].time_context,
           "rows": {"real": graphs[0].rows, "synthetic": graphs[1].rows},
           "real_edges": _edges(graphs[0], None if stab is None else stab[0]),
           "synthetic_edges": _edges(graphs[1], None if stab is None else stab[1]),
           "shd": diff["shd"],
           **{key: [_row(e, key, stab, None if stab is None else noisy) for e in diff[key]]
              for key in ("lost", "gained", "reoriented")},
           "reference": ref}
    rows = out["lost"] + out["gained"] + out["reoriented"]
    out["within_reference"] = None if stab is None else all(r["between_halves"] for r in rows)
    out["summary"] = _summary(out)
    return out


def _row(edge: list, key: str, stab: list[dict[frozenset, float]] | None,
         noisy: set[frozenset] | None) -> dict[str, Any]:
    a, b, kind, *other = edge
    pair, spelled = frozenset((a, b)), f"{a} {kind} {b}"
    return {"source": a, "target": b, "real": None if key == "gained" else spelled,
            "synthetic": spelled if key == "gained" else other[0] if other else None,
            "real_stability": None if stab is None else stab[0].get(pair, 0.0),
            "synthetic_stability": None if stab is None else stab[1].get(pair, 0.0),
            "between_halves": None if noisy is None else pair in noisy}


def _edges(graph: DiscoveredGraph, stab: dict[frozenset, float] | None
           ) -> list[dict[str, Any]]:
    return [{"source": a, "target": b, "kind": kind,
             "stability": None if stab is None else stab.get(frozenset((a, b)), 0.0)}
            for a, b, kind in graph.found]


def _stability(splits: list[dict[str, Any]]) -> dict[frozenset, float]:
    """Pair -> share of the halves whose graph has it."""
    graphs = [g for s in splits for g in s["graphs"]]
    counts: dict[frozenset, int] = {}
    for found in graphs:
        for a, b, _ in found:
            counts[frozenset((a, b))] = counts.get(frozenset((a, b)), 0) + 1
    return {p: c / len(graphs) for p, c in counts.items()}


def _split(table: pd.DataFrame, dag: DAG, periods: int | None, method: str, rng,
           n_splits: int) -> list[dict[str, Any]]:
    """Each split of ``table`` into halves: both halves' edges, their distance, the pairs
    where they differ, the rows."""
    out = []
    for _ in range(n_splits):
        a, b = _halves(table, dag, periods, child_seed(rng))
        ga, gb = (run_discovery(h, dag, method, child_seed(rng), 0, max_rows=HALF_ROWS,
                                allow_constant=True) for h in (a, b))
        d = compare_graphs(ga.found, gb.found, ga.nodes)
        out.append({"shd": d["shd"], "rows": min(ga.rows, gb.rows),
                    "graphs": (ga.found, gb.found),
                    "pairs": {frozenset(e[:2])
                              for e in d["lost"] + d["gained"] + d["reoriented"]}})
    return out


def _located(table: pd.DataFrame, dag: DAG, periods: int | None) -> pd.DataFrame:
    """A checked table (nodes only, series after series) with its time index (and geo) column
    put back, so that discovery places each row in time and a half keeps the true weeks."""
    if dag.time is None:
        return table
    n = len(table)
    per = periods if dag.time.geo is not None and periods else n
    extra = {dag.time.index: np.arange(n) % per}
    if dag.time.geo is not None:
        extra[dag.time.geo] = [f"geo{g}" for g in np.arange(n) // per]
    return table.assign(**extra)


def _halves(table: pd.DataFrame, dag: DAG, periods: int | None, seed: int
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two halves of a table, at random: rows (not stratified as ``split_half`` deals them:
    on a table of labels its halves match in every label combination, far closer than two
    samples are); for a time table geos (a panel) or alternating quarters from a random start
    (one series), the index column kept."""
    rng = as_generator(seed)
    n = len(table)
    if dag.time is None:
        side = np.zeros(n, dtype=int)
        side[rng.permutation(n)[: n // 2]] = 1
    elif dag.time.geo is not None and periods and n // periods > 1:
        geos = n // periods
        side_of = np.zeros(geos, dtype=int)
        side_of[rng.permutation(geos)[: geos // 2]] = 1
        side = side_of[np.arange(n) // periods]
    else:
        run = max(2, dag.time.period // 4)
        side = ((np.arange(n) + int(rng.integers(run))) // run) % 2
    return (table[side == 0].reset_index(drop=True), table[side == 1].reset_index(drop=True))


def _summary(s: dict[str, Any]) -> str:
    ref = s["reference"]
    lines = [f"discovered on {s['rows']['real']:,} real and {s['rows']['synthetic']:,} "
             f"synthetic rows: SHD {s['shd']} ({len(s['lost'])} edges lost, "
             f"{len(s['gained'])} gained, {len(s['reoriented'])} reoriented)",
             f"split-half reference skipped: {ref['skipped']}" if ref.get("skipped") else
             f"split-half reference ({ref['n_splits']} splits of each table into halves of "
             f"{ref['rows']:,} rows): SHD {min(ref['shd'])} to {max(ref['shd'])} between real "
             f"halves, {min(ref['synthetic_shd'])} to {max(ref['synthetic_shd'])} between "
             f"synthetic halves; "
             + _verdict_words(s)]
    for key in ("lost", "gained", "reoriented"):
        for e in s[key]:
            lines.append(f"  {key}: {e['real'] or e['synthetic']}"
                         + (f" (synthetic: {e['synthetic']})" if key == "reoriented" else "")
                         + ("" if e["real_stability"] is None else
                            f" (kept in {e['real_stability']:.0%} of real halves, "
                            f"{e['synthetic_stability']:.0%} of synthetic halves; "
                            + ("differs between halves too)" if e["between_halves"] else
                               "never between halves)")))
    lines.append(NOTE)
    return "\n".join(lines)


def _verdict_words(s: dict[str, Any]) -> str:
    rows = s["lost"] + s["gained"] + s["reoriented"]
    alone = sum(not r["between_halves"] for r in rows)
    if not rows:
        return "no difference"
    return ("within it: every difference also appears between two halves of one table"
            if not alone else f"beyond it: {alone} of {len(rows)} differences never appear "
                              f"between two halves of one table")
