"""The privacy gate: a synthetic table that copies real rows is flagged everywhere it shows."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import causalsynth as cs
import causalsynth.cli as cli
from causalsynth.evaluate.gate import privacy_gate

runner = CliRunner()


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    dag = cs.load_dag("acquisition")
    folder = tmp_path_factory.mktemp("gate")
    paths = {}
    for name, seed in (("real", 1), ("fresh", 2), ("holdout", 3)):
        paths[name] = folder / f"{name}.csv"
        dag.simulate(600 if name != "holdout" else 200, seed=seed).to_csv(paths[name],
                                                                          index=False)
    return paths


def _validate(tables, synthetic, tmp_path):
    js, html = tmp_path / "r.json", tmp_path / "r.html"
    res = runner.invoke(cli.app, ["validate", str(tables["real"]), str(synthetic), "--dag",
                                  "acquisition", "--holdout", str(tables["holdout"]),
                                  "--json", str(js), "--html", str(html)])
    return res, json.loads(js.read_text()), html.read_text()


@pytest.mark.slow
def test_the_real_table_offered_as_synthetic_is_flagged_everywhere(tables, tmp_path):
    res, report, page = _validate(tables, tables["real"], tmp_path)
    assert res.exit_code == cli.EXIT_COPIES == 4, res.output
    gate = report["privacy_gate"]
    assert gate["flagged"] and gate["copy_share"] == 1.0  # the CSV round trip is exact
    assert "PRIVACY GATE: COPIES REAL ROWS" in res.output
    assert 'id="privacy-gate"' in page and "COPIES REAL ROWS" in page


@pytest.mark.slow
def test_a_fresh_draw_is_not_flagged(tables, tmp_path):
    res, report, _ = _validate(tables, tables["fresh"], tmp_path)
    assert res.exit_code != 4, res.output
    assert report["privacy_gate"]["assessed"] and not report["privacy_gate"]["flagged"]


def test_the_causal_synthesizer_is_not_flagged():
    dag = cs.load_dag("acquisition")
    real, hold = dag.simulate(2_000, seed=1), dag.simulate(500, seed=3)
    syn = cs.make_synthesizer("causal").fit(real, dag).sample(2_000, seed=0)
    from causalsynth.evaluate.privacy import exact_copies

    gate = privacy_gate(exact_copies(real, syn, dag, holdout=hold).to_dict())
    assert gate["assessed"] and not gate["flagged"], gate


def test_label_tables_are_judged_against_the_holdout():
    """ad_funnel rows repeat by nature: only copying beyond the holdout's rate is flagged."""
    dag = cs.load_dag("ad_funnel")
    from causalsynth.evaluate.privacy import exact_copies

    real, hold = dag.simulate(2_000, seed=1), dag.simulate(1_000, seed=3)
    fresh = dag.simulate(2_000, seed=2)
    assert not privacy_gate(exact_copies(real, fresh, dag, holdout=hold).to_dict())["flagged"]
    no_holdout = privacy_gate(exact_copies(real, fresh, dag).to_dict())
    assert no_holdout["assessed"] and not no_holdout["flagged"], no_holdout
    assert "repeats" in no_holdout["reason"]
    copied = privacy_gate(exact_copies(real, real, dag).to_dict())
    assert copied["flagged"], copied


def test_a_holdout_overlapping_the_training_rows_is_refused():
    dag = cs.load_dag("acquisition")
    real = dag.simulate(300, seed=1)
    with pytest.raises(cs.DataError, match="holdout shares 300 of its 300 rows"):
        cs.validate(real, dag.simulate(300, seed=2), dag, holdout=real)
    mixed = real.iloc[:100].copy()
    with pytest.raises(cs.DataError, match="holdout shares 100"):
        cs.validate(real, dag.simulate(300, seed=2), dag, holdout=mixed)


def test_a_label_table_holdout_is_judged_against_chance_repeats():
    """ad_funnel rows repeat by nature (92% of a fresh table's rows are in the training
    table): a fresh holdout is accepted, the training rows themselves are refused."""
    from causalsynth.data import check_data
    from causalsynth.evaluate.gate import check_holdout

    dag = cs.load_dag("ad_funnel")
    train = check_data(dag.simulate(5_000, seed=1), dag)
    check_holdout(train, check_data(dag.simulate(2_000, seed=2), dag))
    with pytest.raises(cs.DataError, match="chance repeats would explain"):
        check_holdout(train, train.iloc[:2_000])
