"""How long ``check_dag`` takes on generated DAGs of 25, 50 and 200 nodes.

Run by hand:  python benchmarks/bench_check_dag.py [--nodes 25 50 200] [--rows 5000]
              [--max-claims 200 | 0 for all] [--cli] [--timeout 900]

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
import inspect
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def generated_dag(n_nodes: int, seed: int = 0) -> dict:
    """A sparse linear-Gaussian DAG spec with ``n_nodes`` nodes (see the module docstring)."""
    rnd = random.Random(seed)
    names = [f"x{i:03d}" for i in range(n_nodes)]
    nodes, simulation = [], {}
    for i, name in enumerate(names):
        role = "outcome" if i == n_nodes - 1 else "context"
        parents = [] if i < 3 else sorted(rnd.sample(names[:i], min(i, rnd.choice([1, 2, 3]))))
        nodes.append({"name": name, "type": "continuous", "role": role, "parents": parents})
        if parents:
            coefs = {p: round(rnd.choice([-1, 1]) * rnd.uniform(0.3, 1.0), 2) for p in parents}
            simulation[name] = {"intercept": 0, "coefficients": coefs,
                                "noise": {"distribution": "normal", "sd": 1}}
        else:
            simulation[name] = {"distribution": "normal", "mean": 0, "sd": 1}
    return {"name": f"generated_{n_nodes}", "nodes": nodes, "simulation": simulation}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[25, 50, 200])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--max-claims", type=int, default=None,
                        help="claim budget (default: the library's default; 0: all)")
    parser.add_argument("--cli", action="store_true", help="time the command line instead")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
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
