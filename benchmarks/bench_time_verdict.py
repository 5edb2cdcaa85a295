"""The verdict on time-indexed tables: false alarms on fresh series, power on broken carryover.

For each seed, a "real" weekly series and a fresh one are simulated from ``weekly_mmm``
(national, 156 weeks; ``--dag geo_mmm`` for the panel) and compared with
``compare_causal``; a fresh series whose TV spend is shifted by 8 weeks against revenue
(carryover destroyed) is compared too. Targets: the fresh series is "not preserved" in at
most 1 of 20 seeds; the shifted series is "not preserved" in every seed.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_time_verdict.py --seeds 20

One JSON line per comparison is appended to benchmarks/results/time_verdict.jsonl; a summary
is printed at the end (and with --summary alone).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from causalsynth import load_dag
from causalsynth.evaluate.causal import compare_causal

RESULTS = Path(__file__).parent / "results" / "time_verdict.jsonl"


def shifted(table: pd.DataFrame, dag, column: str = "tv_spend", weeks: int = 8) -> pd.DataFrame:
    """``column`` moved ``weeks`` later within each series (geo) of the table."""
    out = table.copy()
    geo = dag.time.geo
    groups = out.groupby(geo, sort=False).indices.values() if geo in out else [
        np.arange(len(out))]
    values = out[column].to_numpy().copy()
    for idx in groups:
        values[idx] = np.roll(values[idx], weeks)
    out[column] = values
    return out


def summary() -> None:
    rows = [json.loads(line) for line in RESULTS.open()] if RESULTS.exists() else []
    groups: dict[tuple, Counter] = {}
    seconds: dict[tuple, list] = {}
    for r in rows:
        key = (r["dag"], r["rows"], r["case"])
        groups.setdefault(key, Counter())[r["verdict"]] += 1
        seconds.setdefault(key, []).append(r["seconds"])
    for key, counts in sorted(groups.items()):
        n = sum(counts.values())
        print(f"{key[0]:>10} {key[1]:>6} rows {key[2]:>8}: "
              + ", ".join(f"{v} {c}/{n}" for v, c in sorted(counts.items()))
              + f"  (median {np.median(seconds[key]):.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--dag", default="weekly_mmm")
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        summary()
        return
    dag = load_dag(args.dag)
    RESULTS.parent.mkdir(exist_ok=True)
    for seed in range(1, args.seeds + 1):
        real = dag.simulate(args.weeks, seed=2 * seed)
        fresh = dag.simulate(args.weeks, seed=2 * seed + 1)
        for case, other in (("fresh", fresh), ("shifted", shifted(fresh, dag))):
            t0 = time.perf_counter()
            section = compare_causal(real, other, dag, seed=seed)
            row = {"dag": args.dag, "rows": len(real), "case": case, "seed": seed,
                   "verdict": section["verdict"], "seconds": time.perf_counter() - t0,
                   "beyond": [r.split(":")[0] for r in section["reasons"]
                              if "interval" in r and "not decidable" not in r][:5]}
            with RESULTS.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(f"seed {seed} {case}: {row['verdict']} ({row['seconds']:.0f} s)", flush=True)
    summary()


if __name__ == "__main__":
    main()
