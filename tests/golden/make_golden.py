"""Write the golden reports and tables the refactoring tests compare against.

Run by hand, only when a change is *meant* to move the numbers (say why in the commit):

    python tests/golden/make_golden.py

Each report is ``validate`` on a built-in DAG: 1,500 simulated real rows (seed 1), a synthetic
table from the ``causal`` synthesizer fitted on them (sampled with seed 2), a holdout of 500
rows (seed 3), validate seed 0. Tables: ``DAG.simulate`` and ``causal`` samples, 200 rows.

The marketing-mix DAGs (``weekly_mmm``, ``geo_mmm``) are made the same way at the sizes of
:data:`DIGEST_DAGS` with :data:`DIGEST_BOOTSTRAP` bootstrap refits, and kept as a *digest*
(:func:`golden_digest`): the verdicts and the headline figures (ICI shares, effects,
independences, ROAS and budget shares, what the table can confirm, the fidelity, utility and
privacy scores) with their standard errors, to 4 significant digits. ``tests/test_golden_mmm.py``
compares them at a tolerance that survives a DoWhy or EconML patch release, not to 1e-7.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import causalsynth as cs

HERE = Path(__file__).resolve().parent
REPORT_DAGS = ("acquisition", "saturation", "ad_funnel")
N_REAL, N_HOLDOUT, N_TABLE = 1500, 500, 200
#: DAG -> (real rows, holdout rows) of its digest: two years of weeks; 40 geos x 26 weeks
#: (a series needs 20 periods) and 8 held-out weeks of each geo
DIGEST_DAGS = {"weekly_mmm": (104, 26), "geo_mmm": (40 * 26, 40 * 8)}
DIGEST_BOOTSTRAP = 5
#: significant digits of a digest's figures (their rounding is far inside the tolerance)
DIGITS = 4


def golden_inputs(name: str, n_real: int = N_REAL, n_holdout: int = N_HOLDOUT):
    dag = cs.load_dag(name)
    real = dag.simulate(n_real, seed=1)
    holdout = dag.simulate(n_holdout, seed=3)
    synthetic = cs.make_synthesizer("causal").fit(real, dag).sample(n_real, seed=2)
    return dag, real, synthetic, holdout


def golden_report(name: str) -> dict:
    dag, real, synthetic, holdout = golden_inputs(name)
    return cs.validate(real, synthetic, dag, holdout=holdout, seed=0).to_dict()


def golden_digest(name: str) -> dict:
    """The digest of the report of a :data:`DIGEST_DAGS` DAG (see the module docstring)."""
    dag, real, synthetic, holdout = golden_inputs(name, *DIGEST_DAGS[name])
    report = cs.validate(real, synthetic, dag, holdout=holdout, seed=0,
                         n_bootstrap=DIGEST_BOOTSTRAP)
    return digest(report.to_dict())


def _figure(value):
    return float(f"{value:.{DIGITS}g}") if isinstance(value, (int, float)) \
        and not isinstance(value, bool) else value


def _rows(rows, key, real: str, synthetic: str) -> dict:
    """Rows by ``key``: both tables' figure and standard error."""
    return {key(r): {"real": _figure(r[real]), "se_real": _figure(r.get("se_real")),
                     "synthetic": _figure(r[synthetic]),
                     "se_synthetic": _figure(r.get("se_synthetic"))} for r in rows or []}


def digest(report: dict) -> dict:
    """A report's verdicts and headline figures (each rounded to :data:`DIGITS` digits)."""
    c = report["causal"]
    scores = lambda section: {k: _figure(m.get("value"))  # noqa: E731
                              for k, m in sorted((report.get(section) or {}).items())}
    return {
        "verdicts": {"report": report["verdict"], "causal": c["verdict"],
                     "copies_real_rows": report["privacy_gate"]["flagged"],
                     "lost_columns": c["lost_columns"]},
        "ici": _rows(c["ici"], lambda r: r["node"], "real_share", "synthetic_share"),
        "effects": _rows(c["effects"], lambda r: f"{r['treatment']} {r['kind']} "
                                                 f"({r['method']})", "real", "synthetic"),
        "independences": _rows(c["independences"],
                               lambda r: f"{r['x']} _||_ {r['y']} | {', '.join(r['given'])}",
                               "real_effect", "synthetic_effect"),
        "mmm": _rows((c.get("mmm") or {}).get("channels"),
                     lambda r: f"{r['channel']} {r['quantity']}", "real", "synthetic"),
        "confirmable": {k: _figure(c["confirmable"].get(k)) for k in
                        ("ici_points", "effect_rel", "independence", "budget_points")},
        "fidelity": scores("fidelity"), "utility": scores("utility"),
        "privacy": scores("privacy"),
    }


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
    names = sys.argv[1:] or [*REPORT_DAGS, *DIGEST_DAGS]
    for name in names:
        if name in DIGEST_DAGS:
            (HERE / f"digest_{name}.json").write_text(
                json.dumps(golden_digest(name), indent=1, sort_keys=True) + "\n")
            print("wrote", name)
            continue
        (HERE / f"report_{name}.json").write_text(
            json.dumps(golden_report(name), indent=1, sort_keys=True, default=str))
        (HERE / f"tables_{name}.json").write_text(
            json.dumps(golden_tables(name), sort_keys=True, default=str))
        print("wrote", name)


if __name__ == "__main__":
    main()
