"""The verdict in words: at most five ranked reasons, the precision shown, the details by family.

:mod:`causalsynth.evaluate.verdict` decides; this module only writes what it decided, from the
long frame of judged quantities (read as numpy columns, and row by row as Python values where a
sentence is written). The headline answers the analyst's question first — does the
synthetic table lead to the same conclusions? — and then says what moved and by how much
against the real table's own uncertainty, or to what precision agreement was shown.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def _relative(v: float, scale: float, sign: str = "+") -> str:
    """``v`` as a share of the real figure ``scale``; where that figure is 0 (a channel whose
    fitted ROAS or effect is exactly zero) no share exists, so the absolute value is shown
    (:data:`_ABSOLUTE` says so once in the sentence)."""
    if scale > 0 and np.isfinite(scale):
        return f"{v / scale:{sign}.0%}"
    return f"{v:{sign}.3g}"


#: appended to a relative quantity's sentence whose real figure is 0
_ABSOLUTE = "; the real figure is 0, so differences are absolute"


class _Long:
    """The long frame of judged quantities as numpy columns (to select rows) and, row by row,
    as the Python values ``iterrows`` gives (what the sentences format)."""

    def __init__(self, q: pd.DataFrame) -> None:
        self._q = q
        self._col: dict[str, np.ndarray] = {}
        self._rows: dict[str, list[Any]] = {}

    def __getitem__(self, col: str) -> np.ndarray:
        if col not in self._col:
            self._col[col] = self._q[col].to_numpy()
        return self._col[col]

    def row(self, i: int) -> dict[str, Any]:
        if not self._rows:
            self._rows = {k: self[k].tolist() for k in self._q.columns}
        return {k: v[i] for k, v in self._rows.items()}


def _top(values: np.ndarray) -> float:
    """The largest figure, NaN skipped (NaN when there is none)."""
    values = values[~np.isnan(values)]
    return float(values.max()) if len(values) else np.nan


def _per_channel(t: _Long, col: str) -> dict[str, float]:
    """Per treatment, its hardest effect (per unit or +10 %), each by its better estimate."""
    eff = (t["family"] == "effect") & (t["status"] != NOT_JUDGED)
    if not eff.any():
        return {}
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = t[col][eff].astype(float) / t["scale"][eff].astype(float)
    rel[np.isinf(rel)] = np.nan
    keys = zip(t["subject"][eff].tolist(), t["kind"][eff].tolist(), strict=True)
    best: dict[tuple[Any, Any], float] = {}  # per (treatment, kind): the smaller, NaN skipped
    for key, v in zip(keys, rel.tolist(), strict=True):
        if pd.isna(key[0]) or pd.isna(key[1]):  # no treatment or kind: in no group
            continue
        if key not in best or np.isnan(best[key]) or v < best[key]:
            best[key] = v
    out: dict[str, float] = {}  # per treatment: the larger of its kinds, NaN skipped
    for (treatment, _), v in best.items():
        if treatment not in out or np.isnan(out[treatment]) or v > out[treatment]:
            out[treatment] = v
    return out


def _summary(c: CausalComparison, q: _Long, col: str) -> dict[str, Any]:
    judged = q["status"] != NOT_JUDGED
    fam = lambda name: judged & (q["family"] == name)  # noqa: E731
    values = q[col].astype(float)
    top = lambda mask: _finite(_top(values[mask])) if mask.any() else None  # noqa: E731
    effects = _per_channel(q, col)
    roas = fam("mmm") & (q["kind"] == "roas")
    out: dict[str, Any] = {
        "n_real": c.n_real, "n_synthetic": c.n_synthetic,
        **({"n_draws": c.n_draws} if c.n_draws > 1 else {}),
        "ici_points": top(fam("ici")),
        "effect_rel": _finite(max(effects.values())) if effects else None,
        "independence": top(fam("independence")),
        "effects": {t: _finite(v) for t, v in effects.items()},
    }
    if roas.any():
        out["roas"] = {s: _finite(v / sc) if sc > 0 else None for s, v, sc in
                       zip(q["subject"][roas].tolist(), q[col][roas].tolist(),
                           q["scale"][roas].tolist(), strict=True)}
        out["budget_points"] = top(fam("mmm") & (q["kind"] == "optimal_share"))
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
    out = _summary(c, _Long(q), "confirmable")
    words = _precision_words(out)
    out["text"] = (f"with {_rows_words(c)}, this table can confirm: {words} (a faithful "
                   f"synthesizer is shown within these margins in 9 of 10 draws)" if words else "")
    return out


def shown_summary(c: CausalComparison, q: pd.DataFrame) -> dict[str, Any]:
    """The precision to which this synthetic table's agreement with the real one was shown."""
    out = _summary(c, _Long(q), "shown")
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


def _cells(table: pd.DataFrame, row: int, *cols: str) -> dict[str, Any]:
    """Some cells of one row of a comparison table (a whole row is a slow Series)."""
    return {col: table[col].iat[row] for col in cols}


def _sentence(r: Mapping[str, Any], m: Margins, comparison: CausalComparison) -> str:
    """One quantity, both figures, its difference and interval against its margin."""
    fam = r["family"]
    if fam == "ici":
        return (f"ICI share of {r['subject']}: real {r['real']:.1f}% vs synthetic "
                f"{r['synthetic']:.1f}% ({r['diff']:+.1f} points, interval "
                f"[{r['diff_low']:+.1f}; {r['diff_high']:+.1f}]; margin ±{m.ici_points:g})")
    if fam == "effect":
        eff = _cells(comparison.effects, int(r["row"]), "outcome", "method")
        what = "per unit" if r["kind"] == "per_unit" else "for +10%"
        sc = r["scale"]
        head = "reversed: " if r["reversed"] else ""
        return (f"{head}effect of {r['subject']} on {eff['outcome']} {what} ({eff['method']}): "
                f"real {_fmt(r['real'])} vs synthetic {_fmt(r['synthetic'])} "
                f"({_relative(r['diff'], sc)}, interval [{_relative(r['diff_low'], sc)}; "
                f"{_relative(r['diff_high'], sc)}]; margin ±{m.effect_rel:.0%}"
                f"{'' if sc > 0 else _ABSOLUTE})")
    if fam == "independence":
        ind = _cells(comparison.independences, int(r["row"]), "given")
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
    show = (lambda v: _relative(v, sc)) if rel else (lambda v: f"{v:+.1f} points")
    margin = f"±{m.effect_rel:.0%}" if rel else f"±{r['margin']:g} points"
    head = "reversed: " if r["reversed"] else ""
    return (f"{head}{_MMM_LABEL.get(r['kind'], r['kind'])} of {r['subject']}: real "
            f"{_fmt(r['real'])} vs synthetic {_fmt(r['synthetic'])} ({show(r['diff'])}, "
            f"interval [{show(r['diff_low'])}; {show(r['diff_high'])}]; margin {margin}"
            f"{_ABSOLUTE if rel and not sc > 0 else ''})")


def _confirm_words(r: Mapping[str, Any]) -> str:
    if not np.isfinite(r["confirmable"]):
        return ""
    if r["family"] == "effect" or r["kind"] in ("roas", "mroas"):
        return "±" + _relative(r["confirmable"], r["scale"], sign="")
    if r["family"] == "independence":
        return f"±{r['confirmable']:.3f}"
    return f"±{r['confirmable']:.1f} points"


def _ranked(q: _Long, rows: np.ndarray, status: str) -> list[dict[str, Any]]:
    """Quantities of one status among ``rows``, most important first: reversals, then
    decisions, then the furthest from their margin (ties in frame order)."""
    rows = rows[q["status"][rows] == status]
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.abs(q["diff"][rows]) if status == BEYOND else q["shown"][rows]
        ratio = top.astype(float) / q["margin"][rows].astype(float)
    keys = list(zip(q["reversed"][rows].tolist(), q["decision"][rows].tolist(),
                    np.where(np.isnan(ratio), np.inf, ratio).tolist(), strict=True))
    order = sorted(range(len(rows)), key=keys.__getitem__, reverse=True)  # stable
    return [q.row(rows[j]) for j in order]


def _unmeasured(q: _Long) -> np.ndarray:
    """Judged quantities with no figure on one of the tables (a table the comparison could
    not fit, e.g. a synthetic table that lacks a rare label): named once, never as NaN."""
    return (q["status"] != NOT_JUDGED) & ~(np.isfinite(q["real"].astype(float))
                                           & np.isfinite(q["synthetic"].astype(float)))


def _unmeasured_words(c: CausalComparison, n: int, title: str) -> str:
    missing = [*c.lost_columns, *(c.method.get("absent_by_chance") or [])]
    why = (f": the synthetic table lacks {', '.join(missing)}, so its model could not be "
           f"fitted" if missing else "")
    return f"{n} {title} not measured on both tables{why} (not decidable)"


def _details(c: CausalComparison, m: Margins, q: _Long) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    unmeasured = _unmeasured(q)
    for fam, title in _FAMILY_TITLE.items():
        in_family = q["family"] == fam
        if (unmeasured & in_family).any():
            out[title] = [_unmeasured_words(c, int((unmeasured & in_family).sum()), title)]
        part = np.flatnonzero(in_family & ~unmeasured)
        if not len(part):
            continue
        lines = [_sentence(r, m, c) + ": shown beyond its margin"
                 for r in _ranked(q, part, BEYOND)]
        for r in _ranked(q, part, UNCLEAR):
            confirm = _confirm_words(r)
            lines.append(_sentence(r, m, c) + ": not decidable"
                         + (f", this table confirms {confirm}" if confirm else ""))
        status = q["status"][part]
        n_in = int((status == WITHIN).sum() + (status == COVERED).sum())
        if n_in:
            lines.append(f"{n_in} of {len(part)} {title} shown within their margins")
        if (status == NOT_JUDGED).any():
            lines.append(_not_judged(fam, int((status == NOT_JUDGED).sum()), c))
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
    t = _Long(q)
    details = _details(c, m, t)
    rows = _rows_words(c)
    lost = [f"the synthetic table lost {col}: it is constant where the real one varies"
            for col in c.lost_columns]
    chance = [f"{col} is constant in the synthetic table, its other values so rare in the real "
              f"one that a faithful table lacks them by chance: not decidable"
              for col in c.method.get("absent_by_chance") or []]
    measured = np.flatnonzero(~_unmeasured(t))  # the rest named once in the details
    if verdict == NOT_PRESERVED:
        beyond = _ranked(t, measured, BEYOND)
        n = len(beyond) + len(lost)
        head = [f"not preserved: {n} difference(s) beyond what the real table's own "
                f"uncertainty explains ({rows})"]
        found = lost + [_sentence(r, m, c) for r in beyond]
    elif verdict == INCONCLUSIVE:
        unclear = _ranked(t, measured, UNCLEAR)
        families = {r["family"] for r in unclear}
        head = ["inconclusive: no difference beyond the real table's own uncertainty; "
                + (f"agreement shown within {shown['text']} — what {rows} can tell; "
                   if shown["text"] else "")
                + f"{len(unclear)} figure(s) not shown within your margins "
                  f"({_margin_words(m, families)})"]
        found = chance + [_sentence(r, m, c) + ": not decidable"
                          + (f", this table confirms {w} at best" if (w := _confirm_words(r))
                             else "") for r in unclear]
    else:
        head = [f"preserved: every judged figure shown within its margin of the real table's "
                f"figure (agreement within {shown['text']}; margins ±{m.ici_points:g} points / "
                f"±{m.effect_rel:.0%} / ±{m.independence:g})"]
        found = [line for lines in details.values() for line in lines]
    tail = [confirmable["text"]] if confirmable.get("text") and verdict != NOT_PRESERVED else []
    room = MAX_REASONS - len(head) - len(tail)
    return head + found[:room] + tail, details
