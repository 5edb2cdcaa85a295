"""The discovered-structure section of ``validate``: the graph found on the real table against
the one found on the synthetic table, beside a split-half reference; informational (not part
of the verdict), recorded like the other sections, rendered in the HTML report without a row."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_report_html import assert_no_real_rows

import causalsynth as cs
from causalsynth.data import check_data
from causalsynth.errors import DataError
from causalsynth.evaluate._shared import Tables
from causalsynth.evaluate.causal import canonical_rows, panel_periods
from causalsynth.evaluate.structure import structure_section
from causalsynth.render.html import render_report

SHUFFLED = "social_clicks"


def _tables(dag, real, syn) -> Tables:
    """The tables as validate checks them."""
    return Tables(dag, canonical_rows(check_data(real, dag), dag),
                  canonical_rows(check_data(syn, dag, allow_constant=True), dag),
                  periods=(panel_periods(real, dag), panel_periods(syn, dag), None))


@pytest.fixture(scope="module")
def shuffled_report():
    """acquisition, 2,000 rows; the synthetic table is a fresh draw whose social_clicks column
    is shuffled: its dependence on the spends and its effect on revenue are gone."""
    dag = cs.load_dag("acquisition")
    real, syn = dag.simulate(2000, seed=0), dag.simulate(2000, seed=1)
    syn[SHUFFLED] = np.random.default_rng(0).permutation(syn[SHUFFLED].to_numpy())
    return real, cs.validate(real, syn, dag, seed=0)


@pytest.mark.slow
def test_section_is_in_validate_json(shuffled_report):
    _, report = shuffled_report
    d = json.loads(report.to_json())
    s = d["structure"]
    assert s["judged"] is False and "does not join the verdict" in s["note"]
    assert s["method"] == "ges" and "structure" in d["meta"]["timings"]
    assert {"shd", "lost", "gained", "reoriented", "reference", "real_edges",
            "synthetic_edges", "within_reference"} <= set(s)
    assert len(s["reference"]["shd"]) == s["reference"]["n_splits"] == 5
    assert s["shd"] == len(s["lost"]) + len(s["gained"]) + len(s["reoriented"])


@pytest.mark.slow
def test_shuffled_column_loses_its_edges(shuffled_report):
    # measured at these seeds: the three edges at social_clicks that the real table shows in
    # every half (tv_spend and social_spend -> social_clicks -> revenue) are lost, found in no
    # synthetic half; the reference's split halves differ by at most 2 pairs, the synthetic
    # table by 5
    _, report = shuffled_report
    s = report.structure
    lost = {e["real"]: e for e in s["lost"]}
    for edge in ("tv_spend -> social_clicks", "social_spend -> social_clicks",
                 "social_clicks -> revenue"):
        assert edge in lost, s["summary"]
        assert lost[edge]["real_stability"] >= 0.9 and lost[edge]["synthetic_stability"] <= 0.1
        assert lost[edge]["between_halves"] is False  # no split of either table moves it
    assert not [e for e in s["synthetic_edges"] if SHUFFLED in (e["source"], e["target"])]
    assert s["shd"] > s["reference"]["max_shd"] and s["within_reference"] is False
    assert "beyond it" in s["summary"]


@pytest.mark.slow
def test_section_in_html_without_real_rows(shuffled_report):
    real, report = shuffled_report
    page = report.to_html()
    assert "Discovered structure (informational)" in page
    assert "not part of the verdict" in page
    assert "social_spend -&gt; social_clicks" in page and "also between halves" in page
    section = page[page.index("id='structure'"):page.index("id='fidelity'")]
    assert "<svg" in section and "plot not drawn" not in section
    assert_no_real_rows(page, real)
    assert_no_real_rows(json.dumps(report.to_dict()["structure"]), real)


@pytest.mark.slow
def test_report_without_the_section_still_loads(shuffled_report, tmp_path):
    _, report = shuffled_report
    old = report.to_dict()
    del old["structure"]  # a report written before the section existed
    back = cs.Report.from_dict(old)
    assert back.structure == {} and "structure" not in back.to_dict()
    assert "Discovered structure" not in render_report(old)
    assert cs.judge(old).verdict == report.verdict
    # and a report with it keeps it through JSON and re-judging
    path = tmp_path / "r.json"
    report.to_json(path)
    assert cs.read_report(path).structure["shd"] == report.structure["shd"]
    assert cs.judge(path).structure == cs.read_report(path).structure


def test_edited_section_is_refused():
    with pytest.raises(DataError, match="its 'structure' section is a str, not a mapping"):
        cs.Report.from_dict({"verdict": "preserved", "causal": {}, "structure": "edited"})


def test_fresh_draw_is_within_the_reference():
    # a perfect synthesizer: another draw of the true model (saturation, 4,000 rows each)
    dag = cs.load_dag("saturation")
    s = structure_section(_tables(dag, dag.simulate(4000, seed=3), dag.simulate(4000, seed=4)),
                          seed=0)
    assert s["within_reference"] is True, s["summary"]
    assert s["lost"] == [] and s["shd"] <= s["reference"]["max_shd"]
    assert all(e["between_halves"] for e in s["gained"] + s["reoriented"])
    # every edge of the real graph is kept in most halves of both tables
    assert all(e["stability"] >= 0.8 for e in s["real_edges"] + s["synthetic_edges"])


def test_seeded():
    dag = cs.load_dag("saturation")
    t = _tables(dag, dag.simulate(600, seed=0), dag.simulate(600, seed=1))
    a, b = structure_section(t, seed=5), structure_section(t, seed=5)
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_constant_synthetic_column_is_a_finding_not_an_error():
    dag = cs.load_dag("saturation")
    real, syn = dag.simulate(1000, seed=0), dag.simulate(1000, seed=1)
    syn["tv_spend"] = float(syn["tv_spend"].iloc[0])
    s = structure_section(_tables(dag, real, syn), seed=0)
    assert "error" not in s, s.get("error")
    assert {e["real"] for e in s["lost"]} >= {e["source"] + " -> " + e["target"] for e in
                                              s["real_edges"] if e["source"] == "tv_spend"}
    assert s["within_reference"] is False


def test_small_tables_skip_what_they_cannot_support():
    dag = cs.load_dag("acquisition")  # GES needs 60 rows for 6 nodes
    s = structure_section(_tables(dag, dag.simulate(50, seed=0), dag.simulate(50, seed=1)),
                          seed=0)
    assert "needs at least 60 rows" in s["skipped"] and s["judged"] is False
    # enough rows for the tables, too few for their halves: graphs compared, no reference
    s = structure_section(_tables(dag, dag.simulate(100, seed=0), dag.simulate(100, seed=1)),
                          seed=0)
    assert "would hold 50 rows" in s["reference"]["skipped"]
    assert s["within_reference"] is None and "shd" in s
    assert all(e["real_stability"] is None for e in s["lost"] + s["gained"])
    assert "Discovered structure" in render_report({"verdict": "preserved", "causal": {},
                                                    "structure": s})


def test_wide_dag_is_skipped_with_its_reason():
    dag = cs.load_dag("saturation")
    t = _tables(dag, dag.simulate(300, seed=0), dag.simulate(300, seed=1))
    s = structure_section(t, seed=0, max_nodes=len(dag.nodes) - 1)
    assert s["skipped"].startswith(f"the DAG has {len(dag.nodes)} nodes") and "shd" not in s


def test_failure_is_recorded_not_raised():
    dag = cs.load_dag("acquisition")
    real = dag.simulate(500, seed=0)
    t = Tables(dag, canonical_rows(check_data(real, dag), dag), real.iloc[:20])  # too few rows
    s = structure_section(t, seed=0)
    assert s["error"].startswith("DataError") and s["judged"] is False
    page = render_report({"verdict": "preserved", "causal": {}, "structure": s})
    assert "structure discovery failed: DataError" in page


def test_time_table_is_placed_in_time():
    # weekly_mmm: 208 weeks; trend and season are time nodes (nothing causes them) on both
    dag = cs.load_dag("weekly_mmm")
    s = structure_section(_tables(dag, dag.simulate(208, seed=0), dag.simulate(208, seed=1)),
                          seed=0)
    assert "error" not in s, s.get("error")
    assert "Fourier" in s["time_context"]
    for e in s["real_edges"] + s["synthetic_edges"]:
        assert e["target"] not in ("trend", "season")
