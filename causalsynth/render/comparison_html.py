"""Render a comparison dict (``Comparison.to_dict()`` or its saved JSON) as one HTML page.

Leaderboard first, then a privacy-vs-causal-fidelity scatter, the privacy–attribution frontier
(attribution error against the epsilon of each differential-privacy guarantee) when two
synthesizers or more have one, then one section per synthesizer. Like the report page it is
self-contained, escaped and shows aggregates only.

Examples
--------
>>> board = [{"synthesizer": "causal", "verdict": "preserved", "max_ici_diff": 1.2,
...           "dcr_share": 0.53}]
>>> text = render_comparison({"leaderboard": board, "reports": {}, "meta": {"dag": "acq"}})
>>> "Attribution preserved by: causal" in text
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from causalsynth.evaluate.verdict import INCONCLUSIVE, PRESERVED
from causalsynth.leaderboard import COLUMNS, REFERENCE, Column, frontier_records
from causalsynth.render import plots
from causalsynth.render.format import esc, fmt, number
from causalsynth.render.html import report_body
from causalsynth.render.markup import note, page, plot, table

__all__ = ["render_comparison"]

#: the page's leaderboard columns (declared in causalsynth.leaderboard)
_BOARD = [c for c in COLUMNS if c.header is not None]
#: verdict -> CSS class of its cell (any other verdict: "no")
_VERDICT_CLASS = {PRESERVED: "yes", INCONCLUSIVE: "maybe"}


def _anchor(name: Any) -> str:
    return "s-" + "".join(ch if ch.isalnum() else "-" for ch in str(name))


def _cell(r: Mapping[str, Any], key: str, kind: str) -> str:
    v = r.get(key)
    if kind == "name":
        return f"<a href='#{esc(_anchor(v))}'>{esc(v)}</a>"
    if kind == "verdict":
        if r.get("error"):
            return '<span class="no">failed</span>'
        return f'<span class="{_VERDICT_CLASS.get(str(v), "no")}">{esc(v)}</span>'
    if kind == "flag":
        return "–" if v is None else '<span class="no">YES</span>' if v else "no"
    value = number(v)
    if kind == "count" and value is not None:
        return f"{int(value)}"
    if kind == "epsilon" and value is not None:
        return f"{value:g}"
    return fmt(value, pct=kind == "share")


def _board_table(records: Sequence[Mapping[str, Any]]) -> str:
    """The leaderboard; its epsilon column only when some synthesizer has a guarantee."""
    private = any(number(r.get("epsilon")) is not None for r in records)
    cols: list[Column] = [c for c in _BOARD if c.key != "epsilon" or private]
    rows = [[_cell(r, c.key, c.kind) for c in cols] for r in records]
    return table([str(c.header) for c in cols], rows,
                 row_classes=["bad" if r.get("error") else "" for r in records])


def _frontier(comparison: Mapping[str, Any]) -> str:
    """Attribution error against epsilon, when two synthesizers or more have a guarantee."""
    records = frontier_records(comparison.get("leaderboard") or [], comparison.get("meta"))
    if len(records) < 2:
        return ""
    margins: Mapping[str, Any] = next((m for rep in (comparison.get("reports") or {}).values()
                    if (m := (rep.get("causal") or {}).get("margins"))), {})
    rows = [[esc(r["synthesizer"]), f"{r['epsilon']:g}", fmt(number(r["max_ici_diff"])),
             fmt(number(r["max_effect_diff"]), pct=True), _cell(r, "verdict", "verdict")]
            for r in records]
    return "".join([
        "<h2 id='dp-frontier'>Privacy–attribution frontier</h2>",
        note("Attribution error of each synthesizer with a differential-privacy guarantee "
             "against the guarantee's ε (log scale; smaller ε, stronger guarantee), one line "
             "per synthesizer; dashed: the verdict's margins. Circles: attribution preserved; "
             "diamonds: inconclusive; crosses: not preserved."),
        plot(plots.attribution_frontier, records, margins),
        table(["synthesizer", "ε", "max ICI diff (points)", "max effect diff", "verdict"],
              rows)])


def _headline(board: Sequence[Mapping[str, Any]]) -> str:
    """The verdict box: who preserves attribution, else who is inconclusive."""
    def named(verdict: str) -> list[str]:
        return [str(r.get("synthesizer")) for r in board if r.get("verdict") == verdict
                and r.get("synthesizer") != REFERENCE]  # the split-half row is a yardstick

    kept, unsure = named(PRESERVED), named(INCONCLUSIVE)
    if kept:
        cls, head = "ok", f"Attribution preserved by: {', '.join(kept)}"
    elif unsure:
        cls, head = "unsure", (f"No synthesizer shown to preserve attribution; inconclusive "
                               f"(agreement not shown within the margins): {', '.join(unsure)}")
    else:
        cls, head = "bad", "No synthesizer preserved attribution"
    return f'<div class="verdict {cls}" id="verdict"><div class="head">{esc(head)}</div></div>'


def _synthesizer(r: Mapping[str, Any], report: Mapping[str, Any] | None, href: str | None,
                 embed: bool) -> str:
    """One synthesizer's section: its error, a link to its report, its reasons, its report."""
    name = r.get("synthesizer")
    part = [f"<h3 id='{esc(_anchor(name))}'>{esc(name)}</h3>"]
    if r.get("error"):
        part.append(f"<p class='err'>failed: {esc(r['error'])}</p>")
    if href:
        part.append(f"<p><a href='{esc(href)}'>full report of {esc(name)}</a></p>")
    if report is not None:
        reasons = (report.get("causal") or {}).get("reasons") or []
        if reasons:
            part.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in reasons) + "</ul>")
        if embed:
            part.append(f"<details><summary>report of {esc(name)}</summary>"
                        f"{report_body(report, fold=True, prefix=_anchor(name))}</details>")
    return "".join(part)


def render_comparison(comparison: Mapping[str, Any], links: Mapping[str, str] | None = None,
                      embed: bool = True, fragment: bool = False) -> str:
    """The HTML text of a comparison dict (``Comparison.to_dict()`` or its JSON).

    Parameters
    ----------
    comparison : dict
        ``leaderboard`` (rows of ``leaderboard_row``), ``reports`` (name -> report dict)
        and ``meta``.
    links : dict, optional
        Synthesizer name -> href of its own report page.
    embed : bool
        Fold each synthesizer's report into its section.
    fragment : bool
        A notebook-sized ``<div>`` without the ``<html>`` wrapper.
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
        out.append(note(f"holdout {esc(meta['holdout'])}"))
    out.append(_headline(board))
    out.append("<h2 id='leaderboard'>Leaderboard</h2>")
    out.append(note("max ICI diff: largest difference of an ICI share, real vs synthetic, in "
                    "percentage points; max effect diff: largest relative difference of a "
                    "treatment effect; DCR closer to train: share of synthetic rows nearer to "
                    "the training rows than holdout rows are (a fresh sample scores about "
                    "50–58%); membership AUC: 0.5 = no leak."))
    out.append(_board_table(board))
    out.append("<h2 id='frontier'>Privacy vs causal fidelity</h2>")
    use_auc = any(number(r.get("membership_auc")) is not None for r in board)
    ykey, ylabel = (("membership_auc", "membership-inference AUC (0.5 = no leak)") if use_auc
                    else ("dcr_share", "share of synthetic rows closer to training"))
    out.append(note("Lower-left is better: small causal damage, little leakage. Green circles: "
                    "attribution preserved; amber diamonds: inconclusive; crosses: not "
                    "preserved."))
    out.append(plot(plots.privacy_fidelity_scatter, board, "max_ici_diff", ykey,
                    "max ICI difference (percentage points)", ylabel))
    out.append(_frontier(comparison))
    out.append("<h2 id='synthesizers'>Synthesizers</h2>")
    for r in board:
        name = str(r.get("synthesizer"))
        out.append(_synthesizer(r, reports.get(name), (links or {}).get(name), embed))
    return page("".join(out), "causalsynth comparison", fragment=fragment)
