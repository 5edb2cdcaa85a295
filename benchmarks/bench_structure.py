"""The discovered-structure section of ``validate``: does it separate broken synthesizers from a
faithful one and a fresh draw, and what does a fresh draw's distance look like beside the
split-half reference?

Run by hand:  python benchmarks/bench_structure.py [--dags acquisition saturation]
              [--rows 20000] [--seeds 20] [--synths fresh causal ctgan tvae] [--epochs 30]
              python benchmarks/bench_structure.py --summary    # the table from the results

Per DAG and seed: a real table of ``rows`` rows (``dag.simulate(rows, seed)``) and, from each
source, a synthetic table of as many rows: ``fresh`` (another draw of the true model, seed
``1000 + seed``: a perfect synthesizer), ``causal`` (the DAG-structured synthesizer), ``ctgan``
and ``tvae`` (SDV, ``--epochs`` epochs: small budgets, known to lose the structure). Each pair
goes through the section exactly as ``validate`` builds it
(:func:`causalsynth.evaluate.structure.structure_section`, seed ``seed``), and one JSON line
per run lands in benchmarks/results/structure.jsonl: the full graphs' SHD and the edges lost,
gained and reoriented; the split-half SHDs of the real table (``ref``) and of the synthetic
table (``syn_ref``); the SHDs between a real half and a synthetic half (``cross``), the
section's ``within_reference`` and its seconds (fit and sample time apart).

``--summary`` prints, per DAG and source, the mean SHD, edges lost and gained, and the share of
seeds within the reference under each candidate rule:

* ``pairs`` (the section's ``within_reference``): every differing pair also differs between
  the two halves of some split of the real or the synthetic table;
* ``full<=max(ref)``: the full graphs' SHD at most the largest real split-half SHD;
* ``full<=max(ref+syn)``: ... at most the largest split-half SHD of either table;
* ``cross<=max(ref)``: the mean real-half vs synthetic-half SHD at most the largest real
  split-half SHD (every graph at half size);
* ``cross<=max(ref+syn)``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from run_info import git_state, machine_load

import causalsynth as cs
from causalsynth.data import check_data
from causalsynth.evaluate._shared import Tables
from causalsynth.evaluate.causal import canonical_rows, panel_periods
from causalsynth.evaluate.structure import structure_section

RESULTS = Path(__file__).parent / "results" / "structure.jsonl"
SOURCES = ("fresh", "causal", "ctgan", "tvae")


def rules(r: dict) -> dict[str, bool]:
    """Each candidate 'within the reference' rule on one run's record."""
    ref, both = max(r["ref"]), max(r["ref"] + r["syn_ref"])
    cross = float(np.mean(r["cross"]))
    return {"pairs": r["unexplained"] == 0, "full<=max(ref)": r["shd"] <= ref,
            "full<=max(ref+syn)": r["shd"] <= both, "cross<=max(ref)": cross <= ref,
            "cross<=max(ref+syn)": cross <= both}


def synthetic(source: str, dag, real, rows: int, seed: int, epochs: int):
    if source == "fresh":
        return dag.simulate(rows, seed=1000 + seed)
    params = {"epochs": epochs} if source in ("ctgan", "tvae") else {}
    synth = cs.make_synthesizer(source, **params).fit(real, dag)
    return synth.sample(rows, seed=2000 + seed)


def tables(dag, real, syn) -> Tables:
    """The tables as ``validate`` checks them (synthetic: constant columns allowed)."""
    r = canonical_rows(check_data(real, dag), dag)
    s = canonical_rows(check_data(syn, dag, allow_constant=True), dag)
    return Tables(dag, r, s, periods=(panel_periods(real, dag), panel_periods(syn, dag), None))


def bench(args) -> None:
    state, load = git_state(), machine_load()
    for name in args.dags:
        dag = cs.load_dag(name)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            real = dag.simulate(args.rows, seed=seed)
            for source in args.synths:
                start = time.perf_counter()
                syn = synthetic(source, dag, real, args.rows, seed, args.epochs)
                made = time.perf_counter() - start
                s = structure_section(tables(dag, real, syn), seed=seed)
                if "reference" not in s or s["reference"].get("skipped"):
                    print(f"{name} {seed} {source}: {s.get('error') or s.get('skipped') or s}")
                    continue
                ref = s["reference"]
                rec = {"dag": name, "rows": args.rows, "seed": seed, "source": source,
                       "epochs": args.epochs if source in ("ctgan", "tvae") else None,
                       "shd": s["shd"], "lost": [e["real"] for e in s["lost"]],
                       "gained": [e["synthetic"] for e in s["gained"]],
                       "reoriented": [[e["real"], e["synthetic"]] for e in s["reoriented"]],
                       "real_edges": len(s["real_edges"]),
                       "synthetic_edges": len(s["synthetic_edges"]),
                       "ref": ref["shd"], "syn_ref": ref["synthetic_shd"],
                       "cross": ref["cross_shd"], "within_reference": s["within_reference"],
                       "unexplained": sum(not e["between_halves"] for k in
                                          ("lost", "gained", "reoriented") for e in s[k]),
                       "seconds": s["seconds"], "make_seconds": made, "commit": state,
                       "load": load, "date": datetime.date.today().isoformat()}
                with RESULTS.open("a") as fh:
                    fh.write(json.dumps(rec) + "\n")
                print(f"{name:12s} seed {seed:2d} {source:7s} SHD {rec['shd']:2d} lost "
                      f"{len(rec['lost'])} gained {len(rec['gained'])} never between halves "
                      f"{rec['unexplained']} | ref {ref['shd']} syn "
                      f"{ref['synthetic_shd']} cross {ref['cross_shd']} | "
                      f"{s['seconds']:.1f} s (+{made:.0f} s)", flush=True)


def summary(args) -> None:
    recs = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    recs = [r for r in recs if r["rows"] == args.rows]
    names = list(rules(recs[0])) if recs else []
    print(f"rows {args.rows}: dag, source, seeds | mean SHD, lost, gained | max ref SHD "
          f"(mean) | share within: " + ", ".join(names) + " | seconds (mean, max)")
    keys = sorted({(r["dag"], r["source"], r["epochs"]) for r in recs},
                  key=lambda k: (k[0], SOURCES.index(k[1]), k[2] or 0))
    for dag, source, epochs in keys:
        sel = [r for r in recs if (r["dag"], r["source"], r["epochs"]) == (dag, source, epochs)]
        within = [np.mean([rules(r)[k] for r in sel]) for k in names]
        label = source + (f"@{epochs}" if epochs else "")
        print(f"{dag:12s} {label:10s} {len(sel):3d} | {np.mean([r['shd'] for r in sel]):5.2f} "
              f"{np.mean([len(r['lost']) for r in sel]):5.2f} "
              f"{np.mean([len(r['gained']) for r in sel]):5.2f} | "
              f"{np.mean([max(r['ref']) for r in sel]):4.2f} | "
              + " ".join(f"{w:5.2f}" for w in within)
              + f" | {np.mean([r['seconds'] for r in sel]):5.2f} "
                f"{max(r['seconds'] for r in sel):5.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dags", nargs="+", default=["acquisition", "saturation"])
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--synths", nargs="+", default=list(SOURCES), choices=SOURCES)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--summary", action="store_true")
    args = p.parse_args()
    RESULTS.parent.mkdir(exist_ok=True)
    summary(args) if args.summary else bench(args)


if __name__ == "__main__":
    main()
