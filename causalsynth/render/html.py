"""Render a report dict (``Report.to_dict()`` or its saved JSON) as one self-contained HTML page.

The page opens offline: styles are inline, plots are inline SVG, there is no script, no CDN and
no web font. It shows aggregates only (shares, intervals, effects, test statistics, histogram
counts) and never a table row, so it can be forwarded. Every string from the dict is
HTML-escaped; numbers are rounded for display. Rendering never recomputes a figure.

Examples
--------
>>> from causalsynth.render.html import render_report
>>> page = render_report({"verdict": "preserved", "causal": {"reasons": []}, "meta": {}})
>>> page.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from causalsynth.render import plots

__all__ = [
    "CSS", "esc", "fmt", "metric_table", "page", "render_comparison", "render_report",
    "report_body",
]

#: Known metrics: display label and what the number means.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "quality_score": ("Quality score (SDMetrics)", "average of column shapes and pair trends"),
    "column_shapes": ("Column shapes", "1 = every column's distribution matches"),
    "column_pair_trends": ("Column pair trends", "1 = every pairwise relation matches"),
    "ks_chi2_tests": ("Per-column two-sample tests", "columns that differ significantly"),
    "mmd_test": ("MMD two-sample test", "whole-table difference, permutation p-value"),
    "correlation_difference": ("Correlation difference", "largest |real − synthetic| correlation"),
    "mean_std_comparison": ("Mean / std comparison", "agreement of column means and spreads"),
    "cumsum_comparison": ("Cumulative-sum comparison", "distance between cumulative sums"),
    "segmentation_ari": ("Segmentation agreement (ARI)", "k-means on synthetic vs on real"),
    "dcr_share_closer_to_train": ("DCR: share closer to training",
                                  "synthetic rows nearer to training than holdout rows are"),
    "nndr": ("Nearest-neighbour distance ratio", "low values mean near-copies"),
    "exact_copies": ("Exact copies", "synthetic rows identical to a training row"),
    "verbatim_value_rate": ("Verbatim-value rate", "synthetic values copied from training"),
    "membership_inference_auc": ("Membership-inference AUC", "0.5 = an attacker learns nothing"),
    "sdmetrics_dcr_baseline_protection": ("DCR baseline protection (SDMetrics)",
                                          "biased on continuous data; compare to reference"),
    "sdmetrics_dcr_overfitting_protection": ("DCR overfitting protection (SDMetrics)",
                                             "compare to the reference"),
    "singling_out_risk": ("Singling-out risk", "anonymeter-style, 0 = no risk"),
    "linkability_risk": ("Linkability risk", "anonymeter-style, 0 = no risk"),
    "inference_risk": ("Attribute-inference risk", "anonymeter-style, 0 = no risk"),
}

_MAX_BREAKDOWN_ROWS = 30

CSS = """
.cs-report{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d1d1f;
 line-height:1.45;max-width:1020px;margin:0 auto;padding:8px 14px;font-size:14px}
.cs-report h1{font-size:22px;margin:8px 0 2px}
.cs-report h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.cs-report h3{font-size:15px;margin:18px 0 6px}
.cs-report .sub{color:#555;margin:0 0 10px}
.cs-report .verdict{border-radius:6px;padding:10px 16px;margin:12px 0;border:2px solid}
.cs-report .verdict.ok{background:#eaf6ec;border-color:#2e7d32}
.cs-report .verdict.bad{background:#fdecea;border-color:#c62828}
.cs-report .verdict.unsure{background:#fff8e1;border-color:#f9a825}
.cs-report .verdict .head{font-size:19px;font-weight:700}
.cs-report .verdict ul{margin:6px 0 2px 18px;padding:0}
.cs-report table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
.cs-report th,.cs-report td{border:1px solid #d6d6d6;padding:3px 7px;text-align:right;
 vertical-align:top}
.cs-report th{background:#f3f3f3}
.cs-report td.l,.cs-report th.l{text-align:left}
.cs-report tr.bad td{background:#fdecea}
.cs-report tr.unsure td{background:#fff8e1}
.cs-report .maybe{color:#b26a00;font-weight:600}
.cs-report .yes{color:#2e7d32;font-weight:600}
.cs-report .no{color:#c62828;font-weight:600}
.cs-report .err{color:#c62828}
.cs-report .note{color:#666;font-size:12.5px}
.cs-report .grid{display:flex;flex-wrap:wrap;gap:6px}
.cs-report svg.plot{max-width:100%;height:auto}
.cs-report details{margin:4px 0 8px}
.cs-report summary{cursor:pointer;color:#333}
.cs-report .callout{display:inline-block;border:1px solid #ccc;border-radius:6px;
 padding:6px 12px;margin:4px 8px 8px 0}
.cs-report .callout b{font-size:18px}
"""


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------
def esc(value: Any) -> str:
    """HTML-escape any value's text."""
    return html.escape(str(value), quote=True)


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt(value: Any, pct: bool = False) -> str:
    """Display text for a value: rounded numbers, yes/no for booleans, '–' for missing.

    Rounding is deliberate: the page shows aggregates at reading precision, never a value at
    full precision.
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    v = _num(value)
    if v is None:
        return esc(value)
    if pct:
        return f"{100 * v:.1f}%"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.01 or a == 0:
        return f"{v:.3f}"
    return f"{v:.2e}"


def _yn(flag: Any, good: bool = True) -> str:
    """A yes/no cell coloured by whether that answer is good."""
    if flag is None:
        return "–"
    cls = "yes" if bool(flag) == good else "no"
    return f'<span class="{cls}">{"yes" if flag else "no"}</span>'


def _interval(row: Mapping[str, Any], center: str, low: str, high: str) -> str:
    c, lo, hi = row.get(center), row.get(low), row.get(high)
    text = fmt(c)
    if _num(lo) is not None and _num(hi) is not None:
        text += f' <span class="note">[{fmt(lo)}; {fmt(hi)}]</span>'
    return text


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1,
           row_classes: Sequence[str] | None = None) -> str:
    """A table; cells are already-escaped HTML; the first ``left`` columns align left."""
    head = "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>'
                   for i, h in enumerate(header))
    body = []
    for k, row in enumerate(rows):
        cls = f' class="{row_classes[k]}"' if row_classes and row_classes[k] else ""
        cells = "".join(f'<td class="{"l" if i < left else ""}">{c}</td>'
                        for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _plot(fn, *args, **kwargs) -> str:
    """A plot, or a one-line note when it cannot be drawn (a plot must not sink the page)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return f'<p class="note">plot not drawn: {esc(type(exc).__name__)}: {esc(exc)}</p>'


# ---------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------
def _header(d: Mapping[str, Any]) -> str:
    meta = d.get("meta") or {}
    synth = meta.get("synthesizer")
    title = "causalsynth report" + (f": {synth}" if synth else "")
    parts = []
    if meta.get("dag"):
        parts.append(f"DAG <b>{esc(meta['dag'])}</b>")
    for key, label in (("n_real", "real rows"), ("n_synthetic", "synthetic rows"),
                       ("n_holdout", "holdout rows")):
        if meta.get(key) is not None:
            parts.append(f"{fmt(meta[key])} {label}")
    if meta.get("created"):
        parts.append(f"created {esc(meta['created'])}")
    return f"<h1>{esc(title)}</h1><p class='sub'>{' · '.join(parts)}</p>"


#: verdict -> (CSS class of its box and rows, headline)
_VERDICT_STYLE = {
    "preserved": ("ok", "Attribution preserved on the synthetic table"),
    "not preserved": ("bad", "Attribution NOT preserved on the synthetic table"),
    "inconclusive": ("unsure", "Inconclusive: the real table is too small to tell at these "
                               "margins"),
}
#: per-quantity status -> (row class, cell)
_STATUS = {"within": ("", '<span class="yes">within</span>'),
           "beyond": ("bad", '<span class="no">beyond</span>'),
           "unclear": ("unsure", '<span class="maybe">undecided</span>'),
           "not judged": ("", '<span class="note">not judged</span>'),
           "covered": ("", '<span class="note">consistent (the other estimate decides)</span>')}


def _status(r: Mapping[str, Any]) -> tuple[str, str]:
    return _STATUS.get(str(r.get("status")), ("", "–"))


def _verdict(d: Mapping[str, Any]) -> str:
    verdict = str(d.get("verdict", "unknown"))
    causal = d.get("causal") or {}
    cls, head = _VERDICT_STYLE.get(verdict, ("bad", f"Verdict: {verdict}"))
    reasons = causal.get("reasons") or []
    items = "".join(f"<li>{esc(r)}</li>" for r in reasons)
    margins = causal.get("margins") or {}
    mtext = ", ".join(f"{esc(k)} = {fmt(v)}" for k, v in margins.items()
                      if not isinstance(v, (dict, list)))
    ref = causal.get("reference") or {}
    rtext = (f"split-half reference (two halves of the real table, {fmt(ref['n_rows'][0])} "
             f"and {fmt(ref['n_rows'][1])} rows, judged the same way): "
             f"<b>{esc(ref['verdict'])}</b>" if ref.get("verdict") else "")
    gate = d.get("privacy_gate") or {}
    gtext = ""
    if gate.get("reason"):
        style = "no" if gate.get("flagged") else "note"
        gtext = (f'<div class="head {style}" id="privacy-gate">Privacy gate: '
                 f'{esc(gate["reason"])}</div>' if gate.get("flagged")
                 else f'<div class="note" id="privacy-gate">privacy gate: '
                      f'{esc(gate["reason"])}</div>')
    if gate.get("flagged"):
        cls = "bad"
    return (f'<div class="verdict {cls}" id="verdict">'
            f'<div class="head">{esc(head)}</div>' + gtext
            + (f"<ul>{items}</ul>" if items else "")
            + (f'<div class="note">{rtext}</div>' if rtext else "")
            + (f'<div class="note">margins: {mtext}</div>' if mtext else "")
            + "</div>")


def _reference_cell(causal: Mapping[str, Any], table: str, key: str, pct: bool = False
                    ) -> list[str]:
    """The split-half figure beside a real-vs-synthetic difference (nothing without one)."""
    ref = (causal.get("reference") or {}).get(table)
    if ref is None:
        return []
    return [fmt(ref.get(key), pct=pct)]


def _ici(causal: Mapping[str, Any], prefix: str = "") -> str:
    ici = causal.get("ici") or []
    target = causal.get("target") or "the outcome"
    out = [f"<h3>Intrinsic causal influence on {esc(target)}</h3>",
           "<p class='note'>Share of the outcome's variation that each node's own noise "
           "causes (percent, sums to 100), with intervals, on the real and the synthetic "
           "table.</p>"]
    if not ici:
        return "".join(out) + "<p class='note'>no ICI figures in this report</p>"
    out.append(_plot(plots.ici_bars, ici, key=f"{prefix}ici"))
    rows, classes = [], []
    ref = ["split-half difference"] if causal.get("reference") else []
    for r in ici:
        cls, cell = _status(r)
        rows.append([esc(r.get("node")),
                     _interval(r, "real_share", "real_low", "real_high"),
                     _interval(r, "synthetic_share", "synthetic_low", "synthetic_high"),
                     _interval(r, "diff_pp", "diff_low", "diff_high"), cell,
                     "±" + fmt(r.get("confirmable")),
                     *_reference_cell(causal, "ici_diff", str(r.get("node")))])
        classes.append(cls)
    out.append(_table(["node", "real share %", "synthetic share %", "difference (points)",
                       "vs margin", "confirmable", *ref], rows, row_classes=classes))
    out.append("<p class='note'>Difference intervals carry the noise of both tables "
               "(corrected for the number of judged quantities). <i>Confirmable</i>: the "
               "smallest margin this real table could confirm for a perfect synthesizer.</p>")
    ranking = causal.get("treatment_ranking")
    if ranking:
        real = " > ".join(esc(x) for x in ranking.get("real") or [])
        syn = " > ".join(esc(x) for x in ranking.get("synthetic") or [])
        out.append(f"<p>Ranking of treatments by ICI: real <b>{real}</b>; synthetic "
                   f"<b>{syn}</b>; kept: {_yn(ranking.get('kept'))}</p>")
    return "".join(out)


def _effects(causal: Mapping[str, Any], prefix: str = "") -> str:
    eff = causal.get("effects") or []
    out = ["<h3>Treatment effects</h3>",
           "<p class='note'>Average effect of each treatment on the outcome, per unit and for "
           "a +10% shift, estimated on each table (GCM intervention or double machine "
           "learning), with 95% intervals. The plot shows each effect relative to its "
           "real-table estimate.</p>"]
    if not eff:
        return "".join(out) + "<p class='note'>no effect figures in this report</p>"
    out.append(_plot(plots.effects_forest, eff, key=f"{prefix}effects"))
    rows, classes = [], []
    ref = ["split-half difference"] if causal.get("reference") else []
    for r in eff:
        kind = {"per_unit": "per unit", "shift_10pct": "+10% shift"}.get(
            str(r.get("kind")), r.get("kind"))
        cls, cell = _status(r)
        rel = fmt(r.get("rel_diff"), pct=True)
        if _num(r.get("rel_diff_low")) is not None and _num(r.get("rel_diff_high")) is not None:
            rel += (f' <span class="note">[{fmt(r["rel_diff_low"], pct=True)}; '
                    f'{fmt(r["rel_diff_high"], pct=True)}]</span>')
        key = f"{r.get('treatment')}|{r.get('kind')}|{r.get('method')}"
        rows.append([esc(r.get("treatment")), esc(r.get("outcome")), esc(kind),
                     esc(r.get("method")), _interval(r, "real", "real_low", "real_high"),
                     _interval(r, "synthetic", "synthetic_low", "synthetic_high"), rel, cell,
                     "±" + fmt(r.get("confirmable_rel"), pct=True),
                     *_reference_cell(causal, "effect_rel_diff", key, pct=True)])
        classes.append(cls)
    out.append(_table(["treatment", "outcome", "kind", "method", "real", "synthetic",
                       "relative difference", "vs margin", "confirmable", *ref], rows,
                      left=4, row_classes=classes))
    return "".join(out)


def _independences(causal: Mapping[str, Any]) -> str:
    ind = causal.get("independences") or []
    margin = (causal.get("margins") or {}).get("independence")
    out = ["<h3>Conditional independences implied by the DAG</h3>",
           "<p class='note'>Each independence's effect size (residual correlation weighted by "
           "unexplained variance) on both tables; their difference is judged"
           + (f" against the margin ±{fmt(margin)}" if margin is not None else "")
           + ", with an interval carrying the noise of both tables. p-values are shown "
             "beside.</p>"]
    if not ind:
        return "".join(out) + "<p class='note'>the DAG implies no testable independence</p>"
    rows, classes = [], []
    ref = ["split-half difference"] if causal.get("reference") else []
    for r in ind:
        given = ", ".join(str(g) for g in r.get("given") or []) or "∅"
        cls, cell = _status(r)
        rows.append([esc(r.get("x")), esc(r.get("y")), esc(given),
                     fmt(r.get("real_effect")), fmt(r.get("real_p")),
                     fmt(r.get("synthetic_effect")), fmt(r.get("synthetic_p")),
                     _interval(r, "diff", "diff_low", "diff_high"), cell,
                     *_reference_cell(causal, "independence_diff", f"{r.get('x')}|{r.get('y')}")])
        classes.append(cls)
    beyond = sum(r.get("status") == "beyond" for r in ind)
    out.append(f"<p>{beyond} of {len(ind)} independences differ beyond the margin.</p>")
    out.append(_table(["x", "y", "given", "real effect", "real p", "synthetic effect",
                       "synthetic p", "difference", "vs margin", *ref], rows, left=3,
                      row_classes=classes))
    return "".join(out)


def _causal(d: Mapping[str, Any], prefix: str = "") -> str:
    causal = d.get("causal") or {}
    parts = ["<h2 id='causal'>Causal structure</h2>"]
    if causal.get("error"):
        parts.append(f"<p class='err'>causal evaluation failed: {esc(causal['error'])}</p>")
    parts += [_ici(causal, prefix), _effects(causal, prefix), _independences(causal)]
    if causal.get("seconds") is not None:
        parts.append(f"<p class='note'>causal evaluation took {fmt(causal['seconds'])} s</p>")
    return "".join(parts)


def metric_table(section: Mapping[str, Mapping[str, Any]]) -> str:
    """Generic table of metrics: value, reference, direction, time, error."""
    rows, classes = [], []
    for name, m in section.items():
        label, hint = METRIC_LABELS.get(name, (name.replace("_", " "), ""))
        if name.startswith("tstr_"):
            label = f"Train synthetic, test real: {name[5:]}"
            hint = "utility of the synthetic table for predicting this node"
        error = m.get("error")
        value = (f'<span class="err">failed: {esc(error)}</span>' if error
                 else fmt(m.get("value")))
        direction = {"higher": "higher is better", "lower": "lower is better"}.get(
            str(m.get("direction")), "")
        rows.append([f"{esc(label)}<br><span class='note'>{esc(hint)}</span>"
                     if hint else esc(label), value, fmt(m.get("reference")), esc(direction),
                     fmt(m.get("seconds"))])
        classes.append("bad" if error else "")
    if not rows:
        return "<p class='note'>no figures in this section</p>"
    return _table(["metric", "value", "reference", "", "seconds"], rows, row_classes=classes)


def _scalar_details(details: Mapping[str, Any]) -> str:
    items = [(k, v) for k, v in (details or {}).items()
             if isinstance(v, (str, int, float, bool)) or v is None]
    if not items:
        return ""
    return "<p class='note'>" + "; ".join(f"{esc(k)}: {fmt(v)}" for k, v in items) + "</p>"


def _breakdown(name: str, m: Mapping[str, Any]) -> str:
    """A metric's breakdown table (rounded, at most 30 rows) and scalar details, folded."""
    records = m.get("breakdown") or []
    details = _scalar_details(m.get("details") or {})
    if not records and not details:
        return ""
    body = details
    if records:
        keys: list[str] = []
        for r in records[:_MAX_BREAKDOWN_ROWS]:
            keys += [k for k in r if k not in keys]
        rows = [[fmt(r.get(k)) if not isinstance(r.get(k), str) else esc(r.get(k))
                 for k in keys] for r in records[:_MAX_BREAKDOWN_ROWS]]
        body += _table(keys, rows)
        if len(records) > _MAX_BREAKDOWN_ROWS:
            body += f"<p class='note'>… {len(records) - _MAX_BREAKDOWN_ROWS} more rows</p>"
    label = METRIC_LABELS.get(name, (name.replace("_", " "), ""))[0]
    return f"<details><summary>{esc(label)}: details</summary>{body}</details>"


def _column_histograms(fidelity: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """Per-column histogram aggregates from column_shapes or ks_chi2_tests, if present."""
    for name in ("column_shapes", "ks_chi2_tests", "quality_score"):
        details = (fidelity.get(name) or {}).get("details") or {}
        hist = details.get("histograms")
        if isinstance(hist, Mapping) and hist:
            return dict(hist)
        if isinstance(hist, list) and hist:  # list of {"column": ..., ...}
            return {str(h.get("column")): h for h in hist if isinstance(h, Mapping)}
    return None


def _fidelity(d: Mapping[str, Any], prefix: str = "") -> str:
    fid = d.get("fidelity") or {}
    out = ["<h2 id='fidelity'>Fidelity</h2>", metric_table(fid)]
    out.append("<h3>Column distributions</h3>")
    hist = _column_histograms(fid)
    if hist:
        try:
            svg, skipped = plots.column_distributions(hist, key=f"{prefix}dist")
        except Exception as exc:  # a plot must not sink the page
            svg, skipped = None, [f"all ({type(exc).__name__}: {exc})"]
        if svg:
            out.append(svg)
        if skipped:
            out.append(f"<p class='note'>column(s) without usable histogram aggregates were "
                       f"skipped: {esc(', '.join(skipped))}</p>")
    else:
        out.append("<p class='note'>no per-column histogram aggregates in this report; "
                   "column distribution plots skipped</p>")
    out.append("<h3>Correlation difference</h3>")
    corr = fid.get("correlation_difference") or {}
    parsed = plots.correlation_matrix_from_records(corr.get("breakdown") or [])
    if parsed is None and isinstance((corr.get("details") or {}).get("matrix"), Mapping):
        mat = corr["details"]["matrix"]
        cols = list(mat)
        parsed = (cols, [[mat[r].get(c) for c in cols] for r in cols])
    if corr.get("error"):
        out.append(f"<p class='err'>correlation difference failed: {esc(corr['error'])}</p>")
    elif parsed:
        out.append(_plot(plots.correlation_heatmap, *parsed, key=f"{prefix}corrdiff"))
    else:
        out.append("<p class='note'>no correlation-difference matrix in this report</p>")
    out += [_breakdown(k, m) for k, m in fid.items() if k != "correlation_difference"]
    return "".join(out)


def _utility(d: Mapping[str, Any]) -> str:
    util = d.get("utility") or {}
    out = ["<h2 id='utility'>Utility</h2>",
           "<p class='note'>Train on synthetic, test on real (TSTR), against train on real; "
           "the reference column is the real-trained figure.</p>", metric_table(util)]
    out += [_breakdown(k, m) for k, m in util.items()]
    return "".join(out)


def _privacy(d: Mapping[str, Any], prefix: str = "") -> str:
    priv = d.get("privacy") or {}
    out = ["<h2 id='privacy'>Privacy</h2>",
           "<p class='note'>Each figure is shown next to the same figure for the holdout or an "
           "independent sample (reference), which is what 'no leak' looks like.</p>"]
    mia = priv.get("membership_inference_auc") or {}
    if mia and not mia.get("error"):
        out.append(f"<div class='callout'>Membership-inference AUC <b>{fmt(mia.get('value'))}"
                   f"</b><br><span class='note'>0.5 = no leak; reference "
                   f"{fmt(mia.get('reference'))}</span></div>")
    dcr = priv.get("dcr_share_closer_to_train") or {}
    if dcr and not dcr.get("error"):
        out.append(f"<div class='callout'>Synthetic rows closer to training than holdout "
                   f"<b>{fmt(dcr.get('value'), pct=True)}</b><br><span class='note'>reference "
                   f"{fmt(dcr.get('reference'), pct=True)}</span></div>")
    out.append(metric_table(priv))
    out.append("<h3>Distances to the training records</h3>")
    drawn = 0
    for i, (k, m) in enumerate(priv.items()):
        label = METRIC_LABELS.get(k, (k.replace("_", " "), ""))[0]
        hist = (m.get("details") or {}).get("histogram")
        records = m.get("breakdown") or []
        if isinstance(hist, Mapping) and hist.get("bins"):
            out.append(f"<p class='note'>{esc(label)}: synthetic rows vs holdout rows</p>")
            out.append(_plot(plots.dcr_histogram, hist, key=f"{prefix}dcr-{i}"))
            drawn += 1
        elif records and {"quantile", "synthetic", "holdout"} <= set(records[0]):
            out.append(f"<p class='note'>{esc(label)}: quantiles, synthetic rows vs holdout "
                       "rows (a synthetic curve left of the holdout curve means synthetic rows "
                       "sit closer to the training rows than unseen real rows do)</p>")
            xlabel = ("nearest-neighbour distance ratio" if k == "nndr"
                      else "distance to the closest training record")
            out.append(_plot(plots.distance_quantiles, records, xlabel, key=f"{prefix}dq-{i}"))
            drawn += 1
    if not drawn:
        out.append("<p class='note'>no distance distribution in this report</p>")
    # privacy breakdowns: per-column rates and quantiles only (never per-row records)
    out += [_breakdown(k, m) for k, m in priv.items()
            if not m.get("breakdown") or {"column", "quantile", "table"} & set(m["breakdown"][0])]
    return "".join(out)


def _meta(d: Mapping[str, Any]) -> str:
    meta = d.get("meta") or {}
    out = ["<h2 id='meta'>Run</h2>"]
    simple = {k: v for k, v in meta.items() if not isinstance(v, (dict, list))}
    if simple:
        out.append(_table(["field", "value"],
                          [[esc(k), esc(v) if isinstance(v, str) else fmt(v)]
                           for k, v in simple.items()]))
    timings = meta.get("timings") or {}
    if timings:
        out.append("<h3>Timings (s)</h3>")
        out.append(_table(["step", "seconds"], [[esc(k), fmt(v)] for k, v in timings.items()]))
    versions = meta.get("versions") or {}
    if versions:
        out.append("<h3>Versions</h3>")
        out.append(_table(["package", "version"],
                          [[esc(k), esc(v)] for k, v in versions.items()]))
    return "".join(out)


def page(body: str, title: str, fragment: bool = False) -> str:
    """Wrap body HTML in the report's style; a full page unless ``fragment``."""
    inner = f"<style>{CSS}</style><div class='cs-report'>{body}</div>"
    if fragment:
        return inner
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title></head><body>{inner}</body></html>")


def report_body(report: Mapping[str, Any], fold: bool = False, prefix: str = "") -> str:
    """The report's HTML body without styles; ``fold`` folds the secondary sections and
    ``prefix`` keeps plot ids unique when several reports share a page."""
    def wrap(title: str, body: str) -> str:
        return f"<details><summary><b>{title}</b></summary>{body}</details>" if fold else body

    return "".join([
        _header(report), _verdict(report), _causal(report, prefix),
        wrap("Fidelity", _fidelity(report, prefix)), wrap("Utility", _utility(report)),
        wrap("Privacy", _privacy(report, prefix)), wrap("Run details", _meta(report)),
    ])


def render_report(report: Mapping[str, Any], fragment: bool = False) -> str:
    """The HTML text of a report dict (as ``Report.to_dict()`` or its JSON gives it).

    Parameters
    ----------
    report : dict
        Top-level keys ``verdict``, ``causal``, ``fidelity``, ``privacy``, ``utility``,
        ``meta``; missing sections render as notes.
    fragment : bool
        True gives a notebook-sized ``<div>`` (secondary sections folded) without the
        ``<html>`` wrapper.

    Examples
    --------
    >>> import json, causalsynth.render.html as h
    >>> text = h.render_report(json.load(open("report.json")))   # doctest: +SKIP
    """
    body = report_body(report, fold=fragment)
    meta = report.get("meta") or {}
    title = f"causalsynth report: {meta.get('synthesizer') or meta.get('dag') or ''}"
    return page(body, title, fragment=fragment)


# ---------------------------------------------------------------------------------------
# Comparison page
# ---------------------------------------------------------------------------------------
_BOARD = [("synthesizer", "synthesizer", None), ("fit_s", "fit s", None),
          ("sample_s", "sample s", None), ("quality", "quality", "pct"),
          ("shapes", "shapes", "pct"), ("pair_trends", "pair trends", "pct"),
          ("max_ici_diff", "max ICI diff (points)", None),
          ("max_effect_diff", "max effect diff", "pct"),
          ("independences_broken", "independences broken", "int"),
          ("dcr_share", "DCR closer to train", "pct"),
          ("membership_auc", "membership AUC", None),
          ("copies_real_rows", "copies real rows", "flag"), ("verdict", "verdict", None)]


def _anchor(name: Any) -> str:
    return "s-" + "".join(ch if ch.isalnum() else "-" for ch in str(name))


def _board_table(records: Sequence[Mapping[str, Any]]) -> str:
    rows, classes = [], []
    for r in records:
        cells = []
        for key, _, kind in _BOARD:
            v = r.get(key)
            if key == "synthesizer":
                cells.append(f"<a href='#{esc(_anchor(v))}'>{esc(v)}</a>")
            elif key == "verdict":
                if r.get("error"):
                    cells.append('<span class="no">failed</span>')
                elif v == "preserved":
                    cells.append('<span class="yes">preserved</span>')
                elif v == "inconclusive":
                    cells.append('<span class="maybe">inconclusive</span>')
                else:
                    cells.append(f'<span class="no">{esc(v)}</span>')
            elif kind == "flag":
                cells.append("–" if v is None else '<span class="no">YES</span>' if v
                             else "no")
            elif kind == "int" and _num(v) is not None:
                cells.append(f"{int(_num(v))}")
            else:
                cells.append(fmt(_num(v), pct=kind == "pct"))
        rows.append(cells)
        classes.append("bad" if r.get("error") else "")
    return _table([label for _, label, _ in _BOARD], rows, row_classes=classes)


def render_comparison(comparison: Mapping[str, Any], links: Mapping[str, str] | None = None,
                      embed: bool = True, fragment: bool = False) -> str:
    """The HTML text of a comparison dict (``Comparison.to_dict()`` or its JSON).

    Leaderboard first, then a privacy-vs-causal-fidelity scatter, then one section per
    synthesizer: its error, a link to its own report (``links``: name -> href) and, when
    ``embed``, its report folded in.
    """
    board = comparison.get("leaderboard") or []
    reports = comparison.get("reports") or {}
    meta = comparison.get("meta") or {}
    sub = [f"DAG <b>{esc(meta.get('dag', ''))}</b>"]
    for key, label in (("n_train", "training rows"), ("n_holdout", "holdout rows"),
                       ("n_synthetic", "synthetic rows per synthesizer"), ("seed", "seed")):
        if meta.get(key) is not None:
            sub.append(f"{label} {fmt(meta[key])}")
    out = ["<h1>causalsynth comparison</h1>", f"<p class='sub'>{' · '.join(sub)}</p>"]
    if meta.get("holdout"):
        out.append(f"<p class='note'>holdout {esc(meta['holdout'])}</p>")
    def named(verdict: str) -> list[str]:
        return [str(r.get("synthesizer")) for r in board if r.get("verdict") == verdict
                and r.get("synthesizer") != "split-half (real)"]

    kept, unsure = named("preserved"), named("inconclusive")
    if kept:
        cls, head = "ok", f"Attribution preserved by: {', '.join(kept)}"
    elif unsure:
        cls, head = "unsure", (f"No synthesizer shown to preserve attribution; inconclusive "
                               f"(too few real rows to tell): {', '.join(unsure)}")
    else:
        cls, head = "bad", "No synthesizer preserved attribution"
    out.append(f'<div class="verdict {cls}" id="verdict">'
               f'<div class="head">{esc(head)}</div></div>')
    out.append("<h2 id='leaderboard'>Leaderboard</h2>")
    out.append("<p class='note'>max ICI diff: largest difference of an ICI share, real vs "
               "synthetic, in percentage points; max effect diff: largest relative difference "
               "of a treatment effect; DCR closer to train: share of synthetic rows nearer to "
               "the training rows than holdout rows are (a fresh sample scores about 50–58%); "
               "membership AUC: 0.5 = no leak.</p>")
    out.append(_board_table(board))
    out.append("<h2 id='frontier'>Privacy vs causal fidelity</h2>")
    use_auc = any(_num(r.get("membership_auc")) is not None for r in board)
    ykey, ylabel = (("membership_auc", "membership-inference AUC (0.5 = no leak)") if use_auc
                    else ("dcr_share", "share of synthetic rows closer to training"))
    out.append("<p class='note'>Lower-left is better: small causal damage, little leakage. "
               "Green circles: attribution preserved; amber diamonds: inconclusive; crosses: not "
               "preserved.</p>")
    out.append(_plot(plots.privacy_fidelity_scatter, board, "max_ici_diff", ykey,
                     "max ICI difference (percentage points)", ylabel))
    out.append("<h2 id='synthesizers'>Synthesizers</h2>")
    for r in board:
        name = r.get("synthesizer")
        part = [f"<h3 id='{esc(_anchor(name))}'>{esc(name)}</h3>"]
        if r.get("error"):
            part.append(f"<p class='err'>failed: {esc(r['error'])}</p>")
        href = (links or {}).get(str(name))
        if href:
            part.append(f"<p><a href='{esc(href)}'>full report of {esc(name)}</a></p>")
        rep = reports.get(str(name))
        if rep is not None:
            reasons = (rep.get("causal") or {}).get("reasons") or []
            if reasons:
                part.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in reasons) + "</ul>")
            if embed:
                part.append(f"<details><summary>report of {esc(name)}</summary>"
                            f"{report_body(rep, fold=True, prefix=_anchor(name))}</details>")
        out.append("".join(part))
    return page("".join(out), "causalsynth comparison", fragment=fragment)
