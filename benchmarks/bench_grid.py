"""The compare grid, serial vs a Dask ``LocalCluster``: the same numbers, and the wall-time ratio.

Grid: ``gaussian_copula``, ``causal``, ``ctgan`` and ``tvae`` (few epochs: the point is the
grid, not the neural models' quality) x ``--seeds`` seeds on ``acquisition`` at ``--rows`` rows,
each cell fitted, sampled and validated by :func:`causalsynth.compare` (``seeds=...``). It runs
once in this process (``backend=None``, today's serial loop) and once on a ``LocalCluster`` of
``--workers`` single-threaded worker processes (``backend=client``), started without the
``MALLOC_TRIM_THRESHOLD_=65536`` that Dask's nanny sets by default (measured here: it makes the
validation's privacy section about twice as slow; ``--keep-malloc-trim`` keeps it). Every
leaderboard number
(not the timings) must be equal between the two runs: the script fails otherwise. The cluster's
start-up is timed apart from the grid. A JSON line goes to benchmarks/results/grid.jsonl.

The ratio depends on the cores the machine gives the workers: on 2 cores shared with other
busy processes it cannot reach 2 (the load is printed and saved beside the timings).

Usage::

    python benchmarks/bench_grid.py                       # 4 x 3 cells, 20,000 rows (~10 min)
    python benchmarks/bench_grid.py --rows 5000 --seeds 2 --epochs 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd
from run_info import git_state, machine_load

import causalsynth as cs
from causalsynth.comparison import LEADERBOARD_COLUMNS
from causalsynth.evaluate.metric import jsonable

RESULTS = Path(__file__).parent / "results" / "grid.jsonl"
#: leaderboard columns that must match between the runs (timings differ by nature)
NUMBERS = [c for c in LEADERBOARD_COLUMNS if c not in ("fit_s", "sample_s")]


def differences(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """The cells (row label, column) whose values differ, NaN equal to NaN."""
    out = []
    for col in NUMBERS:
        for label, x, y in zip(a["synthesizer"], a[col], b[col], strict=True):
            same = (x == y) or (isinstance(x, float) and isinstance(y, float)
                                and math.isnan(x) and math.isnan(y))
            if not same:
                out.append(f"{label}/{col}: {x!r} vs {y!r}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per synthesizer")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of ctgan and tvae")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-malloc-trim", action="store_true",
                        help="keep Dask's MALLOC_TRIM_THRESHOLD_=65536 in the workers")
    parser.add_argument("--no-save", action="store_true", help="do not append to the JSONL")
    args = parser.parse_args()

    import dask
    from distributed import Client, LocalCluster

    dag = cs.load_dag("acquisition")
    real = dag.simulate(args.rows, seed=args.seed)
    specs = {"gaussian_copula": {}, "causal": {}, "ctgan": {"epochs": args.epochs},
             "tvae": {"epochs": args.epochs}}
    seeds = list(range(args.seeds))
    print(f"grid: {len(specs)} synthesizers x {len(seeds)} seeds on acquisition, "
          f"{args.rows:,} rows; load {machine_load()}", flush=True)

    start = time.perf_counter()
    serial = cs.compare(real, dag, specs, seed=args.seed, seeds=seeds)
    serial_s = time.perf_counter() - start
    print(f"serial: {serial_s:.1f} s; load {machine_load()}", flush=True)

    start = time.perf_counter()
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not args.keep_malloc_trim:  # Dask's default (65536) halves the privacy metrics' speed
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        startup_s = time.perf_counter() - start
        start = time.perf_counter()
        on_dask = cs.compare(real, dag, specs, seed=args.seed, seeds=seeds, backend=client)
        cluster_s = time.perf_counter() - start
    print(f"LocalCluster ({args.workers} workers): {cluster_s:.1f} s (+{startup_s:.1f} s "
          f"start-up); load {machine_load()}", flush=True)

    board = serial.leaderboard
    show = ["synthesizer", "fit_s", "quality", "max_ici_diff", "max_effect_diff", "verdict",
            "error"]
    print(board[show].to_string(index=False))
    diff = differences(board, on_dask.leaderboard)
    ratio = serial_s / cluster_s
    print(f"serial / cluster wall time: {ratio:.2f} (with start-up: "
          f"{serial_s / (cluster_s + startup_s):.2f}); leaderboard numbers equal: {not diff}")
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "commit": git_state(),
                "dag": "acquisition", "rows": args.rows, "synthesizers": list(specs),
                "neural_epochs": args.epochs, "seeds": seeds, "cells": len(board),
                "workers": args.workers, "cpu_count": os.cpu_count(),
                "worker_malloc_trim_threshold": environ.get("MALLOC_TRIM_THRESHOLD_"),
                "serial_s": round(serial_s, 2), "cluster_s": round(cluster_s, 2),
                "cluster_startup_s": round(startup_s, 2), "ratio": round(ratio, 3),
                "equal": not diff, "differences": diff[:20], "load_after": machine_load(),
                "errors": int(board["error"].notna().sum()),
                "leaderboard": board[show].to_dict("records")}
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(jsonable(line)) + "\n")
    assert not diff, f"the cluster's leaderboard differs from the serial one: {diff[:5]}"


if __name__ == "__main__":
    main()
