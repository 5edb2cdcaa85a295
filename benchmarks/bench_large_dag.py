"""How ``validate`` scales with the number of DAG nodes: generated linear DAGs of 25 to 200
nodes at 1,000 rows, each section timed, the peak memory, the time per node.

Run:  nice -n 10 .venv/bin/python benchmarks/bench_large_dag.py --nodes 25,50,100,200
      [--rows 1000] [--roots 10] [--spend 3] [--holdout] [--skip-structure]
      [--profile 30] [--timeout 900] [--label before]

Each DAG is generated with a fixed seed (``generated_dag``): nodes ``x000``, ``x001``, ... in
topological order; the first ``--roots`` (10) are normal roots (the first ``--spend`` (3) of
them with the role ``spend``: the treatments), every later node is a linear
child of 1-3 earlier nodes (coefficients +-0.3-1.0, unit noise) and the last node is the
outcome. The real table is ``dag.simulate(rows, seed=1)``; the synthetic table is a fresh
draw of as many rows (seed 2), so every causal figure should be preserved; ``--holdout``
adds a holdout of ``rows // 5`` rows (seed 3). ``--skip-structure`` replaces the
discovered-structure section (GES on both tables and their split halves) by a stub, to time
the other sections where discovery alone would take hours. Each size runs in a fresh
process, so its peak resident memory (``report.meta["peak_memory_mb"]``, ``ru_maxrss``) is its own.

One JSON line per size is appended to ``benchmarks/results/large_dag.jsonl``: the sections'
seconds (``report.meta["timings"]``), the seconds of each fidelity/utility/privacy metric,
the seconds per node, the peak memory, the caps the report states
(each metric's ``details["cap"]``), the verdict, the commit and the machine's load
(``os.getloadavg()`` before and after) and ``--label`` (to time older code, put its copy
first on ``PYTHONPATH``: ``commit`` names this checkout, ``label`` what ran). ``--profile N``
also prints the N costliest functions (cProfile, cumulative time) of each size.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_info import git_state  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "large_dag.jsonl"


def generated_dag(n_nodes: int, n_roots: int = 10, n_spend: int = 3, seed: int = 0) -> dict:
    """A linear-Gaussian DAG spec for :func:`causalsynth.load_dag` (see the module docstring).

    Examples
    --------
    >>> spec = generated_dag(12, n_roots=10)
    >>> [n["name"] for n in spec["nodes"]][-1], spec["simulation"]["x000"]["distribution"]
    ('x011', 'normal')
    """
    rnd = random.Random(seed)
    names = [f"x{i:03d}" for i in range(n_nodes)]
    nodes, simulation = [], {}
    for i, name in enumerate(names):
        role = ("outcome" if i == n_nodes - 1 else "spend" if i < min(n_spend, n_roots)
                else "context")
        parents = ([] if i < n_roots
                   else sorted(rnd.sample(names[:i], min(i, rnd.choice([1, 2, 3])))))
        nodes.append({"name": name, "type": "continuous", "role": role, "parents": parents})
        if parents:
            coefs = {p: round(rnd.choice([-1, 1]) * rnd.uniform(0.3, 1.0), 2) for p in parents}
            simulation[name] = {"intercept": 0, "coefficients": coefs,
                                "noise": {"distribution": "normal", "sd": 1}}
        else:
            simulation[name] = {"distribution": "normal", "mean": 0, "sd": 1}
    return {"name": f"generated_{n_nodes}", "nodes": nodes, "simulation": simulation}


def one_size(n_nodes: int, rows: int, roots: int, spend: int, holdout: bool, profile: int,
             skip_structure: bool) -> dict:
    """``validate`` on one generated DAG, in this process."""
    import causalsynth as cs

    if skip_structure:  # validate imports the section when it runs: replaced here
        import causalsynth.evaluate.structure as structure

        structure.structure_section = lambda tables, seed, **kw: {"skipped": "benchmark"}
    dag = cs.load_dag(generated_dag(n_nodes, roots, spend))
    real, synthetic = dag.simulate(rows, seed=1), dag.simulate(rows, seed=2)
    hold = dag.simulate(rows // 5, seed=3) if holdout else None
    load_before = os.getloadavg()
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    report = cs.validate(real, synthetic, dag, holdout=hold, seed=0)
    seconds = time.perf_counter() - start
    if profiler is not None:
        import pstats
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(profile)
    metrics = {name: round(r.seconds, 2)
               for part in (report.fidelity, report.utility, report.privacy)
               for name, r in part.items() if getattr(r, "seconds", None) is not None}
    caps = {name: r.details["cap"] for part in (report.fidelity, report.utility, report.privacy)
            for name, r in part.items() if isinstance(getattr(r, "details", None), dict)
            and r.details.get("cap")}
    return {"nodes": n_nodes, "edges": len(dag.edges), "roots": roots, "spend": spend,
            "rows": rows, "structure_skipped": skip_structure,
            "holdout": hold is not None,
            "seconds": round(seconds, 1),
            "seconds_per_node": round(seconds / n_nodes, 3),
            "sections": {k: round(v, 2) for k, v in report.meta["timings"].items()},
            "metric_seconds": metrics,
            "caps": caps,
            "peak_memory_mb": round(report.meta["peak_memory_mb"] or 0, 1),
            "verdict": report.verdict,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="25,50,100,200",
                        help="comma-separated DAG sizes (default 25,50,100,200)")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--roots", type=int, default=10)
    parser.add_argument("--spend", type=int, default=3, help="roots with the role spend")
    parser.add_argument("--holdout", action="store_true")
    parser.add_argument("--skip-structure", action="store_true",
                        help="replace the discovered-structure section by a stub")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions (cProfile) of each size")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--label", default=None,
                        help="recorded with each row, e.g. 'before' for a run of older code")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.rows, args.roots, args.spend, args.holdout,
                                  args.profile, args.skip_structure)))
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for n in (int(x) for x in args.nodes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n), "--rows", str(args.rows),
               "--roots", str(args.roots), "--spend", str(args.spend),
               "--profile", str(args.profile)]
        cmd += ["--holdout"] if args.holdout else []
        cmd += ["--skip-structure"] if args.skip_structure else []
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{n} nodes: stopped after {args.timeout:.0f} s")
            continue
        if args.profile:
            sys.stderr.write(out.stderr[-20000:])
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if out.returncode or not lines:
            sys.stderr.write(out.stderr[-3000:])
            print(f"{n} nodes: failed (exit {out.returncode})")
            continue
        row = json.loads(lines[-1])
        row = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
               "commit": git_state(), "label": args.label, "cores": os.cpu_count(), **row}
        print(json.dumps(row), flush=True)
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
