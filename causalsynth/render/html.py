"""Render a report dict (``Report.to_dict()`` or its saved JSON) as one self-contained HTML page.

The page opens offline: styles are inline, plots are inline SVG, there is no script, no CDN and
no web font. It shows aggregates only (shares, intervals, effects, test statistics, histogram
counts) and never a table row, so it can be forwarded. Every string from the dict is
HTML-escaped; numbers are rounded for display. Rendering never recomputes a figure.

Examples
--------
>>> from causalsynth.render.html import render_report
>>> page = render_report({"verdict": "preserved", "causal": {"reasons": []}, "meta": {}})
>>> page.startswith("<!DOCTYPE html>"), "Attribution preserved" in page
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from causalsynth.evaluate.metric import metric_label
from causalsynth.evaluate.verdict import INCONCLUSIVE, NOT_PRESERVED, PRESERVED
from causalsynth.render import plots, time_plots
from causalsynth.render.discovery_plot import structure_body
from causalsynth.render.format import effect_kind, esc, fmt, guarantee_text
from causalsynth.render.markup import (
    breakdown,
    interval,
    metric_table,
    note,
    page,
    plot,
    table,
    yes_no,
)

__all__ = ["render_report", "report_body"]

#: verdict -> (CSS class of its box, headline)
_VERDICT_STYLE = {
    PRESERVED: ("ok", "Attribution preserved on the synthetic table"),
    NOT_PRESERVED: ("bad", "Attribution NOT preserved on the synthetic table"),
    INCONCLUSIVE: ("unsure", "Inconclusive: agreement not shown within these margins at "
                             "these sizes"),
}
#: per-quantity status -> (row class, cell)
_STATUS = {"within": ("", '<span class="yes">within</span>'),
           "beyond": ("bad", '<span class="no">beyond</span>'),
           "unclear": ("unsure", '<span class="maybe">undecided</span>'),
           "not judged": ("", '<span class="note">not judged</span>'),
           "covered": ("", '<span class="note">consistent (the other estimate decides)</span>')}


# ---------------------------------------------------------------------------------------
# Header and verdict
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


def _gate(gate: Mapping[str, Any]) -> str:
    """The privacy gate's line in the verdict box: a red headline when it flags copying."""
    if not gate.get("reason"):
        return ""
    if gate.get("flagged"):
        return (f'<div class="head no" id="privacy-gate">Privacy gate: {esc(gate["reason"])}'
                "</div>")
    return f'<div class="note" id="privacy-gate">privacy gate: {esc(gate["reason"])}</div>'


def _verdict(d: Mapping[str, Any]) -> str:
    verdict = str(d.get("verdict", "unknown"))
    causal = d.get("causal") or {}
    gate = d.get("privacy_gate") or {}
    cls, head = _VERDICT_STYLE.get(verdict, ("bad", f"Verdict: {verdict}"))
    if gate.get("flagged"):
        cls = "bad"
    notes = (d.get("meta") or {}).get("notes") or []  # e.g. a synthetic table without index
    items = "".join(f"<li>{esc(r)}</li>" for r in [*(causal.get("reasons") or []), *notes])
    margins = causal.get("margins") or {}
    mtext = ", ".join(f"{esc(k)} = {fmt(v)}" for k, v in margins.items()
                      if not isinstance(v, (dict, list)))
    ref = causal.get("reference") or {}
    rtext = (f"split-half reference (two halves of the real table, {fmt(ref['n_rows'][0])} "
             f"and {fmt(ref['n_rows'][1])} rows, judged the same way): "
             f"<b>{esc(ref['verdict'])}</b>" if ref.get("verdict") else "")
    # every judged figure, collapsed by family below the (at most five) reasons
    details = "".join(
        f"<details><summary>{esc(family)} ({len(lines)})</summary><ul>"
        + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul></details>"
        for family, lines in (causal.get("details") or {}).items() if lines)
    return (f'<div class="verdict {cls}" id="verdict">'
            f'<div class="head">{esc(head)}</div>' + _gate(gate)
            + (f"<ul>{items}</ul>" if items else "")
            + (f'<div class="details" id="verdict-details">{details}</div>' if details else "")
            + (f'<div class="note">{rtext}</div>' if rtext else "")
            + (f'<div class="note">margins: {mtext}</div>' if mtext else "")
            + "</div>")


# ---------------------------------------------------------------------------------------
# Causal structure: one table per kind of judged quantity
# ---------------------------------------------------------------------------------------
def _judged(causal: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
            header: Sequence[str], cells: Callable[[Mapping[str, Any], str], list[str]],
            reference: tuple[str, Callable[[Mapping[str, Any]], str]], left: int = 1,
            pct: bool = False) -> str:
    """One row per judged quantity, coloured by its status.

    ``cells(row, status_cell)`` gives a row's cells; ``reference`` names the split-half
    table and a row's key in it, whose difference is shown last when the report has one.
    """
    ref = causal.get("reference") or {}
    rows, classes = [], []
    for r in records:
        cls, status = _STATUS.get(str(r.get("status")), ("", "–"))
        row = cells(r, status)
        if ref:
            row.append(fmt((ref.get(reference[0]) or {}).get(reference[1](r)), pct=pct))
        rows.append(row)
        classes.append(cls)
    header = [*header, "split-half difference"] if ref else header
    return table(header, rows, left=left, row_classes=classes)


def _ici(causal: Mapping[str, Any], prefix: str) -> str:
    ici = causal.get("ici") or []
    target = causal.get("target") or "the outcome"
    out = [f"<h3>Intrinsic causal influence on {esc(target)}</h3>",
           note("Share of the outcome's variation that each node's own noise causes (percent, "
                "sums to 100), with intervals, on the real and the synthetic table.")]
    if not ici:
        return "".join(out) + note("no ICI figures in this report")
    out.append(plot(plots.ici_bars, ici, key=f"{prefix}ici"))
    out.append(_judged(
        causal, ici, ["node", "real share %", "synthetic share %", "difference (points)",
                      "vs margin", "confirmable"],
        lambda r, status: [esc(r.get("node")),
                           interval(r, "real_share", "real_low", "real_high"),
                           interval(r, "synthetic_share", "synthetic_low", "synthetic_high"),
                           interval(r, "diff_pp", "diff_low", "diff_high"), status,
                           "±" + fmt(r.get("confirmable"))],
        ("ici_diff", lambda r: str(r.get("node")))))
    out.append(note("Difference intervals carry the noise of both tables (corrected for the "
                    "number of judged quantities). <i>Confirmable</i>: the smallest margin "
                    "this real table could confirm for a perfect synthesizer."))
    ranking = causal.get("treatment_ranking")
    if ranking:
        real = " > ".join(esc(x) for x in ranking.get("real") or [])
        syn = " > ".join(esc(x) for x in ranking.get("synthetic") or [])
        out.append(f"<p>Ranking of treatments by ICI: real <b>{real}</b>; synthetic "
                   f"<b>{syn}</b>; kept: {yes_no(ranking.get('kept'))}</p>")
    return "".join(out)


def _effects(causal: Mapping[str, Any], prefix: str) -> str:
    eff = causal.get("effects") or []
    out = ["<h3>Treatment effects</h3>",
           note("Average effect of each treatment on the outcome, per unit and for a +10% "
                "shift, estimated on each table (GCM intervention or double machine learning), "
                "with 95% intervals. The plot shows each effect relative to its real-table "
                "estimate.")]
    if not eff:
        return "".join(out) + note("no effect figures in this report")
    out.append(plot(plots.effects_forest, eff, key=f"{prefix}effects"))
    out.append(_judged(
        causal, eff, ["treatment", "outcome", "kind", "method", "real", "synthetic",
                      "relative difference", "vs margin", "confirmable"],
        lambda r, status: [esc(r.get("treatment")), esc(r.get("outcome")),
                           esc(effect_kind(r.get("kind"))), esc(r.get("method")),
                           interval(r, "real", "real_low", "real_high"),
                           interval(r, "synthetic", "synthetic_low", "synthetic_high"),
                           interval(r, "rel_diff", "rel_diff_low", "rel_diff_high", pct=True),
                           status, "±" + fmt(r.get("confirmable_rel"), pct=True)],
        ("effect_rel_diff", lambda r: f"{r.get('treatment')}|{r.get('kind')}|{r.get('method')}"),
        left=4, pct=True))
    return "".join(out)


def _independences(causal: Mapping[str, Any]) -> str:
    ind = causal.get("independences") or []
    margin = (causal.get("margins") or {}).get("independence")
    out = ["<h3>Conditional independences implied by the DAG</h3>",
           note("Each independence's effect size (residual correlation weighted by unexplained "
                "variance) on both tables; their difference is judged"
                + (f" against the margin ±{fmt(margin)}" if margin is not None else "")
                + ", with an interval carrying the noise of both tables. p-values are shown "
                  "beside.")]
    if not ind:
        return "".join(out) + note("the DAG implies no testable independence")
    beyond = sum(r.get("status") == "beyond" for r in ind)
    out.append(f"<p>{beyond} of {len(ind)} independences differ beyond the margin.</p>")
    out.append(_judged(
        causal, ind, ["x", "y", "given", "real effect", "real p", "synthetic effect",
                      "synthetic p", "difference", "vs margin"],
        lambda r, status: [esc(r.get("x")), esc(r.get("y")),
                           esc(", ".join(str(g) for g in r.get("given") or []) or "∅"),
                           fmt(r.get("real_effect")), fmt(r.get("real_p")),
                           fmt(r.get("synthetic_effect")), fmt(r.get("synthetic_p")),
                           interval(r, "diff", "diff_low", "diff_high"), status],
        ("independence_diff", lambda r: f"{r.get('x')}|{r.get('y')}"), left=3))
    return "".join(out)


_MMM_NAMES = {"roas": "ROAS", "mroas": "marginal ROAS", "contribution_share": "contribution %",
              "optimal_share": "optimal budget %"}


def _mmm(causal: Mapping[str, Any], prefix: str) -> str:
    mmm = causal.get("mmm")
    if not mmm:
        return ""
    out = ["<h3>Marketing mix: ROAS, contribution and the budget decision</h3>",
           note("The same marketing mix model (carryover and saturation per channel, fitted "
                "on each table; intervals from a moving-block bootstrap over weeks): return on "
                "ad spend (revenue lost without the channel per unit spent), marginal ROAS (of "
                "the next 1%), share of the media-driven revenue, and the split of the same "
                "total budget that maximises modelled revenue. Marginal ROAS is reported, "
                "not judged.")]
    records = mmm.get("channels") or []
    out.append(_judged(
        causal, records, ["channel", "figure", "real", "synthetic", "difference", "vs margin"],
        lambda r, status: [esc(r.get("channel")), esc(_MMM_NAMES.get(r.get("quantity"))),
                           interval(r, "real", "real_low", "real_high"),
                           interval(r, "synthetic", "synthetic_low", "synthetic_high"),
                           interval(r, "diff", "diff_low", "diff_high"), status],
        ("mmm_diff", lambda r: f"{r.get('channel')}|{r.get('quantity')}"), left=2))
    for what, key in (("ROAS", "roas"), ("optimal budget", "optimal_share")):
        real = " > ".join(esc(x) for x in mmm.get(f"{key}_order_real") or [])
        syn = " > ".join(esc(x) for x in mmm.get(f"{key}_order_synthetic") or [])
        out.append(f"<p>Channels by {what}: real <b>{real}</b>; synthetic <b>{syn}</b></p>")
    if mmm.get("response_curves"):
        out.append(plot(plots.response_curves, mmm["response_curves"], key=f"{prefix}curves"))
    return "".join(out)


def _causal(d: Mapping[str, Any], prefix: str) -> str:
    causal = d.get("causal") or {}
    parts = ["<h2 id='causal'>Causal structure</h2>"]
    if causal.get("error"):
        parts.append(f"<p class='err'>causal evaluation failed: {esc(causal['error'])}</p>")
    parts += [_ici(causal, prefix), _effects(causal, prefix), _mmm(causal, prefix),
              _independences(causal)]
    if causal.get("seconds") is not None:
        parts.append(note(f"causal evaluation took {fmt(causal['seconds'])} s"))
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Fidelity, utility, privacy, run details
# ---------------------------------------------------------------------------------------
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


def _distributions(fid: Mapping[str, Mapping[str, Any]], prefix: str) -> str:
    out = ["<h3>Column distributions</h3>"]
    hist = _column_histograms(fid)
    if not hist:
        return "".join(out) + note("no per-column histogram aggregates in this report; "
                                   "column distribution plots skipped")
    try:
        svg, skipped = plots.column_distributions(hist, key=f"{prefix}dist")
    except Exception as exc:  # a plot must not sink the page
        svg, skipped = None, [f"all ({type(exc).__name__}: {exc})"]
    if svg:
        out.append(svg)
    if skipped:
        out.append(note("column(s) without usable histogram aggregates were skipped: "
                        + esc(", ".join(skipped))))
    return "".join(out)


def _correlations(corr: Mapping[str, Any], prefix: str) -> str:
    out = ["<h3>Correlation difference</h3>"]
    parsed = plots.correlation_matrix_from_records(corr.get("breakdown") or [])
    if parsed is None and isinstance((corr.get("details") or {}).get("matrix"), Mapping):
        mat = corr["details"]["matrix"]
        cols = list(mat)
        parsed = (cols, [[mat[r].get(c) for c in cols] for r in cols])
    if corr.get("error"):
        out.append(f"<p class='err'>correlation difference failed: {esc(corr['error'])}</p>")
    elif parsed:
        out.append(plot(plots.correlation_heatmap, *parsed, key=f"{prefix}corrdiff"))
    else:
        out.append(note("no correlation-difference matrix in this report"))
    return "".join(out)


def _metrics(title: str, metrics: Mapping[str, Mapping[str, Any]], intro: str = "",
             before: str = "", after: str = "",
             shown: Callable[[str, Mapping[str, Any]], bool] = lambda name, m: True,
             lead: str = "") -> str:
    """A section of metrics: heading, ``lead``, intro, ``before``, the table of metrics,
    ``after``, then the breakdown of each metric that is ``shown``, folded."""
    return "".join([
        f"<h2 id='{title.lower()}'>{title}</h2>", lead, note(intro) if intro else "", before,
        metric_table(metrics), after,
        *(breakdown(name, m) for name, m in metrics.items() if shown(name, m)),
    ])


def _temporal(fid: Mapping[str, Any], outcome: str | None, prefix: str) -> str:
    """Time-indexed tables: carryover's footprint, the outcome's autocorrelation, the seasonal
    spectrum and the runs of zero spend (the last two only in reports that carry them)."""
    temporal = fid.get("temporal_acf_diff") or {}
    details = temporal.get("details") or {}
    if not temporal.get("breakdown") or not outcome:
        return ""
    out = ["<h3>Time structure</h3>", note(
        "Correlation of each spend with the outcome that many periods later (carryover leaves "
        "it above zero after lag 0) and the outcome's autocorrelation, within each series; a "
        "synthesizer that treats periods as independent rows flattens both."),
        plot(time_plots.temporal_profiles, temporal["breakdown"],
             details.get("cross_correlation") or [], outcome, key=f"{prefix}temporal")]
    seasonal, runs = details.get("seasonal") or [], details.get("zero_runs") or []
    if time_plots.has_spectrum(seasonal):
        out += ["<h3>Seasonal spectrum</h3>", note(
            "Power of the outcome and of each spend by frequency, relative to white noise (1), "
            "within each series after removing its trend, averaged over the series; the "
            "markers are the power at the declared period and its harmonics. Shuffled "
            "periods lose the season: their power there sinks to about 1."),
            plot(time_plots.seasonal_spectrum, seasonal, outcome, key=f"{prefix}spectrum")]
    if time_plots.has_run_lengths(runs):
        out += ["<h3>Zero-spend runs</h3>", note(
            "How long each channel stays dark: the share of its runs of zero spend of each "
            "length, within each series. Flighting gives long runs; shuffled periods break "
            "them into runs of about one period."),
            plot(time_plots.zero_run_lengths, runs, key=f"{prefix}zeroruns")]
    return "".join(out)


def _fidelity(d: Mapping[str, Any], prefix: str) -> str:
    fid = d.get("fidelity") or {}
    corr = fid.get("correlation_difference") or {}
    outcome = (d.get("causal") or {}).get("target")
    return _metrics("Fidelity", fid,
                    after=_distributions(fid, prefix) + _correlations(corr, prefix)
                    + _temporal(fid, outcome, prefix),
                    shown=lambda name, m: name != "correlation_difference")


def _utility(d: Mapping[str, Any]) -> str:
    return _metrics("Utility", d.get("utility") or {},
                    intro="Train on synthetic, test on real (TSTR), against train on real; the "
                          "reference column is the real-trained figure.")


def _callouts(priv: Mapping[str, Mapping[str, Any]]) -> str:
    """The two headline privacy figures, each beside its reference."""
    out = []
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
    return "".join(out)


def _distances(priv: Mapping[str, Mapping[str, Any]], prefix: str) -> str:
    """Quantile curves of each distance metric: synthetic rows vs holdout rows."""
    out = ["<h3>Distances to the training records</h3>"]
    for i, (k, m) in enumerate(priv.items()):
        records = m.get("breakdown") or []
        if records and {"quantile", "synthetic", "holdout"} <= set(records[0]):
            unit = ("windows of consecutive periods" if k.startswith("window_")
                    else "rows")
            out.append(note(f"{esc(metric_label(k)[0])}: quantiles, synthetic {unit} vs "
                            f"holdout {unit} (a synthetic curve left of the holdout curve "
                            f"means synthetic {unit} sit closer to the training ones than "
                            f"unseen real {unit} do)"))
            xlabel = ("nearest-neighbour distance ratio" if k == "nndr"
                      else "distance to the closest training window" if k.startswith("window_")
                      else "distance to the closest training record")
            out.append(plot(plots.distance_quantiles, records, xlabel, key=f"{prefix}dq-{i}"))
    if len(out) == 1:
        out.append(note("no distance distribution in this report"))
    return "".join(out)


def _guarantee(meta: Mapping[str, Any], prefix: str = "") -> str:
    """The synthesizer's differential-privacy guarantee, when the report records one."""
    g = meta.get("guarantee")
    if not isinstance(g, Mapping):
        return ""
    how = guarantee_text(g, details=True)
    return (f'<div class="guarantee" id="{esc(prefix)}guarantee"><b>{esc(guarantee_text(g))}</b>'
            + (f"<br><span class='note'>{esc(how)}</span>" if how else "")
            + "<br><span class='note'>A guarantee bounds what anyone can learn about one row "
              "of the training table from the fitted synthesizer, whatever is sampled from it; "
              "the figures below measure leakage on this synthetic table.</span></div>")


def _privacy(d: Mapping[str, Any], prefix: str) -> str:
    priv = d.get("privacy") or {}
    return _metrics(
        "Privacy", priv, lead=_guarantee(d.get("meta") or {}, prefix),
        intro="Each figure is shown next to the same figure for the holdout or an independent "
              "sample (reference), which is what 'no leak' looks like.",
        before=_callouts(priv), after=_distances(priv, prefix),
        # breakdowns of per-column rates and quantiles only (never per-row records)
        shown=lambda name, m: (not m.get("breakdown")
                               or bool({"column", "quantile", "table"} & set(m["breakdown"][0]))))


def _meta(d: Mapping[str, Any]) -> str:
    meta = d.get("meta") or {}
    out = ["<h2 id='meta'>Run</h2>"]
    simple = {k: v for k, v in meta.items() if not isinstance(v, (dict, list))}
    if simple:
        out.append(table(["field", "value"], [[esc(k), esc(v) if isinstance(v, str) else fmt(v)]
                                              for k, v in simple.items()]))
    for key, title, header in (("timings", "Timings (s)", ["step", "seconds"]),
                               ("versions", "Versions", ["package", "version"])):
        values = meta.get(key) or {}
        if values:
            out.append(f"<h3>{title}</h3>")
            out.append(table(header, [[esc(k), esc(v) if isinstance(v, str) else fmt(v)]
                                      for k, v in values.items()]))
    return "".join(out)


# ---------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------
def report_body(report: Mapping[str, Any], fold: bool = False, prefix: str = "") -> str:
    """The report's HTML body without styles; ``fold`` folds the secondary sections and
    ``prefix`` keeps plot ids unique when several reports share a page.

    >>> body = report_body({"verdict": "inconclusive", "causal": {}}, fold=True)
    >>> body.count("<details>"), "Inconclusive" in body
    (4, True)
    """
    def wrap(title: str, body: str) -> str:
        return f"<details><summary><b>{title}</b></summary>{body}</details>" if fold else body

    structure = structure_body(report.get("structure"), key=f"{prefix}structure")
    return "".join([
        _header(report), _verdict(report), _causal(report, prefix),
        wrap("Discovered structure", structure) if structure else "",
        wrap("Fidelity", _fidelity(report, prefix)), wrap("Utility", _utility(report)),
        wrap("Privacy", _privacy(report, prefix)), wrap("Run details", _meta(report)),
    ])


def render_report(report: Mapping[str, Any], fragment: bool = False) -> str:
    """The HTML text of a report dict (as ``Report.to_dict()`` or its JSON gives it).

    Parameters
    ----------
    report : dict
        Top-level keys ``verdict``, ``causal``, ``fidelity``, ``privacy``, ``utility``,
        ``meta``, ``privacy_gate``; missing sections render as notes.
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
