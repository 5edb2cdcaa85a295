"""Synthetic weekly series and geo panels: every synthesizer measured the same way, in one run.

For each seed a "real" table is simulated from a time DAG (``weekly_mmm``: 156 weeks;
``geo_mmm``: 40 geos x 156 weeks) or read from a shipped real table (``--table robyn_weekly``
etc.), and :func:`causalsynth.compare` fits every synthesizer on its first 80 % of periods
(the last 20 % held out), samples as many rows and validates each. Two references ride along:
``fresh series`` (a new series of the same simulated campaign, cut like the training rows: what
a perfect synthesizer would give; simulated DAGs only) and ``split-half (real)`` (two halves of
the training table against each other, alternating quarters or geos: the real-data yardstick).

Per row: verdict, how many ROAS and budget-share rows are beyond their margins ("not
preserved"), the largest |ACF difference| at lags 1-4 (mean of the series' ACFs), the
window-DCR share (synthetic 4-week windows closer to training windows than held-out windows
are; 0.5 = like a held-out period), copied 4-week windows, fit and sample seconds.

    OMP_NUM_THREADS=1 python benchmarks/bench_series.py --dag weekly_mmm --seeds 20
    OMP_NUM_THREADS=1 python benchmarks/bench_series.py --dag geo_mmm --seeds 2 \
        --synthesizers causal,par,gaussian_copula
    OMP_NUM_THREADS=1 python benchmarks/bench_series.py --table robyn_weekly
    OMP_NUM_THREADS=1 python benchmarks/bench_series.py --interventions --seeds 10 [--dag geo_mmm]
    OMP_NUM_THREADS=1 python benchmarks/bench_series.py --margins --dag geo_mmm --seeds 5

One JSON line per leaderboard row is appended to benchmarks/results/series.jsonl; the summary
(medians and counts per DAG and synthesizer) is printed at the end and with --summary alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import ClassVar

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from run_info import git_state, machine_load

import causalsynth as cs
from causalsynth.datasets import load_example
from causalsynth.synthesizers.base import Synthesizer

RESULTS = Path(__file__).parent / "results" / "series.jsonl"
FAST = {"ctgan": {"epochs": 100}, "tvae": {"epochs": 100}, "copulagan": {"epochs": 100}}


class FreshSeries(Synthesizer):
    """The reference a perfect synthesizer would match: new series of the simulated campaign,
    cut to the training periods (the first ``periods`` of ``full`` periods per geo)."""

    name: ClassVar[str] = "fresh series"
    generates_series: ClassVar[bool] = True

    def __init__(self, full: int = 156):
        self.full = full

    def _fit(self, data, dag) -> None:
        pass

    def _sample(self, n, rng, geos=None):
        dag, layout = self.dag_, self.layout_
        table = dag.simulate(layout.n_series * self.full, seed=rng)
        table = table[table[dag.time.index] < n // layout.n_series].reset_index(drop=True)
        if dag.time.geo in table:
            table[dag.time.geo] = "synthetic_" + table[dag.time.geo].astype(str)
        return table


def _figures(report: dict) -> dict:
    causal, fid, priv = report["causal"], report["fidelity"], report["privacy"]
    channels = (causal.get("mmm") or {}).get("channels") or []
    beyond = Counter(c["quantity"] for c in channels if c.get("status") == "beyond")
    acf = (fid.get("temporal_acf_diff") or {}).get("details", {}).get("headline", {})
    window = priv.get("window_dcr_share_closer_to_train") or {}
    copies = priv.get("copied_subsequences") or {}
    return {"verdict": causal["verdict"], "roas_beyond": beyond.get("roas", 0),
            "budget_beyond": beyond.get("optimal_share", 0),
            "roas_rel_diff": {c["channel"]: round(c["diff"] / c["real"], 4) for c in channels
                              if c["quantity"] == "roas" and c.get("real")},
            "acf_lags_1_4": acf.get("max_abs_acf_diff_lags_1_4"),
            "window_dcr_share": window.get("value"), "copied_windows": copies.get("value")}


def run(args) -> None:
    names = [s for s in args.synthesizers.split(",") if s]
    spec = {name: FAST.get(name, {}) for name in names}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        if args.table:
            real, dag = load_example(args.table), cs.load_dag(args.table)
            label = args.table
        else:
            dag = cs.load_dag(args.dag)
            real = dag.simulate(args.weeks * (40 if dag.time.geo else 1), seed=2 * seed)
            if not args.no_references:
                spec["fresh series"] = FreshSeries(full=args.weeks)
            label = args.dag
        result = cs.compare(real, dag, synthesizers=spec, seed=seed,
                            reference=not args.no_references)
        stamp = {"git": git_state(), "load": machine_load()}
        for row in result.leaderboard.to_dict("records"):
            out = {"dag": label, "seed": seed, "synthesizer": row["synthesizer"],
                   "fit_s": row["fit_s"], "sample_s": row["sample_s"], "error": row["error"]}
            report = result.reports.get(row["synthesizer"])
            if report is not None:
                out.update(_figures(report.to_dict()))
            out.update(stamp)
            RESULTS.parent.mkdir(exist_ok=True)
            with RESULTS.open("a") as fh:
                fh.write(json.dumps(out, default=float) + "\n")
            print(f"{label} seed {seed} {row['synthesizer']:>18}: {out.get('verdict')} "
                  f"roas beyond {out.get('roas_beyond')} acf {out.get('acf_lags_1_4')} "
                  f"window-dcr {out.get('window_dcr_share')} fit {row['fit_s']}", flush=True)
        if args.table:
            break


def interventions(args) -> None:
    """Revenue under "TV +10 % every week" from ``causal`` series vs the simulator's truth."""
    import time

    from causalsynth.simulation import ground_truth

    dag = cs.load_dag(args.dag)
    geos = 40 if dag.time.geo else 1
    n = args.weeks * geos
    # one long series (geo_mmm: 40 long ones): the same mean revenue per period as series of
    # args.weeks (the trend ramps over the series either way), with little Monte Carlo noise
    truth_more = dag.simulate(n * (200 if geos == 1 else 20), seed=12345,
                              interventions={"tv_spend": "+10%"})["revenue"].mean()
    truth_effect = ground_truth(dag, n_periods=args.weeks).effects.set_index(
        ["treatment", "outcome"]).loc[("tv_spend", "revenue"), "shift_10pct"]
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        real = dag.simulate(n, seed=2 * seed)
        t0 = time.perf_counter()
        synth = cs.make_synthesizer("causal").fit(real, dag)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        synth.sample(n, seed=0)
        sample_s = time.perf_counter() - t0
        draws = range(20 if geos == 1 else 3)
        base = np.mean([synth.sample(n, seed=s)["revenue"].mean() for s in draws])
        more = np.mean([synth.sample(n, seed=s, interventions={"tv_spend": "+10%"})[
            "revenue"].mean() for s in draws])
        out = {"dag": args.dag, "seed": seed, "case": "tv+10%", "fit_s": fit_s,
               "sample_s": sample_s, "revenue_rel_err": more / truth_more - 1,
               "effect": more - base, "true_effect": truth_effect,
               "effect_rel_err": (more - base) / truth_effect - 1,
               "git": git_state(), "load": machine_load()}
        with (RESULTS.parent / "series_interventions.jsonl").open("a") as fh:
            fh.write(json.dumps(out, default=float) + "\n")
        print(f"seed {seed}: revenue under TV +10% {out['revenue_rel_err']:+.2%} vs truth; "
              f"effect {out['effect']:.0f} vs {truth_effect:.0f} "
              f"({out['effect_rel_err']:+.0%}); fit {fit_s:.1f} s, sample {sample_s:.2f} s",
              flush=True)


def margins(args) -> None:
    """``causal`` against a fresh series (the perfect synthesizer), judged at the default
    margins and at margins the table can confirm (``--wide``: ROAS and effects ±20 %,
    independences ±0.1): is "inconclusive" the table's limit or the synthesizer's?"""
    import time

    from causalsynth.evaluate.causal import causal_section, measure_causal
    from causalsynth.evaluate.verdict import Margins, judge_causal

    dag = cs.load_dag(args.dag)
    n = args.weeks * (40 if dag.time.geo else 1)
    wide = Margins(effect_rel=0.2, independence=0.1)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        real = dag.simulate(n, seed=2 * seed)
        synthetic = cs.make_synthesizer("causal").fit(real, dag).sample(n, seed=seed)
        for case, other in (("causal", synthetic), ("fresh series", dag.simulate(
                n, seed=2 * seed + 1))):
            t0 = time.perf_counter()
            comparison = measure_causal(real, other, dag, seed=seed)
            out = {"dag": args.dag, "seed": seed, "case": case,
                   "default": causal_section(comparison, judge_causal(comparison))["verdict"],
                   "wide": causal_section(comparison, judge_causal(comparison, wide))["verdict"],
                   "seconds": time.perf_counter() - t0, "git": git_state(),
                   "load": machine_load()}
            with (RESULTS.parent / "series_margins.jsonl").open("a") as fh:
                fh.write(json.dumps(out) + "\n")
            print(json.dumps(out), flush=True)


def summary() -> None:
    rows = [json.loads(line) for line in RESULTS.open()] if RESULTS.exists() else []
    frame = pd.DataFrame(rows)
    if not frame.empty:  # a seed measured again replaces the earlier measurement
        frame = frame.drop_duplicates(["dag", "seed", "synthesizer"], keep="last")
    if frame.empty:
        print("no results yet")
        return
    for (dag, synth), g in frame.groupby(["dag", "synthesizer"], sort=False):
        verdicts = Counter(g["verdict"].dropna())
        def med(column: str, g=g) -> float:
            values = pd.to_numeric(g[column], errors="coerce").dropna()
            return float(values.median()) if len(values) else float("nan")

        print(f"{dag:>18} {synth:>18} n={len(g):>2}: "
              + ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items()))
              + f" | roas beyond (seeds with any) {int((g['roas_beyond'] > 0).sum())}"
              + f" | budget beyond {int((g['budget_beyond'] > 0).sum())}"
              + f" | acf1-4 {med('acf_lags_1_4'):.3f} | window-dcr {med('window_dcr_share'):.3f}"
              + f" | copies {med('copied_windows'):.3f} | fit {med('fit_s'):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dag", default="weekly_mmm")
    parser.add_argument("--table", default=None, help="a shipped real table instead")
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--synthesizers", default="causal,par,gaussian_copula,ctgan,tvae")
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("--no-references", action="store_true",
                        help="leave out the fresh-series and split-half rows (added by hand "
                             "to a run that has them)")
    parser.add_argument("--interventions", action="store_true",
                        help="revenue under TV +10 %% (causal) against the truth instead")
    parser.add_argument("--margins", action="store_true",
                        help="causal and a fresh series at default and at wide margins")
    args = parser.parse_args()
    if args.margins:
        margins(args)
        return
    if args.interventions:
        interventions(args)
        return
    if not args.summary:
        run(args)
    summary()


if __name__ == "__main__":
    main()
