"""ICI speed and accuracy: causalsynth's estimator against DoWhy's default call, same fitted data.

Run by hand:  python benchmarks/bench_ici.py [--rows 20000] [--repeats 3]

Measures, on the acquisition DAG (exact shares 30.1 / 17.5 / 24.7 / 0.2 / 27.3 / 0.2 %):
  * DoWhy 0.14 ``gcm.intrinsic_causal_influence`` with default settings on a GCM fitted by
    ``gcm.auto.assign_causal_mechanisms`` (the documented way): time, max error, spread;
  * DoWhy with ``prediction_model="exact"`` on our fitted GCM (agreement check);
  * ours: point estimate (``n_bootstrap=0``) and with 30 bootstrap resamples: time, max error,
    spread across estimator seeds;
  * the Monte Carlo path on saturation against its ground truth.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import causalsynth as cs
from causalsynth.data import check_data
from causalsynth.evaluate.gcm import fit_gcm
from causalsynth.evaluate.gcm_ici import exact_ici
from causalsynth.evaluate.gcm_models import quiet


def dowhy_default(data, dag, seed):
    from dowhy import gcm

    np.random.seed(seed)  # DoWhy samples with the global RNG; this script owns the process
    scm = gcm.StructuralCausalModel(dag.to_networkx())
    with quiet():
        gcm.auto.assign_causal_mechanisms(scm, data)
        gcm.fit(scm, data)
        start = time.perf_counter()
        ici = gcm.intrinsic_causal_influence(scm, dag.outcome)
        elapsed = time.perf_counter() - start
    total = sum(ici.values())
    return {k: 100 * v / total for k, v in ici.items()}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dag = cs.load_dag("acquisition")
    truth = dag.ground_truth().shares()
    data = dag.simulate(args.rows, seed=1)
    print(f"load average at start: {os.getloadavg()}")

    rows = []
    dowhy_runs = []
    for r in range(args.repeats):
        shares, t = dowhy_default(data, dag, seed=r)
        dowhy_runs.append(shares)
        rows.append(("DoWhy default", r, t, max(abs(shares[k] - truth[k]) for k in truth)))
    ours_runs = []
    for r in range(args.repeats):
        start = time.perf_counter()
        ici = cs.intrinsic_influence(data, dag, seed=r, n_bootstrap=0)
        t = time.perf_counter() - start
        ours_runs.append(ici.shares())
        err = max(abs(ici.shares()[k] - truth[k]) for k in truth)
        rows.append(("causalsynth point", r, t, err))
    for r in range(args.repeats):
        start = time.perf_counter()
        ici = cs.intrinsic_influence(data, dag, seed=r, n_bootstrap=30)
        t = time.perf_counter() - start
        rows.append(("causalsynth + 30 bootstrap", r, t,
                     max(abs(ici.shares()[k] - truth[k]) for k in truth)))
    spread = lambda runs: max(np.ptp([run[k] for run in runs]) for k in truth)  # noqa: E731

    print("\n| estimator | run | seconds | max error vs exact (points) |")
    print("|---|---|---|---|")
    for name, r, t, err in rows:
        print(f"| {name} | {r} | {t:.2f} | {err:.2f} |")
    print(f"\nspread across seeds (max over nodes): DoWhy {spread(dowhy_runs):.2f} points, "
          f"causalsynth {spread(ours_runs):.2f} points")
    t_dowhy = np.median([t for n, _, t, _ in rows if n == "DoWhy default"])
    t_ours = np.median([t for n, _, t, _ in rows if n == "causalsynth point"])
    print(f"point estimate speed-up over DoWhy default: {t_dowhy / t_ours:.1f}x")

    # agreement on the same fitted model: DoWhy's exact propagation vs our exact formula
    from dowhy import gcm

    fitted = fit_gcm(check_data(data, dag), dag, seed=0)
    ours = dict(zip([*dag.ancestors("revenue"), "revenue"], exact_ici(fitted, "revenue"),
                    strict=True))
    agree = []
    for r in range(args.repeats):
        np.random.seed(r)
        with quiet():
            theirs = gcm.intrinsic_causal_influence(fitted.scm, "revenue", prediction_model="exact",
                                                    num_samples_baseline=10_000)
        total = sum(theirs.values())
        agree.append({k: 100 * v / total for k, v in theirs.items()})
    print("\nSame fitted GCM: ours (exact) vs DoWhy exact propagation, 10,000 baseline samples")
    print("| node | ours | DoWhy mean | DoWhy sd |")
    print("|---|---|---|---|")
    for k in ours:
        vals = [a[k] for a in agree]
        print(f"| {k} | {ours[k]:.2f} | {np.mean(vals):.2f} | {np.std(vals, ddof=1):.2f} |")

    sat = cs.load_dag("saturation")
    sat_truth = sat.ground_truth().shares()
    sat_data = sat.simulate(args.rows, seed=1)
    start = time.perf_counter()
    ici = cs.intrinsic_influence(sat_data, sat, seed=0, n_bootstrap=0)
    t = time.perf_counter() - start
    err = max(abs(ici.shares()[k] - sat_truth[k]) for k in sat_truth)
    print(f"\nsaturation (Monte Carlo path, {ici.method}): {t:.1f} s, max error vs ground truth "
          f"{err:.2f} points, max Monte Carlo se {ici.mc_se.max():.2f}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
