"""Speed of the decision: the causal comparison at 20,000 acquisition rows and ``validate`` of
the demo's set-up, with this checkout's synthetic side as ``compare`` draws it (several draws
the real table's size: 5 at 20,000 rows, 10 at 4,000) beside another checkout's (``--other
PATH``, e.g. a git worktree of an older commit) given one table of as many rows in all (what
its ``compare`` drew: 10x, at most 100,000), in one run on the same machine. (Lines before
2026-12-07 19:00 gave this checkout one table 10x larger.)

    git worktree add /tmp/old 5fe3e11
    python benchmarks/bench_decision_speed.py --other /tmp/old --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

RESULTS = Path(__file__).parent / "results" / "decision_speed.jsonl"
ROOT = Path(__file__).resolve().parent.parent

#: run in a fresh interpreter with the checkout first on the path; prints one JSON line
_CASE = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import causalsynth as cs
from causalsynth.evaluate.causal import compare_causal
case, rep, draws, single = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
dag = cs.load_dag("acquisition")
def side(sample, n):  # m draws of n rows, or one table of m * n rows
    return sample(n * draws, 100 + rep) if single else [
        sample(n, 100 + rep + 1000 * j) for j in range(draws)]
if case == "causal_20k":
    real = dag.simulate(20_000, seed=rep)
    fresh = side(lambda rows, seed: dag.simulate(rows, seed=seed), 20_000)
    start = time.perf_counter(); out = compare_causal(real, fresh, dag, seed=rep)
else:  # the demo's validate: 4,000 training rows, causal synthetic draws, 1,000 held out
    table = dag.simulate(5_000, seed=rep)
    real, holdout = table.iloc[:4_000], table.iloc[4_000:]
    synth = cs.make_synthesizer("causal").fit(real, dag)
    fresh = side(lambda rows, seed: synth.sample(rows, seed=seed), 4_000)
    start = time.perf_counter(); out = cs.validate(real, fresh, dag, holdout=holdout, seed=rep)
    out = {"verdict": out.verdict}
print(json.dumps({"seconds": time.perf_counter() - start, "verdict": out["verdict"]}))
"""


def run(checkout: Path, case: str, rep: int, draws: int, single: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    res = subprocess.run([sys.executable, "-c", _CASE, case, str(rep), str(draws),
                          str(int(single))],
                         env=env, capture_output=True, text=True, check=True, cwd=checkout)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from run_info import git_state, machine_load

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, required=True, help="the checkout to compare with")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    RESULTS.parent.mkdir(exist_ok=True)
    for rep in range(args.reps):
        for case, draws in (("causal_20k", 5), ("validate_demo", 10)):
            for label, checkout, single in (("other", args.other, True), ("this", ROOT, False)):
                row = {"case": case, "rep": rep, "checkout": label,
                       "synthetic": f"1 x {draws}n" if single else f"{draws} x n",
                       **run(checkout, case, rep, draws, single), "commit": git_state(),
                       "load": machine_load()}
                with RESULTS.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
