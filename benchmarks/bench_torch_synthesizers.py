"""Benchmark of the torch synthesizers against CTGAN and TVAE at the same training-time budget.

Part 1 (``diffusion`` vs ``ctgan`` and ``tvae``), per case (saturation, ad_funnel,
acquisition at 20,000 rows):

* ``diffusion`` is fitted with its defaults; its fit time is the budget;
* ``ctgan`` and ``tvae`` (the registry's SDV adapters) get as many epochs as fit in the same
  time, set-up excluded, from their per-epoch time measured on two short runs (2 and 6
  epochs); ``--epochs-ctgan`` / ``--epochs-tvae`` fix them instead;
* for each synthetic table (as many rows as the real one): SDMetrics' QualityReport score
  (metadata from the DAG's node types), the largest ICI difference from the real table
  (``causalsynth.intrinsic_influence`` on both, same seed), the effect of the first treatment
  on the outcome for a 10% rise (LinearDML, back-door adjusted) and the share of continuous
  values (point masses excluded) that are verbatim copies of real values.

Part 2 (``wgan`` on 19 rows of acquisition, sampling 2,000, as in the published marketing case):
fit time (wall and CPU), and train-on-synthetic/test-on-real utility: a random forest predicting
revenue from the other columns, R^2 on a fresh 5,000-row real sample, next to the same forest
trained on the 19 real rows (and on CTGAN's and TVAE's 2,000 rows, for context).

Every torch model runs with ``--threads`` CPU threads (default 1: on a 2-core machine shared with
other busy processes, 1 thread is several times faster than 2 for these small networks). The
machine load (``os.getloadavg``) is printed next to the timings.

Usage::

    python benchmarks/bench_torch_synthesizers.py                 # everything (~30-60 min)
    python benchmarks/bench_torch_synthesizers.py --cases saturation --rows 2000 --no-wgan
    python benchmarks/bench_torch_synthesizers.py --only-wgan --json wgan.json
    # on a GPU: diffusion alone at 20k, 200k and 1M rows (wgan is for small tables)
    python benchmarks/bench_torch_synthesizers.py --cases acquisition --rows 1000000 \
        --device cuda --no-peers --no-wgan

Reference (PITFALLS.md): synthcity's TabDDPM (1,000 iterations, own environment, 2 cores) took
349 s on the 20,000-row acquisition case for quality 99.45 %, max ICI difference 1.96 points and
a TV effect of 10,154 (real 10,038).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from causalsynth import intrinsic_influence, load_dag, make_synthesizer
from causalsynth.dag import DAG
from causalsynth.data import sdmetrics_metadata, to_plain_frame
from causalsynth.evaluate.effects import dml_effects
from causalsynth.evaluate.fidelity import quality_report

DEFAULT_ROWS = {"saturation": 3000, "ad_funnel": 3000, "acquisition": 20000}
#: Monte Carlo rows of the ICI estimator; ad_funnel's 10 nodes with classifiers are slow
MC_ROWS = {"saturation": 10_000, "ad_funnel": 2_000, "acquisition": 10_000}
SYNTHCITY = {"quality": 99.45, "max_ici_diff": 1.96, "fit_s": 349.0, "effect": 10154.0}


def load() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def timed_fit(name: str, params: dict[str, Any], real: pd.DataFrame, dag: DAG):
    """(fitted synthesizer, wall seconds, CPU seconds of this process)."""
    synth = make_synthesizer(name, **params)
    w0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit(real, dag)
    return synth, time.perf_counter() - w0, time.process_time() - c0


def budget_epochs(name: str, real: pd.DataFrame, dag: DAG, budget_s: float) -> tuple[int, float]:
    """Epochs of ``name`` whose training (set-up excluded) takes ``budget_s`` seconds.

    Per-epoch time from runs of 2 and 6 epochs; when load swings make the difference useless
    (<= 0), the 6-epoch run's mean time per epoch (an upper bound) is used instead. Set-up
    (SDV's per-column Gaussian mixtures) is not counted: it can exceed the whole budget on a
    busy machine.
    """
    _, t2, _ = timed_fit(name, {"epochs": 2}, real, dag)
    _, t6, _ = timed_fit(name, {"epochs": 6}, real, dag)
    per_epoch = (t6 - t2) / 4 if t6 > t2 else t6 / 6
    return max(1, int(budget_s / per_epoch)), per_epoch


def ici_shares(data: pd.DataFrame, dag: DAG, seed: int) -> pd.Series:
    res = intrinsic_influence(data, dag, seed=seed, n_bootstrap=0,
                              mc_rows=MC_ROWS.get(dag.name, 10_000))
    return pd.Series(res.shares())


def effect_10pct(data: pd.DataFrame, dag: DAG, seed: int) -> tuple[str, float]:
    rows = [r for r in dml_effects(data, dag, dag.outcome, seed=seed)]
    pick = [r for r in rows if r["kind"] == "shift_10pct"] or rows
    if not pick:
        return "-", float("nan")
    # acquisition and saturation: tv_spend; ad_funnel: exposure (per unit: do(1) - do(0))
    row = next((r for r in pick if r["treatment"] == "tv_spend"), pick[0])
    return f"{row['treatment']} ({row['kind']})", float(row["estimate"])


def verbatim_share(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG) -> float:
    """Share of continuous synthetic values equal to some real value (point masses excluded)."""
    shares = []
    for col in dag.nodes:
        if dag.node_type(col) != "continuous":
            continue
        r = real[col].to_numpy(float)
        values, counts = np.unique(r, return_counts=True)
        masses = values[counts >= max(2, 0.01 * len(r))]
        s = synthetic[col].to_numpy(float)
        s = s[~np.isin(s, masses)]
        if len(s):
            shares.append(float(np.isin(s, r).mean()))
    return float(np.mean(shares)) if shares else 0.0


def evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, ici_real: pd.Series,
             seed: int) -> dict[str, Any]:
    q = quality_report(to_plain_frame(real, dag), to_plain_frame(synthetic, dag),
                       sdmetrics_metadata(dag))
    ici_syn = ici_shares(synthetic, dag, seed)
    diff = (ici_syn - ici_real).abs()
    label, effect = effect_10pct(synthetic, dag, seed)
    return {"quality": 100 * q["score"], "shapes": 100 * q["column_shapes"],
            "pairs": 100 * q["column_pair_trends"], "max_ici_diff": float(diff.max()),
            "worst_node": str(diff.idxmax()), "effect_label": label, "effect": effect,
            "verbatim": verbatim_share(real, synthetic, dag),
            "ici": {k: round(float(v), 2) for k, v in ici_syn.items()}}


def run_case(case: str, n: int, seed: int, threads: int, fixed_epochs: dict[str, int],
             device: str | None = None, peers: bool = True) -> list[dict[str, Any]]:
    dag = load_dag(case)
    real = dag.simulate(n, seed=seed)
    ici_real = ici_shares(real, dag, seed)
    label, effect_real = effect_10pct(real, dag, seed)
    rows = [{"case": case, "rows": n, "method": "real table", "fit_s": 0.0, "cpu_s": 0.0,
             "epochs": "-", "quality": float("nan"), "max_ici_diff": 0.0,
             "effect_label": label, "effect": effect_real, "verbatim": float("nan"),
             "ici": {k: round(float(v), 2) for k, v in ici_real.items()}, "load": load()}]
    print(f"\n## {case}, {n} rows ({load()})", flush=True)
    synth, fit_s, cpu_s = timed_fit("diffusion", {"n_threads": threads, "device": device},
                                    real, dag)
    t0 = time.perf_counter()
    out = synth.sample(n, seed=seed + 1)
    sample_s = time.perf_counter() - t0
    h = synth.history_
    rows.append({"case": case, "rows": n, "method": "diffusion", "fit_s": fit_s, "cpu_s": cpu_s,
                 "sample_s": sample_s, "epochs": h["epochs"],
                 "note": f"{h['updates']} updates of {h['batch_size']} on {h['device']}, "
                         f"stop: {h['stopped']}",
                 "load": load(), **evaluate(real, out, dag, ici_real, seed)})
    print(rows[-1], flush=True)
    for name in ("ctgan", "tvae") if peers else ():
        fixed = fixed_epochs.get(name)
        epochs, per_epoch = (fixed, float("nan")) if fixed else budget_epochs(
            name, real, dag, fit_s)
        synth, t, c = timed_fit(name, {"epochs": epochs}, real, dag)
        t0 = time.perf_counter()
        out = synth.sample(n, seed=seed + 1)
        rows.append({"case": case, "rows": n, "method": name, "fit_s": t, "cpu_s": c,
                     "sample_s": time.perf_counter() - t0, "epochs": epochs,
                     "note": f"{per_epoch:.2f} s/epoch measured", "load": load(),
                     **evaluate(real, out, dag, ici_real, seed)})
        print(rows[-1], flush=True)
    return rows


def run_wgan(seed: int, threads: int, context: bool,
             device: str | None = None) -> list[dict[str, Any]]:
    from sklearn.ensemble import RandomForestRegressor

    dag = load_dag("acquisition")
    real = dag.simulate(19, seed=seed)
    test = dag.simulate(5000, seed=seed + 1000)
    features = [c for c in real.columns if c != "revenue"]

    def r2(train: pd.DataFrame) -> float:
        rf = RandomForestRegressor(n_estimators=300, random_state=0, n_jobs=1)
        rf.fit(train[features], train["revenue"])
        return float(rf.score(test[features], test["revenue"]))

    print(f"\n## wgan, 19 rows of acquisition -> 2,000 ({load()})", flush=True)
    rows = [{"method": "19 real rows (TRTR)", "fit_s": 0.0, "cpu_s": 0.0, "r2": r2(real),
             "load": load()}]
    runs = [("wgan", {"n_threads": threads, "device": device})]
    if context:
        runs += [("ctgan", {}), ("tvae", {}), ("gaussian_copula", {})]
    for name, params in runs:
        w0 = time.perf_counter()
        synth, fit_s, cpu_s = timed_fit(name, params, real, dag)
        out = synth.sample(2000, seed=seed)
        total = time.perf_counter() - w0
        extra = {}
        if name == "wgan":
            h = synth.history_
            extra = {"epochs": h["epochs"], "stopped": h["stopped"],
                     "diversity_ratio": round(h["diversity_ratio"], 3),
                     "closeness_ratio": round(h["closeness_ratio"], 3),
                     "attempts": len(synth.attempts_)}
        rows.append({"method": f"{name} (TSTR, 2,000 rows)", "fit_s": fit_s, "cpu_s": cpu_s,
                     "fit_and_sample_s": total, "r2": r2(out),
                     "copied_rows": len(out.merge(real, how="inner")),
                     "verbatim": verbatim_share(real, out, dag), "load": load(), **extra})
        print(rows[-1], flush=True)
    return rows


def markdown(case_rows: list[dict[str, Any]], wgan_rows: list[dict[str, Any]]) -> str:
    lines = []
    if case_rows:
        lines += ["| case | method | fit s (CPU s) | epochs | quality % | max ICI diff (pp) | "
                  "effect (+10%) | verbatim % |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in case_rows:
            q = "-" if np.isnan(r["quality"]) else f"{r['quality']:.2f}"
            v = "-" if np.isnan(r["verbatim"]) else f"{100 * r['verbatim']:.2f}"
            fit = "-" if r["method"] == "real table" else f"{r['fit_s']:.0f} ({r['cpu_s']:.0f})"
            lines.append(f"| {r['case']} ({r['rows']:,}) | {r['method']} | {fit} | "
                         f"{r['epochs']} | {q} | {r['max_ici_diff']:.2f} | "
                         f"{r['effect']:,.0f} | {v} |")
        lines.append(f"| acquisition (20,000) | synthcity TabDDPM (own env, PITFALLS.md) | "
                     f"{SYNTHCITY['fit_s']:.0f} | 1,000 it. | {SYNTHCITY['quality']:.2f} | "
                     f"{SYNTHCITY['max_ici_diff']:.2f} | {SYNTHCITY['effect']:,.0f} | - |")
    if wgan_rows:
        lines += ["", "| 19 rows of acquisition | fit s (CPU s) | fit+sample s | "
                  "RF R^2 on 5,000 fresh real rows | copied rows | verbatim % |",
                  "|---|---|---|---|---|---|"]
        for r in wgan_rows:
            fit = "-" if "TRTR" in r["method"] else f"{r['fit_s']:.1f} ({r['cpu_s']:.1f})"
            total = f"{r['fit_and_sample_s']:.1f}" if "fit_and_sample_s" in r else "-"
            copied = r.get("copied_rows", "-")
            v = f"{100 * r['verbatim']:.2f}" if "verbatim" in r else "-"
            lines.append(f"| {r['method']} | {fit} | {total} | {r['r2']:.3f} | {copied} | {v} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", default=list(DEFAULT_ROWS),
                        choices=list(DEFAULT_ROWS))
    parser.add_argument("--rows", type=int, default=None,
                        help="rows per case (default: 3,000; acquisition 20,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (all models)")
    parser.add_argument("--no-wgan", action="store_true", help="skip the 19-row WGAN part")
    parser.add_argument("--only-wgan", action="store_true", help="run only the WGAN part")
    parser.add_argument("--no-context", action="store_true",
                        help="19-row part: skip CTGAN/TVAE/GaussianCopula next to the WGAN")
    parser.add_argument("--epochs-ctgan", type=int, default=None,
                        help="fixed CTGAN epochs instead of the time-matched number")
    parser.add_argument("--epochs-tvae", type=int, default=None,
                        help="fixed TVAE epochs instead of the time-matched number")
    parser.add_argument("--device", default=None,
                        help="torch device of diffusion and wgan: cpu (default), cuda, auto")
    parser.add_argument("--no-peers", action="store_true",
                        help="cases: only diffusion, no time-matched CTGAN/TVAE (GPU scale runs)")
    parser.add_argument("--json", default=None, help="write all figures to this JSON file")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)  # for ctgan/tvae too: the same conditions for all
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    print(f"torch {torch.__version__}, {args.threads} thread(s), {os.cpu_count()} cores, "
          f"{gpu}, device {args.device or 'cpu'}, {load()}", flush=True)
    case_rows: list[dict[str, Any]] = []
    if not args.only_wgan:
        for case in args.cases:
            fixed = {"ctgan": args.epochs_ctgan, "tvae": args.epochs_tvae}
            case_rows += run_case(case, args.rows or DEFAULT_ROWS[case], args.seed, args.threads,
                                  {k: v for k, v in fixed.items() if v}, args.device,
                                  not args.no_peers)
    wgan_rows = [] if args.no_wgan else run_wgan(args.seed, args.threads, not args.no_context,
                                                 args.device)
    table = markdown(case_rows, wgan_rows)
    print("\n" + table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"cases": case_rows, "wgan": wgan_rows, "markdown": table}, fh, indent=2,
                      default=str)


if __name__ == "__main__":
    main()
