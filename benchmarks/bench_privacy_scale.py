"""Privacy metrics at scale: 100,000 real (training) x 100,000 synthetic rows of acquisition.

Times every privacy metric (exact nearest neighbours, chunked) and the process's peak memory,
and SDMetrics' QualityReport on the same tables beside it.

Run:  /work/venv/bin/python benchmarks/bench_privacy_scale.py [n_rows] [n_holdout]
"""

from __future__ import annotations

import os
import resource
import sys
import time

from causalsynth import load_dag
from causalsynth.data import sdmetrics_metadata
from causalsynth.evaluate.fidelity import quality_report
from causalsynth.evaluate.privacy import evaluate_privacy


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss in KiB


def main(n: int = 100_000, n_holdout: int = 20_000) -> None:
    dag = load_dag("acquisition")
    real = dag.simulate(n, seed=1)
    synthetic = dag.simulate(n, seed=2)  # an independent draw: what a private table looks like
    holdout = dag.simulate(n_holdout, seed=3)
    print(f"acquisition: real {len(real):,} x synthetic {len(synthetic):,} rows, "
          f"holdout {len(holdout):,}; cores {os.cpu_count()}; load {os.getloadavg()}")
    rss0 = peak_rss_gib()
    start = time.perf_counter()
    res = evaluate_privacy(real, synthetic, dag, holdout=holdout, seed=0)
    total = time.perf_counter() - start
    print(f"\n{'metric':40s} {'value':>10s} {'reference':>10s} {'seconds':>8s}")
    for name, r in res.items():
        fmt = lambda v: "-" if v is None else f"{v:10.4f}"  # noqa: E731
        print(f"{name:40s} {fmt(r.value):>10s} {fmt(r.reference):>10s} {r.seconds:8.2f}"
              + ("" if r.ok else f"  ERROR {r.error}"))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\nprivacy metrics total: {total:.1f} s wall; process CPU so far "
          f"{ru.ru_utime + ru.ru_stime:.1f} s; peak RSS {peak_rss_gib():.2f} GiB "
          f"(before: {rss0:.2f} GiB)")
    start = time.perf_counter()
    q = quality_report(real, synthetic, sdmetrics_metadata(dag))
    print(f"SDMetrics QualityReport on the same tables: {time.perf_counter() - start:.1f} s "
          f"(score {q['score']:.4f})")
    print(f"peak RSS after both: {peak_rss_gib():.2f} GiB; load {os.getloadavg()}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
