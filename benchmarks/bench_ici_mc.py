"""ICI Monte Carlo error: today's pick-freeze estimator against the Rao-Blackwellised one.

Run by hand (about 10 minutes on 2 cores):

    OMP_NUM_THREADS=1 python benchmarks/bench_ici_mc.py [--rows 20000] [--seeds 5]

For each built-in DAG, with each estimator of ``FittedGCM.mc_ici`` (``pick_freeze``: every
noise term sampled row by row, standard error from 20 batches; ``rao_blackwell``: label and
target noise summed out exactly, the rest by randomised quasi-Monte Carlo), side by side:

* ``compare_causal(real, synthetic, dag, seed=0)`` with ``real = dag.simulate(rows, seed=1)``
  and ``synthetic = dag.simulate(rows, seed=2)``: its seconds, the largest Monte Carlo
  standard error it reports over the shares of both tables, and the largest distance of the
  real table's shares from ``dag.ground_truth()`` (this includes the error of fitting the
  mechanisms to ``rows`` rows, which no estimator removes);
* the spread: the real table's GCM fitted once, its shares from ``--seeds`` independent
  uniform draws of the evaluation's default size (``DEFAULT_MC_ROWS``): the largest standard
  deviation across draws, next to the mean standard error reported for that same share (an
  honest standard error is close to the spread).

acquisition is linear-Gaussian (exact path, no Monte Carlo: both columns equal). robyn_weekly
has no simulation block: its 208 real weeks serve as both tables, and it has no ground truth.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import causalsynth as cs
from causalsynth.data import check_data
from causalsynth.datasets import load_example
from causalsynth.evaluate import gcm_ici, influence
from causalsynth.evaluate.causal import compare_causal
from causalsynth.evaluate.gcm import draw_uniforms, fit_gcm
from causalsynth.evaluate.gcm_ici import describe_mc_ici, is_linear_upto, mc_ici
from causalsynth.evaluate.influence import DEFAULT_MC_ROWS

ESTIMATORS = ("pick_freeze", "rao_blackwell")
DAGS = ("acquisition", "saturation", "ad_funnel", "robyn_weekly")


def tables(name: str, rows: int):
    dag = cs.load_dag(name)
    if dag.simulation:
        return dag, dag.simulate(rows, seed=1), dag.simulate(rows, seed=2), dag.ground_truth()
    real = load_example(name)
    return dag, real, real, None


class _Timed:
    """Seconds spent inside ``mc_ici`` (the estimator's part of compare_causal)."""

    def __init__(self):
        self.seconds, self.calls, self._orig = 0.0, 0, influence.mc_ici

    def __enter__(self):
        orig = self._orig

        def timed(fitted, *args, **kwargs):
            start = time.perf_counter()
            try:
                return orig(fitted, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        influence.mc_ici = timed
        return self

    def __exit__(self, *exc):
        influence.mc_ici = self._orig


def causal_run(dag, real, synthetic, truth) -> dict:
    start = time.perf_counter()
    with _Timed() as timer:
        out = compare_causal(real, synthetic, dag, seed=0)
    seconds = time.perf_counter() - start
    se = max(max(r["mc_se_real"], r["mc_se_synthetic"]) for r in out["ici"])
    err = (max(abs(r["real_share"] - truth.shares()[r["node"]]) for r in out["ici"])
           if truth is not None else float("nan"))
    return {"seconds": seconds, "ici_seconds": timer.seconds, "calls": timer.calls,
            "max_se": se, "max_err": err}


def spread_run(fitted, dag, seeds: int, estimator: str) -> dict:
    target = dag.outcome
    if is_linear_upto(fitted, target):
        return {"sd": 0.0, "se_at": 0.0, "node": "-", "seconds": 0.0}
    shares, ses = [], []
    start = time.perf_counter()
    for s in range(seeds):
        rng = np.random.default_rng(10_000 + s)
        a, b = draw_uniforms(dag, DEFAULT_MC_ROWS, rng), draw_uniforms(dag, DEFAULT_MC_ROWS, rng)
        share, se = mc_ici(fitted, target, a, b, estimator=estimator)
        shares.append(share)
        ses.append(se)
    sd = np.std(shares, axis=0, ddof=1)
    worst = int(np.argmax(sd))
    return {"sd": float(sd[worst]), "se_at": float(np.mean(ses, axis=0)[worst]),
            "node": [*dag.ancestors(target), target][worst] if sd[worst] > 1e-9 else "-",
            "seconds": (time.perf_counter() - start) / seeds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of each simulated table")
    parser.add_argument("--seeds", type=int, default=5, help="uniform draws for the spread")
    parser.add_argument("--dags", nargs="*", default=list(DAGS))
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}; Monte Carlo rows {DEFAULT_MC_ROWS}; "
          f"table rows {args.rows}")
    header = (f"{'dag':13s} {'estimator':14s} {'compare s':>9s} {'(in ICI)':>8s} "
              f"{'max se':>7s} {'spread sd':>9s} {'se there':>8s} {'(share)':18s} "
              f"{'mc_ici s':>8s} {'max err':>7s}")
    lines = []
    for name in args.dags:
        dag, real, synthetic, truth = tables(name, args.rows)
        fitted = fit_gcm(check_data(real, dag), dag, seed=0)
        for estimator in ESTIMATORS:
            gcm_ici.ICI_ESTIMATOR = estimator
            try:
                c = causal_run(dag, real, synthetic, truth)
                s = spread_run(fitted, dag, args.seeds, estimator)
            finally:
                gcm_ici.ICI_ESTIMATOR = "rao_blackwell"
            line = (f"{name:13s} {estimator:14s} {c['seconds']:9.1f} {c['ici_seconds']:8.1f} "
                    f"{c['max_se']:7.3f} {s['sd']:9.3f} {s['se_at']:8.3f} {s['node']:18s} "
                    f"{s['seconds']:8.2f} {c['max_err']:7.2f}")
            lines.append(line)
            method = ("exact (linear additive noise)" if is_linear_upto(fitted, dag.outcome)
                      else describe_mc_ici(fitted, dag.outcome, DEFAULT_MC_ROWS, estimator))
            print(f"{line}  [{method}; {c['calls']} mc_ici calls]", flush=True)
    print("\n" + header)
    print("\n".join(lines))
    print("\ncompare s: seconds of compare_causal (in ICI: of which inside mc_ici, point "
          "estimates and bootstrap replicates of both tables); max se: largest reported Monte "
          "Carlo se of a share (points, both tables); spread sd: largest sd of a share across "
          "uniform draws; se there: mean reported se of that share; mc_ici s: seconds per "
          "estimate; max err: largest |real share - ground truth| (points, fitting error "
          "included).")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
