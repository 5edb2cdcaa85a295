"""Empirical privacy audit of the differentially private ``causal`` synthesizer.

For each DAG and claimed ε: simulate a small table, plant a canary at a corner
(:func:`~causalsynth.privacy_audit.causal_canary`), fit
``make_synthesizer("causal", epsilon=ε, delta=δ)`` ``--trials`` times without and with it, score
every fit with the black-box distinguisher (:class:`~causalsynth.privacy_audit.
CausalCanaryAttack`) and turn the scores into a 95 % lower bound on ε (Clopper-Pearson, test
chosen on half the trials, evaluated on the other half).

Beside each audit: the *ceiling* of an audit this size, the bound that the same number of
trials gives on the ideal distinguisher of a ρ-zCDP Gaussian mechanism (scores N(0, 1) vs
N(sqrt(2ρ), 1), the most a single row can move them); an audit far below its ceiling has a
weak distinguisher, a bound above the claimed ε is a broken guarantee.

Run by hand (n_jobs 2 at most on the shared machine):
    python benchmarks/bench_audit.py                         # acquisition, eps 1 and 3
    python benchmarks/bench_audit.py --dags acquisition ad_funnel --trials 500
A JSON line per audit is appended to benchmarks/results/audit.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from run_info import git_state

import causalsynth as cs
from causalsynth.privacy_audit import (
    CausalCanaryAttack,
    audit,
    causal_canary,
    epsilon_lower_bound,
)

RESULTS = Path(__file__).parent / "results" / "audit.jsonl"


def rho_for(epsilon: float, delta: float) -> float:
    """The zCDP ρ whose (ε, δ) conversion ρ + 2 sqrt(ρ log(1/δ)) is ``epsilon``."""
    return (math.sqrt(math.log(1 / delta) + epsilon) - math.sqrt(math.log(1 / delta))) ** 2


def ceiling(epsilon: float, delta: float, n_trials: int, seed: int) -> float:
    """The bound on the ideal distinguisher of a ρ-zCDP Gaussian mechanism, same trials."""
    mu = math.sqrt(2 * rho_for(epsilon, delta))
    rng = np.random.default_rng(seed)
    return epsilon_lower_bound(rng.normal(0, 1, n_trials), rng.normal(mu, 1, n_trials), delta,
                               seed=seed).epsilon_lower


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dags", nargs="+", default=["acquisition"])
    parser.add_argument("--epsilons", nargs="+", type=float, default=[1.0, 3.0])
    parser.add_argument("--delta", type=float, default=1e-6)
    parser.add_argument("--trials", type=int, default=200, help="fits per side")
    parser.add_argument("--rows", type=int, default=300, help="rows of the table")
    parser.add_argument("--n-samples", type=int, default=5000,
                        help="synthetic rows per sample call of the distinguisher")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-save", action="store_true", help="do not append to the JSONL")
    args = parser.parse_args()

    print(f"{'dag':12s} {'claimed ε':>9s} {'ε lower':>8s} {'interval':>16s} {'plug-in':>8s} "
          f"{'FPR':>6s} {'FNR':>6s} {'ceiling':>8s} {'seconds':>8s}")
    for name in args.dags:
        dag = cs.load_dag(name)
        table = dag.simulate(args.rows, seed=args.seed + 1)
        canary = causal_canary(dag, table)
        for eps in args.epsilons:
            attack = CausalCanaryAttack(dag, canary, table, {"epsilon": eps, "delta": args.delta},
                                        n_samples=args.n_samples)
            start = time.perf_counter()
            res = audit(attack, table, canary, n_trials=args.trials, delta=args.delta,
                        seed=args.seed, n_jobs=args.n_jobs)
            seconds = time.perf_counter() - start
            top = ceiling(eps, args.delta, args.trials, args.seed)
            interval = f"[{res.epsilon_lower:.2f}, {res.epsilon_upper:.2f}]"
            flag = "  ABOVE THE CLAIM" if res.epsilon_lower > eps else ""
            print(f"{name:12s} {eps:9.2f} {res.epsilon_lower:8.3f} {interval:>16s} "
                  f"{res.epsilon_estimate:8.3f} {res.fpr:6.3f} {res.fnr:6.3f} {top:8.3f} "
                  f"{seconds:8.1f}{flag}", flush=True)
            if not args.no_save:
                RESULTS.parent.mkdir(parents=True, exist_ok=True)
                line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "commit": git_state(),
                        "dag": name, "rows": args.rows, "claimed_epsilon": eps,
                        "n_samples": args.n_samples, "seed": args.seed,
                        "ceiling": top, "seconds": round(seconds, 2), **res.to_dict()}
                with RESULTS.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
