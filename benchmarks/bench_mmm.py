"""fit_mmm against the weekly_mmm truth over many seeds (run by hand).

For each seed, 156 weeks are simulated and fitted with a moving-block bootstrap; per channel the
ROAS error (relative), the decay error (absolute), the share error (points) and whether the
95 % bootstrap interval holds the true ROAS are recorded, with the seconds per fit. As a floor
the same is done for an oracle that is given the true adstock and Hill parameters and estimates
only the linear coefficients: what the data identify when nothing nonlinear is estimated.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mmm.py --seeds 20 --n-bootstrap 50

A table is printed and one JSON line per channel is appended to benchmarks/results/mmm.jsonl.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from causalsynth import load_dag
from causalsynth.evaluate.mmm import fit_mmm

RESULTS = Path(__file__).parent / "results" / "mmm.jsonl"


def oracle_roas(table: pd.DataFrame, dag) -> dict[str, float]:
    """ROAS when the declared adstock and Hill parameters are known (OLS on the rest)."""
    from causalsynth.media import adstock
    from causalsynth.media import hill as hill_curve

    sim = dag.simulation[dag.outcome]
    channels = list(sim["carryover"])
    controls = [p for p in dag.parents(dag.outcome) if p not in channels]
    cols = [np.ones(len(table)), *[table[c].to_numpy(float) for c in controls]]

    def hill(x: np.ndarray, c: str) -> np.ndarray:
        z = adstock(x, sim["carryover"][c]["decay"], sim["carryover"][c]["max_lag"])
        return hill_curve(z, sim["saturation"][c]["half"], sim["saturation"][c]["shape"])

    media = [hill(table[c].to_numpy(float), c) for c in channels]
    coef, *_ = np.linalg.lstsq(np.column_stack(cols + media), table[dag.outcome].to_numpy(),
                               rcond=None)
    return {c: float(coef[len(cols) + i] * media[i].sum() / table[c].sum())
            for i, c in enumerate(channels)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--n-bootstrap", type=int, default=50)
    args = parser.parse_args()
    dag = load_dag("weekly_mmm")
    truth = dag.ground_truth().mmm.set_index("channel")
    carry = dag.simulation[dag.outcome]["carryover"]
    rows = []
    for seed in range(1, args.seeds + 1):
        table = dag.simulate(args.weeks, seed=seed)
        t0 = time.perf_counter()
        fit_mmm(table, dag)  # point estimate alone, timed
        seconds = time.perf_counter() - t0
        fit = fit_mmm(table, dag, seed=seed, n_bootstrap=args.n_bootstrap)
        oracle = oracle_roas(table, dag)
        for _, r in fit.channels.iterrows():
            t = truth.loc[r["channel"]]
            rows.append({
                "seed": seed, "channel": r["channel"],
                "roas_err": r["roas"] / t["roas"] - 1,
                "oracle_roas_err": oracle[r["channel"]] / t["roas"] - 1,
                "decay_err": r["decay"] - carry[r["channel"]]["decay"],
                "share_err": r["contribution_share"] - t["contribution_share"],
                "mroas_err": r["mroas"] / t["mroas"] - 1,
                "covered": bool(r["roas_low"] <= t["roas"] <= r["roas_high"]),
                "seconds_per_fit": seconds, "seconds_with_bootstrap": fit.seconds})
        print(f"seed {seed}: {seconds:.2f} s per fit, {fit.seconds:.1f} s with bootstrap",
              flush=True)
    df = pd.DataFrame(rows)
    summary = df.groupby("channel", sort=False).agg(
        roas_err_median=("roas_err", lambda x: x.abs().median()),
        roas_err_max=("roas_err", lambda x: x.abs().max()),
        within_15pct=("roas_err", lambda x: int((x.abs() <= 0.15).sum())),
        oracle_roas_err_median=("oracle_roas_err", lambda x: x.abs().median()),
        mroas_err_median=("mroas_err", lambda x: x.abs().median()),
        decay_err_median=("decay_err", lambda x: x.abs().median()),
        decay_within_0_1=("decay_err", lambda x: int((x.abs() <= 0.1 + 1e-9).sum())),
        share_err_median=("share_err", lambda x: x.abs().median()),
        share_err_max=("share_err", lambda x: x.abs().max()),
        coverage=("covered", "sum"),
        seconds_per_fit=("seconds_per_fit", "median"))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\n{args.seeds} seeds x {args.weeks} weeks, {args.n_bootstrap} block-bootstrap "
              f"refits (coverage: seeds whose 95 % interval holds the true ROAS)")
        print(summary.round(3).to_string())
    RESULTS.parent.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with RESULTS.open("a") as fh:
        for channel, s in summary.iterrows():
            fh.write(json.dumps({"date": stamp, "channel": channel, "seeds": args.seeds,
                                 "weeks": args.weeks, "n_bootstrap": args.n_bootstrap,
                                 "python": platform.python_version(),
                                 **{k: float(v) for k, v in s.items()}}) + "\n")


if __name__ == "__main__":
    main()
