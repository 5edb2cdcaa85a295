"""Write the golden reports and tables the refactoring tests compare against.

Run by hand, only when a change is *meant* to move the numbers (say why in the commit):

    python tests/golden/make_golden.py

Each report is ``validate`` on a built-in DAG: 1,500 simulated real rows (seed 1), a synthetic
table from the ``causal`` synthesizer fitted on them (sampled with seed 2), a holdout of 500
rows (seed 3), validate seed 0. Tables: ``DAG.simulate`` and ``causal`` samples, 200 rows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import causalsynth as cs

HERE = Path(__file__).resolve().parent
REPORT_DAGS = ("acquisition", "saturation", "ad_funnel")
N_REAL, N_HOLDOUT, N_TABLE = 1500, 500, 200


def golden_inputs(name: str):
    dag = cs.load_dag(name)
    real = dag.simulate(N_REAL, seed=1)
    holdout = dag.simulate(N_HOLDOUT, seed=3)
    synthetic = cs.make_synthesizer("causal").fit(real, dag).sample(N_REAL, seed=2)
    return dag, real, synthetic, holdout


def golden_report(name: str) -> dict:
    dag, real, synthetic, holdout = golden_inputs(name)
    return cs.validate(real, synthetic, dag, holdout=holdout, seed=0).to_dict()


def golden_tables(name: str) -> dict:
    dag = cs.load_dag(name)
    real = dag.simulate(N_TABLE, seed=5)
    out = {"simulate": real.to_dict(orient="list")}
    if name in REPORT_DAGS:
        syn = cs.make_synthesizer("causal").fit(dag.simulate(1000, seed=6), dag)
        out["causal"] = syn.sample(N_TABLE, seed=7).to_dict(orient="list")
        node = dag.node(dag.treatments[0])
        what = {node.name: "+10%" if node.is_numeric else 1}
        out["causal_do"] = syn.sample(N_TABLE, seed=7, interventions=what).to_dict(orient="list")
        out["simulate_do"] = dag.simulate(N_TABLE, seed=5, interventions=what
                                          ).to_dict(orient="list")
    return out


def main() -> None:
    names = sys.argv[1:] or list(REPORT_DAGS)
    for name in names:
        (HERE / f"report_{name}.json").write_text(
            json.dumps(golden_report(name), indent=1, sort_keys=True, default=str))
        (HERE / f"tables_{name}.json").write_text(
            json.dumps(golden_tables(name), sort_keys=True, default=str))
        print("wrote", name)


if __name__ == "__main__":
    main()
