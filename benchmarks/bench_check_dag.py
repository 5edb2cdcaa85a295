"""How long ``check_dag`` takes on generated DAGs of 25, 50 and 200 nodes; with ``--time``,
how often the time-aware check rejects true independences on weekly series.

Run by hand:  python benchmarks/bench_check_dag.py [--nodes 25 50 200] [--rows 5000]
              [--max-claims 200 | 0 for all] [--cli] [--timeout 900]
              python benchmarks/bench_check_dag.py --time [--seeds 20] [--pairs 400]

``--time`` (rows are weeks): on ``--seeds`` series of 156 weeks simulated from the built-in
``weekly_mmm`` DAG (true, so every implied independence holds) it measures, for the
time-aware test (trend + Fourier context, autocorrelation-adjusted p-values) and for the
i.i.d. test, the share of informative claims (those the time context does not settle)
with p < 0.05 and the number of series in which the whole DAG is rejected; the detection
rate when one true edge is dropped; and on ``--pairs`` pairs of independent AR(1) series of
156 weeks the share with p < 0.05 at autocorrelations 0, 0.5, 0.8 and 0.9. Rows are printed
and one JSON line per figure is appended to benchmarks/results/check_dag_time.jsonl.

Each DAG is generated with a fixed seed: nodes ``x000``, ``x001``, ... in topological order,
the first three are roots, every later node draws 1-3 parents among the earlier ones (mean 2,
as in a sparse marketing graph: 200 nodes give about 390 edges and 19,500 implied
independences), the last node is the outcome. Mechanisms are linear-Gaussian (coefficients
±0.3-1.0, unit noise), so the DAG is true and every independence should hold. The table has
``--rows`` rows (seed 1).

For each size the script prints the number of implied independences, how many were tested,
the wall time and whether DoWhy's permutation test ran. By default it calls the API
(``causalsynth.check_dag``; ``--max-claims`` is passed when the installed version accepts
it, so the same script measures the code before and after the claim budget); ``--cli`` runs
``causalsynth check-dag`` in a subprocess instead (YAML and CSV written to a temporary
folder), which adds about 3 s of start-up. ``--timeout`` stops a size that runs longer.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from bench_large_dag import generated_dag as large_dag

TIME_RESULTS = Path(__file__).parent / "results" / "check_dag_time.jsonl"


def generated_dag(n_nodes: int, seed: int = 0) -> dict:
    """A sparse linear-Gaussian DAG spec with ``n_nodes`` nodes (see the module docstring):
    three roots, no spend, the last node the outcome."""
    return large_dag(n_nodes, n_roots=3, n_spend=0, seed=seed)


def _run_api(spec: dict, rows: int, max_claims: int | None, queue) -> None:
    import causalsynth as cs
    from causalsynth.evaluate.independence import implied_independences

    dag = cs.load_dag(spec)
    data = dag.simulate(rows, seed=1)
    kwargs = {}
    if max_claims is not None and "max_claims" in inspect.signature(cs.check_dag).parameters:
        kwargs["max_claims"] = max_claims or None
    if "progress" in inspect.signature(cs.check_dag).parameters:
        kwargs["progress"] = False
    start = time.perf_counter()
    result = cs.check_dag(data, dag, seed=0, **kwargs)
    seconds = time.perf_counter() - start
    f = result.falsification
    queue.put({"claims": len(implied_independences(dag)), "tested": len(result.independences),
               "seconds": seconds, "passed": result.passed,
               "dowhy": "ran" if "falsified" in f else f.get("skipped") or f.get("error")})


def _run_cli(spec: dict, rows: int, max_claims: int | None, queue) -> None:
    import causalsynth as cs
    from causalsynth.evaluate.independence import implied_independences

    dag = cs.load_dag(spec)
    with tempfile.TemporaryDirectory() as tmp:
        dag_path, data_path = Path(tmp) / "dag.yaml", Path(tmp) / "data.csv"
        dag.to_yaml(dag_path)
        dag.simulate(rows, seed=1).to_csv(data_path, index=False)
        exe = Path(sys.executable).with_name("causalsynth")
        cmd = [str(exe), "check-dag", str(data_path), "--dag", str(dag_path)]
        if max_claims is not None:
            cmd += ["--max-claims", str(max_claims)]  # 0: all
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    queue.put({"claims": len(implied_independences(dag)), "tested": None, "seconds": seconds,
               "passed": done.returncode == 0, "dowhy": f"exit {done.returncode}"})


def _without_edge(dag, child: str, parent: str):
    import causalsynth as cs

    spec = dag.to_dict()
    spec.pop("simulation", None)
    spec["nodes"] = [dict(n, parents=[p for p in n.get("parents", []) if p != parent])
                     if n["name"] == child else n for n in spec["nodes"]]
    return cs.load_dag(spec)


def _ar1(rng, n: int, rho: float):
    import numpy as np

    x, e = np.zeros(n + 100), rng.normal(size=n + 100)
    for t in range(1, n + 100):
        x[t] = rho * x[t - 1] + e[t]
    return x[100:]


def time_rows_figures(seeds: int, pairs: int, weeks: int = 156) -> list[dict]:
    """The nominal-rate figures of the time-aware check (see the module docstring)."""
    import numpy as np

    import causalsynth as cs
    from causalsynth.evaluate.independence import independence_tests, residual_test
    from causalsynth.evaluate.series import TimeRows

    dag = cs.load_dag("weekly_mmm")
    series = [dag.simulate(weeks, seed=s) for s in range(seeds)]
    out = []
    for aware in (True, False):
        start = time.perf_counter()
        runs = [independence_tests(t, dag, seed=0, time_aware=aware, progress=False)
                for t in series]
        seconds = (time.perf_counter() - start) / seeds
        p = np.concatenate([r["p_value"].to_numpy()[r["effect"].to_numpy() > 0] for r in runs])
        out.append({"figure": "true DAG", "dag": "weekly_mmm", "weeks": weeks, "seeds": seeds,
                    "test": "time-aware" if aware else "i.i.d.",
                    "informative_claims": len(p),
                    "claims_rejected_at_5pct": float(np.mean(p < 0.05)),
                    "dag_rejected_series": int(sum(not r["holds"].all() for r in runs)),
                    "seconds_per_series": seconds})
    for child, parent in [("revenue", "tv_spend"), ("revenue", "search_spend"),
                          ("revenue", "social_spend"), ("search_spend", "demand")]:
        wrong = _without_edge(dag, child, parent)
        hits = sum(not independence_tests(t, wrong, seed=0, time_aware=True,
                                          progress=False)["holds"].all() for t in series)
        out.append({"figure": "dropped edge", "dag": "weekly_mmm", "weeks": weeks,
                    "seeds": seeds, "test": "time-aware", "edge": f"{parent} -> {child}",
                    "detected_series": int(hits)})
    rows = TimeRows(np.arange(weeks), period=52)
    for rho in (0.0, 0.5, 0.8, 0.9):
        aware, iid = [], []
        for seed in range(pairs):
            rng = np.random.default_rng(seed)
            x, y = _ar1(rng, weeks, rho), _ar1(rng, weeks, rho)
            aware.append(residual_test(x, y, None, rows)[1] < 0.05)
            iid.append(residual_test(x, y)[1] < 0.05)
        out.append({"figure": "independent AR(1) pairs", "weeks": weeks, "pairs": pairs,
                    "autocorrelation": rho, "time_aware_rejected": float(np.mean(aware)),
                    "iid_rejected": float(np.mean(iid))})
    return out


def run_time(seeds: int, pairs: int) -> None:
    start = time.perf_counter()
    rows = time_rows_figures(seeds, pairs)
    total = time.perf_counter() - start
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    TIME_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with TIME_RESULTS.open("a", encoding="utf-8") as fh:
        for row in rows:
            print(json.dumps(row))
            fh.write(json.dumps({"date": stamp, **row, "total_seconds": round(total, 1)})
                     + "\n")
    print(f"{total:.0f} s in all; appended to {TIME_RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[25, 50, 200])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--max-claims", type=int, default=None,
                        help="claim budget (default: the library's default; 0: all)")
    parser.add_argument("--cli", action="store_true", help="time the command line instead")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--time", action="store_true",
                        help="nominal rejection rate of the time-aware check instead")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=400)
    args = parser.parse_args()
    if args.time:
        run_time(args.seeds, args.pairs)
        return
    print(f"load average at start: {os.getloadavg()}; rows {args.rows}; "
          f"{'command line' if args.cli else 'API'}")
    print(f"{'nodes':>5} {'claims':>7} {'tested':>7} {'seconds':>9}  passed  "
          f"DoWhy permutation test")
    ctx = mp.get_context("spawn")
    for n in args.nodes:
        queue = ctx.Queue()
        target = _run_cli if args.cli else _run_api
        proc = ctx.Process(target=target, args=(generated_dag(n), args.rows, args.max_claims,
                                                queue))
        start = time.perf_counter()
        proc.start()
        proc.join(args.timeout)
        if proc.is_alive():
            proc.terminate()
            proc.join()
            print(f"{n:>5} {'':>7} {'':>7} {'>' + format(args.timeout, '.0f'):>9}  stopped")
            continue
        r = queue.get() if not queue.empty() else None
        if r is None:
            print(f"{n:>5} failed after {time.perf_counter() - start:.0f} s")
            continue
        tested = "" if r["tested"] is None else r["tested"]
        print(f"{n:>5} {r['claims']:>7} {tested:>7} {r['seconds']:>9.1f}  {r['passed']!s:>6}  "
              f"{r['dowhy']}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
