"""Issue 26, second probe: the newer surfaces under bad input.

Each test names its item. Bad input is one error of the package's own tree, in one line that
names the thing, the value and the fix; on the command line exit code 2 and nothing written.
Silent results that were wrong now warn, or are recorded where a reader looks.
"""

from __future__ import annotations

import copy
import html
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import causalsynth as cs
from causalsynth import DataError, InvalidParameterError
from causalsynth._params import MAX_CELLS, MAX_REPLICATES, check_size
from causalsynth.errors import PrivacyBoundsWarning

GOLDEN = "tests/golden/report_acquisition.json"


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    return text


@pytest.fixture(scope="module")
def small(acquisition):
    return acquisition.simulate(300, seed=0)


@pytest.fixture
def golden():
    with open(GOLDEN, encoding="utf-8") as fh:
        return json.load(fh)


# ---- item 3: epsilon and delta --------------------------------------------------------------
@pytest.mark.parametrize("params, name, shown", [
    ({"epsilon": float("inf"), "delta": 1e-6}, "epsilon", "Got inf instead"),
    ({"epsilon": float("nan")}, "epsilon", "Got nan instead"),
    ({"epsilon": 3.0, "delta": float("nan")}, "delta", "Got nan instead"),
    ({"epsilon": 3.0, "delta": float("inf")}, "delta", "Got inf instead"),
])
def test_item3_nan_and_infinite_privacy_parameters_are_refused(acquisition, small, params,
                                                               name, shown):
    with pytest.raises(InvalidParameterError) as info:
        cs.make_synthesizer("causal", **params).fit(small, acquisition)
    message = _one_line(info.value)
    assert message.startswith(f"The '{name}' parameter of CausalSynthesizer must be a float")
    assert shown in message


def test_item3_delta_without_epsilon_is_refused(acquisition, small):
    with pytest.raises(InvalidParameterError) as info:
        cs.make_synthesizer("causal", delta=1e-5).fit(small, acquisition)
    message = _one_line(info.value)
    assert "'delta' parameter of CausalSynthesizer is used only with 'epsilon'" in message
    assert "give epsilon too" in message
    synth = cs.make_synthesizer("causal", epsilon=3.0).fit(small, acquisition)
    assert synth.guarantee_["delta"] == 1e-6  # the default delta comes with epsilon


# ---- item 4: the size cap ---------------------------------------------------------------------
def test_item4_the_size_cap_is_one_rule():
    assert check_size("n", MAX_CELLS // 4, owner="f", columns=4) == MAX_CELLS // 4
    with pytest.raises(InvalidParameterError, match=r"at most 100,000,000 cells, rows x 4"):
        check_size("n", MAX_CELLS // 4 + 1, owner="f", columns=4)
    assert check_size("n_bootstrap", 0, owner="f", replicates=True, low=0) == 0
    with pytest.raises(InvalidParameterError, match=r"between 0 and 10,000 \(the size cap"):
        check_size("n_bootstrap", MAX_REPLICATES + 1, owner="f", replicates=True, low=0)
    for bad in (0, 2.5, True, "10", float("inf")):
        with pytest.raises(InvalidParameterError):
            check_size("n", bad, owner="f")


@pytest.mark.parametrize("rows", ["100000000000000000000", "100000000000"])
def test_item4_cli_simulate_refuses_rows_beyond_the_cap(tmp_path, rows):
    from causalsynth.cli import app

    out = tmp_path / "sim.csv"
    res = CliRunner().invoke(app, ["simulate", "acquisition", "-o", str(out), "--rows", rows])
    assert res.exit_code == 2, res.output
    assert "The '--rows' parameter of simulate must be an int between 1 and" in res.output
    assert "the size cap" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_item4_compare_refuses_n_beyond_the_cap(small):
    with pytest.raises(InvalidParameterError, match=r"'n' parameter of compare .* size cap"):
        cs.compare(small, "acquisition", ["causal"], n=10**11)


# ---- items 5, 8, 13: judging a stored report ------------------------------------------------
def test_item5_a_causal_section_that_is_text_is_one_clear_error(golden, tmp_path):
    golden["causal"] = "replaced by an editor"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(golden), encoding="utf-8")
    with pytest.raises(DataError) as info:
        cs.judge(path)
    message = _one_line(info.value)
    assert message == (f"invalid data in {str(path)!r}: not a causalsynth report: its 'causal' "
                       f"section is a str, not a mapping; write reports with Report.to_json "
                       f"and do not edit them")


def test_item5_margins_by_name_are_accepted_and_unknown_names_refused(golden):
    by_name = cs.judge(golden, {"ici_points": 10, "effect_rel": 0.2})
    typed = cs.judge(golden, cs.Margins(ici_points=10, effect_rel=0.2))
    assert by_name.to_dict()["causal"] == typed.to_dict()["causal"]
    with pytest.raises(InvalidParameterError) as info:
        cs.judge(golden, {"ici": 10})
    assert "unknown names ['ici']; known: ici_points" in _one_line(info.value)
    with pytest.raises(InvalidParameterError, match=r"'margins' parameter of judge must be"):
        cs.judge(golden, 10)
    with pytest.raises(InvalidParameterError, match=r"'ici_points' parameter of Margins"):
        cs.judge(golden, {"ici_points": -1})


def test_item8_the_privacy_gate_is_derived_again_not_trusted(golden):
    edited = copy.deepcopy(golden)
    copies = edited["privacy"]["exact_copies"]
    copies["value"] = copies["details"]["share"] = 1.0  # every synthetic row copied
    copies["breakdown"][0].update(copies=1500, share=1.0)
    edited["privacy_gate"]["flagged"] = False  # ... and the flag edited to hide it
    rejudged = cs.judge(edited)
    assert rejudged.copies_real_rows
    assert rejudged.privacy_gate["reason"].startswith("COPIES REAL ROWS: 100.0%")
    untouched = cs.judge(golden)
    assert untouched.privacy_gate == golden["privacy_gate"]


def test_item13_a_report_whose_every_figure_is_nan_is_refused(golden):
    for table in ("ici", "effects"):
        for row in golden["causal"][table]:
            for key, value in row.items():
                if isinstance(value, float):
                    row[key] = math.nan
    with pytest.raises(DataError) as info:
        cs.judge(golden)
    message = _one_line(info.value)
    assert "every figure of its causal comparison" in message
    assert "is NaN or missing" in message and "run validate again" in message


def test_item13_yaml_exponents_without_a_dot_are_numbers(acquisition):
    text = acquisition.to_yaml() if hasattr(acquisition, "to_yaml") else None
    if text is None:
        import yaml

        text = yaml.safe_dump(acquisition.to_dict(), sort_keys=False)
    text = text.replace("name: demand\n", "name: demand\n  range: [0, 1e308]\n", 1)
    assert "1e308" in text
    dag = cs.load_dag(text)
    assert dag.node("demand").range == (0.0, 1e308)


# ---- items 6 and 7: private bounds ----------------------------------------------------------
def test_item6_bounds_that_fall_back_warn_and_are_recorded(acquisition):
    tiny = acquisition.simulate(60, seed=3)
    with pytest.warns(PrivacyBoundsWarning, match=r"could not be told from the noise"):
        synth = cs.make_synthesizer("causal", epsilon=0.05).fit(tiny, acquisition)
    g = synth.guarantee_
    fell = [n for n, src in g["bounds"].items() if src == "fallback"]
    assert fell and all(synth.ranges_[n] == (-1.0, 1.0) for n in fell)
    assert all(any(repr(n) in note and "range: [lowest, highest]" in note
                   for note in g["notes"]) for n in fell)
    assert g["epsilon_spent"] <= 0.05 + 1e-9


def test_item6_bounds_cover_a_small_table_at_epsilon_3(acquisition):
    """The probe's case: 300 rows, epsilon 3, no declared ranges; demand's median 98,412 used
    to land in [-1, 1]. Now every numeric node gets bounds that hold its median."""
    real = acquisition.simulate(300, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivacyBoundsWarning)
        synth = cs.make_synthesizer("causal", epsilon=3.0, random_state=0).fit(real, acquisition)
    assert set(synth.guarantee_["bounds"].values()) == {"private"}
    for node, (lo, hi) in synth.ranges_.items():
        assert lo <= real[node].median() <= hi, node
    syn = synth.sample(300, seed=1)
    assert syn["demand"].median() > 10_000  # not squeezed into [-1, 1]


def test_item7_a_declared_range_that_excludes_the_data_is_reported(acquisition, small):
    spec = acquisition.to_dict()
    next(n for n in spec["nodes"] if n["name"] == "tv_spend")["range"] = [0, 10]
    dag = cs.load_dag(spec)
    with pytest.warns(PrivacyBoundsWarning, match=r"declared range \[0.0, 10.0\] of 'tv_spend' "
                                                   r"excludes about \d+% of the real rows"):
        synth = cs.make_synthesizer("causal", epsilon=3.0).fit(small, dag)
    g = synth.guarantee_
    assert g["bounds"]["tv_spend"] == "declared"
    # a noisy share (2 % of the node's budget, 300 rows): every real row is outside
    assert g["clipped"]["tv_spend"] > 0.5
    assert any("widen 'range:'" in note for note in g["notes"])
    assert g["epsilon_spent"] <= 3.0 + 1e-9


# ---- item 10: interventions -------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(acquisition):
    return cs.make_synthesizer("causal").fit(acquisition.simulate(500, seed=0), acquisition)


@pytest.mark.parametrize("interventions, part", [
    ({"tv_spend": "-200%"}, "a cut beyond -100% makes spend negative"),
    ({"tv_spend": -5}, "-5 is negative; a continuous spend takes values >= 0"),
    ({"tv_spend": "-10000000"}, "gives negative spend on"),
    ({"tv_budget": 1}, "intervention on 'tv_budget': that node is not in the DAG"),
])
def test_item10_bad_interventions_are_parameter_errors_naming_the_intervention(
        fitted, interventions, part):
    with pytest.raises(InvalidParameterError) as info:
        fitted.sample(50, seed=0, interventions=interventions)
    message = _one_line(info.value)
    assert "intervention" in message and part in message
    assert not isinstance(info.value, cs.DAGError)
    ok = fitted.sample(50, seed=0, interventions={"tv_spend": "-100%"})
    assert (ok["tv_spend"] == 0).all()


# ---- item 14: no pandas warning from the inference attack -----------------------------------
def test_item14_inference_risk_writes_no_pandas_warning(ad_funnel):
    from causalsynth.evaluate.privacy.anonymeter import inference_risk

    real = ad_funnel.simulate(600, seed=0)
    synthetic = ad_funnel.simulate(400, seed=1)
    holdout = ad_funnel.simulate(200, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = inference_risk(real, synthetic, ad_funnel, np.random.default_rng(0),
                                holdout=holdout, n_attacks=100)
    assert result.error is None, result.error
    names = [type(w.message).__name__ for w in caught]
    assert "SettingWithCopyWarning" not in names, names
    assert "reference_risk" in result.breakdown.columns


# ---- item 15: label counts carry sampling noise ---------------------------------------------
def test_item15_label_counts_are_not_the_real_counts(ad_funnel):
    real = ad_funnel.simulate(300, seed=0)
    labels = [n for n in ad_funnel.nodes if ad_funnel.node(n).type in ("binary", "categorical")
              and not ad_funnel.node(n).parents]
    assert labels
    synth = cs.make_synthesizer("causal").fit(real, ad_funnel)
    node = labels[0]
    truth = real[node].value_counts().sort_index()
    same = 0
    for seed in range(20):
        counts = synth.sample(300, seed=seed)[node].value_counts().sort_index()
        same += counts.reindex(truth.index, fill_value=0).equals(truth)
        # sampling noise, not a different distribution: within 4 binomial sds
        p = truth / truth.sum()
        sd = np.sqrt(300 * p * (1 - p))
        assert (np.abs(counts.reindex(truth.index, fill_value=0) - truth) <= 4 * sd + 2).all()
    # a stratified draw reproduced the real counts every time; binomial draws rarely do
    assert same <= 3, same


def test_item15_same_seed_still_same_table_and_interventions_use_common_noise(ad_funnel):
    real = ad_funnel.simulate(400, seed=0)
    synth = cs.make_synthesizer("causal").fit(real, ad_funnel)
    a, b = synth.sample(200, seed=5), synth.sample(200, seed=5)
    pd.testing.assert_frame_equal(a, b)


# ---- item 11: time tables ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def weeks():
    dag = cs.load_dag("weekly_mmm")
    return dag, dag.simulate(104, seed=0)


def _with_index(weeks, values):
    dag, real = weeks
    table = real.copy()
    table[dag.time.index] = values
    return dag, table


def test_item11_daily_dates_on_a_weekly_dag_are_refused(weeks):
    from causalsynth.data import check_data

    dag, table = _with_index(weeks, pd.date_range("2021-01-04", periods=104, freq="D"))
    with pytest.raises(DataError) as info:
        check_data(table, dag)
    assert _one_line(info.value) == (
        "invalid data: time index column 'week' is spaced 1 day(s) apart, but the DAG declares "
        "period: 52, which is for weekly rows; declare period: 7 for daily rows, or aggregate "
        "the rows to weeks")


@pytest.mark.parametrize("form", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y"])
def test_item11_day_first_or_month_first_dates_are_read_when_one_reading_fits(weeks, form):
    from causalsynth.data import check_data

    dates = pd.date_range("2021-01-04", periods=104, freq="W-MON")
    dag, table = _with_index(weeks, dates.strftime(form))
    assert len(check_data(table, dag)) == 104


def test_item11_ambiguous_and_mixed_date_forms_are_one_clear_error(weeks):
    from causalsynth.data import check_data

    months = pd.date_range("2021-01-01", periods=12, freq="MS")
    dag, real = weeks
    short = real.iloc[:12].copy()
    short[dag.time.index] = months.strftime("%d/%m/%Y")
    with pytest.raises(DataError, match=r"whose day and month cannot be told apart .*"
                                        r"YYYY-MM-DD"):
        check_data(short, dag)
    dates = pd.date_range("2021-01-04", periods=104, freq="W-MON")
    mixed = dates[:3].strftime("%d/%m/%Y").tolist() + dates[3:].strftime("%Y-%m-%d").tolist()
    _, table = _with_index(weeks, mixed)
    with pytest.raises(DataError) as info:
        check_data(table, dag)
    assert "holds dates written in several forms (such as '2021-01-25' and '04/01/2021')" \
        in _one_line(info.value)


def test_item11_time_zones_are_dropped_without_a_pandas_warning(weeks):
    from causalsynth.data import check_data

    dates = pd.date_range("2021-01-04", periods=104, freq="W-MON")
    zoned = [d.strftime("%Y-%m-%dT00:00:00") + ("+01:00" if d.month in (1, 2, 3, 11, 12)
                                                 else "+02:00") for d in dates]
    dag, table = _with_index(weeks, zoned)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(check_data(table, dag)) == 104


def test_item11_a_synthetic_index_that_differs_is_noted(weeks):
    from causalsynth.data import index_notes

    dag, real = weeks
    assert index_notes(real, real, dag) == []
    assert "has no time index column 'week'" in index_notes(real, real.drop(columns="week"),
                                                             dag)[0]
    dated = real.assign(week=pd.date_range("2021-01-04", periods=104, freq="W-MON"))
    assert "holds dates in the synthetic table but period numbers in the real one" in \
        index_notes(real, dated, dag)[0]


def test_item4_simulate_and_the_truth_refuse_sizes_beyond_the_cap():
    dag = cs.load_dag("acquisition")
    with pytest.raises(InvalidParameterError, match=r"'n' parameter of simulate .* size cap"):
        dag.simulate(10**11)
    with pytest.raises(InvalidParameterError, match=r"'n_samples' parameter of ground_truth"):
        dag.ground_truth(n_samples=10**12)


def test_item11_the_report_says_when_the_synthetic_index_differs(weeks):
    """validate compares such a table row by row without its index, and says so in the
    report's notes, its verdict box and the terminal summary."""
    from rich.console import Console

    from causalsynth.render.terminal import print_summary

    dag, real = weeks
    fresh = dag.simulate(104, seed=1).drop(columns="week")
    report = cs.validate(real, fresh, dag, seed=0, n_bootstrap=2)
    notes = report.meta["notes"]
    assert len(notes) == 1 and "has no time index column 'week'" in notes[0]
    assert notes[0] in html.unescape(report.to_html())
    console = Console(width=400, color_system=None, record=True)
    print_summary(report.to_dict(), console=console)
    assert notes[0] in console.export_text()
    plain = cs.validate(real, dag.simulate(104, seed=1), dag, seed=0, n_bootstrap=2)
    assert "notes" not in plain.meta
