"""The verdict in words: at most five ranked reasons, the precision shown, the details by family.

:mod:`causalsynth.evaluate.verdict` decides; this module only writes what it decided, from the
long frame of judged quantities. The headline answers the analyst's question first — does the
synthetic table lead to the same conclusions? — and then says what moved and by how much
against the real table's own uncertainty, or to what precision agreement was shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causalsynth.evaluate.causal_comparison import CausalComparison
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.verdict import (
    BEYOND,
    COVERED,
    INCONCLUSIVE,
    NOT_JUDGED,
    NOT_PRESERVED,
    UNCLEAR,
    WITHIN,
)

__all__ = ["MAX_REASONS", "confirmable_summary", "reasons", "shown_summary"]

#: reasons in the verdict box; every other sentence goes to the details
MAX_REASONS = 5
_FAMILY_TITLE = {"ici": "ICI shares", "effect": "treatment effects",
                 "independence": "implied independences", "ranking": "treatment ranking",
                 "mmm": "marketing mix (ROAS, contributions, budget)"}
_MMM_LABEL = {"roas": "ROAS", "mroas": "marginal ROAS", "contribution_share": "contribution share",
              "optimal_share": "share of the optimal budget"}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def _finite(v) -> float | None:
    return float(v) if v is not None and np.isfinite(v) else None


def _per_channel(q: pd.DataFrame, col: str) -> dict[str, float]:
    """Per treatment, its hardest effect (per unit or +10 %), each by its better estimate."""
    eff = q[(q["family"] == "effect") & (q["status"] != NOT_JUDGED)]
    if not len(eff):
        return {}
    rel = (eff[col] / eff["scale"]).replace([np.inf, -np.inf], np.nan)
    best = rel.groupby([eff["subject"], eff["kind"]], sort=False).min()
    return {t: v for t, v in best.groupby(level=0, sort=False).max().items()}


def _summary(c: CausalComparison, q: pd.DataFrame, col: str) -> dict[str, Any]:
    judged = q[q["status"] != NOT_JUDGED]
    fam = lambda name: judged[judged["family"] == name]  # noqa: E731
    effects = _per_channel(q, col)
    roas = fam("mmm")[fam("mmm")["kind"] == "roas"]
    out: dict[str, Any] = {
        "n_real": c.n_real, "n_synthetic": c.n_synthetic,
        **({"n_draws": c.n_draws} if c.n_draws > 1 else {}),
        "ici_points": _finite(fam("ici")[col].max()) if len(fam("ici")) else None,
        "effect_rel": _finite(max(effects.values())) if effects else None,
        "independence": (_finite(fam("independence")[col].max())
                         if len(fam("independence")) else None),
        "effects": {t: _finite(v) for t, v in effects.items()},
    }
    if len(roas):
        out["roas"] = {s: _finite(v / sc) for s, v, sc in
                       zip(roas["subject"], roas[col], roas["scale"], strict=True)}
        budget = fam("mmm")[fam("mmm")["kind"] == "optimal_share"]
        out["budget_points"] = _finite(budget[col].max()) if len(budget) else None
    return out


def _per_name(what: str, values: dict[str, float | None]) -> list[str]:
    """One channel's figure by name; three or more as the range from the best to the worst
    (each channel's figure is in the summary's dict and the details)."""
    known = {k: v for k, v in values.items() if v is not None}
    if len(known) <= 2:
        return [f"{what.format(k)} ±{v:.0%}" for k, v in known.items()]
    best, worst = min(known, key=lambda k: known[k]), max(known, key=lambda k: known[k])
    return [f"{what.format('each channel')} ±{known[best]:.0%} ({best}) to "
            f"±{known[worst]:.0%} ({worst})"]


def _precision_words(s: dict[str, Any]) -> str:
    parts = []
    if s.get("ici_points") is not None:
        parts.append(f"ICI shares ±{s['ici_points']:.1f} points")
    parts += _per_name("the effect of {}", s["effects"])
    parts += _per_name("the ROAS of {}", s.get("roas") or {})
    if s.get("budget_points") is not None:
        parts.append(f"budget shares ±{s['budget_points']:.1f} points")
    if s.get("independence") is not None:
        parts.append(f"independence effect sizes ±{s['independence']:.2f}")
    return ", ".join(parts)


def _rows_words(c: CausalComparison) -> str:
    sub = c.method.get("subsample")  # causal figures from a subsample of a large table
    rows = f"{c.n_real:,} real rows"
    if sub:
        rows += (f" (a random subsample of {sub['real_rows']:,}: the intervals are those of "
                 f"{c.n_real:,} rows)")
    if c.n_draws > 1:
        return rows + f" and {c.n_draws} synthetic draws of {c.n_synthetic:,} rows"
    return rows + f" and {c.n_synthetic:,} synthetic rows"


def confirmable_summary(c: CausalComparison, q: pd.DataFrame) -> dict[str, Any]:
    """The margins this real table (at this synthetic size) can confirm: a faithful
    synthesizer is shown within them in 90 % of draws."""
    out = _summary(c, q, "confirmable")
    words = _precision_words(out)
    out["text"] = (f"with {_rows_words(c)}, this table can confirm: {words} (a faithful "
                   f"synthesizer is shown within these margins in 9 of 10 draws)" if words else "")
    return out


def shown_summary(c: CausalComparison, q: pd.DataFrame) -> dict[str, Any]:
    """The precision to which this synthetic table's agreement with the real one was shown."""
    out = _summary(c, q, "shown")
    out["text"] = _precision_words(out)
    return out


def _margin_words(m: Margins, families: set[str]) -> str:
    parts = []
    if "ici" in families:
        parts.append(f"±{m.ici_points:g} points")
    if families & {"effect", "mmm"}:
        parts.append(f"±{m.effect_rel:.0%}")
    if "independence" in families:
        parts.append(f"±{m.independence:g} on independences")
    return " / ".join(parts)


def _sentence(r: pd.Series, m: Margins, comparison: CausalComparison) -> str:
    """One quantity, both figures, its difference and interval against its margin."""
    fam = r["family"]
    if fam == "ici":
        return (f"ICI share of {r['subject']}: real {r['real']:.1f}% vs synthetic "
                f"{r['synthetic']:.1f}% ({r['diff']:+.1f} points, interval "
                f"[{r['diff_low']:+.1f}; {r['diff_high']:+.1f}]; margin ±{m.ici_points:g})")
    if fam == "effect":
        eff = comparison.effects.iloc[int(r["row"])]
        what = "per unit" if r["kind"] == "per_unit" else "for +10%"
        sc = r["scale"]
        head = "reversed: " if r["reversed"] else ""
        return (f"{head}effect of {r['subject']} on {eff['outcome']} {what} ({eff['method']}): "
                f"real {_fmt(r['real'])} vs synthetic {_fmt(r['synthetic'])} "
                f"({r['diff'] / sc:+.0%}, interval [{r['diff_low'] / sc:+.0%}; "
                f"{r['diff_high'] / sc:+.0%}]; margin ±{m.effect_rel:.0%})")
    if fam == "independence":
        ind = comparison.independences.iloc[int(r["row"])]
        given = f" | {', '.join(ind['given'])}" if len(ind["given"]) else ""
        return (f"independence {r['subject']}{given}: effect real {r['real']:.3f} vs "
                f"synthetic {r['synthetic']:.3f} ({r['diff']:+.3f}, interval "
                f"[{r['diff_low']:+.3f}; {r['diff_high']:+.3f}]; margin ±{m.independence:g})")
    if fam == "ranking":
        a, b = r["subject"].split(" vs ")
        hi, lo = (a, b) if r["real"] > 0 else (b, a)
        if r["status"] == BEYOND:
            return (f"treatment ranking by ICI reversed: the real table clearly has {hi} above "
                    f"{lo} (by {abs(r['real']):.1f} points), the synthetic table clearly the "
                    f"reverse (by {abs(r['synthetic']):.1f})")
        return (f"treatment ranking by ICI: the real table has {hi} above {lo}, the synthetic "
                f"table the reverse, within its noise")
    rel = r["kind"] in ("roas", "mroas")
    sc = r["scale"] if rel else 1.0
    show = (lambda v: f"{v / sc:+.0%}") if rel else (lambda v: f"{v:+.1f} points")
    margin = f"±{m.effect_rel:.0%}" if rel else f"±{r['margin']:g} points"
    head = "reversed: " if r["reversed"] else ""
    return (f"{head}{_MMM_LABEL.get(r['kind'], r['kind'])} of {r['subject']}: real "
            f"{_fmt(r['real'])} vs synthetic {_fmt(r['synthetic'])} ({show(r['diff'])}, "
            f"interval [{show(r['diff_low'])}; {show(r['diff_high'])}]; margin {margin})")


def _confirm_words(r: pd.Series) -> str:
    if not np.isfinite(r["confirmable"]):
        return ""
    if r["family"] == "effect" or r["kind"] in ("roas", "mroas"):
        return f"±{r['confirmable'] / r['scale']:.0%}"
    if r["family"] == "independence":
        return f"±{r['confirmable']:.3f}"
    return f"±{r['confirmable']:.1f} points"


def _ranked(q: pd.DataFrame, status: str) -> pd.DataFrame:
    """Quantities of one status, most important first: reversals, then decisions, then the
    furthest from their margin."""
    part = q[q["status"] == status].copy()
    ratio = (part["diff"].abs() if status == BEYOND else part["shown"]) / part["margin"]
    part["_order"] = ratio.fillna(np.inf)
    return part.sort_values(["reversed", "decision", "_order"], ascending=False)


def _unmeasured(q: pd.DataFrame) -> pd.Series:
    """Judged quantities with no figure on one of the tables (a table the comparison could
    not fit, e.g. a synthetic table that lacks a rare label): named once, never as NaN."""
    return (q["status"] != NOT_JUDGED) & ~(np.isfinite(q["real"].astype(float))
                                           & np.isfinite(q["synthetic"].astype(float)))


def _unmeasured_words(c: CausalComparison, n: int, title: str) -> str:
    missing = [*c.lost_columns, *(c.method.get("absent_by_chance") or [])]
    why = (f": the synthetic table lacks {', '.join(missing)}, so its model could not be "
           f"fitted" if missing else "")
    return f"{n} {title} not measured on both tables{why} (not decidable)"


def _details(c: CausalComparison, m: Margins, q: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    unmeasured = _unmeasured(q)
    for fam, title in _FAMILY_TITLE.items():
        if (unmeasured & (q["family"] == fam)).any():
            out[title] = [_unmeasured_words(c, int((unmeasured & (q["family"] == fam)).sum()),
                                            title)]
        part = q[(q["family"] == fam) & ~unmeasured]
        if not len(part):
            continue
        lines = [_sentence(r, m, c) + ": shown beyond its margin"
                 for _, r in _ranked(part, BEYOND).iterrows()]
        for _, r in _ranked(part, UNCLEAR).iterrows():
            confirm = _confirm_words(r)
            lines.append(_sentence(r, m, c) + ": not decidable"
                         + (f", this table confirms {confirm}" if confirm else ""))
        counts = part["status"].value_counts()
        n_in = int(counts.get(WITHIN, 0) + counts.get(COVERED, 0))
        if n_in:
            lines.append(f"{n_in} of {len(part)} {title} shown within their margins")
        if counts.get(NOT_JUDGED, 0):
            lines.append(_not_judged(fam, int(counts[NOT_JUDGED]), c))
        out[title] = out.get(title, []) + lines
    return out


def _not_judged(fam: str, n: int, c: CausalComparison) -> str:
    if fam == "effect":
        return (f"{n} per-unit GCM slope(s) of zero-inflated treatments reported but not "
                f"judged (not identified at zero spend)")
    if fam == "independence":
        return (f"{n} implied independence(s) not tested at {c.n_real:,} rows: their "
                f"conditioning sets need more columns than half the rows")
    if fam == "ranking":
        return f"{n} pair(s) of treatments not clearly ordered by the real table: not judged"
    return f"{n} figure(s) reported, not judged (marginal ROAS, budget shares at a bound)"


def reasons(verdict: str, c: CausalComparison, m: Margins, q: pd.DataFrame,
            confirmable: dict[str, Any], shown: dict[str, Any]
            ) -> tuple[list[str], dict[str, list[str]]]:
    """The verdict's ranked reasons (at most :data:`MAX_REASONS`) and the details by family."""
    details = _details(c, m, q)
    rows = _rows_words(c)
    lost = [f"the synthetic table lost {col}: it is constant where the real one varies"
            for col in c.lost_columns]
    chance = [f"{col} is constant in the synthetic table, its other values so rare in the real "
              f"one that a faithful table lacks them by chance: not decidable"
              for col in c.method.get("absent_by_chance") or []]
    q = q[~_unmeasured(q)]  # named once in the details, never as NaN
    if verdict == NOT_PRESERVED:
        beyond = _ranked(q, BEYOND)
        n = len(beyond) + len(lost)
        head = [f"not preserved: {n} difference(s) beyond what the real table's own "
                f"uncertainty explains ({rows})"]
        found = lost + [_sentence(r, m, c) for _, r in beyond.iterrows()]
    elif verdict == INCONCLUSIVE:
        unclear = _ranked(q, UNCLEAR)
        families = set(unclear["family"])
        head = ["inconclusive: no difference beyond the real table's own uncertainty; "
                + (f"agreement shown within {shown['text']} — what {rows} can tell; "
                   if shown["text"] else "")
                + f"{len(unclear)} figure(s) not shown within your margins "
                  f"({_margin_words(m, families)})"]
        found = chance + [_sentence(r, m, c) + ": not decidable"
                          + (f", this table confirms {w} at best" if (w := _confirm_words(r))
                             else "") for _, r in unclear.iterrows()]
    else:
        head = [f"preserved: every judged figure shown within its margin of the real table's "
                f"figure (agreement within {shown['text']}; margins ±{m.ici_points:g} points / "
                f"±{m.effect_rel:.0%} / ±{m.independence:g})"]
        found = [line for lines in details.values() for line in lines]
    tail = [confirmable["text"]] if confirmable.get("text") and verdict != NOT_PRESERVED else []
    room = MAX_REASONS - len(head) - len(tail)
    return head + found[:room] + tail, details
