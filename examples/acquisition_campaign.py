"""Acquisition campaign: can we hand the agency synthetic data without losing what TV does?

The business story
------------------
A retailer runs brand TV and paid social. Finance credits revenue to the last click, and
clicks come from organic search and from social ads, so on the finance dashboard paid social
looks like the hero and TV earns nothing: nobody clicks on a TV ad. The causal picture
(``dags/acquisition.yaml``) is different: TV and market demand drive the organic searches.
Intrinsic causal influence (ICI) shows how much of revenue's variation TV, social and demand
really cause.

The team wants to share a table with its media agency, but the customer-level data may not
leave the company. They fit a DAG-structured synthesizer, and before sharing they check that
the synthetic table tells the same causal story: the ICI shares and the effect of TV spend on
revenue survive, no conditional independence of the DAG is broken, and no real customer is
copied (privacy figures against held-out rows). The HTML report is what they forward.

Run it
------
    python examples/acquisition_campaign.py            # 20,000 rows, about a minute
    python examples/acquisition_campaign.py --quick    # small sizes (or CAUSALSYNTH_QUICK=1)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import causalsynth as cs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get(
        "CAUSALSYNTH_QUICK")), help="small sizes, for a first look and for tests")
    parser.add_argument("--out", type=Path, default=Path("example-output/acquisition"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n = 1_000 if args.quick else 20_000

    dag = cs.load_dag("acquisition")
    real = dag.simulate(n, seed=args.seed)               # the company's campaign table
    holdout = dag.simulate(n // 5, seed=args.seed + 1)  # rows kept out of training

    # 1. The finance view: last-click credit. Social clicks get social's credit, organic
    #    clicks count as "organic"; TV is credited with nothing.
    organic, social = real["organic_clicks"].sum(), real["social_clicks"].sum()
    total = organic + social
    print("Last-click attribution (finance dashboard):")
    print(f"  paid social {social / total:6.1%}   organic {organic / total:6.1%}   brand TV 0%")

    # 2. Synthesize with the DAG-structured synthesizer, then validate before sharing.
    synth = cs.make_synthesizer("causal").fit(real, dag)
    synthetic = synth.sample(n, seed=args.seed + 2)
    report = cs.validate(real, synthetic, dag, holdout=holdout, seed=args.seed)

    # 3. The causal view, real vs synthetic (read from the report: it never sees rows again).
    causal = report.causal
    print("\nIntrinsic causal influence on revenue (% of its variation), real vs synthetic:")
    for row in causal["ici"]:
        print(f"  {row['node']:<15} {row['real_share']:6.1f}  {row['synthetic_share']:6.1f}"
              f"   ({row['diff_pp']:+.1f} points)")
    for eff in causal["effects"]:
        if eff["treatment"] == "tv_spend" and eff["kind"] == "per_unit":
            print(f"\nEffect of 1 EUR more TV on revenue ({eff['method']}): real "
                  f"{eff['real']:.2f} EUR, synthetic {eff['synthetic']:.2f} EUR "
                  f"({eff['rel_diff']:+.1%})")
    print(f"\nVerdict: attribution {report.verdict}")
    for reason in report.reasons:
        print(f"  - {reason}")
    args.out.mkdir(parents=True, exist_ok=True)
    report.to_html(args.out / "report.html")
    report.to_json(args.out / "report.json")
    print(f"\nReport to forward: {args.out / 'report.html'}")


if __name__ == "__main__":
    main()
