"""Every synthesizer on every built-in DAG, side by side in one run (the README's table).

Run by hand:  python benchmarks/bench_synthesizers.py [--epochs 300] [--only causal,gaussian_copula]

For each DAG (acquisition and saturation at 20,000 rows, ad_funnel at 10,000) it simulates a
real table and an equally large holdout, then ``causalsynth.compare`` fits each synthesizer
with the same budget, samples as many rows, and validates: fit and sample time, SDMetrics
quality, max ICI difference, max effect difference, independences broken, privacy figures and
the verdict. Prints one markdown table per DAG.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import causalsynth as cs

SIZES = {"acquisition": 20_000, "saturation": 20_000, "ad_funnel": 10_000}
COLUMNS = ["synthesizer", "fit_s", "sample_s", "quality", "max_ici_diff", "max_effect_diff",
           "independences_broken", "dcr_share", "membership_auc", "verdict", "error"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="neural synthesizers' epochs")
    parser.add_argument("--only", default=",".join(cs.available_synthesizers()))
    parser.add_argument("--dags", default=",".join(SIZES))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the row counts")
    args = parser.parse_args()
    names = args.only.split(",")
    specs = {n: ({"epochs": args.epochs} if n in ("ctgan", "tvae", "copulagan", "diffusion",
                                                  "wgan") else {}) for n in names}
    print(f"load average at start: {os.getloadavg()}")
    for dag_name in args.dags.split(","):
        dag = cs.load_dag(dag_name)
        rows = int(SIZES[dag_name] * args.scale)
        real, holdout = dag.simulate(rows, seed=1), dag.simulate(rows, seed=2)
        start = time.perf_counter()
        board = cs.compare(real, dag, synthesizers=specs, holdout=holdout, seed=0)
        table = board.leaderboard
        print(f"\n### {dag_name} ({rows} rows; {time.perf_counter() - start:.0f} s in all)\n")
        cols = [c for c in COLUMNS if c in table.columns]
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for row in table[cols].itertuples(index=False):
            cells = [f"{v:.3g}" if isinstance(v, float) else ("" if v is None else str(v))
                     for v in row]
            print("| " + " | ".join(cells) + " |")
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
