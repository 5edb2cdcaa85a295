"""How often the private bounds of the DP ``causal`` synthesizer fall back to a default range.

The DP fit (``make_synthesizer("causal", epsilon=...)``) buys each numeric node's bounds with
a share of its budget when the DAG declares no ``range``. When no noisy histogram bin stands
out of the noise, the bounds used to fall back to (-1, 1) (or (0, 1) for counts), so every
synthetic value of a column with a median of 98,412 landed in [-1, 1]. This script fits the
built-in ``acquisition`` DAG (no declared ranges) at 300 / 1,000 / 3,000 rows and epsilon
1 / 3 / 10 over several seeds and records, per numeric node: whether its bounds came from a
fallback, and the share of real values inside the bounds.

Run (about a minute on 2 cores)::

    OMP_NUM_THREADS=1 python benchmarks/bench_dp_bounds.py --label after --seeds 10

A line per (rows, epsilon) goes to ``benchmarks/results/dp_bounds.jsonl``: ``label``,
``rows``, ``epsilon``, ``fits``, ``fallback_rate`` (share of node fits whose bounds fell
back), ``fits_with_fallback`` (share of fits with at least one), ``coverage_median`` (median
share of real values inside the bounds), and the seconds taken.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

import causalsynth as cs

RESULTS = Path(__file__).parent / "results" / "dp_bounds.jsonl"
DEFAULTS = {(-1.0, 1.0), (0.0, 1.0)}


def one_fit(dag, rows: int, epsilon: float, seed: int) -> list[dict]:
    real = dag.simulate(rows, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = cs.make_synthesizer("causal", epsilon=epsilon, random_state=seed).fit(real, dag)
    sources = synth.guarantee_["bounds"]
    out = []
    for node, (lo, hi) in synth.ranges_.items():
        x = real[node].to_numpy(float)
        fell_back = sources.get(node) == "fallback" or (float(lo), float(hi)) in DEFAULTS
        out.append({"node": node, "fallback": bool(fell_back),
                    "coverage": float(np.mean((x >= lo) & (x <= hi)))})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="e.g. before / after")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", default="300,1000,3000")
    parser.add_argument("--epsilons", default="1,3,10")
    args = parser.parse_args()
    dag = cs.load_dag("acquisition")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for rows in (int(r) for r in args.rows.split(",")):
        for epsilon in (float(e) for e in args.epsilons.split(",")):
            t0 = time.perf_counter()
            fits = [one_fit(dag, rows, epsilon, seed) for seed in range(args.seeds)]
            nodes = [n for fit in fits for n in fit]
            line = {"label": args.label, "dag": "acquisition", "rows": rows,
                    "epsilon": epsilon, "fits": len(fits),
                    "fallback_rate": round(float(np.mean([n["fallback"] for n in nodes])), 4),
                    "fits_with_fallback": round(float(np.mean(
                        [any(n["fallback"] for n in fit) for fit in fits])), 4),
                    "coverage_median": round(float(np.median([n["coverage"] for n in nodes])),
                                             4),
                    "coverage_min": round(float(np.min([n["coverage"] for n in nodes])), 4),
                    "seconds": round(time.perf_counter() - t0, 1)}
            print(json.dumps(line), flush=True)
            with RESULTS.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
