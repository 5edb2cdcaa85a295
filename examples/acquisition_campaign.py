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

from pathlib import Path
from typing import Annotated

import typer

import causalsynth as cs
from causalsynth.render import print_summary

QUICK = typer.Option(envvar="CAUSALSYNTH_QUICK", help="1,000 rows, for a first look")


def main(rows: int = 20_000, quick: Annotated[bool, QUICK] = False,
         out: Path = Path("example-output/acquisition"), seed: int = 0) -> None:
    """Synthesize the campaign table, validate it and write the report to forward."""
    n = 1_000 if quick else rows
    out.mkdir(parents=True, exist_ok=True)  # fail now, not after the fitting

    dag = cs.load_dag("acquisition")
    real = dag.simulate(n, seed=seed)               # the company's campaign table
    holdout = dag.simulate(n // 5, seed=seed + 1)  # rows kept out of training

    # 1. The finance view: last-click credit. Social clicks get social's credit, organic
    #    clicks count as "organic"; TV is credited with nothing.
    organic, social = real["organic_clicks"].sum(), real["social_clicks"].sum()
    total = organic + social
    print("Last-click attribution (finance dashboard):")
    print(f"  paid social {social / total:6.1%}   organic {organic / total:6.1%}   brand TV 0%\n")

    # 2. Synthesize with the DAG-structured synthesizer, then validate before sharing.
    synth = cs.make_synthesizer("causal").fit(real, dag)
    synthetic = synth.sample(n, seed=seed + 2)
    report = cs.validate(real, synthetic, dag, holdout=holdout, seed=seed)

    # 3. The causal view, real vs synthetic: the verdict, ICI shares (% of revenue's
    #    variation each node causes) and effects, read from the report (no rows in it).
    print_summary(report.to_dict(), title="Synthetic campaign table")
    for eff in report.causal["effects"]:
        if eff["treatment"] == "tv_spend" and eff["kind"] == "per_unit":
            print(f"Effect of 1 EUR more TV on revenue ({eff['method']}): real "
                  f"{eff['real']:.2f} EUR, synthetic {eff['synthetic']:.2f} EUR "
                  f"({eff['rel_diff']:+.1%})")

    report.to_html(out / "report.html")
    report.to_json(out / "report.json")
    print(f"\nReport to forward: {out / 'report.html'}")


if __name__ == "__main__":
    typer.run(main)
