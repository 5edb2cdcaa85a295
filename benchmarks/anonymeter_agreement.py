"""Do our re-implemented anonymeter risks agree with anonymeter's own, on the same tables?

Writes the tables to CSV from the main environment, computes our three risks, runs anonymeter
1.1.0 on the same CSVs in its own virtual environment (it pins numpy < 2), and prints both with
their 95 % intervals. Agreement = the two intervals overlap (and whether our point estimate lies
inside anonymeter's interval).

Run (main environment):
    /work/venv/bin/python benchmarks/anonymeter_agreement.py [--anon-python PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_ATTACKS = 500
CASES = [  # (name, dag, training rows, control rows, share of synthetic rows copied from training)
    ("acquisition_fresh", "acquisition", 2000, 1000, 0.0),
    ("acquisition_half_copied", "acquisition", 2000, 1000, 0.5),
    ("ad_funnel_half_copied", "ad_funnel", 2000, 1000, 0.5),
]


# ---- part run inside the anonymeter environment (imports neither causalsynth nor numpy 2) -----
def run_anonymeter(case_dir: Path) -> dict:
    import pandas as pd
    from anonymeter.evaluators import (
        InferenceEvaluator,
        LinkabilityEvaluator,
        SinglingOutEvaluator,
    )

    spec = json.loads((case_dir / "spec.json").read_text())
    types = spec["types"]

    def read(name):
        df = pd.read_csv(case_dir / f"{name}.csv")
        for c, t in types.items():
            if t == "binary":
                df[c] = df[c].astype(bool)
            elif t == "categorical":
                df[c] = df[c].astype(str)
        return df

    ori, syn, control = read("train"), read("synthetic"), read("control")
    out = {}
    for mode in ("univariate", "multivariate"):
        t0 = time.perf_counter()
        ev = SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=N_ATTACKS,
                                  n_cols=3, seed=0).evaluate(mode=mode)
        r = ev.risk()
        out[f"singling_out_{mode}"] = {"risk": r.value, "ci": list(r.ci),
                                       "seconds": time.perf_counter() - t0}
    t0 = time.perf_counter()
    aux = tuple(spec["link_cols"])
    r = LinkabilityEvaluator(ori=ori, syn=syn, control=control, n_attacks=N_ATTACKS,
                             aux_cols=aux, n_neighbors=1).evaluate(n_jobs=1).risk()
    out["linkability"] = {"risk": r.value, "ci": list(r.ci), "seconds": time.perf_counter() - t0}
    for secret in spec["secrets"]:
        t0 = time.perf_counter()
        cols = [c for c in ori.columns if c != secret]
        r = InferenceEvaluator(ori=ori, syn=syn, control=control, aux_cols=cols, secret=secret,
                               regression=types[secret] in ("continuous", "count"),
                               n_attacks=N_ATTACKS).evaluate(n_jobs=1).risk()
        out[f"inference_{secret}"] = {"risk": r.value, "ci": list(r.ci),
                                      "seconds": time.perf_counter() - t0}
    return out


# ---- part run in the main environment --------------------------------------------------------
def make_case(case_dir: Path, dag_name: str, n_train: int, n_control: int, copied: float) -> dict:
    import numpy as np

    from causalsynth import load_dag
    from causalsynth.evaluate.privacy import default_link_columns

    dag = load_dag(dag_name)
    train = dag.simulate(n_train, seed=11)
    control = dag.simulate(n_control, seed=12)
    synthetic = dag.simulate(n_train, seed=13)
    n_copy = int(copied * n_train)
    if n_copy:
        rng = np.random.default_rng(14)
        rows = rng.choice(n_train, n_copy, replace=False)
        synthetic.iloc[:n_copy] = train.iloc[rows].to_numpy()
        synthetic = synthetic.astype(train.dtypes.to_dict())
    case_dir.mkdir(parents=True, exist_ok=True)
    for name, df in (("train", train), ("synthetic", synthetic), ("control", control)):
        df.to_csv(case_dir / f"{name}.csv", index=False)
    spec = {"types": {n: dag.node_type(n) for n in dag.nodes},
            "link_cols": [list(c) for c in default_link_columns(dag)],
            "secrets": dag.nodes}
    (case_dir / "spec.json").write_text(json.dumps(spec))
    return spec


def run_ours(case_dir: Path, dag_name: str) -> dict:
    import pandas as pd

    from causalsynth import load_dag
    from causalsynth.evaluate.privacy import inference_risk, linkability_risk, singling_out_risk

    dag = load_dag(dag_name)
    ori, syn, control = (pd.read_csv(case_dir / f"{n}.csv")
                         for n in ("train", "synthetic", "control"))
    out = {}
    t0 = time.perf_counter()
    # anonymeter's own size correction (our default subsamples to equal sizes instead)
    so = singling_out_risk(ori, syn, dag, 0, holdout=control, n_attacks=N_ATTACKS,
                           size_matching="anonymeter")
    per = (time.perf_counter() - t0) / 2
    for row in so.breakdown.to_dict("records"):
        out[f"singling_out_{row['mode']}"] = {"risk": row["risk"],
                                              "ci": [row["ci_low"], row["ci_high"]],
                                              "seconds": per}
    t0 = time.perf_counter()
    lk = linkability_risk(ori, syn, dag, 0, holdout=control, n_attacks=N_ATTACKS)
    out["linkability"] = {"risk": lk.value, "ci": lk.details["risk_ci"],
                          "seconds": time.perf_counter() - t0}
    t0 = time.perf_counter()
    inf = inference_risk(ori, syn, dag, 0, holdout=control, n_attacks=N_ATTACKS)
    per = (time.perf_counter() - t0) / len(inf.breakdown)
    for row in inf.breakdown.to_dict("records"):
        out[f"inference_{row['secret']}"] = {"risk": row["risk"],
                                             "ci": [row["ci_low"], row["ci_high"]],
                                             "seconds": per}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anon-python", default="/work/venv-anon/bin/python")
    parser.add_argument("--anonymeter-dir", help=argparse.SUPPRESS)  # internal: anonymeter side
    args = parser.parse_args()
    if args.anonymeter_dir:
        result = run_anonymeter(Path(args.anonymeter_dir))
        (Path(args.anonymeter_dir) / "anonymeter.json").write_text(json.dumps(result))
        return 0
    n_agree = n_total = n_inside = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, dag_name, n_train, n_control, copied in CASES:
            case_dir = Path(tmp) / name
            make_case(case_dir, dag_name, n_train, n_control, copied)
            ours = run_ours(case_dir, dag_name)
            subprocess.run([args.anon_python, __file__, "--anonymeter-dir", str(case_dir)],
                           check=True)
            theirs = json.loads((case_dir / "anonymeter.json").read_text())
            print(f"\n== {name}: {dag_name}, {n_train} training rows, {n_control} control, "
                  f"{copied:.0%} of synthetic rows copied, {N_ATTACKS} attacks ==")
            print(f"{'risk':34s} {'ours':>6s} {'95% interval':>16s}  {'anonymeter':>10s} "
                  f"{'95% interval':>16s}  overlap  ours-in-theirs  s(ours/anon)")
            for key, t in theirs.items():
                o = ours[key]
                overlap = o["ci"][0] <= t["ci"][1] and t["ci"][0] <= o["ci"][1]
                inside = t["ci"][0] <= o["risk"] <= t["ci"][1]
                n_total += 1
                n_agree += overlap
                n_inside += inside
                print(f"{key:34s} {o['risk']:6.3f} [{o['ci'][0]:5.3f}, {o['ci'][1]:5.3f}]  "
                      f"{t['risk']:10.3f} [{t['ci'][0]:5.3f}, {t['ci'][1]:5.3f}]  "
                      f"{'yes' if overlap else 'NO':>7s}  {'yes' if inside else 'no':>14s}  "
                      f"{o['seconds']:.2f}/{t['seconds']:.2f}")
    print(f"\nintervals overlap in {n_agree} of {n_total} risks; our estimate inside "
          f"anonymeter's interval in {n_inside} of {n_total}")
    return 0 if n_agree == n_total else 1


if __name__ == "__main__":
    sys.exit(main())
