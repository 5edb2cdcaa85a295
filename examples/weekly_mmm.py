"""Weekly media mix on a real-shaped table: Robyn's 208 weeks, shared as synthetic data.

The business story
------------------
A marketing team keeps a weekly media-mix table: TV, out-of-home, print, Facebook and search
spend, Facebook impressions, search clicks, competitor sales, events, newsletter sends and
revenue (here Meta's Robyn demo data, ``examples/data/dt_simulated_weekly.csv``, MIT licence;
see ``examples/data/ORIGIN.md``). An outside modelling partner wants the table to build a
media-mix model, but weekly revenue is commercially sensitive.

With 208 weeks this is the small-data regime, and the truth is unknown: we declare the causal
story in ``dags/robyn_weekly.yaml`` (spend buys exposure, exposure and context drive revenue),
first ask whether the data contradict the DAG, then compare two synthesizers on whether the
attribution (ICI shares and spend effects) measured on the real weeks survives in the
synthetic weeks. Part of the real weeks is held out to judge privacy.

Run it
------
    python examples/weekly_mmm.py          # or --quick (CAUSALSYNTH_QUICK=1)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import causalsynth as cs
from causalsynth.render import print_leaderboard, print_summary

QUICK = typer.Option(envvar="CAUSALSYNTH_QUICK", help="the causal synthesizer only")


def main(synthesizers: str = "causal,gaussian_copula", quick: Annotated[bool, QUICK] = False,
         out: Path = Path("example-output/weekly_mmm"), seed: int = 0) -> None:
    """Check the weekly DAG, then compare ``synthesizers`` (comma-separated) on the weeks."""
    out.mkdir(parents=True, exist_ok=True)  # fail now, not after the fitting
    # examples/data/dt_simulated_weekly.csv with the DAG's columns and types (DATE dropped)
    weeks = cs.load_example("robyn_weekly", data_dir=Path(__file__).resolve().parent / "data")
    dag = cs.load_dag("robyn_weekly")  # dags/robyn_weekly.yaml
    print(f"{len(weeks)} weeks, {weeks.shape[1]} columns; DAG {dag.name}: "
          f"treatments {', '.join(dag.treatments)} -> {dag.outcome}")
    check = cs.check_dag(weeks, dag, seed=seed)
    print(f"Do the data contradict the DAG? {'no' if check.passed else 'yes'}")

    names = ["causal"] if quick else synthesizers.split(",")
    result = cs.compare(weeks, dag, synthesizers=names, seed=seed)
    print(f"\nholdout: {result.meta['holdout']}")
    print_leaderboard(result.leaderboard)
    for name, report in result.reports.items():
        print()
        print_summary(report.to_dict(), title=name)
    result.to_html(out / "comparison.html")
    result.to_json(out / "comparison.json")
    print(f"\nComparison report: {out / 'comparison.html'}")


if __name__ == "__main__":
    typer.run(main)
