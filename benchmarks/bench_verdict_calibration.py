"""Is the verdict honest? False alarms on real-vs-real tables, power on broken ones.

False alarms: "not preserved" for a table from the same population —
  * random split halves of the shipped real tables (robyn_weekly, meridian_national,
    online_shop), each half judged against the other;
  * a fresh draw against the real table on acquisition, saturation and ad_funnel at 200,
    1,000 and 20,000 rows.
  Target: at most 1 in 20 on each; the share of "inconclusive" is printed beside it.
Power: "not preserved" for a broken synthetic table —
  * shuffled treatment, a cut edge (a channel's path removed) and a halved effect, on
    acquisition and saturation at 1,000 and 20,000 rows and on ad_funnel at 20,000 rows.
  Target: at least 19 of 20; at 200 rows a shuffled treatment is never "preserved".

Run by hand (one process per part uses both cores):
    python benchmarks/bench_verdict_calibration.py --part false_alarm --reps 20
    python benchmarks/bench_verdict_calibration.py --part power --reps 20
Results are appended as JSON lines to benchmarks/results/verdict_calibration.jsonl (one line
per comparison), so a long run can be summarised while it goes:
    python benchmarks/bench_verdict_calibration.py --summary
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import causalsynth as cs
from causalsynth.datasets import load_example
from causalsynth.evaluate.causal import compare_causal, split_half

RESULTS = Path(__file__).parent / "results" / "verdict_calibration.jsonl"
REAL_TABLES = ("robyn_weekly", "meridian_national", "online_shop")
SIMULATED = ("acquisition", "saturation", "ad_funnel")

#: how each built-in DAG is broken: the treatment to shuffle, and the simulation edits
#: (node, key, sub-key, new value; None removes the key) of a cut edge and a halved effect
BREAKS = {
    # TV acts through both click channels (0.5 each): halving both halves its effect
    "acquisition": {"treatment": "tv_spend",
                    "cut": [("revenue", "coefficients", "social_clicks", 0.0)],
                    "halved": [("social_clicks", "coefficients", "tv_spend", 0.25),
                               ("organic_clicks", "coefficients", "tv_spend", 0.25)]},
    "saturation": {"treatment": "tv_spend",
                   "cut": [("revenue", "coefficients", "brand_searches", 0.0)],
                   "halved": [("brand_searches", "coefficients", "tv_spend", 200.0)]},
    # exposure gates clicks: cutting the gate removes exposure -> click; lowering the click
    # intercept by 0.8 roughly halves the click rate of exposed users, so the effect
    "ad_funnel": {"treatment": "exposure", "cut": [("click", "gate", None, None)],
                  "halved": [("click", "intercept", None, -2.4)]},
}


def broken_table(dag: cs.DAG, case: str, n: int, seed: int):
    spec = BREAKS[dag.name]
    if case == "shuffled":
        table = dag.simulate(n, seed=seed)
        t = spec["treatment"]
        table[t] = np.random.default_rng(seed).permutation(table[t].to_numpy())
        return table
    d = dag.to_dict()
    for node, key, sub, value in spec[case]:
        block = d["simulation"][node]
        if value is None:
            block.pop(key)
        elif sub is None:
            block[key] = value
        else:
            block[key][sub] = value
    return cs.load_dag(d).simulate(n, seed=seed)


def record(row: dict) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps({k: v for k, v in row.items() if k != "reasons"}), flush=True)


def judge(kind: str, name: str, n: int, rep: int, real, other, dag) -> None:
    start = time.perf_counter()
    out = compare_causal(real, other, dag, seed=rep)
    record({"kind": kind, "dag": name, "n": n, "rep": rep, "verdict": out["verdict"],
            "seconds": round(time.perf_counter() - start, 2),
            "reasons": [r for r in out["reasons"] if "not decidable" not in r][:3]})


def false_alarms(reps: int, sizes: list[int], tables: list[str]) -> None:
    for name in tables:
        if name in REAL_TABLES:
            dag, table = cs.load_dag(name), load_example(name)
            for rep in range(reps):
                a, b = split_half(table, dag, seed=rep)
                judge("split_half", name, len(table), rep, a, b, dag)
        else:
            dag = cs.load_dag(name)
            for n in sizes:
                for rep in range(reps):
                    judge("fresh_draw", name, n, rep, dag.simulate(n, seed=1000 + rep),
                          dag.simulate(n, seed=2000 + rep), dag)


def power(reps: int, plan: list[tuple[str, int, str]]) -> None:
    for name, n, case in plan:
        dag = cs.load_dag(name)
        for rep in range(reps):
            judge(case, name, n, rep, dag.simulate(n, seed=1000 + rep),
                  broken_table(dag, case, n, 2000 + rep), dag)


def summary() -> None:
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    # one result per comparison: a rerun of the same (case, table, rows, rep) replaces it
    rows = list({(r["kind"], r["dag"], r["n"], r["rep"]): r for r in rows}.values())
    groups: dict[tuple, Counter] = {}
    secs: dict[tuple, list] = {}
    for r in rows:
        key = (r["kind"], r["dag"], r["n"])
        groups.setdefault(key, Counter())[r["verdict"]] += 1
        secs.setdefault(key, []).append(r["seconds"])
    print(f"{'kind':12s} {'dag':18s} {'rows':>7s} {'runs':>5s} {'not pres.':>10s} "
          f"{'inconcl.':>9s} {'preserved':>10s} {'median s':>9s}")
    for key in sorted(groups):
        c, total = groups[key], sum(groups[key].values())
        print(f"{key[0]:12s} {key[1]:18s} {key[2]:7d} {total:5d} {c['not preserved']:10d} "
              f"{c['inconclusive']:9d} {c['preserved']:10d} {np.median(secs[key]):9.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["false_alarm", "power"])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--sizes", default="200,1000,20000")
    ap.add_argument("--tables", default=",".join(REAL_TABLES + SIMULATED))
    ap.add_argument("--cases", default="shuffled,cut,halved")
    ap.add_argument("--dags", default=",".join(SIMULATED), help="DAGs of the power part")
    ap.add_argument("--summary", action="store_true")
    args = ap.parse_args()
    if args.summary:
        summary()
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.part == "false_alarm":
        false_alarms(args.reps, sizes, args.tables.split(","))
    elif args.part == "power":
        cases, dags = args.cases.split(","), args.dags.split(",")
        plan = [(d, n, c) for d in ("acquisition", "saturation") for n in (1000, 20000)
                for c in cases if n in sizes and d in dags]
        plan += [("ad_funnel", 20000, c) for c in cases if 20000 in sizes and "ad_funnel" in dags]
        plan += [(d, 200, "shuffled") for d in SIMULATED if 200 in sizes and d in dags]
        power(args.reps, plan)
    summary()


if __name__ == "__main__":
    main()
