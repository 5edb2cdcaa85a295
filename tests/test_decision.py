"""The decision at the sizes analysts have: synthetic tables drawn larger, measured at their own
size, compared like with like where a metric needs it; the verdict's precision in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalsynth as cs
from causalsynth.comparison import (
    SERIES_DRAWS,
    SYNTHETIC_DRAWS,
    default_synthetic_draws,
    default_synthetic_rows,
)
from causalsynth.evaluate.causal import CAUSAL_MAX_ROWS, compare_causal


def test_compare_draws_several_tables_the_size_of_the_real_one():
    """Draws the training table's size (their figures carry its small-sample bias), ten of
    them where rows are exchangeable (at most CAUSAL_MAX_ROWS rows in all), five series."""
    rows = cs.load_dag("acquisition")
    assert default_synthetic_rows(1_000, rows) == 1_000
    assert default_synthetic_draws(rows, 1_000) == SYNTHETIC_DRAWS == 10
    assert default_synthetic_draws(rows, 20_000) == CAUSAL_MAX_ROWS // 20_000 == 5
    assert default_synthetic_draws(rows, 200_000) == 1  # never none
    weekly = cs.load_dag("weekly_mmm")
    assert default_synthetic_rows(156, weekly) == 156
    assert default_synthetic_draws(weekly, 156) == SERIES_DRAWS == 5


def test_validate_compares_like_with_like_and_counts_every_copy(acquisition):
    """A synthetic table ten times the real one: the causal comparison measures it as ten
    draws of the real size, the fidelity and privacy metrics a random real-sized part, and
    exact copies are counted over every synthetic row (a copy must not hide in the part the
    metrics did not see)."""
    real = acquisition.simulate(300, seed=1)
    synthetic = acquisition.simulate(3_000, seed=2)
    synthetic.iloc[2_940:] = real.iloc[:60].to_numpy()  # 60 copied customers (2 %) at the end
    report = cs.validate(real, synthetic, acquisition, holdout=acquisition.simulate(100, seed=3),
                         seed=0, n_bootstrap=5)
    assert report.meta["n_synthetic"] == 3_000 and report.meta["n_synthetic_metrics"] == 300
    assert report.causal["n_synthetic"] == 300 and report.meta["synthetic_draws"] == 10
    assert report.privacy["exact_copies"].value == 60
    assert report.privacy_gate["flagged"]


def test_the_synthetic_side_is_measured_at_its_own_size(acquisition):
    """The synthetic side's bootstrap runs at its own size: ten times the rows, about a third
    of the standard error, while every difference's interval keeps the real table's noise."""
    real = acquisition.simulate(1_000, seed=1)
    small = compare_causal(real, acquisition.simulate(1_000, seed=2), acquisition, seed=0)
    large = compare_causal(real, acquisition.simulate(10_000, seed=2), acquisition, seed=0)
    se = lambda out: np.array([r["se_synthetic"] for r in out["ici"]])  # noqa: E731
    ratio = np.median(se(large) / se(small))
    assert 0.2 < ratio < 0.5, ratio  # 1 / sqrt(10) = 0.32
    for out in (small, large):
        for r in out["ici"]:
            assert r["diff_high"] - r["diff_low"] >= 2 * 1.96 * r["se_real"]
    # what this real table can confirm shrinks with the synthetic table's noise
    assert large["confirmable"]["ici_points"] < small["confirmable"]["ici_points"]


@pytest.mark.parametrize("n", [200, 1_000])
def test_every_report_states_the_precision_shown(acquisition, n):
    """At sizes where the default margins cannot be confirmed, the headline still says to
    what precision the synthetic table agrees with the real one."""
    out = compare_causal(acquisition.simulate(n, seed=1), acquisition.simulate(10 * n, seed=2),
                         acquisition, seed=0)
    head = out["reasons"][0]
    assert len(out["reasons"]) <= 5
    if out["verdict"] == "inconclusive":
        assert "agreement shown within ICI shares ±" in head
        assert f"what {n:,} real rows and {10 * n:,} synthetic rows can tell" in head
    assert out["shown"]["ici_points"] > 0 and out["confirmable"]["ici_points"] > 0
    assert out["verdict"] != "not preserved"


def test_a_reversed_channel_leads_the_reasons(acquisition):
    """TV's effect on both click channels reversed: 'not preserved', and the first reason is
    a decision (TV's effect or share), not one of the independences."""
    real = acquisition.simulate(2_000, seed=1)
    spec = acquisition.to_dict()
    for child in ("organic_clicks", "social_clicks"):
        spec["simulation"][child]["coefficients"]["tv_spend"] *= -1
    flipped = cs.load_dag(spec).simulate(20_000, seed=2)
    out = compare_causal(real, flipped, acquisition, seed=0, n_bootstrap=10)
    assert out["verdict"] == "not preserved"
    assert "tv_spend" in out["reasons"][1]
    assert out["reasons"][1].startswith(("reversed: effect of tv_spend", "ICI share of tv_spend",
                                         "effect of tv_spend"))
    assert isinstance(out["details"], dict) and all(
        isinstance(v, list) for v in out["details"].values())
    pd.DataFrame(out["effects"])  # the rows stay a table
