"""Scale: ad_funnel user logs from 10,000 to 1,000,000 rows on one machine.

For each size n (one fresh process per size, so each peak memory is that size's own): simulate
n real rows, n/5 holdout rows and a fresh draw of n rows; fit the ``causal`` synthesizer and
sample n rows; then ``validate``'s sections on (real, synthetic, holdout): the causal comparison
(``compare_causal``, the verdict), fidelity, utility and privacy, each timed, with the peak
resident memory of the process after each step (``ru_maxrss``). With ``--verdicts`` the causal
verdict is also computed for the fresh draw (should be "preserved") and for the synthetic
table with its exposure column shuffled (should be "not preserved"). ``--no-causal-above N``
skips the causal comparison above N rows (it is the lead's part and the slow one).

Results: one JSON line per size in ``benchmarks/results/scale.jsonl``.

Run:  .venv/bin/python benchmarks/bench_scale.py 10000 100000 1000000 [--verdicts]
      [--no-causal-above 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "scale.jsonl"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def one_size(n: int, verdicts: bool, causal: bool) -> dict:
    """Every step at one size, in this process."""
    import numpy as np

    import causalsynth as cs
    from causalsynth.data import check_data
    from causalsynth.evaluate._shared import Tables
    from causalsynth.evaluate.causal import canonical_rows, compare_causal
    from causalsynth.evaluate.fidelity import evaluate_fidelity
    from causalsynth.evaluate.privacy import evaluate_privacy
    from causalsynth.evaluate.utility import evaluate_utility

    dag = cs.load_dag("ad_funnel")
    steps: dict[str, dict] = {}

    def step(name, fn, *args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        steps[name] = {"seconds": round(time.perf_counter() - start, 2),
                       "peak_mb": round(_peak_mb(), 1)}
        print(f"  n={n:>9,} {name:22s} {steps[name]['seconds']:8.1f} s  "
              f"peak {steps[name]['peak_mb']:8.0f} MiB", flush=True)
        return out

    real = step("simulate", lambda: dag.simulate(n, seed=1))
    holdout, fresh = dag.simulate(n // 5, seed=3), dag.simulate(n, seed=4)
    synth = step("fit_causal", cs.make_synthesizer("causal").fit, real, dag)
    syn = step("sample_causal", synth.sample, n, seed=2)

    def typed(frame, what, allow_constant=False):
        return canonical_rows(check_data(frame, dag, allow_constant=allow_constant, what=what),
                              dag)

    tables = step("check_tables", lambda: Tables(dag, typed(real, "real"),
                                                 typed(syn, "synthetic", True),
                                                 typed(holdout, "holdout")))
    row = {"dag": "ad_funnel", "n_real": n, "n_synthetic": n, "n_holdout": n // 5,
           "cores": os.cpu_count(), "load_before": os.getloadavg()[0]}
    if causal:
        res = step("validate_causal", compare_causal, tables.real, tables.synthetic, dag, seed=0,
                   checked=True)
        row["verdict_synthetic"] = res["verdict"]
    fid = step("validate_fidelity", evaluate_fidelity, tables, seed=1)
    uti = step("validate_utility", evaluate_utility, tables, seed=2)
    pri = step("validate_privacy", evaluate_privacy, tables, seed=3)
    row["metric_seconds"] = {k: round(r.seconds, 2) for part in (fid, uti, pri)
                             for k, r in part.items()}
    row["metric_errors"] = {k: r.error for part in (fid, uti, pri) for k, r in part.items()
                            if not r.ok}
    if verdicts and causal:
        shuffled = syn.copy()
        shuffled["exposure"] = np.random.default_rng(5).permutation(shuffled["exposure"].to_numpy())
        for name, table in (("fresh", fresh), ("shuffled_exposure", shuffled)):
            res = step(f"verdict_{name}", compare_causal, real, table, dag, seed=0)
            row[f"verdict_{name}"] = res["verdict"]
    row["validate_seconds"] = round(sum(v["seconds"] for k, v in steps.items()
                                        if k.startswith("validate_")), 1)
    row["steps"] = steps
    row["peak_memory_mb"] = round(_peak_mb(), 1)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--verdicts", action="store_true")
    ap.add_argument("--no-causal-above", type=int, default=None)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        causal = args.no_causal_above is None or args.one <= args.no_causal_above
        print(json.dumps(one_size(args.one, args.verdicts, causal)))
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)]
        cmd += ["--verdicts"] if args.verdicts else []
        if args.no_causal_above is not None:
            cmd += ["--no-causal-above", str(args.no_causal_above)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        sys.stderr.write(out.stderr[-2000:] if out.returncode else "")
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        print("\n".join(ln for ln in out.stdout.splitlines() if not ln.startswith("{")))
        if out.returncode or not lines:
            print(f"n={n}: failed (exit {out.returncode})")
            continue
        with RESULTS.open("a") as f:  # one whole line per size
            f.write(lines[-1] + "\n")


if __name__ == "__main__":
    main()
