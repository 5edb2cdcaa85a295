"""The leaderboard of a comparison: its columns (declared once, for every renderer), one row
per report, and the privacy–attribution frontier, all read from report dicts (never
recomputed), so a saved comparison gives the same.

Examples
--------
>>> report = {"verdict": "preserved", "causal": {"ici": [{"diff_pp": -1.5}, {"diff_pp": 0.4}]},
...           "meta": {"guarantee": {"epsilon": 3.0, "delta": 1e-6}}}
>>> row = leaderboard_row("causal ε=3", report)
>>> row["max_ici_diff"], row["epsilon"], row["verdict"]
(1.5, 3.0, 'preserved')
>>> list(row) == LEADERBOARD_COLUMNS
True
>>> [r["epsilon"] for r in frontier_records([row, leaderboard_row("gaussian_copula", None)])]
[3.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["COLUMNS", "FRONTIER_COLUMNS", "LEADERBOARD_COLUMNS", "REFERENCE", "Column",
           "frontier_records", "leaderboard_row"]

#: the leaderboard label of the split-half reference row (real vs real, a yardstick)
REFERENCE = "split-half (real)"


@dataclass(frozen=True)
class Column:
    """One leaderboard column, declared once for the table, the HTML page and the terminal.

    Attributes
    ----------
    key : str
        The row's key (a column of :attr:`causalsynth.Comparison.leaderboard`).
    header : str or None
        The HTML page's header; None: not a column of the page's table.
    short : str or None
        The terminal's header (the table fits 80 columns); None: left out there.
    kind : str
        What the figure is, for its format: ``"name"``, ``"seconds"``, ``"share"`` (a
        fraction shown as a percentage), ``"points"`` (percentage points), ``"count"``,
        ``"epsilon"``, ``"auc"``, ``"flag"``, ``"verdict"`` or ``"text"``.
    """

    key: str
    header: str | None
    short: str | None
    kind: str


#: the leaderboard's columns, in order
COLUMNS: tuple[Column, ...] = (
    Column("synthesizer", "synthesizer", "synthesizer", "name"),
    Column("fit_s", "fit s", "fit s", "seconds"),
    Column("sample_s", "sample s", None, "seconds"),
    Column("quality", "quality", "quality", "share"),
    Column("shapes", "shapes", None, "share"),
    Column("pair_trends", "pair trends", None, "share"),
    Column("max_ici_diff", "max ICI diff (points)", "ICI Δ", "points"),
    Column("max_effect_diff", "max effect diff", "effect Δ", "share"),
    Column("independences_broken", "independences broken", "CI", "count"),
    # the discovered-structure section (informational): edges lost, gained or reoriented
    Column("structure_shd", "discovered structure: SHD", None, "count"),
    Column("epsilon", "ε (DP guarantee)", "ε", "epsilon"),
    Column("dcr_share", "DCR closer to train", "DCR", "share"),
    Column("membership_auc", "membership AUC", "MIA", "auc"),
    Column("copies_real_rows", "copies real rows", "copy", "flag"),
    Column("verdict", "verdict", "verdict", "verdict"),
    Column("error", None, None, "text"),
)
LEADERBOARD_COLUMNS = [c.key for c in COLUMNS]
#: the privacy–attribution frontier's columns (see :meth:`causalsynth.Comparison.frontier`)
FRONTIER_COLUMNS = ["synthesizer", "family", "epsilon", "max_ici_diff", "max_effect_diff",
                    "verdict"]


def _float(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def _value(section: Mapping[str, Any], name: str) -> float:
    m = (section or {}).get(name) or {}
    return _float(None if m.get("error") else m.get("value"))


def _max_abs(rows: Iterable[Mapping[str, Any]], key: str) -> float:
    vals = [abs(float(r[key])) for r in rows
            if isinstance(r.get(key), (int, float)) and math.isfinite(float(r[key]))]
    return max(vals) if vals else math.nan


def leaderboard_row(name: str, report: Mapping[str, Any] | None, fit_s: float = math.nan,
                    sample_s: float = math.nan, error: str | None = None) -> dict[str, Any]:
    """One leaderboard row from a report dict (or only the error when there is none)."""
    report = report or {}
    causal = report.get("causal") or {}
    fid, priv = report.get("fidelity") or {}, report.get("privacy") or {}
    ind = causal.get("independences")
    guarantee = (report.get("meta") or {}).get("guarantee") or {}
    return {
        "synthesizer": name, "fit_s": fit_s, "sample_s": sample_s,
        "quality": _value(fid, "quality_score"),
        "shapes": _value(fid, "column_shapes"),
        "pair_trends": _value(fid, "column_pair_trends"),
        "max_ici_diff": _max_abs([r for r in causal.get("ici") or []  # time's row: not judged
                                  if r.get("status") != "not judged"], "diff_pp"),
        "max_effect_diff": _max_abs([r for r in causal.get("effects") or []
                                     if r.get("status") != "not judged"], "rel_diff"),
        "independences_broken": (sum(r.get("status") == "beyond" for r in ind)
                                 if ind is not None else math.nan),
        "structure_shd": _float((report.get("structure") or {}).get("shd")),
        "epsilon": _float(guarantee.get("epsilon")),
        "dcr_share": _value(priv, "dcr_share_closer_to_train"),
        "membership_auc": _value(priv, "membership_inference_auc"),
        "copies_real_rows": (bool((report.get("privacy_gate") or {}).get("flagged"))
                             if report else None),
        "verdict": report.get("verdict"),
        "error": error,
    }


def frontier_records(board: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None
                     ) -> list[dict[str, Any]]:
    """The leaderboard rows with a guarantee, as frontier records (see
    :meth:`causalsynth.Comparison.frontier`); a row's family is its synthesizer's name from
    ``meta["families"]``, else its label."""
    families = (meta or {}).get("families") or {}
    rows = [{"synthesizer": r.get("synthesizer"),
             "family": families.get(r.get("synthesizer")) or r.get("synthesizer"),
             "epsilon": float(r["epsilon"]), "max_ici_diff": r.get("max_ici_diff"),
             "max_effect_diff": r.get("max_effect_diff"), "verdict": r.get("verdict")}
            for r in board if _float(r.get("epsilon")) > 0]
    return sorted(rows, key=lambda r: (str(r["family"]), r["epsilon"]))
