"""``causalsynth mmm --lift-tests FILE.csv`` (issue 24): the command line fits the media mix
model, calibrated by a file of lift tests when given (ROAS with and without them shown, JSON
written), with the command line's exit codes: 0 fitted, 2 bad input on one line."""

from __future__ import annotations

import json

import pytest
from test_lift_tests import WEEKLY, true_tests
from typer.testing import CliRunner

import causalsynth.cli as cli

runner = CliRunner()


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("lift")
    table = WEEKLY.simulate(104, seed=1)
    tests = true_tests(WEEKLY, table, 1, 104, windows=[(20, 27), (40, 47), (60, 67),
                                                        (80, 87)])
    paths = {name: d / f"{name}.csv" for name in ("table", "tests", "no_se", "unknown")}
    table.to_csv(paths["table"], index=False)
    tests.to_csv(paths["tests"], index=False)
    tests.drop(columns="se").to_csv(paths["no_se"], index=False)
    tests.assign(channel=["tv_spend", "radio_spend", "social_spend", "display_spend"]).to_csv(
        paths["unknown"], index=False)
    return paths


def test_mmm_with_lift_tests_shows_roas_with_and_without_them(files, tmp_path):
    out = tmp_path / "fit.json"
    res = run("mmm", files["table"], "--dag", "weekly_mmm", "--lift-tests", files["tests"],
              "--bootstrap", 0, "--json", out)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the terminal wraps long lines
    assert "uncalibrated ROAS: the same fit without them" in text
    assert "lift test tv_spend 20..27: measured" in text
    d = json.loads(out.read_text())
    assert len(d["lift_tests"]) == 4
    assert all("roas_uncalibrated" in r for r in d["channels"])


def test_mmm_without_lift_tests(files):
    res = run("mmm", files["table"], "--dag", "weekly_mmm", "--bootstrap", 0)
    assert res.exit_code == 0, res.output
    assert "uncalibrated" not in res.output and "tv_spend" in res.output


@pytest.mark.parametrize("name, fragments", [
    ("no_se", ["lift-test file", "lacks the column(s) se", "columns present: channel"]),
    ("unknown", ["--lift-tests", "channel 'radio_spend' is not a spend channel",
                 "its channels: tv_spend"]),
])
def test_a_bad_lift_test_file_is_one_clear_error(files, name, fragments):
    res = run("mmm", files["table"], "--dag", "weekly_mmm", "--lift-tests", files[name],
              "--bootstrap", 0)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "error:" in res.output
    for fragment in fragments:
        assert fragment in res.output, res.output


def test_a_missing_lift_test_file_and_an_output_over_it_are_refused(files, tmp_path):
    res = run("mmm", files["table"], "--dag", "weekly_mmm", "--lift-tests",
              tmp_path / "none.csv", "--bootstrap", 0)
    assert res.exit_code == 2 and "no file at" in res.output
    res = run("mmm", files["table"], "--dag", "weekly_mmm", "--lift-tests", files["tests"],
              "--json", files["tests"])
    assert res.exit_code == 2 and "is one of the input files" in res.output


def test_mmm_is_listed_with_its_options():
    assert "mmm" in run("--help").output
    text = run("mmm", "--help").output
    for option in ("--dag", "--lift-tests", "--bootstrap", "--json", "--seed", "--debug"):
        assert option in text, option
