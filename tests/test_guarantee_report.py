"""A synthesizer's differential-privacy guarantee in the report and the comparison.

``validate(..., guarantee=)`` records it (and only then: a report without one is unchanged), the
report page and the terminal summary state it first in the privacy part, and ``compare`` takes
it from each synthesizer (``guarantee_``) into the leaderboard's ``epsilon`` column and the
privacy–attribution frontier (:meth:`Comparison.frontier`, plotted on the comparison page).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import causalsynth as cs
import causalsynth.comparison as cmp
from causalsynth.errors import InvalidParameterError
from causalsynth.render import print_leaderboard, print_summary, render_comparison, render_report

GUARANTEE = {"epsilon": 3.0, "delta": 1e-6, "rho": 0.0571, "epsilon_spent": 2.98,
             "accountant": "zCDP (Bun & Steinke 2016)", "split": "equal",
             "bounds": {"tv_spend": "declared", "social_spend": "private", "revenue": "private"}}
HEADLINE = "Differential privacy: (ε = 3, δ = 1e-06) guaranteed by the synthesizer"


@pytest.fixture(scope="module")
def dag():
    return cs.load_dag("acquisition")


@pytest.fixture(scope="module")
def sweep(dag):
    """causal at ε = 1 and 10 and without a guarantee, on 2,000 real rows (~15 s)."""
    real = dag.simulate(2000, seed=0)
    return cmp.compare(real, dag, cmp.epsilon_sweep("causal", [10, 1]) | {"causal": {}},
                       seed=0)


def _text(printer, *args) -> str:
    console = Console(width=100, color_system=None, record=True)
    printer(*args, console=console)
    return console.export_text()


# ---- validate and the Report ------------------------------------------------------------------
def test_validate_records_a_guarantee_only_when_given(dag):
    real = dag.simulate(600, seed=0)
    synth = cs.make_synthesizer("causal", epsilon=3.0).fit(real, dag)
    synthetic = synth.sample(600, seed=1)
    with_g = cs.validate(real, synthetic, dag, guarantee=synth.guarantee_, n_bootstrap=5)
    without = cs.validate(real, synthetic, dag, n_bootstrap=5)
    assert with_g.guarantee == synth.guarantee_ and with_g.meta["guarantee"]["epsilon"] == 3.0
    assert "guarantee" not in without.meta and "guarantee" not in without.to_dict()["meta"]
    assert without.guarantee is None
    assert with_g.verdict == without.verdict  # the guarantee is stated, never judged


def test_a_malformed_guarantee_is_refused_before_any_work(dag):
    real = dag.simulate(50, seed=0)
    for bad in ({"delta": 1e-6}, 3.0, "eps=3"):
        with pytest.raises(InvalidParameterError, match="'guarantee' parameter"):
            cs.validate(real, real, dag, guarantee=bad)


def test_the_guarantee_survives_json_reading_and_rejudging(sweep, tmp_path):
    report = sweep.reports["causal ε=1"]
    report.to_json(tmp_path / "r.json")
    back = cs.read_report(tmp_path / "r.json")
    assert back.guarantee == report.guarantee and back.guarantee["epsilon"] == 1.0
    assert cs.judge(back, cs.Margins(ici_points=50)).guarantee == report.guarantee


# ---- the report page and the terminal ---------------------------------------------------------
def test_the_privacy_section_leads_with_the_guarantee():
    page = render_report({"verdict": "preserved", "causal": {}, "meta": {"guarantee": GUARANTEE},
                          "privacy": {"membership_inference_auc": {"value": 0.51,
                                                                   "reference": 0.5}}})
    start, box = page.index("<h2 id='privacy'>"), page.index('id="guarantee"')
    assert start < box < page.index("Membership-inference AUC", start)  # before the figures
    assert HEADLINE in page
    assert ("accountant: zCDP (Bun &amp; Steinke 2016); bounds declared for tv_spend, "
            "estimated privately for social_spend, revenue") in page
    assert "ρ = 0.0571 (zCDP); ε spent 2.98; budget split equal" in page


def test_without_a_guarantee_the_page_says_nothing_of_one(sweep):
    page = sweep.reports["causal"].to_html()
    assert 'id="guarantee"' not in page and "Differential privacy" not in page
    dp = sweep.reports["causal ε=1"].to_html()
    assert "Differential privacy: (ε = 1, δ = 1e-06) guaranteed by the synthesizer" in dp


def test_the_terminal_summary_states_the_guarantee_before_the_figures(sweep):
    text = _text(print_summary, {"verdict": "preserved", "causal": {"reasons": ["fine"]},
                                 "meta": {"guarantee": GUARANTEE},
                                 "privacy": {"membership_inference_auc": {"value": 0.51}}})
    flat = " ".join(text.split())
    assert HEADLINE in flat and "bounds declared for tv_spend" in flat
    assert flat.index(HEADLINE) < flat.index("membership AUC 0.510")
    assert "Differential privacy" not in _text(print_summary,
                                               sweep.reports["causal"].to_dict())


# ---- compare: the epsilon column and the frontier ---------------------------------------------
def test_a_sweep_gives_an_epsilon_column_and_a_frontier(sweep):
    board = sweep.leaderboard.set_index("synthesizer")
    assert list(board.index) == ["causal ε=10", "causal ε=1", "causal"]
    assert board.loc["causal ε=1", "epsilon"] == 1.0 and board.loc["causal ε=10", "epsilon"] == 10
    assert math.isnan(board.loc["causal", "epsilon"])
    assert sweep.reports["causal ε=10"].guarantee["epsilon"] == 10.0
    assert "guarantee" not in sweep.reports["causal"].meta
    frontier = sweep.frontier()
    assert list(frontier.columns) == cmp.FRONTIER_COLUMNS
    assert list(frontier["synthesizer"]) == ["causal ε=1", "causal ε=10"]  # by epsilon
    assert list(frontier["family"]) == ["causal", "causal"]
    pd.testing.assert_series_equal(
        frontier.set_index("synthesizer")["max_ici_diff"],
        board.loc[["causal ε=1", "causal ε=10"], "max_ici_diff"], check_names=False)
    assert np.isfinite(frontier[["max_ici_diff", "max_effect_diff"]].to_numpy()).all()


def test_the_comparison_page_plots_the_frontier(sweep):
    page = sweep.to_html()
    assert "Privacy–attribution frontier" in page and 'aria-label="dpfrontier"' in page
    assert "ε (DP guarantee)" in page  # the leaderboard's column
    # one guarantee is a point, not a frontier: no section, the column stays
    d = sweep.to_dict()
    d["leaderboard"] = [r for r in d["leaderboard"] if r["synthesizer"] != "causal ε=10"]
    one = render_comparison(d, embed=False)
    assert "Privacy–attribution frontier" not in one and "ε (DP guarantee)" in one


def test_the_frontier_survives_json(sweep, tmp_path):
    sweep.to_json(tmp_path / "c.json")
    back = cmp.Comparison.read_json(tmp_path / "c.json")
    pd.testing.assert_frame_equal(back.frontier(), sweep.frontier())
    assert "dpfrontier" in back.to_html(embed=False)


def test_the_terminal_leaderboard_shows_epsilon_only_when_some_row_has_one(sweep):
    text = _text(print_leaderboard, sweep.leaderboard)
    assert " ε " in text and "differential-privacy guarantee" in text
    plain = sweep.leaderboard[sweep.leaderboard["synthesizer"] == "causal"]
    assert " ε " not in _text(print_leaderboard, plain)


def test_a_comparison_saved_before_the_epsilon_column_still_reads(sweep):
    d = json.loads(sweep.to_json())
    for row in d["leaderboard"]:
        del row["epsilon"]
    back = cmp.Comparison.from_dict(d)
    assert back.leaderboard["epsilon"].isna().all() and back.frontier().empty
    assert "Privacy–attribution frontier" not in render_comparison(d, embed=False)
