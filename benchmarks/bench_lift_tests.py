"""fit_mmm calibrated by lift tests against the same fit without them (run by hand).

For each seed the built-in ``weekly_mmm`` is simulated at 104 weeks and one lift test per
channel is simulated beside it: a window of 4 to 8 weeks (length and start drawn from the
seed; the window ends at least the channel's carryover length before the table does), its true
lift the revenue of the table minus the revenue of the same draw (same seed, same noise) with
that channel's spend at 0 in the window (``DAG.simulate(..., interventions=...)``), measured
with noise of 10 % (``lift = true * (1 + 0.1 z)``, ``se = 0.1 * true``). The table is fitted
with and without the tests (``n_bootstrap=50``, or ``--bootstrap``; the same seed, so both
bootstraps resample the same weeks: a paired comparison); per channel: the 95 % bootstrap
interval of ROAS, its width and whether it covers the true ROAS (``dag.ground_truth().mmm``),
and whether it covers the table's own ROAS (paired runs with the channel off in every week).
``narrowing_pct`` compares the median widths over seeds, ``seed_narrowing_pct`` is the
median of each seed's narrowing (the figure to set beside the median ``cap_pct``), and
``seed_sd_narrowing_pct`` the same for the standard deviation of log ROAS over the replicates
(steadier than the 2.5 and 97.5 % points of a few dozen replicates).

``cap_pct``: the most any combination of the weeks and the test could narrow the interval, read
from the uncalibrated bootstrap: with ``s_R`` and ``s_L`` the relative spreads of the ROAS and of
the test window's predicted lift over the replicates and ``rho`` their correlation (logs), one
measurement of relative error 10 % leaves at best ``sqrt(1 - rho**2 s_L**2 / (s_L**2 + 0.01))``
of the spread (the conditional variance of a Gaussian pair). A channel whose window lift the
weeks already pin to 10 % cannot gain 30 %, whatever the method.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/bench_lift_tests.py --seeds 20

A summary is printed and one JSON line per (seed, variant, channel) is appended to
benchmarks/results/lift_tests.jsonl. ``--decompose`` (with ``--refine``) prints where the
calibrated replicates' spread comes from instead (see :func:`decompose`; nothing saved).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from causalsynth import load_dag
from causalsynth.evaluate.mmm import fit_mmm
from causalsynth.evaluate.mmm_design import build_design

sys.path.insert(0, str(Path(__file__).parent))
from run_info import append_results

RESULTS = Path(__file__).parent / "results" / "lift_tests.jsonl"
WEEKS = 104
NOISE = 0.10
N_BOOTSTRAP = 50


def simulated_tests(dag, table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One lift test per channel on ``table`` (``dag.simulate(WEEKS, seed=seed)``)."""
    rng = np.random.default_rng(10_000 + seed)
    carry = dag.simulation[dag.outcome]["carryover"]
    rows = []
    for channel, spec in carry.items():
        length = int(rng.integers(4, 9))
        start = int(rng.integers(0, WEEKS - length - int(spec["max_lag"]) + 1))
        window = np.zeros(WEEKS, bool)
        window[start:start + length] = True
        off = dag.simulate(WEEKS, seed=seed,
                           interventions={channel: lambda x, w=window: np.where(w, 0.0, x)})
        true = float((table[dag.outcome] - off[dag.outcome]).sum())
        rows.append({"channel": channel, "start": start, "end": start + length - 1,
                     "lift": true * (1 + NOISE * rng.standard_normal()),
                     "se": NOISE * abs(true), "true_lift": true})
    return pd.DataFrame(rows)


def table_roas(dag, table: pd.DataFrame, seed: int, channel: str) -> float:
    """The table's own ROAS of ``channel``: paired runs with its spend at 0 in every week."""
    dark = dag.simulate(WEEKS, seed=seed, interventions={channel: 0.0})
    return float((table[dag.outcome] - dark[dag.outcome]).sum() / table[channel].sum())


def narrowing_cap(fit, design) -> dict[str, float]:
    """Per channel, the best narrowing (percent) one test of 10 % error allows (see above)."""
    out = {}
    for j, test in enumerate(design.tests):
        k, draws = test.k, fit.bootstrap[fit.bootstrap["channel"] == test.channel]
        lift = np.array([d.coef * design.unit_lift(j, (d.decay, d.half / design.scale[k],
                                                        d.shape))
                         for d in draws.itertuples()])
        roas = draws["roas"].to_numpy()
        if np.any(lift <= 0) or np.any(roas <= 0):
            out[test.channel] = float("nan")
            continue
        s_l, rho = np.std(np.log(lift)), np.corrcoef(np.log(roas), np.log(lift))[0, 1]
        out[test.channel] = 100 * (1 - np.sqrt(1 - rho**2 * s_l**2 / (s_l**2 + NOISE**2)))
    return out


def run(seeds: int, n_bootstrap: int = N_BOOTSTRAP) -> list[dict]:
    dag = load_dag("weekly_mmm")
    truth = dag.ground_truth().mmm.set_index("channel")["roas"]
    out = []
    for seed in range(1, seeds + 1):
        table = dag.simulate(WEEKS, seed=seed)
        tests = simulated_tests(dag, table, seed)
        own = {c: table_roas(dag, table, seed, c) for c in truth.index}
        cap: dict[str, float] = {}
        for variant, given in (("without", None), ("with", tests.drop(columns="true_lift"))):
            start = time.perf_counter()
            fit = fit_mmm(table, dag, seed=seed, n_bootstrap=n_bootstrap, lift_tests=given)
            seconds = time.perf_counter() - start
            if given is None:
                cap = narrowing_cap(fit, build_design(table, dag, None,
                                                      tests.drop(columns="true_lift")))
            for row in fit.channels.itertuples():
                test = tests.set_index("channel").loc[row.channel]
                t, o = truth[row.channel], own[row.channel]
                out.append({
                    "seed": seed, "variant": variant, "channel": row.channel,
                    "roas": row.roas, "roas_low": row.roas_low, "roas_high": row.roas_high,
                    "width": row.roas_high - row.roas_low, "roas_true": t,
                    "covered": bool(row.roas_low <= t <= row.roas_high),
                    "roas_table": o, "covered_table": bool(row.roas_low <= o <= row.roas_high),
                    "roas_err_pct": 100 * (row.roas / t - 1),
                    "window": [int(test.start), int(test.end)], "lift": float(test.lift),
                    "true_lift": float(test.true_lift), "at_bound": row.at_bound,
                    "cap_pct": cap[row.channel], "n_bootstrap": n_bootstrap,
                    "sd_log_roas": float(np.log(fit.bootstrap.loc[
                        fit.bootstrap["channel"] == row.channel, "roas"]).std()),
                    "seconds": seconds})
    return out


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    g = rows.assign(abs_err=rows.roas_err_pct.abs()).groupby(
        ["channel", "variant"], sort=False).agg(
        median_width=("width", "median"), covered=("covered", "sum"),
        covered_table=("covered_table", "sum"), seeds=("covered", "size"),
        median_abs_roas_err=("abs_err", "median"), cap_pct=("cap_pct", "median"),
        seconds=("seconds", "median"))
    wide = g.unstack("variant").drop(columns=[("cap_pct", "with")])
    wide[("narrowing_pct", "")] = 100 * (1 - wide[("median_width", "with")]
                                         / wide[("median_width", "without")])
    # the same per seed (the widths of one seed's paired bootstraps), then the median
    for name, value in (("seed_narrowing_pct", "width"), ("seed_sd_narrowing_pct", "sd_log_roas")):
        if value in rows:
            pair = rows.pivot_table(index=["channel", "seed"], columns="variant", values=value)
            wide[(name, "")] = (100 * (1 - pair["with"] / pair["without"])).groupby(
                "channel").median()
    return wide.round(3)


def decompose(seeds: int, replicates: int, refine: bool = False) -> pd.DataFrame:
    """Where a calibrated replicate's spread comes from (``--decompose``): per seed, the same
    resampled weeks refitted without and with the tests as ``fit_mmm``'s bootstrap refits them
    (the grid only; ``refine``: the quasi-Newton step too), each test redrawn within its se.
    Per seed and channel, in logs: ``s_w`` / ``s_c`` the spread of the window's predicted
    lift without / with the test; ``s_opt`` the inverse-variance floor
    ``(1 / s_w**2 + 1 / se**2) ** -0.5``; ``pull`` the slope of the calibrated lift on the
    redrawn measurement (its optimum ``opt_pull = s_w**2 / (s_w**2 + se**2)``); ``fresh`` the
    spread of the calibrated lift that neither the measurement nor the uncalibrated
    replicate's lift explains; ``roas_w`` / ``roas_c`` the spread of ROAS."""
    from causalsynth.evaluate import mmm
    from causalsynth.evaluate.resample import block_length, resampler

    dag = load_dag("weekly_mmm")
    out = []
    for seed in range(1, seeds + 1):
        table = dag.simulate(WEEKS, seed=seed)
        design = build_design(table, dag, None,
                              simulated_tests(dag, table, seed).drop(columns="true_lift"))
        n, p = len(design.y), design.controls.shape[1]
        start = [design.grid.index((0.5, 1.0, 1.5))] * len(design.channels)
        plain = mmm._estimate(design, np.arange(n), start)
        cal = mmm._calibration(design, *plain)
        fits = {"w": (None, plain[0]), "c": (cal, mmm._estimate(design, np.arange(n), start,
                                                                True, cal)[0])}
        near = {v: [design.grid.index(min(design.grid, key=lambda g, q=q: (
            abs(g[0] - q[0]), abs(np.log(g[1] / q[1])), abs(g[2] - q[2])))) for q in ps]
            for v, (_, ps) in fits.items()}
        draw, rng = resampler(dag, None, block_length(n)), np.random.default_rng(seed)
        lift, roas, measured = {"w": [], "c": []}, {"w": [], "c": []}, []
        for _ in range(replicates):
            rows, redrawn = draw(n, n, rng), cal.redraw(rng)
            measured.append(np.log(redrawn.lift))
            for v, c in (("w", None), ("c", redrawn)):
                bp, bc = mmm._estimate(design, rows, near[v], refine, c)
                roas[v].append(np.log(mmm._metrics(design, bp, bc[p:])["roas"].to_numpy()))
                lift[v].append(np.log([bc[p + t.k] * design.unit_lift(j, bp[t.k])
                                       for j, t in enumerate(design.tests)]))
        x = np.array(measured)
        for j, t in enumerate(design.tests):
            lw, lc = np.array(lift["w"])[:, j], np.array(lift["c"])[:, j]
            s_w, se = lw.std(), t.se / abs(t.lift)
            a = np.column_stack([np.ones(replicates), x[:, j], lw])
            coef, *_ = np.linalg.lstsq(a, lc, rcond=None)
            out.append({"seed": seed, "channel": t.channel, "s_w": s_w, "s_c": lc.std(),
                        "s_opt": (1 / s_w**2 + 1 / se**2) ** -0.5, "pull": coef[1],
                        "opt_pull": s_w**2 / (s_w**2 + se**2), "fresh": np.std(lc - a @ coef),
                        "roas_w": np.array(roas["w"])[:, t.k].std(),
                        "roas_c": np.array(roas["c"])[:, t.k].std()})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--bootstrap", type=int, default=N_BOOTSTRAP)
    parser.add_argument("--decompose", action="store_true",
                        help="print where the calibrated spread comes from (nothing saved)")
    parser.add_argument("--refine", action="store_true",
                        help="with --decompose: refine each replicate's curves as well")
    args = parser.parse_args()
    if args.decompose:
        parts = decompose(args.seeds, args.bootstrap, args.refine)
        print(parts.round(3).to_string())
        print(parts.drop(columns="seed").groupby("channel", sort=False).median().round(3))
        return
    rows = run(args.seeds, args.bootstrap)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(summary(frame).to_string())
    append_results(RESULTS, rows)


if __name__ == "__main__":
    main()
