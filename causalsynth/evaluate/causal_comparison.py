"""The causal comparison: what was measured on both tables, before any judgement.

:func:`~causalsynth.evaluate.causal.measure_causal` writes a :class:`CausalComparison` (typed
frames, one row per measured quantity: its figure and standard errors on each table);
:func:`~causalsynth.evaluate.verdict.judge_causal` reads it and nothing else; a report stores
it in its ``causal`` section, so :meth:`CausalComparison.from_dict` reads it back and a saved
report is re-judged without refitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["COMPARISON_COLUMNS", "MMM_COLUMNS", "CausalComparison"]

#: measurement columns of each table of a comparison (what ``judge`` reads)
COMPARISON_COLUMNS = {
    "ici": ["node", "real_share", "real_low", "real_high", "synthetic_share", "synthetic_low",
            "synthetic_high", "se_real", "se_synthetic", "mc_se_real", "mc_se_synthetic", "df"],
    "effects": ["treatment", "outcome", "kind", "method", "real", "real_low", "real_high",
                "synthetic", "synthetic_low", "synthetic_high", "se_real", "se_synthetic", "df",
                "zero_share"],
    "independences": ["x", "y", "given", "test", "real_effect", "real_p", "synthetic_effect",
                      "synthetic_p", "real_residual_corr", "synthetic_residual_corr", "se_real",
                      "se_synthetic", "testable"],
    "ranking": ["a", "b", "real_gap", "synthetic_gap", "se_real", "se_synthetic", "df"],
    "mmm": ["channel", "quantity", "real", "real_low", "real_high", "synthetic",
            "synthetic_low", "synthetic_high", "se_real", "se_synthetic", "df", "at_bound"],
}
#: measurement columns of the marketing-mix table (time-indexed DAGs)
MMM_COLUMNS = COMPARISON_COLUMNS["mmm"]


@dataclass
class CausalComparison:
    """What was measured on both tables, before any judgement (typed frames, one row each).

    ``ici``: one row per node (shares in percent, bootstrap and Monte Carlo standard errors);
    ``effects``: one row per (treatment, kind, method); ``independences``: one row per implied
    independence; ``ranking``: one row per pair of treatments (ICI share gaps); ``mmm``
    (time-indexed DAGs): one row per (channel, quantity) of the marketing mix model, with
    ``mmm_curves`` its response curves on both tables (reported, not judged). ``df`` columns
    hold the degrees of freedom of the standard errors (bootstrap replicates - 1; inf when
    analytic). ``treatments``: the DAG's treatments (their ICI shares are decisions).
    ``n_draws``: synthetic draws of ``n_synthetic`` rows each, combined as one synthetic side
    (:mod:`causalsynth.evaluate.draws`).
    """

    target: str
    n_real: int
    n_synthetic: int
    ici: pd.DataFrame
    effects: pd.DataFrame
    independences: pd.DataFrame
    ranking: pd.DataFrame
    lost_columns: list[str] = field(default_factory=list)
    method: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    mmm: pd.DataFrame = field(default_factory=pd.DataFrame)
    mmm_curves: pd.DataFrame = field(default_factory=pd.DataFrame)
    treatments: list[str] = field(default_factory=list)
    n_draws: int = 1

    def __post_init__(self) -> None:
        for name, cols in COMPARISON_COLUMNS.items():
            frame = getattr(self, name)
            frame = pd.DataFrame(frame) if not isinstance(frame, pd.DataFrame) else frame
            missing = [c for c in cols if c not in frame.columns]
            if missing and len(frame):
                raise ValueError(f"comparison table {name!r} lacks columns {missing}")
            setattr(self, name, frame.reindex(columns=cols).reset_index(drop=True))

    @classmethod
    def from_dict(cls, causal: dict[str, Any]) -> CausalComparison:
        """The comparison stored in a report's ``causal`` section (judged columns ignored)."""
        ranking = causal.get("treatment_ranking") or {}
        mmm = causal.get("mmm") or {}
        treatments = causal.get("treatments")
        if treatments is None:  # reports written before the field: the ranked treatments
            treatments = list(dict.fromkeys(ranking.get("real") or []))
        return cls(target=causal.get("target", ""), n_real=int(causal.get("n_real", 0)),
                   n_synthetic=int(causal.get("n_synthetic", 0)),
                   ici=pd.DataFrame(causal.get("ici") or []),
                   effects=pd.DataFrame(causal.get("effects") or []),
                   independences=pd.DataFrame(causal.get("independences") or []),
                   ranking=pd.DataFrame(ranking.get("pairs") or []),
                   lost_columns=list(causal.get("lost_columns") or []),
                   method=dict(causal.get("method") or {}),
                   seconds=float(causal.get("seconds") or 0.0),
                   mmm=pd.DataFrame(mmm.get("channels") or []),
                   mmm_curves=pd.DataFrame(mmm.get("response_curves") or []),
                   treatments=list(treatments), n_draws=int(causal.get("n_draws", 1)))

