"""Sequence privacy of time-indexed tables: windows of consecutive periods and geo series.

Truth: an independent series of the same process (a fresh ``simulate`` with another seed, on
the training weeks) leaks nothing, so it must score like the held-out periods; the training
series itself (or with tiny noise) leaks everything. The holdout is the last 20 % of the
periods of every series, as ``compare`` splits a time table.
"""

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.errors import DAGError
from causalsynth.evaluate.privacy import (
    copied_subsequences,
    dcr_share_closer_to_train,
    evaluate_privacy,
    exact_copies,
    geo_series_reproduced,
    sequence,
    window_dcr_share_closer_to_train,
)
from causalsynth.evaluate.privacy.sequence import series_lengths, series_tables

SEQUENCE = ["window_dcr_share_closer_to_train", "copied_subsequences"]
PANEL = [*SEQUENCE, "geo_series_reproduced"]


def _split(table: pd.DataFrame, fraction: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training periods and the last ``fraction`` of the periods of every series."""
    geo = table["geo"] if "geo" in table else pd.Series(0, index=table.index)
    position = geo.groupby(geo, sort=False).cumcount()
    size = geo.groupby(geo, sort=False).transform("size")
    held = (position >= size - np.round(size * fraction)).to_numpy()
    return table[~held].reset_index(drop=True), table[held].reset_index(drop=True)


def _relabel(table: pd.DataFrame) -> pd.DataFrame:
    """New geo labels, as the causal synthesizer writes them."""
    names = {g: f"synthetic {i + 1:02d}" for i, g in enumerate(pd.unique(table["geo"]))}
    return table.assign(geo=table["geo"].map(names))


def _noisy(table: pd.DataFrame, dag, relative: float, seed: int) -> pd.DataFrame:
    """Continuous columns plus normal noise of ``relative`` times each column's sd."""
    rng = np.random.default_rng(seed)
    out = table.copy()
    for c in dag.nodes:
        if dag.node_type(c) == "continuous":
            out[c] = out[c] + rng.normal(0, relative * out[c].std(), len(out))
    return out


@pytest.fixture(scope="module")
def weekly():
    dag = load_dag("weekly_mmm")
    train, hold = _split(dag.simulate(156, seed=1))  # 125 training weeks, 31 held out
    fresh, _ = _split(dag.simulate(156, seed=2))  # the training weeks, drawn afresh
    return dag, train, hold, fresh


@pytest.fixture(scope="module")
def panel():
    dag = load_dag("geo_mmm")
    train, hold = _split(dag.simulate(6240, seed=1))  # 40 geos x (125 + 31) weeks
    fresh, _ = _split(dag.simulate(6240, seed=2))  # the same geos' training weeks, afresh
    return dag, train, hold, _relabel(fresh)


def test_fresh_weekly_series_scores_like_the_holdout(weekly):
    dag, train, hold, fresh = weekly
    before = train.copy()
    w = window_dcr_share_closer_to_train(train, fresh, dag, holdout=hold)
    pd.testing.assert_frame_equal(train, before)  # inputs never modified
    # one 125-week series: over 12 seeds the share had mean 0.50 and sd 0.11 (31 holdout
    # weeks give only 28 overlapping windows), so +-0.25 is a band of over 2 sd
    assert w.reference == 0.5 and abs(w.value - 0.5) < 0.25
    assert w.details["n_synthetic_windows"] == 122 and w.details["n_holdout_windows"] == 28
    c = copied_subsequences(train, fresh, dag, holdout=hold)
    assert c.value == 0 and c.reference == 0
    assert c.details["copied_within_tolerance"] == 0 and c.details["longest_run"] == 0


def test_fresh_geo_panel_scores_like_the_holdout(panel):
    dag, train, hold, fresh = panel
    w = window_dcr_share_closer_to_train(train, fresh, dag, holdout=hold)
    # 40 geos: over 8 seeds the share had mean 0.484 and sd 0.005
    assert abs(w.value - 0.5) < 0.05
    # the holdout's own 5th percentile: unseen periods put 5 % below it (measured 0.04-0.06)
    assert w.details["share_below_holdout_p05"] < 0.1
    c = copied_subsequences(train, fresh, dag, holdout=hold)
    assert c.value == 0 and c.details["longest_run_within_tolerance"] == 0
    g = geo_series_reproduced(train, fresh, dag, holdout=hold)
    # the very same 40 geos drawn afresh: their closest series sit at 0.74-0.85 of the
    # yardstick over 8 seeds, the rule flags below 0.5
    assert g.value == 0 and g.reference == 0 and g.details["min_ratio"] > 0.6
    assert g.details["reproduced_geos"] == []


def test_training_series_returned_is_flagged(weekly):
    dag, train, hold, _ = weekly
    w = window_dcr_share_closer_to_train(train, train, dag, holdout=hold)
    assert w.value == 1.0 and w.details["share_below_holdout_p05"] == 1.0
    c = copied_subsequences(train, train, dag, holdout=hold)
    assert c.value == 122 and c.details["share"] == 1.0 and c.details["longest_run"] == 125
    # float round-off (1e-12 relative, far below 1e-9 of the IQR): not equal, but within
    # the tolerance
    roundoff = train.assign(revenue=train["revenue"] * (1 + 1e-12))
    r = copied_subsequences(train, roundoff, dag, holdout=hold)
    assert r.value == 0 and r.details["copied_within_tolerance"] == 122
    assert r.details["longest_run"] == 0 and r.details["longest_run_within_tolerance"] == 125
    # 1e-6 relative noise: no longer a copy to the tolerance, still on the training windows
    noisy = _noisy(train, dag, 1e-6, seed=3)
    assert window_dcr_share_closer_to_train(train, noisy, dag, holdout=hold).value == 1.0
    assert copied_subsequences(train, noisy, dag, holdout=hold).value == 0


def test_partial_copies_counted_the_same_with_and_without_row_pairs(weekly, monkeypatch):
    """Windows within the tolerance come from runs of equal rows; past ``MAX_PAIRS`` equal
    row pairs they come from a nearest-window search instead: the same counts."""
    dag, train, hold, fresh = weekly
    # weeks 0-59 copied (one week nudged by round-off), 60-124 fresh: 57 copied windows
    part = pd.concat([train.iloc[:60], fresh.iloc[60:]]).reset_index(drop=True)
    part.loc[30, "revenue"] *= 1 + 1e-12
    got = copied_subsequences(train, part, dag, holdout=hold).details
    assert got["copied_within_tolerance"] == 57 and got["longest_run_within_tolerance"] == 60
    assert got["copied"] == 57 - 4 and got["longest_run"] == 30  # exact: week 30 breaks them
    monkeypatch.setattr(sequence, "MAX_PAIRS", 0)
    capped = copied_subsequences(train, part, dag, holdout=hold).details
    assert capped["longest_run"] is None and capped["longest_run_within_tolerance"] is None
    assert (capped["copied"], capped["copied_within_tolerance"]) == (53, 57)


def test_training_panel_returned_is_flagged(panel):
    dag, train, hold, _ = panel
    for relative in (0.0, 1e-6, 0.05):  # the copy, with tiny noise, with 5 % of each sd
        syn = _relabel(_noisy(train, dag, relative, seed=4))
        g = geo_series_reproduced(train, syn, dag, holdout=hold)
        assert g.value == 40 and g.reference == 0, relative
        assert g.details["reproduced_geos"] == list(range(40))
        w = window_dcr_share_closer_to_train(train, syn, dag, holdout=hold)
        assert w.value > 0.99, relative
    c = copied_subsequences(train, _relabel(train), dag, holdout=hold)
    assert c.value == 40 * 122 and c.details["longest_run"] == 125


def test_row_shuffled_copy_is_seen_by_rows_not_windows(weekly):
    """Rows copied, order destroyed: the row metrics flag every row; no stretch of weeks
    is copied, and the shuffled windows sit farther from the training windows than held-out
    weeks do (a share well below 0.5: a fidelity problem, not a leak)."""
    dag, train, hold, _ = weekly
    shuffled = train.sample(frac=1, random_state=0).drop(columns="week")
    assert dcr_share_closer_to_train(train, shuffled, dag, holdout=hold).value == 1.0
    assert exact_copies(train, shuffled, dag, holdout=hold).value == 125
    c = copied_subsequences(train, shuffled, dag, holdout=hold)
    assert c.value == 0 and c.details["longest_run"] <= 2  # single weeks (1 measured)
    assert window_dcr_share_closer_to_train(train, shuffled, dag, holdout=hold).value < 0.4


def test_row_synthesizer_tables_without_index_or_geo(weekly, panel):
    dag, train, hold, fresh = weekly
    bare = fresh.drop(columns="week")
    assert (window_dcr_share_closer_to_train(train, bare, dag, holdout=hold).value
            == window_dcr_share_closer_to_train(train, fresh, dag, holdout=hold).value)
    gdag, gtrain, ghold, gfresh = panel
    gbare = gfresh.drop(columns=["geo", "week"])
    t = series_tables(gtrain, gbare, gdag, ghold)
    assert series_lengths(t, "synthetic").tolist() == [125] * 40  # blocks of the real length
    for metric in (window_dcr_share_closer_to_train, copied_subsequences,
                   geo_series_reproduced):
        assert (metric(gtrain, gbare, gdag, holdout=ghold).value
                == metric(gtrain, gfresh, gdag, holdout=ghold).value), metric.__name__
    # a row count that is not a multiple of 125: one series, compared over 125 periods
    odd = gtrain.drop(columns=["geo", "week"]).iloc[:4999]
    assert series_lengths(series_tables(gtrain, odd, gdag, ghold), "synthetic").tolist() == [
        4999]
    g = geo_series_reproduced(gtrain, odd, gdag, holdout=ghold)
    assert g.value == 1 and g.details["reproduced_geos"] == [0]  # it starts with geo 1


def test_without_holdout_the_reference_is_missing(weekly, panel):
    dag, train, _, fresh = weekly
    w = window_dcr_share_closer_to_train(train, fresh, dag)
    assert w.value is None and "needs a holdout" in w.error
    c = copied_subsequences(train, train, dag)
    assert c.value == 122 and c.reference is None and "needs a holdout" in c.details[
        "reference_note"]
    gdag, gtrain, _, gfresh = panel
    g = geo_series_reproduced(gtrain, gfresh, gdag)
    assert g.value == 0 and g.reference is None


def test_evaluate_privacy_adds_them_for_time_dags_only(weekly, panel):
    dag, train, hold, _ = weekly
    res = evaluate_privacy(train, train, dag, holdout=hold, seed=0)
    assert [n for n in res if n in PANEL] == SEQUENCE
    assert res["copied_subsequences"].value == 122
    gdag, gtrain, ghold, _ = panel
    keep = gtrain["geo"].isin(pd.unique(gtrain["geo"])[:6])
    small, small_hold = gtrain[keep], ghold[ghold["geo"].isin(pd.unique(gtrain["geo"])[:6])]
    res = evaluate_privacy(small, _relabel(small), gdag, holdout=small_hold, seed=0)
    assert res["geo_series_reproduced"].value == 6 and res["geo_series_reproduced"].ok
    acq = load_dag("acquisition")
    real = acq.simulate(300, seed=1)
    plain = evaluate_privacy(real, acq.simulate(300, seed=2), acq, seed=0)
    assert not set(plain) & set(PANEL)
    with pytest.raises(DAGError, match="needs a time-indexed DAG"):
        copied_subsequences(real, real, acq)
