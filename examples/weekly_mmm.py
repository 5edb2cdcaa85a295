"""Can the agency's synthetic weekly data be trusted for the budget decision?

The business story
------------------
A marketing team keeps a weekly media-mix table: TV, out-of-home, print, Facebook and search
spend, Facebook impressions, search clicks, competitor sales, events, newsletter sends and
revenue (here Meta's Robyn demo data, ``examples/data/dt_simulated_weekly.csv``, MIT licence;
see ``examples/data/ORIGIN.md``). Weekly revenue is commercially sensitive, so an agency that
will model the media mix receives a synthetic table instead. What the team will decide from the
agency's model is the budget: how much each channel earns per euro (ROAS), what the next euro
earns (marginal ROAS), and how the same total budget should be split. The question is whether
the synthetic weeks lead to the same decision as the real ones.

The script

1. checks the declared story (``dags/robyn_weekly.yaml``, with its time axis and German
   public holidays, as Robyn's own demo declares them) against the real weeks: ``check_dag``
   conditions every test on trend, season and holidays and allows for weeks that resemble
   their neighbours;
2. fits the marketing mix model on the real weeks (carryover and saturation per channel,
   block-bootstrap intervals): ROAS, marginal ROAS, contribution shares, the optimal split;
3. has each synthesizer produce synthetic weeks from the first 80 % of the weeks (the last
   20 % are held out for privacy) and validates each: the report's marketing-mix rows compare ROAS,
   contribution shares and the budget split real vs synthetic, and join the verdict;
4. prints the budget split on the real weeks beside each synthesizer's.

``causal`` and ``par`` (SDV's PARSynthesizer) generate whole series: week after week, with
trend, season, flighting and carryover (``causal`` learns them along the declared DAG; ``par``
learns a sequence model). A row synthesizer (``gaussian_copula``) treats weeks as independent
rows: the carryover (this week's TV selling in the weeks after) and the season are lost, and
the report shows it (autocorrelation, spend-to-revenue correlation by lag, seasonal spectrum).
Finally the script asks the synthetic series a what-if the real table cannot answer: revenue
when TV is dark for ten weeks.

The same story runs on the other shipped time tables: ``--table meridian_national`` (Google
Meridian's 156 weeks, outcome conversions), ``--table meridian_geo`` (its panel of 40 geos;
the last weeks of every geo are held out) and ``--table online_shop`` (DoWhy's daily shop,
365 days, outcome profit).

Run it
------
    python examples/weekly_mmm.py          # or --quick (CAUSALSYNTH_QUICK=1)
    python examples/weekly_mmm.py --table meridian_national
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

import causalsynth as cs
from causalsynth.evaluate.mmm import fit_mmm
from causalsynth.render import print_leaderboard

QUICK = typer.Option(envvar="CAUSALSYNTH_QUICK", help="the causal synthesizer only, 10 "
                     "bootstrap fits, no DoWhy permutation test: for tests")


def main(synthesizers: str = "causal,par,gaussian_copula", quick: Annotated[bool, QUICK] = False,
         table: str = "robyn_weekly", out: Path = Path("example-output/weekly_mmm"),
         seed: int = 0) -> None:
    """Check the time-indexed DAG, fit the media mix, then compare ``synthesizers``."""
    out.mkdir(parents=True, exist_ok=True)  # fail now, not after the fitting
    # examples/data/<file>.csv: its date (and geo) column, then the DAG's nodes
    weeks = cs.load_example(table, data_dir=Path(__file__).resolve().parent / "data")
    dag = cs.load_dag(table)  # dags/<table>.yaml
    index = weeks[dag.time.index]
    print(f"{len(weeks)} rows ({index.min()} to {index.max()}); DAG {dag.name}: spend "
          f"{', '.join(dag.treatments)} -> {dag.outcome}")

    # --quick: DoWhy's permutation test skipped (tests/test_real_data.py runs it on every table)
    check = cs.check_dag(weeks, dag, seed=seed, progress=False,
                         **({"falsify_max_claims": 1} if quick else {}))
    held = len(check.independences) - len(check.violations)
    print(f"Do the data contradict the DAG? {'no' if check.passed else 'yes'} ({held} of "
          f"{len(check.independences)} implied independences hold given the time context: "
          f"{check.time_context}; autocorrelated weeks allowed for)")
    if table == "robyn_weekly":
        print("  (one edge added to Robyn's graph: newsletter -> search_S; paid search is "
              "bought per click and follows the searches newsletters prompt)")

    mmm = fit_mmm(weeks, dag, seed=seed, n_bootstrap=10 if quick else 50)
    table = mmm.channels.merge(mmm.budget[["channel", "optimal_share"]], on="channel")
    print(f"\nMarketing mix on the real weeks (R² {mmm.r2:.2f}; 95% block-bootstrap "
          f"intervals):")
    for r in table.itertuples():
        print(f"  {r.channel:>10}: ROAS {r.roas:5.2f} [{r.roas_low:.2f}, {r.roas_high:.2f}]  "
              f"mROAS {r.mroas:5.2f}  share {r.contribution_share:4.1f}%  "
              f"carryover decay {r.decay:.2f}  optimal budget {r.optimal_share:4.1f}%")

    names = ["causal"] if quick else synthesizers.split(",")
    # a time-indexed table: compare holds out the last 20% of the weeks (of every geo)
    # --quick: 10 bootstrap fits a side (wider intervals) instead of validate's default
    result = cs.compare(weeks, dag, synthesizers=names, seed=seed,
                        n_bootstrap=10 if quick else None)
    print(f"\nholdout: {result.meta['holdout']}")
    print_leaderboard(result.leaderboard)
    print("\nThe budget decision (share of the same total budget that maximises modelled "
          "revenue), on the training weeks and on each synthetic table:")
    shown = False
    for name, report in result.reports.items():
        section = report.causal.get("mmm") or {}
        rows = pd.DataFrame(section.get("channels") or [])
        if rows.empty:
            print(f"  {name}: no marketing-mix comparison ({report.verdict})")
            continue
        split = rows[rows["quantity"] == "optimal_share"]
        if not shown:
            print("  real: " + ", ".join(f"{r.channel} {r.real:.0f}%" for r in split.itertuples()))
            shown = True
        line = ", ".join(f"{r.channel} {r.synthetic:.0f}%" for r in split.itertuples())
        same = "same" if section.get("same_budget_ranking") else "a different"
        print(f"  {name}: {line} ({same} ranking of channels; verdict: {report.verdict})")
        for reason in report.reasons[:3]:
            print(f"      {reason}")
    what_if(weeks, dag, seed)
    result.to_html(out / "comparison.html")
    result.to_json(out / "comparison.json")
    print(f"\nComparison report: {out / 'comparison.html'}")


def what_if(weeks: pd.DataFrame, dag, seed: int) -> None:
    """Revenue of synthetic series with the largest channel dark in weeks 10-19, against the
    same series as planned (same seed: the same weeks apart from the schedule)."""
    synth = cs.make_synthesizer("causal").fit(weeks, dag)
    plan = synth.sample(len(weeks), seed=seed)
    channel = max(dag.treatments, key=lambda c: plan[c].sum())
    position = plan.groupby(dag.time.geo, sort=False).cumcount() if dag.time.geo else \
        pd.Series(range(len(plan)))
    dark = plan[channel].where(~position.between(10, 19), 0.0)
    dark_run = synth.sample(len(weeks), seed=seed, interventions={channel: dark})
    lost = plan[dag.outcome].sum() - dark_run[dag.outcome].sum()
    saved = plan[channel].sum() - dark.sum()
    print(f"\nWhat if {channel} went dark in weeks 10-19? On the synthetic series {dag.outcome} "
          f"falls by {lost:,.0f} for {saved:,.0f} of spend saved ({lost / saved:.2f} per unit; "
          f"carryover included).")


if __name__ == "__main__":
    typer.run(main)
