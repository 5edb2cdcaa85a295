"""The judged quantities: every figure the verdict weighs, each family declared once.

Each ICI share, treatment effect (GCM and DML), implied independence, clearly ordered pair of
treatments and marketing-mix figure (ROAS, contribution share, budget share) of a
:class:`~causalsynth.evaluate.causal_comparison.CausalComparison` becomes one row of a long
frame (:func:`quantities`): its family, whether it drives a decision, both tables' figures,
their standard errors and its margin (from :class:`~causalsynth.evaluate.margins.Margins`).
The rule (:func:`~causalsynth.evaluate.verdict.judge_causal`) reads only that frame, so a new
kind of quantity is one declaration here (:data:`FAMILIES`). Each family declares plain numpy
columns, and the long frame is built once from them (:func:`quantity_columns`: the rule reads
the same columns without a frame in between).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth.evaluate.causal_comparison import CausalComparison
from causalsynth.evaluate.margins import Margins

__all__ = ["FAMILIES", "QUANTITY_COLUMNS", "quantities", "quantity_columns", "t_quantile"]

#: columns of the long frame of judged quantities
QUANTITY_COLUMNS = ["family", "row", "subject", "kind", "decision", "judged", "real",
                    "synthetic", "se_real", "se_synthetic", "se_extra", "df", "margin", "scale",
                    "alpha_within"]
#: marketing-mix quantities: the margin each judged one is held to, and the decisions
_MMM_MARGIN = {"roas": "effect_rel", "contribution_share": "ici_points",
               "optimal_share": "budget_points"}  # mroas: reported, not judged
_MMM_DECISION = ("roas", "optimal_share")
#: a family's columns where its declaration leaves them out
_DEFAULTS = {"subject": "", "kind": "", "decision": False, "judged": True, "se_extra": 0.0,
             "df": np.inf, "scale": 1.0, "alpha_within": 1.0, "margin": np.nan}


def t_quantile(p, df) -> np.ndarray:
    """Quantile ``p`` of Student's t with ``df`` degrees of freedom (bootstrap standard errors:
    replicates - 1), the normal's where ``df`` is infinite or missing."""
    df = np.asarray(df, float)
    p = np.broadcast_to(np.asarray(p, float), df.shape)
    return np.where(np.isfinite(df) & (df > 0), stats.t.ppf(p, np.maximum(df, 1)),
                    stats.norm.ppf(p))


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    s = frame[col]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiub":  # numeric already
        return s.to_numpy(float)
    return pd.to_numeric(s, errors="coerce").to_numpy(float)


def _column(value, n: int) -> np.ndarray:
    """One declared column as an array of ``n`` (a scalar repeated); text as objects, as a
    frame holds it."""
    a = np.asarray(value) if np.ndim(value) else np.repeat(value, n)
    return a.astype(object) if a.dtype.kind == "U" else a


def _family(name: str, frame: pd.DataFrame, **cols) -> dict[str, np.ndarray]:
    n = len(frame)
    given = {"family": name, "row": np.arange(n), **_DEFAULTS, **cols}
    return {k: _column(given[k], n) for k in QUANTITY_COLUMNS}


def _ici_quantities(c: CausalComparison, m: Margins) -> dict[str, np.ndarray]:
    """Time's own row (the calendar's share, on a time DAG) is reported, not judged: it is no
    one's attribution, and a year or two of weeks pins it only to about +-10 points."""
    t = c.ici
    return _family("ici", t, subject=t["node"].to_numpy(object),
                   judged=(t["node"] != c.method.get("ici_time_row")).to_numpy(),
                   decision=t["node"].isin(c.treatments).to_numpy(),
                   real=_num(t, "real_share"), synthetic=_num(t, "synthetic_share"),
                   se_real=_num(t, "se_real"), se_synthetic=_num(t, "se_synthetic"),
                   se_extra=np.hypot(np.nan_to_num(_num(t, "mc_se_real")),
                                     np.nan_to_num(_num(t, "mc_se_synthetic"))),
                   df=_num(t, "df"), margin=m.ici_points)


def _effect_quantities(c: CausalComparison, m: Margins) -> dict[str, np.ndarray]:
    t = c.effects
    judged = ~((t["method"] == "gcm") & (t["kind"] == "per_unit")
               & (pd.to_numeric(t["zero_share"]).fillna(0) >= m.zero_inflated))
    scale = np.abs(_num(t, "real"))
    # each effect has two estimates (GCM and DML); either may show it within its margin, so
    # each equivalence test runs at alpha / 2 and the pair stays at level alpha
    return _family("effect", t, subject=t["treatment"].to_numpy(object),
                   kind=t["kind"].to_numpy(object), decision=True, judged=judged.to_numpy(),
                   real=_num(t, "real"), synthetic=_num(t, "synthetic"),
                   se_real=_num(t, "se_real"), se_synthetic=_num(t, "se_synthetic"),
                   df=_num(t, "df"), margin=m.effect_rel * scale, scale=scale,
                   alpha_within=0.5)


def _independence_quantities(c: CausalComparison, m: Margins) -> dict[str, np.ndarray]:
    t = c.independences
    return _family("independence", t, subject=(t["x"] + " ⊥ " + t["y"]).to_numpy(object),
                   judged=t["testable"].fillna(True).astype(bool).to_numpy(),
                   real=_num(t, "real_effect"), synthetic=_num(t, "synthetic_effect"),
                   se_real=_num(t, "se_real"), se_synthetic=_num(t, "se_synthetic"),
                   margin=m.independence)


def _ranking_quantities(c: CausalComparison, m: Margins) -> dict[str, np.ndarray]:
    """A pair is judged when the real table orders it clearly (at level alpha)."""
    t = c.ranking
    gap, se = _num(t, "real_gap"), _num(t, "se_real")
    clear = np.abs(gap) > t_quantile(1 - m.alpha / 2, _num(t, "df")) * se
    return _family("ranking", t, subject=(t["a"] + " vs " + t["b"]).to_numpy(object),
                   decision=True, judged=clear & m.keep_treatment_ranking, real=gap,
                   synthetic=_num(t, "synthetic_gap"), se_real=se,
                   se_synthetic=np.nan_to_num(_num(t, "se_synthetic")), df=_num(t, "df"))


def _mmm_quantities(c: CausalComparison, m: Margins) -> dict[str, np.ndarray]:
    """ROAS vs ``effect_rel`` (relative), shares vs ``ici_points``, budget vs ``budget_points``;
    marginal ROAS is reported, not judged."""
    t = c.mmm
    quantity = t["quantity"].astype(str)
    relative = quantity.isin(["roas", "mroas"]).to_numpy()
    scale = np.where(relative, np.abs(_num(t, "real")), 1.0)
    margin = np.array([getattr(m, _MMM_MARGIN.get(q, "effect_rel")) for q in quantity],
                      float) * scale
    # a budget share at the optimiser's bound is a constrained optimum: its bootstrap noise
    # is not sized reliably, so it is reported, not judged
    judged = quantity.isin(list(_MMM_MARGIN)) & ~t["at_bound"].fillna(False).astype(bool)
    return _family("mmm", t, subject=t["channel"].to_numpy(object), kind=quantity.to_numpy(),
                   decision=quantity.isin(_MMM_DECISION).to_numpy(), judged=judged.to_numpy(),
                   real=_num(t, "real"), synthetic=_num(t, "synthetic"),
                   se_real=_num(t, "se_real"), se_synthetic=_num(t, "se_synthetic"),
                   df=_num(t, "df"), margin=margin, scale=scale)


#: the families of judged quantities and the comparison table each is read from; a new kind of
#: quantity is one declaration here
FAMILIES = {"ici": ("ici", _ici_quantities), "effect": ("effects", _effect_quantities),
            "independence": ("independences", _independence_quantities),
            "ranking": ("ranking", _ranking_quantities), "mmm": ("mmm", _mmm_quantities)}


def quantity_columns(comparison: CausalComparison, margins: Margins
                     ) -> dict[str, np.ndarray] | None:
    """The long frame's columns (:data:`QUANTITY_COLUMNS`), every family's rows one after the
    other; None when the comparison has no quantity."""
    parts = [declare(comparison, margins) for table, declare in FAMILIES.values()
             if len(getattr(comparison, table))]
    if not parts:
        return None
    return {k: np.concatenate([p[k] for p in parts]) for k in QUANTITY_COLUMNS}


def quantities(comparison: CausalComparison, margins: Margins | None = None) -> pd.DataFrame:
    """Every quantity of a comparison as one long frame (unjudged): ``family``, ``row`` (in
    its comparison table), ``subject``, ``kind``, ``decision`` (drives what an analyst would
    do), ``judged``, both tables' figures, standard errors (``se_extra``: Monte Carlo error of
    the estimator, on both sides), degrees of freedom, absolute ``margin``, ``scale`` (the
    real figure for relative margins, else 1) and ``alpha_within``."""
    cols = quantity_columns(comparison, margins or Margins())
    return pd.DataFrame(columns=QUANTITY_COLUMNS) if cols is None else pd.DataFrame(cols)
