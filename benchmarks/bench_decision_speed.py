"""Speed of the decision: the causal comparison at 20,000 acquisition rows and ``validate`` of
the demo's set-up, with this checkout's rule (synthetic side drawn 10x, measured at its own
size) beside another checkout's (``--other PATH``, e.g. a git worktree of an older commit), in
one run on the same machine.

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
case, rep, factor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dag = cs.load_dag("acquisition")
if case == "causal_20k":
    real, fresh = dag.simulate(20_000, seed=rep), dag.simulate(20_000 * factor, seed=100 + rep)
    start = time.perf_counter(); out = compare_causal(real, fresh, dag, seed=rep)
else:  # the demo's validate: 4,000 training rows, a causal synthetic table, 1,000 held out
    table = dag.simulate(5_000, seed=rep)
    real, holdout = table.iloc[:4_000], table.iloc[4_000:]
    synth = cs.make_synthesizer("causal").fit(real, dag).sample(4_000 * factor, seed=rep)
    start = time.perf_counter(); out = cs.validate(real, synth, dag, holdout=holdout, seed=rep)
    out = {"verdict": out.verdict}
print(json.dumps({"seconds": time.perf_counter() - start, "verdict": out["verdict"]}))
"""


def run(checkout: Path, case: str, rep: int, factor: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    res = subprocess.run([sys.executable, "-c", _CASE, case, str(rep), str(factor)],
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
        for case in ("causal_20k", "validate_demo"):
            for label, checkout, factor in (("other", args.other, 1), ("this", ROOT, 10)):
                row = {"case": case, "rep": rep, "checkout": label, "factor": factor,
                       **run(checkout, case, rep, factor), "commit": git_state(),
                       "load": machine_load()}
                with RESULTS.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
