"""fit_mmm on weekly tables with dates only against the same tables with trend and season
columns (run by hand).

Real exports hold dates, spend, controls and revenue, not ``trend`` or ``season`` columns. For
each seed the built-in ``weekly_mmm`` (156 weeks) is simulated once and fitted twice: as
simulated (``columns``: the DAG's trend and season nodes) and with those two columns dropped
under a DAG without the two nodes but the same ``time`` block (``dates``: the time features
of :mod:`causalsynth.media.time` stand in for them). Both DAGs leave out the simulation block
(a real export has none), so every channel gets the default carryover length. Per channel:
ROAS error (percent of the truth), decay error, contribution-share error (points), whether an
estimate sits at a bound, seconds per fit. ``--geo N`` adds ``geo_mmm`` panels (40 geos x 156
weeks) for the first N seeds, fitted the same two ways. ``--holidays N`` adds N dates-only
``weekly_mmm`` tables dated from 2021-01-04 whose TV plan adds 30,000 per German public holiday
in the week and whose revenue jumps by 40,000 per holiday besides: fitted without a holiday
calendar (``no_country``) and with ``time: {country: DE}`` (``country_DE``); TV's true ROAS
is that of its own plan (paired runs with and without TV on the same noise).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_time_mmm.py --seeds 20 --geo 5 \
        --holidays 10

A summary is printed and one JSON line per (dag, variant, seed, channel) is appended to
benchmarks/results/time_mmm.jsonl.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import pandas as pd

from causalsynth import load_dag
from causalsynth.evaluate.mmm import fit_mmm
from causalsynth.media import Holidays

sys.path.insert(0, str(Path(__file__).parent))
from run_info import append_results

RESULTS = Path(__file__).parent / "results" / "time_mmm.jsonl"
TIME_NODES = {"trend", "season"}


def without_nodes(dag, drop: set[str]):
    """The DAG without ``drop`` (edges from them removed) and without a simulation block."""
    spec = copy.deepcopy(dag.to_dict())
    spec.pop("simulation", None)
    spec["nodes"] = [n for n in spec["nodes"] if n["name"] not in drop]
    for node in spec["nodes"]:
        if "parents" in node:
            node["parents"] = [p for p in node["parents"] if p not in drop]
            if not node["parents"]:
                del node["parents"]
    return load_dag(spec)


def run(name: str, seeds: int, rows: int, decay_truth: dict) -> list[dict]:
    dag = load_dag(name)
    truth = dag.ground_truth().mmm.set_index("channel")
    variants = {"columns": (without_nodes(dag, set()), []),
                "dates": (without_nodes(dag, TIME_NODES), sorted(TIME_NODES))}
    out = []
    for seed in range(1, seeds + 1):
        table = dag.simulate(rows, seed=seed)
        for variant, (vdag, drop) in variants.items():
            start = time.perf_counter()
            fit = fit_mmm(table.drop(columns=drop), vdag)
            seconds = time.perf_counter() - start
            for row in fit.channels.itertuples():
                t = truth.loc[row.channel]
                out.append({
                    "dag": name, "variant": variant, "seed": seed, "channel": row.channel,
                    "roas": row.roas, "roas_true": t.roas,
                    "roas_err_pct": 100 * (row.roas / t.roas - 1),
                    "decay": row.decay, "decay_true": decay_truth[row.channel],
                    "decay_err": row.decay - decay_truth[row.channel],
                    "share_err_pp": row.contribution_share - t.contribution_share,
                    "at_bound": row.at_bound, "seconds": seconds,
                    "time_features": list(fit.time_features)})
    return out


def run_holidays(seeds: int) -> list[dict]:
    dag = load_dag("weekly_mmm")
    weeks = pd.date_range("2021-01-04", periods=156, freq="W-MON")
    count = Holidays("DE").columns(weeks, 7)["holidays"]
    plan = {"tv_spend": lambda x: x + 30_000 * count}
    base = without_nodes(dag, TIME_NODES)
    spec = base.to_dict()
    spec["time"] = {**spec["time"], "country": "DE"}
    variants = {"no_country": base, "country_DE": load_dag(spec)}
    out = []
    for seed in range(1, seeds + 1):
        table = dag.simulate(156, seed=seed, interventions=plan)
        dark = dag.simulate(156, seed=seed, interventions={"tv_spend": 0.0})
        roas_true = float((table["revenue"] - dark["revenue"]).sum() / table["tv_spend"].sum())
        table = table.drop(columns=sorted(TIME_NODES)).assign(
            week=weeks, revenue=table["revenue"] + 40_000 * count)
        for variant, vdag in variants.items():
            start = time.perf_counter()
            fit = fit_mmm(table, vdag)
            row = fit.channels.set_index("channel").loc["tv_spend"]
            out.append({"dag": "weekly_mmm+holidays", "variant": variant, "seed": seed,
                        "channel": "tv_spend", "roas": row.roas, "roas_true": roas_true,
                        "roas_err_pct": 100 * (row.roas / roas_true - 1), "decay": row.decay,
                        "decay_true": 0.7, "decay_err": row.decay - 0.7,
                        "share_err_pp": float("nan"), "at_bound": row.at_bound,
                        "seconds": time.perf_counter() - start,
                        "time_features": list(fit.time_features)})
    return out


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    g = rows.assign(abs_err=rows.roas_err_pct.abs(), hit=rows.decay_err.abs() <= 0.1 + 1e-9,
                    abs_share=rows.share_err_pp.abs(), bound=rows.at_bound != "")
    return g.groupby(["dag", "variant", "channel"], sort=False).agg(
        median_abs_roas_err=("abs_err", "median"), worst_abs_roas_err=("abs_err", "max"),
        decay_hits=("hit", "sum"), fits=("hit", "size"),
        median_abs_share_err=("abs_share", "median"), at_bound=("bound", "sum"),
        seconds=("seconds", "median")).round(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--geo", type=int, default=0, help="geo_mmm seeds (0: none)")
    parser.add_argument("--holidays", type=int, default=0,
                        help="weekly tables with German holiday weeks (0: none)")
    args = parser.parse_args()
    rows = []
    for name, seeds, n in (("weekly_mmm", args.seeds, 156), ("geo_mmm", args.geo, 40 * 156)):
        if seeds:
            dag = load_dag(name)
            decays = {c: r["decay"] for c, r in
                      dag.simulation[dag.outcome]["carryover"].items()}
            rows += run(name, seeds, n, decays)
    if args.holidays:
        rows += run_holidays(args.holidays)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary(frame).to_string())
    append_results(RESULTS, rows)


if __name__ == "__main__":
    main()
