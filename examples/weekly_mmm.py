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

import argparse
import os
from pathlib import Path

import pandas as pd

import causalsynth as cs

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get(
        "CAUSALSYNTH_QUICK")), help="one synthesizer only, for tests")
    parser.add_argument("--out", type=Path, default=Path("example-output/weekly_mmm"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    weeks = pd.read_csv(HERE / "data" / "dt_simulated_weekly.csv")
    table = weeks.drop(columns=["DATE"])  # the date is not a node of the DAG
    dag = cs.load_dag(HERE.parent / "dags" / "robyn_weekly.yaml")
    print(f"{len(table)} weeks, {table.shape[1]} columns; DAG {dag.name}: "
          f"treatments {', '.join(dag.treatments)} -> {dag.outcome}")

    if hasattr(cs, "check_dag"):
        check = cs.check_dag(table, dag, seed=args.seed)
        print(f"Do the data contradict the DAG? {'no' if check.passed else 'yes'}")

    synthesizers = ["causal"] if args.quick else ["causal", "gaussian_copula"]
    result = cs.compare(table, dag, synthesizers=synthesizers, seed=args.seed)
    print(f"\nholdout: {result.meta['holdout']}")
    print(result.leaderboard[["synthesizer", "quality", "max_ici_diff", "max_effect_diff",
                              "independences_broken", "dcr_share", "verdict"]]
          .to_string(index=False))
    for name, report in result.reports.items():
        print(f"\n{name}: attribution {report.verdict}")
        for reason in report.reasons:
            print(f"  - {reason}")
    args.out.mkdir(parents=True, exist_ok=True)
    result.to_html(args.out / "comparison.html")
    result.to_json(args.out / "comparison.json")
    print(f"\nComparison report: {args.out / 'comparison.html'}")


if __name__ == "__main__":
    main()
