"""How long does ``validate`` take? 20,000 acquisition rows against a fresh draw (target < 30 s).

Prints the verdict, the total and the per-part seconds (causal, fidelity, utility, privacy and,
with --reference, the split-half reference), and the machine's load average.

Run:  python benchmarks/bench_validate.py [--rows 20000] [--dag acquisition] [--reference]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import causalsynth as cs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--dag", default="acquisition")
    ap.add_argument("--reference", action="store_true")
    args = ap.parse_args()
    dag = cs.load_dag(args.dag)
    real, synthetic = dag.simulate(args.rows, seed=1), dag.simulate(args.rows, seed=2)
    holdout = dag.simulate(args.rows, seed=3)
    load = os.getloadavg()
    start = time.perf_counter()
    report = cs.validate(real, synthetic, dag, holdout=holdout, seed=0,
                         reference=args.reference)
    total = time.perf_counter() - start
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in report.meta["timings"].items()
                      if k != "total")
    print(f"{args.dag}, {args.rows:,} real / synthetic / holdout rows: verdict "
          f"{report.verdict!r}, privacy gate {'FLAGGED' if report.copies_real_rows else 'ok'}")
    print(f"validate: {total:.1f} s ({parts}); load before {load[0]:.1f}, after "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
