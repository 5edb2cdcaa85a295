"""Every synthesizer on every built-in DAG, side by side in one run (benchmarks/README.md's table).

Run by hand:  python benchmarks/bench_synthesizers.py [--epochs 100] [--only causal,gaussian_copula]
              [--dags acquisition,saturation,ad_funnel,robyn_weekly] [--out DIR]

For each simulated DAG (acquisition and saturation at 20,000 rows, ad_funnel at 10,000) it
draws a real table and an equally large holdout from the DAG, then ``causalsynth.comparison`` fits
each synthesizer, samples as many rows as it trained on, and validates: fit and sample time,
SDMetrics quality, max ICI difference (points), max effect difference (over the effects the
verdict judges), independences broken, privacy figures and the verdict. ``robyn_weekly`` has no
simulation block: it runs on the 208 real weeks shipped in ``examples/data`` (42 held out),
with the split-half reference row (two halves of the training weeks judged the same way).

The first row, ``fresh draw``, is not a synthesizer: it is another independent draw from the
DAG, measured the same way. It is the yardstick for the privacy figures (what an honest sample
scores: closer-to-train share, verbatim values) and for the noise floor of the causal ones.

Budgets: ctgan, tvae and copulagan get ``--epochs`` (SDV's default 300 takes ~15 minutes per
model at 20,000 rows on 2 cores); diffusion stops early by itself; wgan is capped at
``--wgan-seconds``. Prints one markdown table per DAG; ``--out`` also writes each comparison's
JSON there.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd

import causalsynth as cs
from causalsynth.synthesizers.base import Synthesizer

SIZES = {"acquisition": 20_000, "saturation": 20_000, "ad_funnel": 10_000}
COLUMNS = ["synthesizer", "fit_s", "sample_s", "quality", "max_ici_diff", "max_effect_diff",
           "independences_broken", "closer_to_train", "copies", "verbatim", "membership_auc",
           "verdict"]


class FreshDraw(Synthesizer):
    """Not a synthesizer: a new independent draw from the DAG's simulation (the yardstick)."""

    name = "fresh draw"

    def _fit(self, data, dag):
        self.dag_ = dag

    def _sample(self, n, rng, **kwargs):
        return self.dag_.simulate(n, seed=int(rng.integers(2**31 - 1)))


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def _table(board) -> pd.DataFrame:
    table = board.leaderboard.copy()
    table["closer_to_train"] = table["dcr_share"]
    privacy = {name: rep["privacy"] for name, rep in board.to_dict()["reports"].items()}
    for col, metric in [("copies", "exact_copies"), ("verbatim", "verbatim_value_rate")]:
        table[col] = [(privacy.get(s, {}).get(metric) or {}).get("value")
                      for s in table["synthesizer"]]
    table["verdict"] = [v if isinstance(v, str) else f"error: {e}"
                        for v, e in zip(table["verdict"], table["error"], strict=True)]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="ctgan/tvae/copulagan epochs")
    parser.add_argument("--wgan-seconds", type=float, default=300.0)
    parser.add_argument("--only", default=",".join(cs.available_synthesizers()))
    parser.add_argument("--dags", default=",".join([*SIZES, "robyn_weekly"]))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the row counts")
    parser.add_argument("--out", type=Path, help="folder for the comparisons' JSON")
    args = parser.parse_args()
    budgets = {"ctgan": {"epochs": args.epochs}, "tvae": {"epochs": args.epochs},
               "copulagan": {"epochs": args.epochs}, "wgan": {"max_seconds": args.wgan_seconds}}
    print(f"load average at start: {os.getloadavg()}")
    for dag_name in args.dags.split(","):
        dag = cs.load_dag(dag_name)
        # series synthesizers (par) need a time-indexed DAG; bench_series.py measures them
        names = [n for n in args.only.split(",") if n != "par" or dag.time is not None]
        if dag_name in SIZES:
            rows = int(SIZES[dag_name] * args.scale)
            real, holdout = dag.simulate(rows, seed=1), dag.simulate(rows, seed=2)
            synths = [FreshDraw()] + [cs.make_synthesizer(n, **budgets.get(n, {}))
                                      for n in names]
        else:  # real weeks: no DAG simulation, so no fresh draw; compare holds 20% out
            real, holdout = cs.load_example(dag_name), None
            synths = [cs.make_synthesizer(n, **budgets.get(n, {})) for n in names]
        start = time.perf_counter()
        board = cs.compare(real, dag, synthesizers=synths, holdout=holdout, seed=0,
                           reference=dag_name not in SIZES)  # real data: split-half row
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            board.to_json(args.out / f"{dag_name}.json")
        table = _table(board)
        print(f"\n### {dag_name} ({board.meta['n_train']} training rows, "
              f"{board.meta['n_holdout']} holdout; {time.perf_counter() - start:.0f} s in all)\n")
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
        for row in table[COLUMNS].itertuples(index=False):
            print("| " + " | ".join(_cell(v) for v in row) + " |", flush=True)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
