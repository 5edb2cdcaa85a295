"""The causalsynth command line: every command with good and bad input, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from test_report_html import golden  # a golden report dict (real validate output)
from typer.testing import CliRunner

import causalsynth
import causalsynth.cli as cli

# the package exports the function compare(); the module is reached through sys.modules
import causalsynth.comparison as cmp
from causalsynth import load_dag
from causalsynth.data import check_data
from causalsynth.evaluate.report import Report
from causalsynth.render.format import effect_kind, fmt, points
from causalsynth.render.terminal import print_summary

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["demo", "simulate", "synthesize", "validate", "compare", "check-dag", "discover"]


def run(*args: str):
    return runner.invoke(cli.app, [str(a) for a in args])


def assert_clean_error(res, *fragments: str) -> None:
    """Exit code 2, the error on one 'error:' line with the fragments, no traceback."""
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert "error:" in res.output
    for f in fragments:
        assert f in res.output, res.output


def golden_report(verdict: str) -> Report:
    """The golden acquisition report (real validate output) with the verdict given."""
    d = golden("acquisition")
    d["verdict"] = d["causal"]["verdict"] = verdict
    return Report.from_dict(d)


def fake_validate(verdict: str):
    """validate() without the computation: checks the tables (every draw, when compare passes
    several), returns a golden report."""
    def validate(real, synthetic, dag, holdout=None, seed=0, **kw):
        dag = load_dag(dag)
        check_data(real, dag, what="the real table")
        for draw in synthetic if isinstance(synthetic, list) else [synthetic]:
            check_data(draw, dag, what="the synthetic table")
        return golden_report(verdict)

    return validate


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("tables")
    dag = load_dag("acquisition")
    real, synth = dag.simulate(300, seed=0), dag.simulate(300, seed=1)
    paths = {"real": d / "real.csv", "synth": d / "synth.parquet", "bad": d / "bad.csv",
             "cyclic": d / "cyclic.yaml"}
    real.to_csv(paths["real"], index=False)
    synth.to_parquet(paths["synth"], index=False)
    real.drop(columns=["revenue"]).rename(columns={"demand": "Demand"}).to_csv(
        paths["bad"], index=False)
    paths["cyclic"].write_text(
        "nodes:\n- {name: a, type: continuous, parents: [b]}\n"
        "- {name: b, type: continuous, parents: [a], role: outcome}\n")
    return paths


# ---- help and version ---------------------------------------------------------------------
def test_help_lists_every_command():
    res = run("--help")
    assert res.exit_code == 0
    for c in COMMANDS:
        assert c in res.output


def test_version():
    res = run("--version")
    assert res.exit_code == 0 and "causalsynth 0." in res.output


def test_unknown_option_is_exit_2():
    assert run("simulate", "acquisition", "--nope").exit_code == 2


@pytest.mark.parametrize("command", ["validate", "compare"])
def test_judging_commands_share_their_options(command):
    res = run(command, "--help")
    assert res.exit_code == 0
    for option in ("--dag", "--holdout", "--html", "--json", "--seed", "--reference",
                   "--ici-margin", "--effect-margin", "--debug"):
        assert option in res.output, option


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_debug(command):
    assert "--debug" in run(command, "--help").output


@pytest.mark.parametrize(("verdicts", "code"), [
    (["preserved", "not preserved"], 0), (["not preserved", "inconclusive"], 3),
    (["not preserved"], 1), ([], 1)])
def test_best_exit(verdicts, code):
    assert cli.best_exit(verdicts) == code


# ---- simulate ---------------------------------------------------------------------------------
def test_simulate_writes_table_and_truth(tmp_path):
    out, js = tmp_path / "real.parquet", tmp_path / "truth.json"
    res = run("simulate", "acquisition", "--rows", 250, "--seed", 4, "-o", out, "--json", js)
    assert res.exit_code == 0, res.output
    frame = pd.read_parquet(out)
    assert frame.shape == (250, 6)
    pd.testing.assert_frame_equal(frame, load_dag("acquisition").simulate(250, seed=4))
    truth = json.loads(js.read_text())["ground_truth"]
    shares = {r["node"]: r["share"] for r in truth["ici"]}
    assert sum(shares.values()) == pytest.approx(100)
    assert shares["tv_spend"] == pytest.approx(17.5, abs=0.05)


def test_simulate_bad_dag_name(tmp_path):
    res = run("simulate", "acqusition", "-o", tmp_path / "x.csv")
    assert_clean_error(res, "no built-in DAG", "acquisition")
    assert not (tmp_path / "x.csv").exists()


def test_simulate_cyclic_dag_file(tables, tmp_path):
    res = run("simulate", tables["cyclic"], "-o", tmp_path / "x.csv")
    assert_clean_error(res, "cycle")


def test_simulate_dag_without_simulation_block(tmp_path):
    res = run("simulate", ROOT / "dags" / "robyn_weekly.yaml", "-o", tmp_path / "x.csv")
    assert_clean_error(res, "no 'simulation' block")


def test_simulate_bad_output_suffix(tmp_path):
    assert_clean_error(run("simulate", "acquisition", "-o", tmp_path / "x.txt"),
                       "must end in .csv or .parquet")


def test_debug_shows_the_exception(tmp_path):
    res = run("simulate", "acqusition", "-o", tmp_path / "x.csv", "--debug")
    assert res.exit_code != 0 and res.exception is not None
    assert type(res.exception).__name__ == "DAGError"


# ---- synthesize -------------------------------------------------------------------------------
def test_synthesize_good(tables, tmp_path):
    out, js = tmp_path / "s.csv", tmp_path / "s.json"
    res = run("synthesize", tables["real"], "--dag", "acquisition", "-y", "gaussian_copula",
              "--rows", 120, "--seed", 1, "-o", out, "--json", js)
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert frame.shape == (120, 6)
    assert list(frame.columns) == list(pd.read_csv(tables["real"]).columns)
    meta = json.loads(js.read_text())
    assert meta["synthesizer"] == "gaussian_copula" and meta["rows"] == 120
    assert meta["fit_s"] >= 0


def test_synthesize_missing_file(tmp_path):
    res = run("synthesize", tmp_path / "nope.csv", "--dag", "acquisition", "-o",
              tmp_path / "s.csv")
    assert_clean_error(res, "no file at", "nope.csv")


def test_synthesize_mismatched_columns(tables, tmp_path):
    res = run("synthesize", tables["bad"], "--dag", "acquisition", "-y", "gaussian_copula",
              "-o", tmp_path / "s.csv")
    assert_clean_error(res, "missing from", "revenue", "Demand")
    assert not (tmp_path / "s.csv").exists()


def test_synthesize_refuses_to_overwrite_input(tables):
    before = tables["real"].read_bytes()
    res = run("synthesize", tables["real"], "--dag", "acquisition", "-o", tables["real"])
    assert_clean_error(res, "is one of the input files")
    assert tables["real"].read_bytes() == before


def test_synthesize_unknown_synthesizer_and_bad_param(tables, tmp_path):
    assert_clean_error(run("synthesize", tables["real"], "--dag", "acquisition", "-y", "gan9",
                           "-o", tmp_path / "s.csv"), "unknown synthesizer 'gan9'")
    assert_clean_error(run("synthesize", tables["real"], "--dag", "acquisition", "-p", "oops",
                           "-o", tmp_path / "s.csv"), "key=value")


# ---- validate ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("verdict", "code"),
                         [("preserved", 0), ("not preserved", 1), ("inconclusive", 3)])
def test_validate_exit_code_follows_verdict(tables, tmp_path, monkeypatch, verdict, code):
    monkeypatch.setattr(causalsynth, "validate", fake_validate(verdict))
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    res = run("validate", tables["real"], tables["synth"], "--dag", "acquisition",
              "--html", html, "--json", js)
    assert res.exit_code == code, res.output
    assert f"attribution {verdict}" in res.output
    assert json.loads(js.read_text())["verdict"] == verdict
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_validate_summary_shows_the_golden_report():
    """The terminal summary: verdict, its (at most five) reasons, the privacy gate,
    an ICI row per node, every effect, and the headline figures."""
    d = golden("acquisition")
    console = Console(width=200, color_system=None, record=True)
    print_summary(d, console=console)
    text = console.export_text()
    cells = " ".join(text.replace("│", " ").split())  # table rows as words
    assert text.startswith("attribution inconclusive (agreement not shown within your margins)")
    words = " ".join(text.split())  # long reasons wrap on the terminal
    assert " ".join(d["causal"]["reasons"][0].split()) in words
    assert "lines on every judged figure" in words
    assert len(d["causal"]["reasons"]) <= 5
    assert f"privacy gate: {d['privacy_gate']['reason']}" in text
    for r in d["causal"]["ici"]:
        assert (f"{r['node']} {points(r['real_share'])} {points(r['synthetic_share'])} "
                f"{points(r['diff_pp'], sign=True)}") in cells
    for r in d["causal"]["effects"]:
        assert (f"{r['treatment']} {effect_kind(r['kind'], short=True)} {r['method']} "
                f"{fmt(r['real'])} {fmt(r['synthetic'])}") in cells
    quality = d["fidelity"]["quality_score"]["value"]
    assert f"quality {fmt(quality, pct=True)}" in text and "independences differing 0/7" in text


def test_validate_missing_file(tables, tmp_path, monkeypatch):
    monkeypatch.setattr(causalsynth, "validate", fake_validate("preserved"))
    res = run("validate", tables["real"], tmp_path / "gone.csv", "--dag", "acquisition")
    assert_clean_error(res, "no file at", "gone.csv")


def test_validate_mismatched_columns(tables, monkeypatch):
    monkeypatch.setattr(causalsynth, "validate", fake_validate("preserved"))
    res = run("validate", tables["real"], tables["bad"], "--dag", "acquisition")
    assert_clean_error(res, "missing from the synthetic table")


def test_validate_bad_dag(tables, monkeypatch):
    monkeypatch.setattr(causalsynth, "validate", fake_validate("preserved"))
    res = run("validate", tables["real"], tables["synth"], "--dag", tables["cyclic"])
    assert_clean_error(res, "cycle")


def test_validate_refuses_output_over_input(tables):
    res = run("validate", tables["real"], tables["synth"], "--dag", "acquisition", "--json",
              tables["synth"])
    assert_clean_error(res, "is one of the input files")


def test_validate_with_the_real_api(tables, tmp_path):
    js = tmp_path / "r.json"
    res = run("validate", tables["real"], tables["synth"], "--dag", "acquisition", "--json", js)
    assert res.exit_code in (0, 1, 3), res.output
    report = json.loads(js.read_text())
    assert res.exit_code == {"preserved": 0, "inconclusive": 3}.get(report["verdict"], 1)
    assert f"attribution {report['verdict']}" in res.output
    assert set(report) == {"verdict", "privacy_gate", "causal", "fidelity", "privacy", "utility",
                           "structure", "meta"}


# ---- compare ----------------------------------------------------------------------------------
def test_compare_good(tables, tmp_path, monkeypatch):
    monkeypatch.setattr(cmp, "_run_validate",
                        lambda r, s, d, h, seed, *a, **k:
                        fake_validate("preserved")(r, s, d, h, seed))
    html, js = tmp_path / "c.html", tmp_path / "c.json"
    res = run("compare", tables["real"], "--dag", "acquisition", "--synthesizers",
              "gaussian_copula", "--html", html, "--json", js)
    assert res.exit_code == 0, res.output
    assert "Leaderboard" in res.output and "gaussian_copula" in res.output
    data = json.loads(js.read_text())
    assert data["leaderboard"][0]["verdict"] == "preserved"
    assert "Privacy vs causal fidelity" in html.read_text()


def test_compare_none_preserved_is_exit_1(tables, monkeypatch):
    monkeypatch.setattr(cmp, "_run_validate",
                        lambda r, s, d, h, seed, *a, **k:
                        fake_validate("not preserved")(r, s, d, h, seed))
    res = run("compare", tables["real"], "--dag", "acquisition", "--synthesizers",
              "gaussian_copula")
    assert res.exit_code == 1, res.output


def test_compare_bad_inputs(tables, tmp_path):
    assert_clean_error(run("compare", tables["real"], "--dag", "acquisition", "--synthesizers",
                           "gaussian_copula,gan9"), "unknown synthesizer", "gan9")
    assert_clean_error(run("compare", tmp_path / "none.csv", "--dag", "acquisition"),
                       "no file at")
    assert_clean_error(run("compare", tables["bad"], "--dag", "acquisition"),
                       "missing from the real table")
    assert_clean_error(run("compare", tables["real"], "--dag", "nodag"), "no built-in DAG")


# ---- check-dag --------------------------------------------------------------------------------
class FakeCheck:
    def __init__(self, passed: bool):
        self.passed = passed

    def summary(self) -> str:
        return "2 implied independences tested"

    def to_dict(self) -> dict:
        return {"passed": self.passed, "tests": [
            {"x": "demand", "y": "tv_spend", "given": [], "effect": 0.01, "p_value": 0.4,
             "holds": True}]}


def fake_check(passed: bool):
    def check(data, dag, seed=0):
        check_data(data, load_dag(dag), what="the table")
        return FakeCheck(passed)

    return check


@pytest.mark.parametrize(("passed", "code"), [(True, 0), (False, 1)])
def test_check_dag_exit_codes(tables, tmp_path, monkeypatch, passed, code):
    monkeypatch.setattr(causalsynth, "check_dag", fake_check(passed))
    js = tmp_path / "c.json"
    res = run("check-dag", tables["real"], "--dag", "acquisition", "--json", js)
    assert res.exit_code == code, res.output
    assert ("do not contradict" in res.output) == passed
    assert "2 implied independences tested" in res.output
    assert json.loads(js.read_text())["passed"] is passed


def test_check_dag_bad_inputs(tables, tmp_path, monkeypatch):
    monkeypatch.setattr(causalsynth, "check_dag", fake_check(True))
    assert_clean_error(run("check-dag", tmp_path / "x.parquet", "--dag", "acquisition"),
                       "no file at")
    assert_clean_error(run("check-dag", tables["real"], "--dag", tables["cyclic"]), "cycle")
    assert_clean_error(run("check-dag", tables["bad"], "--dag", "acquisition"),
                       "missing from the table")


def test_check_dag_with_the_real_api(tmp_path):
    import causalsynth

    if not hasattr(causalsynth, "check_dag"):
        pytest.skip("causalsynth.check_dag has not landed yet")
    path = tmp_path / "big.csv"
    load_dag("acquisition").simulate(3000, seed=5).to_csv(path, index=False)
    res = run("check-dag", path, "--dag", "acquisition", "--json", tmp_path / "c.json")
    assert res.exit_code == 0, res.output  # simulated from this very DAG
    assert json.loads((tmp_path / "c.json").read_text())["passed"] is True


# ---- demo -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_quick_writes_every_report(tmp_path, monkeypatch):
    monkeypatch.setattr(cmp, "_run_validate",
                        lambda r, s, d, h, seed, *a, **k:
                        fake_validate("preserved")(r, s, d, h, seed))
    out = tmp_path / "demo"
    res = run("demo", "--quick", "--out", out, "--rows", 300)
    assert res.exit_code == 0, res.output
    names = ["gaussian_copula", "ctgan", "tvae", "causal"]
    board = json.loads((out / "comparison.json").read_text())["leaderboard"]
    assert [r["synthesizer"] for r in board] == [*names, cmp.REFERENCE]
    for name in names:
        if not next(r for r in board if r["synthesizer"] == name)["error"]:
            assert (out / f"{name}.json").is_file() and (out / f"{name}.html").is_file()
    assert (out / "comparison.html").is_file()
    assert str(out.resolve()) in res.output.replace("\n", "")


def test_demo_out_is_a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert_clean_error(run("demo", "--quick", "--out", f), "is a file")
