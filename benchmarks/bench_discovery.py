"""Causal discovery: does ``discover`` recover the built-in DAGs, next to causal-learn's own
PC and GES at their defaults?

Run by hand:  python benchmarks/bench_discovery.py [--rows 1000 20000] [--seeds 10]
              [--first-seed 0]
              [--dags acquisition ...] [--methods pc ges lingam cl_pc cl_ges]
              python benchmarks/bench_discovery.py --real      # the shipped real tables

For every built-in DAG with a ``simulation`` block (acquisition, ad_funnel, geo_mmm,
saturation, weekly_mmm), each table size and seed, the table is simulated and every method
runs on it once (no bootstrap):

* ``pc``, ``ges``, ``lingam``: :func:`causalsynth.discover` with the DAG's roles and time axis
  (its edges are never shown to the method);
* ``cl_pc``: causal-learn's ``pc`` at its defaults (Fisher z, alpha 0.05), ``cl_ges``: its
  ``ges`` (BIC), both on the nodes' values (category codes), with no knowledge and no time.

Per run: skeleton precision and recall, orientation accuracy (of the true edges found, the
share oriented the true way; unoriented counts as wrong), SHD, seconds and the rows the method
read (``rows_used``: ``discover`` subsamples above its ``max_rows``), one JSON line each
in benchmarks/results/discovery.jsonl; a table of means per DAG, size and method is printed.
A time DAG's table of ``rows`` rows is that many weeks (a panel: geos x weeks).

``--real``: on Robyn, Meridian national and the online shop (examples/data/), PC and GES with
the DAG's knowledge and 20 resamples; prints each graph beside the shipped DAG (missing,
extra and reversed edges with their stability); JSON lines in
benchmarks/results/discovery_real.jsonl.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from run_info import git_state, machine_load

import causalsynth as cs
from causalsynth.dag import builtin_dags
from causalsynth.data import check_data, code_matrix
from causalsynth.evaluate._discovery_graph import compare_to_dag, edges_from_matrix
from causalsynth.evaluate._discovery_run import baseline

RESULTS = Path(__file__).parent / "results" / "discovery.jsonl"
REAL_RESULTS = Path(__file__).parent / "results" / "discovery_real.jsonl"
OURS = ("pc", "ges", "lingam")
PEERS = ("cl_pc", "cl_ges")
REAL = ("robyn_weekly", "meridian_national", "online_shop")


def simulated_dags() -> list[str]:
    return [n for n in builtin_dags() if cs.load_dag(n).simulation is not None]


def one_run(dag, table, method: str, seed: int) -> dict:
    start = time.perf_counter()
    used = len(table)
    if method in OURS:
        graph = cs.discover(table, dag, method=method, seed=seed, n_bootstrap=0)
        found, used = graph.found, graph.rows  # discover subsamples above its max_rows
    else:
        clean = check_data(table, dag)
        found = edges_from_matrix(baseline(method[3:], code_matrix(clean, dag), dag.nodes),
                                  dag.nodes)
    seconds = time.perf_counter() - start
    c = compare_to_dag(found, dag.nodes, dag.edges)
    return {k: c[k] for k in ("skeleton_precision", "skeleton_recall", "orientation_accuracy",
                              "shd", "found_edges", "true_edges")} | {"seconds": seconds,
                                                                      "rows_used": used}


def bench(args) -> None:
    rows_out = []
    state, load = git_state(), machine_load()
    for name in args.dags or simulated_dags():
        dag = cs.load_dag(name)
        for n in args.rows:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                table = dag.simulate(n, seed=seed)
                for method in args.methods:
                    r = one_run(dag, table, method, seed)
                    rec = {"dag": name, "rows": n, "seed": seed, "method": method, **r,
                           "commit": state, "load": load,
                           "date": datetime.date.today().isoformat()}
                    rows_out.append(rec)
                    with RESULTS.open("a") as fh:
                        fh.write(json.dumps(rec) + "\n")
                    print(f"{name:12s} {n:6d} seed {seed} {method:7s} "
                          f"P {_f(r['skeleton_precision'])} R {_f(r['skeleton_recall'])} "
                          f"O {_f(r['orientation_accuracy'])} SHD {r['shd']:2d} "
                          f"{r['seconds']:.2f} s", flush=True)
    _table(rows_out)


def _f(x) -> str:
    return " n/a" if x is None else f"{x:.2f}"


#: discover's default max_rows before it read 20,000 rows (results without ``rows_used``)
OLD_MAX_ROWS = 10_000


def _used(r: dict) -> int:
    """Rows a run's method read (older results: ours capped at the old default)."""
    if "rows_used" in r:
        return r["rows_used"]
    return min(r["rows"], OLD_MAX_ROWS) if r["method"] in OURS else r["rows"]


def _table(rows: list[dict]) -> None:
    print("\nmeans: dag, rows, rows read, method | precision recall orientation SHD seconds")
    keys = sorted({(r["dag"], r["rows"], _used(r), r["method"]) for r in rows},
                  key=lambda k: (k[0], k[1], k[2], (OURS + PEERS).index(k[3])))
    for key in keys:
        sel = [r for r in rows if (r["dag"], r["rows"], _used(r), r["method"]) == key]

        def mean(k, sel=sel):
            v = [r[k] for r in sel if r[k] is not None]
            return float(np.mean(v)) if v else None

        print(f"{key[0]:12s} {key[1]:6d} {key[2]:6d} {key[3]:7s} | "
              f"{_f(mean('skeleton_precision'))} "
              f"{_f(mean('skeleton_recall'))} {_f(mean('orientation_accuracy'))} "
              f"{mean('shd'):5.1f} {mean('seconds'):7.2f}  (n={len(sel)})")


def real(args) -> None:
    for name in REAL:
        table, dag = cs.load_example(name), cs.load_dag(name)
        for method in ("pc", "ges"):
            graph = cs.discover(table, dag, method=method, seed=0, n_bootstrap=args.bootstrap)
            print(f"\n=== {name} ({method}) ===\n{graph.summary()}")
            with REAL_RESULTS.open("a") as fh:
                fh.write(json.dumps({"dag": name, **graph.to_dict(), "commit": git_state(),
                                     "date": datetime.date.today().isoformat()}) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[1000])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0, help="seeds first-seed, ... (resume)")
    p.add_argument("--dags", nargs="+")
    p.add_argument("--methods", nargs="+", default=[*OURS, *PEERS])
    p.add_argument("--real", action="store_true")
    p.add_argument("--summary", action="store_true", help="the table of means from the results")
    p.add_argument("--bootstrap", type=int, default=20)
    args = p.parse_args()
    RESULTS.parent.mkdir(exist_ok=True)
    if args.summary:
        rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
        _table(rows)
    else:
        real(args) if args.real else bench(args)


if __name__ == "__main__":
    main()
