"""The HTML report and comparison pages, rendered from golden reports (real ``validate``
output, ``tests/golden/report_*.json``): what a reader must see is there, strings are escaped,
the page is self-contained, no real row appears, and it renders in headless Chromium.

Tests about missing or failed sections edit a copy of a golden report.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from causalsynth import load_dag, read_report
from causalsynth.comparison import REFERENCE, leaderboard_row
from causalsynth.evaluate.causal import reference_summary
from causalsynth.evaluate.metric import metric_label
from causalsynth.evaluate.verdict import INCONCLUSIVE, NOT_PRESERVED, PRESERVED
from causalsynth.render import render_comparison, render_report
from causalsynth.render.format import effect_kind, esc, fmt

GOLDEN = Path(__file__).resolve().parent / "golden"
NAMES = ("acquisition", "saturation", "ad_funnel")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: the plots of a full report: ICI bars, effects forest, column distributions, correlation
#: heat map, the DCR and NNDR distance quantiles, and the discovered-structure graph
N_PLOTS = 7
#: per-quantity status -> (row class, what the status cell says)
STATUS = {"within": ("", "within"), "beyond": ("bad", "beyond"),
          "unclear": ("unsure", "undecided"), "not judged": ("", "not judged"),
          "covered": ("", "consistent (the other estimate decides)")}


def golden(name: str = "acquisition") -> dict:
    """A fresh copy of a golden report dict (``Report.to_dict()`` of a real validate run)."""
    return json.loads((GOLDEN / f"report_{name}.json").read_text())


def golden_real(name: str):
    """The real and holdout tables behind a golden report (see tests/golden/make_golden.py)."""
    dag = load_dag(name)
    return dag.simulate(1500, seed=1), dag.simulate(500, seed=3)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    return {name: golden(name) for name in NAMES}


@pytest.fixture(scope="module")
def pages(reports) -> dict[str, str]:
    return {name: render_report(d) for name, d in reports.items()}


def table_after(page: str, heading: str) -> list[tuple[str, list[str]]]:
    """The body rows of the first table after ``heading``: (row class, cell texts)."""
    start = page.index(heading)
    body = page[page.index("<tbody>", start):page.index("</tbody>", start)]
    rows = []
    for attrs, cells in re.findall(r"<tr([^>]*)>(.*?)</tr>", body):
        cls = re.search(r'class="([^"]*)"', attrs)
        texts = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)]
        rows.append((cls.group(1) if cls else "", texts))
    return rows


def render_edited(edit, name: str = "acquisition") -> str:
    """The page of a golden report after ``edit(report_dict)``."""
    d = golden(name)
    edit(d)
    return render_report(d)


# ---- what a reader must see ------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_full_page_is_self_contained(pages, name):
    page = pages[name]
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing fetched from anywhere: no external URLs in src/href, no scripts, no @import
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page.lower() and "@import" not in page
    assert "<link" not in page.lower()
    assert page.count("<svg") == N_PLOTS
    assert "plot not drawn" not in page


@pytest.mark.parametrize("name", NAMES)
def test_sections_in_order_verdict_first(pages, name):
    page = pages[name]
    order = [page.index(m) for m in ('id="verdict"', "id='causal'", "id='fidelity'",
                                     "id='utility'", "id='privacy'", "id='meta'")]
    assert order == sorted(order)


@pytest.mark.parametrize("name", NAMES)
def test_verdict_box_shows_verdict_reasons_margins_and_gate(reports, pages, name):
    d, page = reports[name], pages[name]
    assert d["verdict"] == INCONCLUSIVE
    box = page[page.index('id="verdict"'):page.index("id='causal'")]
    assert 'class="verdict unsure"' in page
    assert "Inconclusive: agreement not shown within these margins" in box
    for reason in d["causal"]["reasons"]:
        assert f"<li>{esc(reason)}</li>" in box
    assert f"ici_points = {fmt(d['causal']['margins']['ici_points'])}" in box
    assert 'id="privacy-gate"' in box and esc(d["privacy_gate"]["reason"]) in box


@pytest.mark.parametrize("name", NAMES)
def test_ici_table_has_a_row_per_node_with_its_status(reports, pages, name):
    causal = reports[name]["causal"]
    rows = table_after(pages[name], "Intrinsic causal influence on")
    assert [cells[0] for _, cells in rows] == [r["node"] for r in causal["ici"]]
    for (cls, cells), r in zip(rows, causal["ici"], strict=True):
        assert (cls, cells[4]) == STATUS[r["status"]]
        assert cells[1].startswith(fmt(r["real_share"]))
        assert cells[2].startswith(fmt(r["synthetic_share"]))
        assert cells[5] == "±" + fmt(r["confirmable"])
    ranking = " > ".join(causal["treatment_ranking"]["real"])
    assert f"real <b>{ranking}</b>" in pages[name]


@pytest.mark.parametrize("name", NAMES)
def test_effects_table_has_every_effect_with_its_status(reports, pages, name):
    effects = reports[name]["causal"]["effects"]
    rows = table_after(pages[name], "<h3>Treatment effects</h3>")
    assert len(rows) == len(effects)
    for (cls, cells), r in zip(rows, effects, strict=True):
        assert cells[:4] == [r["treatment"], r["outcome"], effect_kind(r["kind"]), r["method"]]
        assert cells[4].startswith(fmt(r["real"])) and cells[5].startswith(fmt(r["synthetic"]))
        assert cells[6].startswith(fmt(r["rel_diff"], pct=True))
        assert (cls, cells[7]) == STATUS[r["status"]]


@pytest.mark.parametrize("name", NAMES)
def test_independences_table_counts_and_lists_them(reports, pages, name):
    ind = reports[name]["causal"]["independences"]
    beyond = sum(r["status"] == "beyond" for r in ind)
    assert f"{beyond} of {len(ind)} independences differ beyond the margin" in pages[name]
    rows = table_after(pages[name], "Conditional independences implied by the DAG")
    assert [(c[0], c[1]) for _, c in rows] == [(r["x"], r["y"]) for r in ind]
    assert [cls for cls, _ in rows] == [STATUS[r["status"]][0] for r in ind]


@pytest.mark.parametrize("name", NAMES)
def test_every_metric_is_shown_with_its_label_and_value(reports, pages, name):
    d, page = reports[name], pages[name]
    for section in ("fidelity", "utility", "privacy"):
        heading = {"fidelity": "<h2 id='fidelity'>", "utility": "<h2 id='utility'>",
                   "privacy": "<h2 id='privacy'>"}[section]
        rows = {cells[0]: cells[1] for _, cells in table_after(page, heading + section.title())
                if cells}
        for key, m in d[section].items():
            label, hint = metric_label(key)
            assert esc(label) + esc(hint) in rows, (section, key)
            assert rows[esc(label) + esc(hint)] == fmt(m["value"])
    assert "Train synthetic, test real: revenue" in page
    mia, dcr = d["privacy"]["membership_inference_auc"], d["privacy"]["dcr_share_closer_to_train"]
    assert f"Membership-inference AUC <b>{fmt(mia['value'])}</b>" in page
    assert f"<b>{fmt(dcr['value'], pct=True)}</b>" in page


def test_statuses_and_verdicts_colour_rows_and_box():
    def edit(d):
        d["verdict"] = d["causal"]["verdict"] = NOT_PRESERVED
        d["causal"]["ici"][1]["status"] = "beyond"
        d["causal"]["effects"][0]["status"] = "not judged"
        d["causal"]["independences"][0]["status"] = "beyond"

    page = render_edited(edit)
    assert 'class="verdict bad"' in page and "Attribution NOT preserved" in page
    ici = table_after(page, "Intrinsic causal influence on")
    assert ici[1][0] == "bad" and ici[1][1][4] == "beyond"
    assert table_after(page, "<h3>Treatment effects</h3>")[0][1][7] == "not judged"
    assert "1 of 7 independences differ beyond the margin" in page
    preserved = render_edited(lambda d: d.update(verdict=PRESERVED))
    assert 'class="verdict ok"' in preserved and "Attribution preserved" in preserved


def test_a_flagged_privacy_gate_heads_the_verdict_box_in_red():
    def edit(d):
        d["privacy_gate"].update(flagged=True, reason="68.5% of synthetic rows copy a real row")

    page = render_edited(edit)
    box = page[page.index('<div class="verdict bad" id="verdict">'):page.index("id='causal'")]
    assert ('<div class="head no" id="privacy-gate">Privacy gate: 68.5% of synthetic rows '
            "copy a real row</div>") in box


def test_split_half_reference_is_shown_beside_each_difference():
    def edit(d):
        d["causal"]["reference"] = reference_summary(copy.deepcopy(d["causal"]))
        d["causal"]["reference"]["n_rows"] = [750, 750]

    page = render_edited(edit)
    assert "split-half reference (two halves of the real table, 750 and 750 rows" in page
    d = golden()
    for heading, records, key in (
            ("Intrinsic causal influence on", d["causal"]["ici"], "diff"),
            ("<h3>Treatment effects</h3>", d["causal"]["effects"], "rel_diff"),
            ("Conditional independences implied", d["causal"]["independences"], "diff")):
        rows = table_after(page, heading)
        pct = key == "rel_diff"
        assert [cells[-1] for _, cells in rows] == [fmt(r[key], pct=pct) for r in records]


# ---- escaping, failures, missing sections ----------------------------------------------------
def test_strings_are_escaped_and_failed_metrics_show_their_error():
    def edit(d):
        d["meta"]["synthesizer"] = "ctgan <b>"
        d["fidelity"]["cumsum_comparison"].update(value=None,
                                                  error="ValueError: <script>alert(1)</script>")

    page = render_edited(edit)
    assert "<script>alert(1)</script>" not in page
    assert "failed: ValueError: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "ctgan <b>" not in page and "causalsynth report: ctgan &lt;b&gt;" in page


def test_missing_sections_render_with_notes():
    def edit(d):
        for key in ("ici", "effects", "independences"):
            d["causal"][key] = []
        for section in ("fidelity", "utility", "privacy"):
            d[section] = {}
        d.pop("structure", None)

    page = render_edited(edit)
    assert "Inconclusive" in page
    for text in ("no ICI figures", "no effect figures", "implies no testable independence",
                 "no figures in this section", "no per-column histogram aggregates",
                 "no correlation-difference matrix", "no distance distribution"):
        assert text in page
    assert "<svg" not in page


def test_failed_causal_evaluation_and_correlations_are_shown():
    def edit(d):
        d["causal"]["error"] = "LinAlgError: singular <matrix>"
        d["fidelity"]["correlation_difference"]["error"] = "boom"

    page = render_edited(edit)
    assert "causal evaluation failed: LinAlgError: singular &lt;matrix&gt;" in page
    assert "correlation difference failed: boom" in page


def test_missing_histograms_skip_the_distribution_plot_with_a_note():
    page = render_edited(lambda d: d["fidelity"]["column_shapes"].update(details={}))
    assert "column distribution plots skipped" in page
    assert page.count("<svg") == N_PLOTS - 1


@pytest.mark.parametrize("name", NAMES)
def test_svgs_are_well_formed_with_unique_clip_ids(pages, name):
    ids: list[str] = []
    for s in re.findall(r"<svg.*?</svg>", pages[name], flags=re.DOTALL):
        ET.fromstring(s)  # raises on malformed XML
        ids += re.findall(r'<clipPath id="([^"]+)"', s)
    assert len(ids) == len(set(ids))


def test_the_report_object_and_its_json_render_the_same(reports, pages):
    assert render_report(reports["acquisition"]) == pages["acquisition"]
    report = read_report(GOLDEN / "report_acquisition.json")
    assert report.to_html() == pages["acquisition"]


def test_fragment_has_no_html_wrapper_and_folds_sections(reports):
    frag = render_report(reports["saturation"], fragment=True)
    assert "<html" not in frag and "<body" not in frag
    assert frag.startswith("<style>") and "cs-report" in frag
    # fidelity, utility, privacy, discovered structure, run details
    assert frag.count("<details><summary><b>") == 5
    assert read_report(GOLDEN / "report_saturation.json")._repr_html_() == frag


# ---- no real row -------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def _real_value_strings(real) -> set[str]:
    """Each real value as a page might print it: full repr, 2 decimals, and 1 decimal with a
    thousands separator. Round forms (counts, zeros, 4300.0) and short 1-decimal forms
    (100.6) also stand for aggregates (bin edges, a share in percent): they tell no row apart."""
    out = set()
    for v in real.select_dtypes("number").to_numpy(dtype=float).ravel():
        forms = [repr(float(v)), f"{v:.2f}", f"{v:,.2f}"]
        if abs(v) >= 1000:
            forms += [f"{v:.1f}", f"{v:,.1f}"]
        out |= {f for f in forms if not float(f.replace(",", "")).is_integer()}
    return out


def assert_no_real_rows(text: str, real) -> None:
    """No real value, printed as a page might print it, appears in the text."""
    found = set(_NUMBER.findall(text)) & _real_value_strings(real)
    assert not found, f"real values appear in the report: {sorted(found)[:5]}"


@pytest.mark.parametrize("name", NAMES)
def test_no_real_row_in_a_golden_report_or_its_page(reports, pages, name):
    real, holdout = golden_real(name)
    for text in (pages[name], json.dumps(reports[name])):
        assert_no_real_rows(text, real)
        assert_no_real_rows(text, holdout)


def test_the_detector_catches_a_leak():
    """The no-real-row check itself can fail: a report carrying one real value is caught."""
    real, _ = golden_real("acquisition")
    page = render_edited(lambda d: d["causal"]["reasons"].append(
        f"revenue was {real['revenue'].iloc[3]:.2f}"))
    with pytest.raises(AssertionError, match="real values appear"):
        assert_no_real_rows(page, real)
    with pytest.raises(AssertionError, match="real values appear"):
        assert_no_real_rows(f"x {real['tv_spend'].iloc[7]!r} y", real)


# ---- the comparison page -----------------------------------------------------------------------
def comparison(verdicts: dict[str, str]) -> dict:
    """A comparison dict over golden reports (verdicts as given) and one failed synthesizer."""
    reports = {}
    for name, verdict in verdicts.items():
        reports[name] = golden(name)
        reports[name]["verdict"] = verdict
    board = [leaderboard_row(n, d, 1.0, 0.5) for n, d in reports.items()]
    board.append(leaderboard_row("ctgan <x>", None, error="ValueError: <boom>"))
    return {"leaderboard": board, "reports": reports,
            "meta": {"dag": "acquisition", "n_train": 1500, "seed": 0}}


def test_comparison_page_heads_with_the_best_verdict_and_lists_every_synthesizer():
    c = comparison({"acquisition": INCONCLUSIVE, "saturation": PRESERVED})
    page = render_comparison(c, links={"saturation": "saturation.html"}, embed=False)
    assert 'class="verdict ok"' in page and "Attribution preserved by: saturation" in page
    rows = table_after(page, "<h2 id='leaderboard'>")
    assert [cells[0] for _, cells in rows] == ["acquisition", "saturation", "ctgan &lt;x&gt;"]
    assert [cells[-1] for _, cells in rows] == [INCONCLUSIVE, PRESERVED, "failed"]
    assert [cls for cls, _ in rows] == ["", "", "bad"]
    assert "failed: ValueError: &lt;boom&gt;" in page
    assert "<a href='saturation.html'>full report of saturation</a>" in page
    assert page.count("<svg") == 1  # the privacy-vs-fidelity scatter; reports not embedded


def test_comparison_page_embeds_reports_and_names_the_inconclusive():
    c = comparison({"acquisition": INCONCLUSIVE, "ad_funnel": NOT_PRESERVED})
    c["leaderboard"].append({**c["leaderboard"][0], "synthesizer": REFERENCE})
    page = render_comparison(c)
    assert ("No synthesizer shown to preserve attribution; inconclusive (agreement not shown "
            "within the margins): acquisition</div>") in page  # the split-half row is no contender
    assert page.count("<svg") == 1 + 2 * N_PLOTS
    assert "<summary>report of ad_funnel</summary>" in page


# ---- headless Chromium: renders, draws, no console errors ------------------------------------
def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True,
                          timeout=120, check=False)


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium) so the "
                             "browser rendering test cannot run")


@needs_chromium
def test_renders_in_headless_chromium(pages, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(pages["acquisition"], encoding="utf-8")
    shot = tmp_path / "shot.png"
    res = _chromium(["--enable-logging=stderr", "--v=0", "--window-size=1100,2400",
                     f"--screenshot={shot}", path.as_uri()], tmp_path)
    assert shot.is_file(), res.stderr[-2000:]
    console = [line for line in res.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    from matplotlib.image import imread

    rgb = imread(shot)[..., :3]
    assert rgb.shape[0] > 1000
    # not blank: many distinct colours, and coloured (non-grey) plot pixels present
    assert len(np.unique((rgb * 255).astype(int).reshape(-1, 3), axis=0)) > 50
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    assert (chroma > 0.25).mean() > 0.005


@needs_chromium
def test_chromium_dom_has_all_plots(pages, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(pages["ad_funnel"], encoding="utf-8")
    res = _chromium(["--dump-dom", path.as_uri()], tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("<svg") == N_PLOTS


# ---- time-indexed reports: the seasonal spectrum and the zero-spend runs ----------------------
def _time_report(dag, real, synthetic) -> dict:
    """A report dict with the fidelity section of ``validate`` (the rest is not needed)."""
    from causalsynth.evaluate.fidelity import evaluate_fidelity

    fid = {k: v.to_dict() for k, v in evaluate_fidelity(real, synthetic, dag, seed=0).items()}
    return json.loads(json.dumps({"verdict": INCONCLUSIVE, "causal": {"target": dag.outcome},
                                  "fidelity": fid, "meta": {"dag": dag.name}}))


def _svg_after(page: str, heading: str) -> str:
    start = page.index(heading)
    return re.search(r"<svg.*?</svg>", page[start:], flags=re.DOTALL).group(0)


def test_a_time_dag_report_plots_the_seasonal_spectrum_and_zero_spend_runs(pages):
    dag = load_dag("weekly_mmm")
    real, fresh = dag.simulate(156, seed=1), dag.simulate(156, seed=2)
    report = _time_report(dag, real, fresh)
    page = render_report(report)
    order = [page.index(f"<h3>{h}</h3>") for h in ("Time structure", "Seasonal spectrum",
                                                    "Zero-spend runs")]
    assert order == sorted(order)
    spectrum = _svg_after(page, "<h3>Seasonal spectrum</h3>")
    runs = _svg_after(page, "<h3>Zero-spend runs</h3>")
    for svg, key in ((spectrum, "spectrum"), (runs, "zeroruns")):
        ET.fromstring(svg)
        assert f'aria-label="{key}"' in svg
    # one panel per plotted column (the outcome first), the declared period marked
    assert "declared period (52)" in spectrum
    assert [c for c in ("revenue", "tv_spend", "display_spend") if c not in spectrum] == []
    assert spectrum.index("revenue") < spectrum.index("tv_spend")
    # every flighted channel, its run lengths up to "8 or more"
    assert all(c in runs for c in ("tv_spend", "social_spend", "display_spend"))
    assert "≥8" in runs
    # aggregates only: no value of a real row (the drawn columns; trend, season and events
    # are deterministic or binary, so their values tell nothing about a row)
    drawn = real[["demand", "tv_spend", "search_spend", "social_spend", "display_spend",
                  "revenue"]]
    for text in (page, json.dumps(report)):
        assert_no_real_rows(text, drawn)
    # a report saved before these figures existed renders without the two plots
    for rec in report["fidelity"]["temporal_acf_diff"]["details"]["seasonal"]:
        rec.pop("spectrum", None)
    for rec in report["fidelity"]["temporal_acf_diff"]["details"]["zero_runs"]:
        rec.pop("run_lengths")
    old = render_report(report)
    assert "<h3>Time structure</h3>" in old and "Seasonal spectrum" not in old
    assert "Zero-spend runs" not in old
    # reports of DAGs without a time axis: neither plot
    for name in NAMES:
        assert "Seasonal spectrum" not in pages[name] and "Zero-spend runs" not in pages[name]
