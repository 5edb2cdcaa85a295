"""Margins: how far each judged figure of the synthetic table may drift from the real one.

The user's side of the verdict (:func:`~causalsynth.evaluate.verdict.judge_causal`): one
margin per family of judged quantities (:mod:`causalsynth.evaluate.quantities` reads each
quantity's margin from here), the error rate of the rule, and which figures are reported but
not judged. A saved report stores them (``report.causal.margins``), so ``judge`` can re-decide
it under other margins.

>>> Margins(ici_points=10).ici_points, Margins.from_dict({"alpha": 0.1}).alpha
(10, 0.1)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from causalsynth._params import BOOLEAN, Interval, check_params

__all__ = ["Margins"]


@dataclass(frozen=True)
class Margins:
    """How far the synthetic table may drift before attribution is 'not preserved'.

    Parameters
    ----------
    ici_points : float
        Largest tolerated difference of an ICI share, in percentage points.
    effect_rel : float
        Largest tolerated difference of a treatment effect, relative to the real effect.
    independence : float
        Largest tolerated difference of an implied independence's effect size (residual
        correlation weighted by unexplained variance).
    keep_treatment_ranking : bool
        A pair of treatments clearly ordered by ICI on both tables, in opposite orders, is a
        failure.
    alpha : float
        Error rate of the rule: a perfect synthesizer is called "not preserved" at most this
        often, and "preserved" is shown at this level.
    zero_inflated : float
        Treatments with at least this share of exact zeros: their per-unit GCM slope (an
        extrapolation to the unobserved gap above zero) is reported but not judged.
    budget_points : float
        Time-indexed DAGs: largest tolerated difference of a channel's share of the optimal
        budget split, in percentage points (ROAS is held to ``effect_rel``, contribution
        shares to ``ici_points``).
    """

    ici_points: float = 5.0
    effect_rel: float = 0.10
    independence: float = 0.05
    keep_treatment_ranking: bool = True
    alpha: float = 0.05
    zero_inflated: float = 0.05
    budget_points: float = 10.0

    def __post_init__(self) -> None:
        positive = [Interval(float, 0, None, closed="neither")]
        check_params("Margins", {
            "ici_points": positive, "effect_rel": positive, "independence": positive,
            "budget_points": positive, "keep_treatment_ranking": [BOOLEAN],
            "alpha": [Interval(float, 0, 0.5, closed="neither")],
            "zero_inflated": [Interval(float, 0, 1, closed="right")],
        }, {f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Margins:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in known})

