"""Holidays and declared events in every estimator (issue 24): ``time: {country: DE}`` and
``time: {events: [...]}`` reach ``fit_mmm``, ``check_dag``, the fitted causal model (ICI and
effects), DML and the series synthesizer through one builder
(:func:`causalsynth.media.time.table_features`), including on typed tables, which keep their
dates in ``attrs`` after ``check_data`` drops the index column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_time_features import WEEKLY, without_nodes

from causalsynth import DataError, check_dag, make_synthesizer
from causalsynth.data import check_data
from causalsynth.evaluate import effects as effects_module
from causalsynth.evaluate import influence as influence_module
from causalsynth.evaluate.effects import _controls, dml_effects
from causalsynth.evaluate.influence import intrinsic_influence
from causalsynth.evaluate.mmm import fit_mmm
from causalsynth.evaluate.mmm_design import build_design
from causalsynth.evaluate.series import time_rows
from causalsynth.media import Holidays
from causalsynth.media.time import borrow_dates, row_dates, table_features

CHANNELS = ["tv_spend", "search_spend", "social_spend", "display_spend"]
WEEKS = pd.date_range("2021-01-04", periods=156, freq="W-MON")
#: a real export's DAG: no trend/season nodes, German holidays, the promotion node declared
GERMAN = without_nodes(WEEKLY, {"trend", "season"}, country="DE", events=["events"])
PLAIN = without_nodes(WEEKLY, {"trend", "season"})
#: revenue added per public holiday in the week (a holiday week sells more)
BUMP = 40_000


def export(seed: int, bump: float = 0.0) -> pd.DataFrame:
    """A dates-only weekly table of weekly_mmm, revenue raised by ``bump`` per holiday."""
    table = WEEKLY.simulate(156, seed=seed).drop(columns=["trend", "season"])
    table["week"] = WEEKS
    holidays = Holidays("DE").columns(WEEKS, 7)["holidays"]
    return table.assign(revenue=table["revenue"] + bump * holidays)


@pytest.fixture(scope="module")
def bumped():
    return export(3, BUMP)


def _spy(monkeypatch, module, name):
    seen = []
    original = getattr(module, name)

    def record(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(module, name, record)
    return seen


def test_every_estimator_receives_the_same_features_holidays_included(bumped, monkeypatch):
    shuffled = bumped.sample(frac=1.0, random_state=0)  # fit_mmm sorts the rows by date
    design = build_design(shuffled, GERMAN)
    assert design.time_names == ("trend", "sin1", "cos1", "sin2", "cos2", "holidays")
    mmm = design.controls[:, [design.control_names.index(n) for n in design.time_names]]
    typed = check_data(bumped, GERMAN)
    np.testing.assert_array_equal(row_dates(typed), WEEKS.to_numpy())
    builder = table_features(typed, GERMAN)
    _, rows = time_rows(shuffled, GERMAN)  # check_dag's layout sorts them too
    checked = rows.context()[:, 1:]  # check_dag's context less its intercept
    gcm = _spy(monkeypatch, influence_module, "time_basis")
    intrinsic_influence(bumped, GERMAN, seed=0, n_bootstrap=0)
    dml = _spy(monkeypatch, effects_module, "time_basis")
    dml_effects(typed, GERMAN, "revenue", seed=0)
    synth = make_synthesizer("causal").fit(bumped, GERMAN).series_
    series = np.column_stack([synth.times_[f"~{n}"] for n in design.time_names])
    for got in (mmm, builder.values, checked, gcm[0], dml[0], series):
        np.testing.assert_allclose(got, mmm, atol=1e-12)
    assert int(builder.frame()["holidays"].sum()) == 26  # 2021-2023 less New Year 2021
    assert "holidays" in check_dag(bumped, GERMAN, seed=0).time_context


def test_declared_events_are_controls_of_fit_mmm_and_dml():
    design = build_design(export(1), GERMAN)
    assert "events" in design.control_names
    for channel in CHANNELS:
        assert _controls(GERMAN, channel, "revenue") == ["demand", "events"]
    assert _controls(PLAIN, "tv_spend", "revenue") == ["demand"]  # not declared: backdoor only


def test_holiday_weeks_are_absorbed_by_every_estimator(bumped):
    """Revenue + 40,000 per holiday: with ``country: DE`` the GCM effects, DML and fit_mmm
    read the bumped table as they read the plain one (measured at seed 3: GCM and DML
    per-unit effects within 1 %, fit_mmm's holiday coefficient 40,4xx); without the
    calendar the bump lands in the noise and the time row misses it."""
    plain = export(3)

    def effects(table, dag):
        got = intrinsic_influence(table, dag, seed=0, n_bootstrap=0)
        dml = {r["treatment"]: r["estimate"] for r in dml_effects(
            check_data(table, dag), dag, "revenue", seed=0) if r["kind"] == "per_unit"}
        return got.shares(), dml

    shares_de, dml_de = effects(bumped, GERMAN)
    shares_ref, dml_ref = effects(plain, GERMAN)
    shares_no, _ = effects(bumped, PLAIN)
    for c in CHANNELS:
        assert dml_de[c] == pytest.approx(dml_ref[c], rel=0.01), c
    # the holidays are time: its row grows by the bump's share, the channels keep theirs
    assert shares_de["time"] > shares_ref["time"]
    assert shares_de["time"] > shares_no["time"] + 5
    within = {c: shares_de[c] / (100 - shares_de["time"]) for c in CHANNELS}
    within_ref = {c: shares_ref[c] / (100 - shares_ref["time"]) for c in CHANNELS}
    for c in CHANNELS:
        assert within[c] == pytest.approx(within_ref[c], abs=0.02), c
    fit = fit_mmm(bumped, GERMAN)
    assert fit.controls["holidays"] == pytest.approx(BUMP, rel=0.1)


def test_a_synthetic_table_without_dates_borrows_the_real_ones():
    real = check_data(export(1), GERMAN)
    synthetic = check_data(export(2).drop(columns="week"), GERMAN)
    assert row_dates(synthetic) is None
    with pytest.raises(DataError, match="has no dates"):
        table_features(synthetic, GERMAN)
    borrowed = borrow_dates(synthetic, real)
    np.testing.assert_array_equal(row_dates(borrowed), WEEKS.to_numpy())
    assert row_dates(synthetic) is None  # the input is not modified
    assert row_dates(borrowed.iloc[:100]) is None  # rows that no longer match: no dates


def test_period_numbers_with_a_country_are_one_clear_error():
    table = export(1)
    table["week"] = np.arange(156)
    with pytest.raises(DataError, match="names country 'DE' for public holidays"):
        check_dag(table, GERMAN, seed=0)
