"""Is the verdict right? False alarms on independent draws, detection of broken structure,
and real SDV synthesizers on the acquisition case.

Run by hand:  python benchmarks/bench_verdict.py [--rows 20000] [--seeds 20] [--epochs 300]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import causalsynth as cs
from causalsynth.evaluate.causal import compare_causal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--skip-sdv", action="store_true")
    args = parser.parse_args()
    dag = cs.load_dag("acquisition")
    print(f"load average at start: {os.getloadavg()}")

    verdicts, times = [], []
    for s in range(args.seeds):
        real = dag.simulate(args.rows, seed=1000 + s)
        fresh = dag.simulate(args.rows, seed=2000 + s)
        start = time.perf_counter()
        out = compare_causal(real, fresh, dag, seed=s)
        times.append(time.perf_counter() - start)
        verdicts.append(out["verdict"])
        worst = max(abs(r["diff_pp"]) for r in out["ici"])
        print(f"seed {s}: {out['verdict']}, largest ICI difference {worst:.2f} points")
    print(f"\nindependent draws: preserved in {verdicts.count('preserved')} of {args.seeds} "
          f"(median compare time {np.median(times):.1f} s)")

    real = dag.simulate(args.rows, seed=1)
    broken = {}
    shuffled = dag.simulate(args.rows, seed=2)
    shuffled["tv_spend"] = np.random.default_rng(0).permutation(shuffled["tv_spend"].to_numpy())
    broken["tv_spend shuffled"] = shuffled
    spec = dag.to_dict()
    spec["simulation"]["social_clicks"]["coefficients"]["tv_spend"] = 0.25
    broken["tv_spend -> social_clicks halved"] = cs.load_dag(spec).simulate(args.rows, seed=2)
    spec = dag.to_dict()
    spec["simulation"]["revenue"]["coefficients"]["social_clicks"] = 0.0
    broken["revenue without social_clicks"] = cs.load_dag(spec).simulate(args.rows, seed=2)
    print("\n| broken table | verdict | first reason |\n|---|---|---|")
    for name, table in broken.items():
        out = compare_causal(real, table, dag, seed=0)
        print(f"| {name} | {out['verdict']} | {out['reasons'][0]} |")

    if args.skip_sdv:
        return
    print(f"\nSDV synthesizers, {args.epochs} epochs for the neural ones:")
    print("| synthesizer | fit s | quality | max ICI diff | tv effect (gcm) real -> synthetic | "
          "verdict |\n|---|---|---|---|---|---|")
    from causalsynth.data import check_data, sdmetrics_metadata
    from causalsynth.evaluate.fidelity import quality_report

    for name in ("gaussian_copula", "ctgan", "copulagan", "tvae"):
        params = {} if name == "gaussian_copula" else {"epochs": args.epochs}
        start = time.perf_counter()
        synth = cs.make_synthesizer(name, **params).fit(real, dag)
        fit_s = time.perf_counter() - start
        table = synth.sample(args.rows, seed=0)
        out = compare_causal(real, table, dag, seed=0)
        quality = quality_report(check_data(real, dag), check_data(table, dag),
                                 sdmetrics_metadata(dag))["score"]
        tv = next(r for r in out["effects"] if r["treatment"] == "tv_spend"
                  and r["kind"] == "per_unit" and r["method"] == "gcm")
        worst = max(abs(r["diff_pp"]) for r in out["ici"])
        print(f"| {name} | {fit_s:.0f} | {quality:.1%} | {worst:.1f} | {tv['real']:.3f} -> "
              f"{tv['synthetic']:.3f} ({tv['rel_diff']:+.0%}) | {out['verdict']} |")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
