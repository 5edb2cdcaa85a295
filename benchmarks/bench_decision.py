"""Does the verdict decide where the data allow, without new false alarms? (issue: a decision
at the sizes analysts have)

Parts (each appends one JSON line per comparison to benchmarks/results/decision.jsonl):
  fresh     a fresh draw of the true model against the real table, the synthetic side drawn
            as ``compare`` draws it (10 draws the real table's size for exchangeable rows, at
            most 100,000 rows in all; lines before 2026-12-07 19:00 drew one table 10x larger);
            acquisition, saturation, ad_funnel at 200 / 1,000 / 4,000 / 20,000 rows
  causal    the ``causal`` synthesizer fitted on the real table, sampled as ``compare`` does
  halves    split halves of the shipped real tables (robyn_weekly, meridian_national,
            online_shop), each half judged against the other
  power     shuffled treatment, cut edge, halved effect (as in bench_verdict_calibration.py)
  demo      the demo's set-up (acquisition, 5,000 rows, its four synthesizers), as compare runs it
  reversed  the Robyn table against a copy whose revenue has one channel's effect reversed
            (revenue minus twice that channel's contribution, every other column kept), each
            line recording whether the real table is sure of that channel's effect
  draws     series, one synthetic draw against five combined, side by side from the same
            draws: fresh draws of weekly_mmm (156 weeks) and the ``causal`` synthesizer
            fitted on the Robyn table (208 weeks)
Every line records the verdict, the confirmable margins (a faithful synthesizer is shown
within them in 90 % of draws), the precision shown, and the confirmable margins of the rule
before (``z_(1-alpha) * sqrt(2) * se_real``, effects at alpha / 2) over the same judged
quantities of the same comparison, so both stand side by side from one run. (Lines before
2026-12-07 16:20 computed the old figure over every quantity, judged or not: their effect
column is too small where a zero-inflated GCM slope is not judged.)

    python benchmarks/bench_decision.py --part fresh --sizes 200,1000,4000 --reps 20
    python benchmarks/bench_decision.py --summary
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from scipy import stats

import causalsynth as cs
from causalsynth.comparison import default_synthetic_draws, default_synthetic_rows
from causalsynth.datasets import load_example
from causalsynth.evaluate.causal import measure_causal, split_half
from causalsynth.evaluate.quantities import quantities
from causalsynth.evaluate.verdict import judge_causal

sys.path.insert(0, str(Path(__file__).parent))
from bench_verdict_calibration import broken_table
from run_info import git_state, machine_load

RESULTS = Path(__file__).parent / "results" / "decision.jsonl"
SIMULATED = ("acquisition", "saturation", "ad_funnel")
REAL_TABLES = ("robyn_weekly", "meridian_national", "online_shop")


def today_confirmable(v) -> dict:
    """The confirmable margins of the rule before this change, from the same measurements and
    over the same judged quantities (``v``: the verdict; its long frame says which are
    judged: e.g. a zero-inflated treatment's GCM per-unit slope and time's ICI row are not)."""
    z1, z2 = stats.norm.ppf(0.95), stats.norm.ppf(0.975)
    q = v.quantities[v.quantities["status"] != "not judged"]
    old = np.sqrt(2) * q["se_real"].astype(float) / q["scale"].astype(float)
    out: dict = {}
    ici = q["family"] == "ici"
    out["ici_points"] = float(z1 * old[ici].max()) if ici.any() else None
    eff = q["family"] == "effect"
    if eff.any():
        per = (z2 * old[eff]).groupby([q.loc[eff, "subject"], q.loc[eff, "kind"]]).min()
        out["effects"] = {t: float(x) for t, x in per.groupby(level=0).max().items()}
    roas = (q["family"] == "mmm") & (q["kind"] == "roas")
    if roas.any():
        out["roas"] = {ch: float(z1 * x) for ch, x in zip(q.loc[roas, "subject"], old[roas],
                                                            strict=True)}
    return out


def record(row: dict) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row, default=float) + "\n")
    print(json.dumps({k: row[k] for k in ("part", "dag", "n", "rep", "case", "verdict",
                                           "seconds")}), flush=True)


def judge(part: str, name: str, n: int, rep: int, real, other, dag, case: str = "",
          extra=None) -> dict:
    """One comparison, recorded; ``extra(comparison)`` adds fields to the line."""
    start = time.perf_counter()
    c = measure_causal(real, other, dag, seed=rep)
    v = judge_causal(c)
    n_other = len(other[0]) if isinstance(other, list) else len(other)
    row = {"part": part, "dag": name, "n": n, "n_synthetic": n_other, "rep": rep,
           "draws": len(other) if isinstance(other, list) else 1,
           "case": case, "verdict": v.verdict, "seconds": round(time.perf_counter() - start, 2),
           "confirmable": {k: v.confirmable.get(k) for k in
                           ("ici_points", "effects", "independence", "roas")},
           "shown": {k: v.shown.get(k) for k in ("ici_points", "effects", "independence",
                                                  "roas")},
           "today": today_confirmable(v), "reasons": v.reasons,
           "commit": git_state(), "load": machine_load(), **(extra(c) if extra else {})}
    record(row)
    return row


def as_compare_draws(draw, n: int, dag) -> list:
    """The synthetic side as ``compare`` samples it: ``default_synthetic_draws`` draws of
    ``default_synthetic_rows`` rows; ``draw(rows, j)`` samples draw ``j``."""
    rows = default_synthetic_rows(n, dag)
    return [draw(rows, j) for j in range(default_synthetic_draws(dag, rows))]


def fresh(reps: range, sizes: list[int], dags: list[str]) -> None:
    for name in dags:
        dag = cs.load_dag(name)
        for n in sizes:
            for rep in reps:
                def draw(rows: int, j: int, rep: int = rep, dag=dag) -> pd.DataFrame:
                    return dag.simulate(rows, seed=2000 + rep + 10_000 * j)

                judge("fresh", name, n, rep, dag.simulate(n, seed=1000 + rep),
                      as_compare_draws(draw, n, dag), dag)


def causal(reps: range, sizes: list[int], dags: list[str]) -> None:
    for name in dags:
        dag = cs.load_dag(name)
        for n in sizes:
            for rep in reps:
                real = dag.simulate(n, seed=1000 + rep)
                synth = cs.make_synthesizer("causal", random_state=rep).fit(real, dag)
                judge("causal", name, n, rep, real, as_compare_draws(
                    lambda rows, j, rep=rep, synth=synth: synth.sample(
                        rows, seed=3000 + rep + 10_000 * j), n, dag), dag)


def halves(reps: range, tables: list[str]) -> None:
    for name in tables:
        dag, table = cs.load_dag(name), load_example(name)
        for rep in reps:
            a, b = split_half(table, dag, seed=rep)
            judge("halves", name, len(table), rep, a, b, dag)


def power(reps: range, plan: list[tuple[str, int, str]]) -> None:
    for name, n, case in plan:
        dag = cs.load_dag(name)
        for rep in reps:
            judge("power", name, n, rep, dag.simulate(n, seed=1000 + rep), as_compare_draws(
                lambda rows, j, rep=rep, dag=dag, case=case: broken_table(
                    dag, case, rows, 2000 + rep + 10_000 * j), n, dag), dag, case)


def real_sureness(comparison, channel: str) -> dict:
    """How sure the real table is of a channel's effect, by the comparison's own real-side
    intervals: the largest ``|real| / se`` over its judged effects (GCM and DML) and ROAS,
    and whether any 95 % interval excludes zero."""
    q = quantities(comparison)
    q = q[q["family"].isin(["effect", "mmm"]) & (q["subject"] == channel)
          & (q["kind"].isin(["per_unit", "shift_10pct", "roas"])) & q["judged"]]
    se = np.sqrt(q["se_real"].to_numpy(float) ** 2 + q["se_extra"].to_numpy(float) ** 2)
    z = np.abs(q["real"].to_numpy(float)) / np.where(se > 0, se, np.nan)
    z_max = float(np.nanmax(z)) if np.isfinite(z).any() else float("nan")
    return {"real_z": z_max, "real_sure": bool(z_max > 1.96)}


def reversed_copies(reps: range, channels: list[str] | None = None) -> None:
    """Robyn with one channel's contribution reversed; the channel's weekly contribution is
    its fitted mean contribution spread over the weeks in proportion to its adstocked spend
    (the fitted decay; the response taken as linear around the current spend).

    Each line records whether the real table is sure of that channel's effect
    (:func:`real_sureness`: a 95 % interval of the comparison's own real-side figures excludes
    zero). Lines before 2026-12-08 labelled a channel "(sure)" when ``fit_mmm``'s ROAS interval
    excluded zero, which holds for any channel with a positive fit: the Hill response makes
    ROAS non-negative, so its percentile interval rarely reaches zero."""
    from causalsynth.media.adstock import adstock

    dag, table = cs.load_dag("robyn_weekly"), load_example("robyn_weekly")
    fit = cs.fit_mmm(table, dag, n_bootstrap=50, seed=0)
    ch = fit.channels.set_index("channel")
    contribution = fit.budget.set_index("channel")["contribution"]  # mean per week
    for channel, r in ch.iterrows():
        if channels and channel not in channels:
            continue
        x = table[channel].to_numpy(float)
        carried = adstock(x, float(r["decay"]), max_lag=int(r["max_lag"]))
        weekly = float(contribution[channel]) * carried / max(carried.mean(), 1e-12)
        copy = table.copy()
        copy[dag.outcome] = copy[dag.outcome] - 2 * weekly
        for rep in reps:
            judge("reversed", "robyn_weekly", len(table), rep, table, copy, dag, channel,
                  extra=lambda c, channel=channel: real_sureness(c, channel))


def series_draws(reps: range, m: int = 5) -> None:
    """One synthetic draw against ``m`` combined (the first of them), on the same draws."""
    dag = cs.load_dag("weekly_mmm")
    for rep in reps:
        real = dag.simulate(156, seed=1000 + rep)
        fresh = [dag.simulate(156, seed=2000 + 100 * rep + j) for j in range(m)]
        judge("draws", "weekly_mmm", 156, rep, real, fresh[0], dag, "fresh, 1 draw")
        judge("draws", "weekly_mmm", 156, rep, real, fresh, dag, f"fresh, {m} draws")
    dag, table = cs.load_dag("robyn_weekly"), load_example("robyn_weekly")
    for rep in reps:
        synth = cs.make_synthesizer("causal", random_state=rep).fit(table, dag)
        sample = [synth.sample(len(table), seed=3000 + 100 * rep + j) for j in range(m)]
        judge("draws", "robyn_weekly", len(table), rep, table, sample[0], dag,
              "causal, 1 draw")
        judge("draws", "robyn_weekly", len(table), rep, table, sample, dag,
              f"causal, {m} draws")


def demo(reps: range) -> None:
    """The demo's set-up (acquisition, 5,000 simulated rows, compare with its four
    synthesizers at the demo's epochs), one line per synthesizer and seed."""
    from causalsynth.cli.commands import DEMO_EPOCHS

    dag = cs.load_dag("acquisition")
    specs = {"gaussian_copula": {}, "ctgan": {"epochs": DEMO_EPOCHS["ctgan"]},
             "tvae": {"epochs": DEMO_EPOCHS["tvae"]}, "causal": {}}
    for rep in reps:
        start = time.perf_counter()
        result = cs.compare(dag.simulate(5_000, seed=rep), dag, specs, seed=rep)
        seconds = round(time.perf_counter() - start, 1)
        for name, report in result.reports.items():
            timings = report.meta.get("timings") or {}
            record({"part": "demo", "dag": "acquisition", "n": 4_000,
                    "n_synthetic": report.meta["n_synthetic"], "rep": rep, "case": name,
                    "verdict": report.verdict, "seconds": round(timings.get("total", 0), 1),
                    "compare_seconds": seconds, "confirmable": report.causal["confirmable"],
                    "shown": report.causal.get("shown"), "today": {},
                    "reasons": report.reasons, "commit": git_state(), "load": machine_load()})


def summary() -> None:
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    rows = list({(r["part"], r["dag"], r["n"], r["case"], r["rep"]): r for r in rows}.values())
    frame = pd.DataFrame(rows)
    print(f"{'part':9s} {'dag':18s} {'case':22s} {'rows':>6s} {'runs':>4s} {'not':>4s} "
          f"{'inc':>4s} {'pres':>4s}  {'ICI conf (today)':>17s}  {'worst effect conf (today)':>26s}"
          f"  {'median s':>8s}")
    for key, g in frame.groupby(["part", "dag", "case", "n"], sort=True):
        counts = g["verdict"].value_counts()

        def med(col: str, field: str, worst: bool = False, g: pd.DataFrame = g) -> float:
            vals = []
            for d in g[col]:
                v = (d or {}).get(field)
                if worst and isinstance(v, dict):
                    v = max([x for x in v.values() if x is not None], default=None)
                if v is not None:
                    vals.append(v)
            return float(np.median(vals)) if vals else float("nan")
        ici = f"{med('confirmable', 'ici_points'):.1f} ({med('today', 'ici_points'):.1f})"
        eff = (f"{med('confirmable', 'effects', True):.0%} "
               f"({med('today', 'effects', True):.0%})")
        print(f"{key[0]:9s} {key[1]:18s} {key[2]:22s} {key[3]:6d} {len(g):4d} "
              f"{counts.get('not preserved', 0):4d} {counts.get('inconclusive', 0):4d} "
              f"{counts.get('preserved', 0):4d}  {ici:>17s}  {eff:>26s}  "
              f"{g['seconds'].median():8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["fresh", "causal", "halves", "power", "reversed",
                                       "demo", "draws"])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--first-rep", type=int, default=0, help="continue a run: reps from here")
    ap.add_argument("--sizes", default="200,1000,4000,20000")
    ap.add_argument("--dags", default=",".join(SIMULATED))
    ap.add_argument("--tables", default=",".join(REAL_TABLES))
    ap.add_argument("--cases", default="shuffled,cut,halved")
    ap.add_argument("--channels", default="", help="reversed: only these channels")
    ap.add_argument("--summary", action="store_true")
    args = ap.parse_args()
    reps = range(args.first_rep, args.reps)
    if not args.summary:
        sizes = [int(s) for s in args.sizes.split(",")]
        dags = args.dags.split(",")
        if args.part == "fresh":
            fresh(reps, sizes, dags)
        elif args.part == "causal":
            causal(reps, sizes, dags)
        elif args.part == "halves":
            halves(reps, args.tables.split(","))
        elif args.part == "power":
            plan = [(d, n, c) for d in dags for n in sizes for c in args.cases.split(",")]
            power(reps, plan)
        elif args.part == "reversed":
            reversed_copies(reps, args.channels.split(",") if args.channels else None)
        elif args.part == "demo":
            demo(reps)
        elif args.part == "draws":
            series_draws(reps)
    summary()


if __name__ == "__main__":
    main()
