"""Benchmark: the ``causal`` synthesizer against ``gaussian_copula`` on every built-in DAG.

For each DAG a real table (20,000 rows; 10,000 for ad_funnel), a holdout and an independent
fresh sample are simulated. Each synthesizer is fitted on the real table and samples as many
rows. Reported per synthesizer and DAG:

* fit and sample time (seconds; the machine's load average is printed beside them);
* SDMetrics quality score (single-table QualityReport, metadata from the DAG's types);
* causal preservation: ICI shares, treatment effects, broken independences and the verdict of
  the synthetic table vs the real one, by ``causalsynth.evaluate.causal.compare_causal``; also
  the naive regression slope of the outcome on each numeric treatment;
* for ``causal``: the interventional effect of each treatment (+10%, or do(1) - do(0))
  sampled from the fitted synthesizer with common random numbers, vs the DAG's ground truth;
* privacy: synthetic rows identical to real rows, the worst per-column verbatim-value rate
  (minus an independent fresh sample's), and the share of synthetic rows closer to the real
  table than to the holdout (minus a fresh sample's share, measured the same way).

Run by hand (takes a few minutes; ground truth of the non-linear DAGs is Monte Carlo)::

    python benchmarks/bench_causal_synthesizer.py                # all DAGs, markdown table
    python benchmarks/bench_causal_synthesizer.py --dags saturation --rows 5000
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from causalsynth import load_dag
from causalsynth.data import sdmetrics_metadata, to_plain_frame
from causalsynth.evaluate._tabular import MixedEncoder, nearest
from causalsynth.evaluate.fidelity import quality_report
from causalsynth.synthesizers import make_synthesizer

DAGS = ("acquisition", "saturation", "ad_funnel")
DEFAULT_ROWS = {"acquisition": 20_000, "saturation": 20_000, "ad_funnel": 10_000}


# ---- causal comparison -------------------------------------------------------------------
def causal_comparison(real: pd.DataFrame, syn: pd.DataFrame, dag, seed: int) -> dict:
    """ICI shares, effects, independences and verdict by the project's causal evaluation."""
    from causalsynth.evaluate.causal import compare_causal

    out = compare_causal(real, syn, dag, seed=seed)
    ici = pd.DataFrame(out["ici"])
    eff = pd.DataFrame(out["effects"])
    judged = eff[eff["status"] != "not judged"] if len(eff) else eff  # as the leaderboard
    broken = sum(r["status"] == "beyond" for r in out["independences"])
    return {"evaluator": "compare_causal", "verdict": out["verdict"],
            "max_ici_pp": float(ici["diff_pp"].abs().max()),
            "max_effect_rel": float(judged["rel_diff"].abs().max()) if len(judged) else np.nan,
            "broken_independences": broken, "ici": ici,
            "effects": eff[[c for c in ("treatment", "kind", "method", "real", "synthetic",
                                        "rel_diff", "status") if c in eff.columns]],
            "reasons": out["reasons"]}


def naive_slopes(real: pd.DataFrame, syn: pd.DataFrame, dag) -> float:
    """Largest relative difference of the OLS slope of the outcome on each numeric treatment."""
    worst = 0.0
    for t in dag.treatments:
        if dag.node(t).type == "categorical":
            continue
        slopes = [np.polyfit(df[t].astype(float), df[dag.outcome].astype(float), 1)[0]
                  for df in (real, syn)]
        worst = max(worst, abs(slopes[1] - slopes[0]) / (abs(slopes[0]) or 1.0))
    return worst


def interventional_effects(synth, dag, n: int = 100_000, seed: int = 5) -> pd.DataFrame:
    """Effects sampled from the fitted causal synthesizer (common random numbers) vs truth."""
    truth = dag.ground_truth().effects.set_index("treatment")
    rows = []
    for t in dag.treatments:
        node = dag.node(t)
        if node.type == "binary":
            est = (synth.sample(n, seed=seed, interventions={t: 1})[dag.outcome].mean()
                   - synth.sample(n, seed=seed, interventions={t: 0})[dag.outcome].mean())
            true = truth.loc[t, "per_unit"]
            kind = "do(1)-do(0)"
        elif node.is_numeric:
            est = (synth.sample(n, seed=seed, interventions={t: "+10%"})[dag.outcome].mean()
                   - synth.sample(n, seed=seed)[dag.outcome].mean())
            true = truth.loc[t, "shift_10pct"]
            kind = "+10%"
        else:
            continue
        rows.append({"treatment": t, "kind": kind, "sampled": est, "truth": true,
                     "rel_diff": (est - true) / abs(true)})
    return pd.DataFrame(rows)


# ---- privacy -------------------------------------------------------------------------------
def privacy(real, syn, holdout, fresh, dag) -> dict:
    def copied_rate(table) -> float:
        rates = [np.isin(table[c].astype(str if dag.node(c).type == "categorical" else float),
                         real[c].astype(str if dag.node(c).type == "categorical" else float)
                         ).mean() for c in dag.nodes if dag.node(c).is_numeric]
        return max(rates) if rates else 0.0

    def rows_copied(table) -> int:
        keys = pd.util.hash_pandas_object(real, index=False)
        return int(pd.util.hash_pandas_object(table, index=False).isin(keys).sum())

    enc = MixedEncoder(dag).fit(real)
    r, h = enc.transform(real), enc.transform(holdout)

    def closer_to_training(table) -> float:
        x = enc.transform(table)
        d_train = nearest(x, r, metric=enc.metric).ravel()
        d_hold = nearest(x, h, metric=enc.metric).ravel()
        return float(np.mean(d_train < d_hold) + 0.5 * np.mean(d_train == d_hold))

    return {"rows_copied": rows_copied(syn), "rows_copied_fresh": rows_copied(fresh),
            "verbatim_excess": copied_rate(syn) - copied_rate(fresh),
            "closer_excess": closer_to_training(syn) - closer_to_training(fresh)}


# ---- main ---------------------------------------------------------------------------------
def run(dag_name: str, synth_name: str, rows: int, seed: int) -> dict:
    dag = load_dag(dag_name)
    real = dag.simulate(rows, seed=seed)
    holdout = dag.simulate(rows, seed=seed + 1)
    fresh = dag.simulate(rows, seed=seed + 2)
    synth = make_synthesizer(synth_name)
    t0 = time.perf_counter()
    synth.fit(real, dag)
    t1 = time.perf_counter()
    syn = synth.sample(rows, seed=seed + 3)
    t2 = time.perf_counter()
    meta = sdmetrics_metadata(dag)
    q = quality_report(to_plain_frame(real, dag), to_plain_frame(syn, dag), meta)["score"]
    out = {"dag": dag_name, "synthesizer": synth_name, "rows": rows,
           "fit_s": t1 - t0, "sample_s": t2 - t1, "quality": q,
           "naive_slope_rel": naive_slopes(real, syn, dag)}
    try:
        cmp_ = causal_comparison(real, syn, dag, seed)
        out.update({k: cmp_[k] for k in ("evaluator", "verdict", "max_ici_pp", "max_effect_rel",
                                         "broken_independences")})
        out["_reasons"] = cmp_["reasons"]
        out["_ici"], out["_effects"] = cmp_["ici"], cmp_["effects"]
    except ImportError as exc:
        out["evaluator"] = f"none ({exc})"
    if synth.supports_interventions:
        out["_interventional"] = interventional_effects(synth, dag)
        out["interv_rel"] = float(out["_interventional"]["rel_diff"].abs().max())
    out.update(privacy(real, syn, holdout, fresh, dag))
    return out


def _fmt(x, spec: str) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def markdown(results: list[dict]) -> str:
    head = ("| DAG | synthesizer | fit s | sample s | quality | max ICI diff (pp) | "
            "max effect diff | broken indep. | verdict | naive slope diff | interv. vs truth | "
            "rows copied (fresh) | verbatim excess | closer-to-train excess |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        lines.append(
            f"| {r['dag']} | {r['synthesizer']} | {r['fit_s']:.2f} | {r['sample_s']:.2f} | "
            f"{r['quality']:.4f} | {_fmt(r.get('max_ici_pp'), '.2f')} | "
            f"{_fmt(r.get('max_effect_rel'), '.1%')} | {r.get('broken_independences', '—')} | "
            f"{r.get('verdict') or '—'} | "
            f"{r['naive_slope_rel']:.1%} | {_fmt(r.get('interv_rel'), '.1%')} | "
            f"{r['rows_copied']} ({r['rows_copied_fresh']}) | {r['verbatim_excess']:+.3f} | "
            f"{r['closer_excess']:+.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dags", nargs="+", default=list(DAGS), choices=DAGS)
    parser.add_argument("--synthesizers", nargs="+", default=["causal", "gaussian_copula"])
    parser.add_argument("--rows", type=int, default=None,
                        help="rows of the real table (default 20,000; 10,000 for ad_funnel)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--details", action="store_true", help="print ICI and effect tables")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # SDV/SDMetrics deprecation chatter; a benchmark, not a test
    results = []
    for dag_name in args.dags:
        for synth_name in args.synthesizers:
            r = run(dag_name, synth_name, args.rows or DEFAULT_ROWS[dag_name], args.seed)
            results.append(r)
            print(f"{dag_name} / {synth_name}: fit {r['fit_s']:.2f} s, sample "
                  f"{r['sample_s']:.2f} s, quality {r['quality']:.4f}, evaluator "
                  f"{r.get('evaluator')}", flush=True)
            if args.details:
                for key in ("_ici", "_effects", "_interventional"):
                    if key in r:
                        print(r[key].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
                print("\n".join("  " + line for line in r.get("_reasons", [])))
    print(f"\nload average {os.getloadavg()[0]:.2f} (2 cores)\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
