"""The HTML report: self-contained, escaped, aggregates only, renders in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from causalsynth import load_dag
from causalsynth.render.html import fmt, render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _hist(values: np.ndarray, edges: np.ndarray) -> list[int]:
    return np.histogram(values, bins=edges)[0].tolist()


def example_report(real, synthetic, holdout=None, verdict: str = "not preserved") -> dict:
    """A realistic report dict built from aggregates of the tables (the validate() contract)."""
    nodes = list(real.columns)
    rng = np.random.default_rng(0)
    real_sh = np.array([30.1, 17.5, 24.7, 0.2, 27.3, 0.2])[: len(nodes)]
    syn_sh = real_sh + rng.normal(0, 2.0, len(nodes))
    ici = []
    for node, r, s in zip(nodes, real_sh, syn_sh, strict=True):
        ici.append({"node": node, "real_share": r, "real_low": r - 0.6, "real_high": r + 0.6,
                    "synthetic_share": s, "synthetic_low": s - 0.7, "synthetic_high": s + 0.7,
                    "diff_pp": s - r, "diff_low": s - r - 0.9, "diff_high": s - r + 0.9,
                    "within_margin": bool(abs(s - r) <= 2), "inside_real_interval": False})
    effects = []
    for t, true in (("tv_spend", 1.0), ("social_spend", 0.95)):
        for kind, scale in (("per_unit", 1.0), ("shift_10pct", 10000.0)):
            for method in ("gcm", "dml"):
                real_v, syn_v = true * scale, true * scale * (0.67 if t == "tv_spend" else 1.02)
                effects.append({
                    "treatment": t, "outcome": "revenue", "kind": kind, "method": method,
                    "real": real_v, "real_low": real_v * 0.98, "real_high": real_v * 1.02,
                    "synthetic": syn_v, "synthetic_low": syn_v * 0.97,
                    "synthetic_high": syn_v * 1.03, "rel_diff": syn_v / real_v - 1,
                    "overlap": t != "tv_spend", "ok": t != "tv_spend"})
    indep = [{"x": "demand", "y": "tv_spend", "given": [], "test": "partial correlation",
              "real_effect": 0.004, "real_p": 0.6, "synthetic_effect": 0.12, "synthetic_p": 1e-9,
              "holds_real": True, "holds_synthetic": False, "broken": True},
             {"x": "revenue", "y": "demand", "given": ["organic_clicks", "social_clicks"],
              "test": "partial correlation", "real_effect": 0.01, "real_p": 0.2,
              "synthetic_effect": 0.02, "synthetic_p": 0.01, "holds_real": True,
              "holds_synthetic": True, "broken": False}]
    num = [c for c in nodes if np.issubdtype(real[c].dtype, np.number)]
    histograms = {}
    for c in num:
        edges = np.linspace(float(real[c].quantile(0.01)), float(real[c].quantile(0.99)), 21)
        histograms[c] = {"bins": edges.round(-2).tolist(), "real": _hist(real[c], edges),
                         "synthetic": _hist(synthetic[c], edges)}
    cr, cs = real[num].corr(), synthetic[num].corr()
    corr_records = [{"column_1": a, "column_2": b, "real": cr.loc[a, b],
                     "synthetic": cs.loc[a, b], "difference": cs.loc[a, b] - cr.loc[a, b]}
                    for i, a in enumerate(num) for b in num[i + 1:]]
    dcr_edges = np.linspace(0, 1, 16)
    dcr_syn = rng.gamma(2.0, 0.1, 500)
    dcr_hold = rng.gamma(2.2, 0.1, 500)

    def metric(name, value, direction="higher", reference=None, details=None, breakdown=None,
               error=None):
        return {"name": name, "value": value, "direction": direction, "reference": reference,
                "details": details or {}, "breakdown": breakdown, "error": error,
                "seconds": 0.12}

    fidelity = {
        "quality_score": metric("quality_score", 0.927, reference=0.994),
        "column_shapes": metric("column_shapes", 0.91, details={"histograms": histograms},
                                breakdown=[{"column": c, "score": 0.9} for c in nodes]),
        "column_pair_trends": metric("column_pair_trends", 0.94),
        "ks_chi2_tests": metric("ks_chi2_tests", 2, "lower", details={"alpha": 0.05},
                                breakdown=[{"column": c, "statistic": 0.03, "p_value": 0.2,
                                            "differs": False} for c in nodes]),
        "mmd_test": metric("mmd_test", 0.004, "lower", details={"p_value": 0.01}),
        "correlation_difference": metric("correlation_difference", 0.11, "lower",
                                         breakdown=corr_records),
        "cumsum_comparison": metric("cumsum_comparison", None,
                                    error="ValueError: <script>alert(1)</script>"),
    }
    utility = {"tstr_revenue": metric("tstr_revenue", 0.81, reference=0.99),
               "segmentation_ari": metric("segmentation_ari", 0.7, reference=0.95)}
    privacy = {
        "dcr_share_closer_to_train": metric(
            "dcr_share_closer_to_train", 0.58, "lower", reference=0.577,
            details={"histogram": {"bins": dcr_edges.tolist(),
                                   "synthetic": _hist(dcr_syn, dcr_edges),
                                   "holdout": _hist(dcr_hold, dcr_edges)}}),
        "nndr": metric("nndr", 0.8, "higher", reference=0.81, breakdown=[
            {"quantile": q, "synthetic": 0.5 + q / 2, "holdout": 0.52 + q / 2}
            for q in (0.0, 0.01, 0.05, 0.25, 0.5, 0.75)]),
        "exact_copies": metric("exact_copies", 0, "lower", reference=0),
        "verbatim_value_rate": metric("verbatim_value_rate", 0.0, "lower", reference=0.0,
                                      breakdown=[{"column": c, "rate": 0.0} for c in nodes]),
        "membership_inference_auc": metric("membership_inference_auc", 0.52, "lower",
                                           reference=0.5),
    }
    reasons = ["the effect of tv_spend on revenue is 33% lower on the synthetic table "
               "(margin 10%)", "1 conditional independence broken: demand ⫫ tv_spend"]
    return {
        "verdict": verdict,
        "causal": {"verdict": verdict, "reasons": reasons if verdict != "preserved" else [],
                   "target": "revenue",
                   "margins": {"ici_pp": 2.0, "effect_rel": 0.1},
                   "ici": ici,
                   "treatment_ranking": {"real": ["social_spend", "tv_spend"],
                                         "synthetic": ["social_spend", "tv_spend"],
                                         "kept": True},
                   "effects": effects, "independences": indep, "independence_threshold": 0.05,
                   "seconds": 4.2},
        "fidelity": fidelity, "utility": utility, "privacy": privacy,
        "meta": {"versions": {"causalsynth": "0.1.0", "dowhy": "0.14"}, "seed": 0,
                 "timings": {"causal": 4.2, "fidelity": 1.0}, "dag": "acquisition",
                 "n_real": len(real), "n_synthetic": len(synthetic),
                 "n_holdout": None if holdout is None else len(holdout),
                 "synthesizer": "ctgan <b>", "created": "2026-01-01T00:00:00"},
    }


@pytest.fixture(scope="module")
def tables():
    dag = load_dag("acquisition")
    real = dag.simulate(400, seed=1)
    synthetic = dag.simulate(400, seed=2)
    return dag, real, synthetic


@pytest.fixture(scope="module")
def report_dict(tables):
    _, real, synthetic = tables
    return example_report(real, synthetic)


@pytest.fixture(scope="module")
def page(report_dict):
    return render_report(report_dict)


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def _real_value_strings(real) -> set[str]:
    """Each real value as full repr and to 2 or 1 decimals (as a page might print it)."""
    out = set()
    for v in real.select_dtypes("number").to_numpy().ravel():
        out |= {repr(float(v)), f"{v:.2f}", f"{v:.1f}", f"{v:,.2f}", f"{v:,.1f}"}
    return out


def assert_no_real_rows(text: str, real) -> None:
    """No real value (printed to full precision, 2 or 1 decimals) appears in the page.

    Every number-like token of the page is compared with every real value's printed forms.
    """
    found = set(_NUMBER.findall(text)) & _real_value_strings(real)
    assert not found, f"real values appear in the report: {sorted(found)[:5]}"


def test_full_page_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing fetched from anywhere: no external URLs in src/href, no scripts, no @import
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page.lower() and "@import" not in page
    assert "<link" not in page.lower()
    # ICI, effects, column distributions, corr heat map, DCR histogram, NNDR quantiles
    assert page.count("<svg") == 6


def test_sections_and_verdict_first(page):
    order = [page.index(m) for m in ('id="verdict"', "id='causal'", "id='fidelity'",
                                     "id='utility'", "id='privacy'")]
    assert order == sorted(order)
    assert "Attribution NOT preserved" in page
    assert "tv_spend on revenue is 33% lower" in page
    assert "Membership-inference AUC" in page and "0.520" in page


def test_strings_are_escaped(page):
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "ctgan <b>" not in page and "ctgan &lt;b&gt;" in page


def test_failed_metric_is_shown_with_its_error(page):
    assert "failed: ValueError" in page


def test_svgs_are_well_formed_with_unique_clip_ids(page):
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    ids: list[str] = []
    for s in svgs:
        ET.fromstring(s)  # raises on malformed XML
        ids += re.findall(r'<clipPath id="([^"]+)"', s)
    assert len(ids) == len(set(ids))


def test_same_dict_and_its_json_render_the_same(report_dict, page):
    again = json.loads(json.dumps(report_dict, allow_nan=False))
    assert render_report(again) == page


def test_fragment_has_no_html_wrapper(report_dict):
    frag = render_report(report_dict, fragment=True)
    assert "<html" not in frag and "<body" not in frag
    assert frag.startswith("<style>") and "cs-report" in frag
    assert "<details>" in frag  # secondary sections folded


def test_missing_sections_render_with_notes():
    page = render_report({"verdict": "preserved", "causal": {}, "meta": {}})
    assert "Attribution preserved" in page
    assert "no ICI figures" in page and "no distance distribution" in page


def test_missing_histograms_skip_plot_with_note(report_dict):
    d = json.loads(json.dumps(report_dict))
    d["fidelity"]["column_shapes"]["details"] = {}
    page = render_report(d)
    assert "column distribution plots skipped" in page


def test_no_real_row_in_fixture_report(tables, report_dict, page):
    _, real, _ = tables
    assert_no_real_rows(page, real)
    assert_no_real_rows(json.dumps(report_dict), real)


def test_detector_catches_a_leak(tables, report_dict):
    """The no-real-row check itself can fail: a report carrying one real value is caught."""
    _, real, _ = tables
    d = json.loads(json.dumps(report_dict))
    d["causal"]["reasons"].append(f"revenue was {real['revenue'].iloc[3]:.2f}")
    with pytest.raises(AssertionError, match="real values appear"):
        assert_no_real_rows(render_report(d), real)
    with pytest.raises(AssertionError, match="real values appear"):
        assert_no_real_rows(f"x {real['tv_spend'].iloc[7]!r} y", real)


def test_fmt_rounds():
    assert fmt(10038.4213) == "10,038"
    assert fmt(0.52) == "0.520"
    assert fmt(None) == "–" and fmt(True) == "yes"
    assert fmt(0.577, pct=True) == "57.7%"


def test_report_from_validate_has_no_real_rows(tables):
    import causalsynth

    if not hasattr(causalsynth, "validate"):
        pytest.skip("causalsynth.validate has not landed yet")
    dag, real, synthetic = tables
    holdout = dag.simulate(200, seed=3)
    report = causalsynth.validate(real, synthetic, dag, holdout=holdout, seed=0)
    page = report.to_html()
    assert "<svg" in page
    assert_no_real_rows(page, real)
    assert_no_real_rows(page, holdout)


# ---------------------------------------------------------------------------------------
# Headless Chromium: renders, draws, no console errors
# ---------------------------------------------------------------------------------------
def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(apt-get install -y chromium) so the browser rendering test cannot run")
def test_renders_in_headless_chromium(page, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    res = _chromium(["--enable-logging=stderr", "--v=0", "--window-size=1100,2400",
                     f"--screenshot={shot}", path.as_uri()], tmp_path)
    assert shot.is_file(), res.stderr[-2000:]
    console = [line for line in res.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    from matplotlib.image import imread

    img = imread(shot)
    rgb = img[..., :3]
    assert rgb.shape[0] > 1000
    # not blank: many distinct colours, and coloured (non-grey) plot pixels present
    assert len(np.unique((rgb * 255).astype(int).reshape(-1, 3), axis=0)) > 50
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    assert (chroma > 0.25).mean() > 0.005


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(apt-get install -y chromium) so the browser rendering test cannot run")
def test_chromium_dom_has_all_plots(page, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    res = _chromium(["--dump-dom", path.as_uri()], tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("<svg") == page.count("<svg")
