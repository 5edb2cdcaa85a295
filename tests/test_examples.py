"""Every example runs end to end with small sizes; the notebook executes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def test_every_example_tells_its_story():
    assert set(SCRIPTS) >= {"acquisition_campaign.py", "small_data_augmentation.py",
                            "weekly_mmm.py", "privacy_tradeoff.py"}
    for name in SCRIPTS:
        text = (EXAMPLES / name).read_text()
        assert text.startswith('"""') and "business story" in text.lower(), name
        assert "--quick" in text and "CAUSALSYNTH_QUICK" in text, name


def test_example_data_ships_with_licence_and_origin():
    assert (EXAMPLES / "data" / "dt_simulated_weekly.csv").is_file()
    assert "MIT License" in (EXAMPLES / "data" / "LICENSE-robyn").read_text()
    assert "facebookexperimental/Robyn" in (EXAMPLES / "data" / "ORIGIN.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_quick(script, tmp_path):
    env = {**os.environ, "CAUSALSYNTH_QUICK": "1", "MPLBACKEND": "Agg"}
    res = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", "--out",
                          str(tmp_path / "out")], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    htmls = list((tmp_path / "out").glob("*.html"))
    assert htmls, res.stdout
    for page in htmls:
        assert page.read_text().startswith("<!DOCTYPE html>")
    for written in [*htmls, *(tmp_path / "out").glob("*.json")]:
        assert_no_nan_shown(written)


def assert_no_nan_shown(path):
    """No NaN in front of a person: not in a page's text (scripts and styles aside), not as a
    figure in a JSON report (the JSON writes null for a missing figure)."""
    text = path.read_text()
    if path.suffix == ".html":
        text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S | re.I)
    hits = re.findall(r".{0,60}(?<![A-Za-z])nan(?![A-Za-z]).{0,20}", text, flags=re.I)
    assert not hits, f"{path.name}: {hits[:3]}"


@pytest.mark.slow
def test_walkthrough_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
    nb = nbformat.read(EXAMPLES / "walkthrough.ipynb", as_version=4)
    monkeypatch.setenv("CAUSALSYNTH_QUICK", "1")  # the kernel inherits this environment
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    # the report rendered itself as HTML in the notebook
    html = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "text/html" in o.get("data", {})]
    assert any("cs-report" in o["data"]["text/html"] for o in html)


@pytest.mark.slow
@pytest.mark.parametrize("table", ["meridian_national", "online_shop"])
def test_weekly_mmm_runs_on_the_other_time_tables(table, tmp_path):
    env = {**os.environ, "CAUSALSYNTH_QUICK": "1", "MPLBACKEND": "Agg"}
    res = subprocess.run([sys.executable, str(EXAMPLES / "weekly_mmm.py"), "--quick", "--table",
                          table, "--out", str(tmp_path / "out")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Do the data contradict the DAG? no" in res.stdout
    assert "The budget decision" in res.stdout and "real:" in res.stdout
    assert "What if" in res.stdout and "went dark in weeks 10-19" in res.stdout
    for written in [*(tmp_path / "out").glob("*.html"), *(tmp_path / "out").glob("*.json")]:
        assert_no_nan_shown(written)
