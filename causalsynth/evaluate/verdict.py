"""The verdict: one rule turns a causal comparison into preserved, not preserved or inconclusive.

Every judged quantity — each ICI share, each treatment effect (GCM and DML), each implied
independence, each clearly ordered pair of treatments, each ROAS, contribution and budget
share of a marketing mix — is declared once, as a row of one long frame
(:func:`quantities`): its family, whether it drives a decision, both tables' figures, their
standard errors and its margin. The rule then reads only that frame.

The question is the analyst's: *would the synthetic table lead to the same conclusions as the
real one?* It is answered by the difference ``d`` (synthetic minus real) of each quantity:

* **not preserved** — a difference beyond what the real table's own uncertainty explains: ``|d|``
  beyond its margin *and* significant with the sampling noise of **both** tables
  (``se_real`` and ``se_synthetic``, bootstrap standard deviations at each table's own size).
  Under that null both tables are samples of one population, so the synthetic side's standard
  error scaled to the real size (``se_synthetic * sqrt(n_synthetic * draws / n_real)``) is a
  second estimate of the real side's, and the larger of the two is used: at 200 rows a
  bootstrap can understate a rare outcome's spread (on ``ad_funnel`` the exposure effect's
  bootstrap se was 1.0-2.5 where the estimates scatter by 2.2, smallest where the estimate is
  lowest), and a far more precise synthetic side no longer shares that noise.
  The level ``alpha`` is split between two families, each Bonferroni within itself: the
  **decisions** (treatment effects, ROAS and budget shares, the treatments' ICI shares, the
  ranking of treatments) get ``0.4 alpha`` over their few members (``alpha / 10`` goes to
  reversals, below), the rest (other nodes' ICI, independences, contribution shares)
  ``alpha / 2`` over theirs. A perfect synthesizer (a
  fresh draw of the same population) is thus called "not preserved" at most ``alpha`` of the
  time at any size, and a reversed decision is not drowned in dozens of independences.
* **a reversal** — an effect or ROAS that both tables are sure of, with opposite signs
  (each beyond ``c`` of its own standard errors): "not preserved" whatever the rest says, and
  first among the reasons. ``c`` is set per quantity so that a faithful synthesizer shows a
  reversal with probability at most ``alpha / 10 / k`` (``k`` effects and ROAS) whatever the
  true value: both tables would have to err, in opposite directions, so the worst case is
  ``max_theta Phi(theta / se_real - c) * Phi(-theta / se_synthetic - c)`` in each direction.
  For two tables of like noise this is ``2 Phi(-c)^2``: ``c`` = 2.33 for 25 effects, where
  the rule before asked each table to be sure at the decisions' Bonferroni z (3.1 - 3.4). A
  synthetic side far more precise than the real one gains less (the real table alone must
  then be sure). Reversals take ``alpha / 10`` from the decision family, which keeps
  ``0.4 alpha``.
* **preserved** — every judged quantity *shown within* its margin of the real table's figure:
  ``|d| + t_(1-alpha) * se_within <= margin``, where ``se_within`` is the noise of the
  synthetic side (its bootstrap at its own size, plus Monte Carlo error). The real table is the
  reference the analyst's conclusions come from, so it is held as given: a synthetic table
  that reproduces its figures leads to the same conclusions, and a synthetic table drawn
  larger shows that more precisely (Schuirmann's two one-sided tests conditional on the real
  table; the intersection-union principle makes the whole family hold at level ``alpha``).
* otherwise **inconclusive**, with the precision to which agreement *was* shown
  (``|d| + t * se_within`` per quantity, the "shown" column) beside the user's margins.

Each quantity also states what this real table can **confirm**: the margin a faithful
synthesizer (one whose table is another sample of the real table's population, at this
synthetic size) is shown within in 90 % of draws, ``t * se_within + z_0.95 * se_diff``.
Where the user's margins exceed it, a faithful synthesizer is "preserved" 9 times in 10 or
more. (The rule before this one stated ``t * sqrt(2) * se_real``, the margin such a synthesizer
reaches only when its difference is exactly zero: at the margins it stated, the verdict was a
coin flip.)

Standard errors from ``B`` bootstrap replicates use Student's t with ``B - 1`` degrees of
freedom. A synthetic column that is constant where the real one varies is a lost variable:
``not preserved``, whatever else holds (a rare label that chance explains: inconclusive).

The verdict is decided here and only here; ``judge`` works from the stored comparison, so a
saved report can be re-judged with other margins without refitting anything. The sentences
are written by :mod:`causalsynth.evaluate.verdict_words`.

References
----------
Schuirmann. "A comparison of the two one-sided tests procedure and the power approach for
assessing the equivalence of average bioavailability." J. Pharmacokinet. Biopharm. 15, 1987.
Berger, Hsu. "Bioequivalence trials, intersection-union tests and equivalence confidence sets."
Statistical Science 11(4), 1996.
Karr, Kohnen, Oganian, Reiter, Sanil. "A framework for evaluating the utility of data altered
to protect confidentiality." The American Statistician 60(3), 2006.
Snoke, Raab, Nowok, Dibben, Slavkovic. "General and specific utility measures for synthetic
data." JRSS A 181(3), 2018.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth._params import BOOLEAN, Interval, check_params

__all__ = ["INCONCLUSIVE", "MMM_COLUMNS", "NOT_PRESERVED", "PRESERVED", "VERDICTS",
           "CausalComparison", "Margins", "Verdict", "judge_causal", "quantities"]

PRESERVED, NOT_PRESERVED, INCONCLUSIVE = "preserved", "not preserved", "inconclusive"
VERDICTS = (PRESERVED, NOT_PRESERVED, INCONCLUSIVE)

#: per-quantity statuses; COVERED: an effect estimate left undecided while the other method's
#: estimate of the same effect is shown within its margin (it can veto "preserved", not block it)
WITHIN, BEYOND, UNCLEAR, NOT_JUDGED = "within", "beyond", "unclear", "not judged"
COVERED = "covered"
#: probability with which a faithful synthesizer is shown within its confirmable margin
CONFIRM_PROBABILITY = 0.90
_Z_CONFIRM = float(stats.norm.ppf((1 + CONFIRM_PROBABILITY) / 2))  # |d| below it: 90 %


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

    def __post_init__(self):
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


#: measurement columns of each table of a comparison (what ``judge`` reads)
_COLUMNS = {
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
MMM_COLUMNS = _COLUMNS["mmm"]
_MMM_MARGIN = {"roas": "effect_rel", "contribution_share": "ici_points",
               "optimal_share": "budget_points"}  # mroas: reported, not judged
_MMM_DECISION = ("roas", "optimal_share")


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

    def __post_init__(self):
        for name, cols in _COLUMNS.items():
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


@dataclass
class Verdict:
    """The judgement of a comparison: the verdict, its ranked reasons, every judged quantity.

    ``reasons``: the decision's reasons, at most five, most important first; ``details``: one
    sentence per undecided or failed quantity, by family; ``quantities``: the long frame of
    every quantity with its status (see :func:`quantities`); the per-table frames (``ici``,
    ``effects``, ...) carry the same statuses beside their measurements.
    """

    verdict: str
    reasons: list[str]
    margins: Margins
    ici: pd.DataFrame
    effects: pd.DataFrame
    independences: pd.DataFrame
    ranking: pd.DataFrame
    confirmable: dict[str, Any]
    n_judged: int
    mmm: pd.DataFrame = field(default_factory=pd.DataFrame)
    quantities: pd.DataFrame = field(default_factory=pd.DataFrame)
    details: dict[str, list[str]] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# The quantities, each family declared once
# ---------------------------------------------------------------------------------------
#: columns of the long frame of judged quantities
QUANTITY_COLUMNS = ["family", "row", "subject", "kind", "decision", "judged", "real",
                    "synthetic", "se_real", "se_synthetic", "se_extra", "df", "margin", "scale",
                    "alpha_within"]
#: the level share of reversals (taken from the decision family's half)
REVERSAL_SHARE = 0.1


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(float)


def _family(name: str, frame: pd.DataFrame, **cols) -> pd.DataFrame:
    n = len(frame)
    base = {"family": name, "row": np.arange(n), "subject": "", "kind": "", "decision": False,
            "judged": True, "se_extra": 0.0, "df": np.inf, "scale": 1.0, "alpha_within": 1.0,
            "margin": np.nan}
    out = pd.DataFrame({k: (v if np.ndim(v) else np.repeat(v, n)) for k, v in
                        {**base, **cols}.items()}, index=range(n))
    return out.reindex(columns=QUANTITY_COLUMNS)


def _ici_quantities(c: CausalComparison, m: Margins) -> pd.DataFrame:
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


def _effect_quantities(c: CausalComparison, m: Margins) -> pd.DataFrame:
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


def _independence_quantities(c: CausalComparison, m: Margins) -> pd.DataFrame:
    t = c.independences
    return _family("independence", t, subject=(t["x"] + " ⊥ " + t["y"]).to_numpy(object),
                   judged=t["testable"].fillna(True).astype(bool).to_numpy(),
                   real=_num(t, "real_effect"), synthetic=_num(t, "synthetic_effect"),
                   se_real=_num(t, "se_real"), se_synthetic=_num(t, "se_synthetic"),
                   margin=m.independence)


def _ranking_quantities(c: CausalComparison, m: Margins) -> pd.DataFrame:
    """A pair is judged when the real table orders it clearly (at level alpha)."""
    t = c.ranking
    gap, se = _num(t, "real_gap"), _num(t, "se_real")
    clear = np.abs(gap) > _quantile(1 - m.alpha / 2, _num(t, "df")) * se
    return _family("ranking", t, subject=(t["a"] + " vs " + t["b"]).to_numpy(object),
                   decision=True, judged=clear & m.keep_treatment_ranking, real=gap,
                   synthetic=_num(t, "synthetic_gap"), se_real=se,
                   se_synthetic=np.nan_to_num(_num(t, "se_synthetic")), df=_num(t, "df"))


def _mmm_quantities(c: CausalComparison, m: Margins) -> pd.DataFrame:
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


def quantities(comparison: CausalComparison, margins: Margins | None = None) -> pd.DataFrame:
    """Every quantity of a comparison as one long frame (unjudged): ``family``, ``row`` (in
    its comparison table), ``subject``, ``kind``, ``decision`` (drives what an analyst would
    do), ``judged``, both tables' figures, standard errors (``se_extra``: Monte Carlo error of
    the estimator, on both sides), degrees of freedom, absolute ``margin``, ``scale`` (the
    real figure for relative margins, else 1) and ``alpha_within``."""
    m = margins or Margins()
    parts = [declare(comparison, m) for table, declare in FAMILIES.values()
             if len(getattr(comparison, table))]
    if not parts:
        return pd.DataFrame(columns=QUANTITY_COLUMNS)
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------
# The rule
# ---------------------------------------------------------------------------------------
def _quantile(p, df) -> np.ndarray:
    df = np.asarray(df, float)
    p = np.broadcast_to(np.asarray(p, float), df.shape)
    return np.where(np.isfinite(df) & (df > 0), stats.t.ppf(p, np.maximum(df, 1)),
                    stats.norm.ppf(p))


def _levels(q: pd.DataFrame, alpha: float) -> np.ndarray:
    """Per quantity, the two-sided level of its 'significant' test: ``alpha`` split between
    the decision family and the rest (all of it to one family when the other is empty), then
    Bonferroni within each."""
    judged = q["judged"].to_numpy(bool)
    decision = q["decision"].to_numpy(bool)
    k_d, k_s = int((judged & decision).sum()), int((judged & ~decision).sum())
    share_d = 0.5 if k_d and k_s else 1.0
    kept = 1 - REVERSAL_SHARE / share_d if k_d else 1.0  # reversals' share of the decisions
    return np.where(decision, alpha * share_d * kept / max(k_d, 1),
                    alpha * (1 - share_d if k_d else 1.0) / max(k_s, 1))


def _reversal_threshold(ratio: np.ndarray, level: float) -> np.ndarray:
    """Per quantity, the z both tables must pass, with opposite signs, for a reversal: the
    smallest ``c`` with ``max_u Phi(u - c) * Phi(-ratio * u - c) <= level / 2`` (either
    direction), so that a faithful synthesizer shows one with probability at most ``level``
    whatever the true value (``u``:
    the true value in real standard errors; ``ratio = se_real / se_synthetic``). Tables of
    like noise need ``Phi(-c) <= sqrt(level / 2)``; a far more precise synthetic side leaves
    the whole burden on the real table (``Phi(-c) <= level / 2``, Bonferroni)."""
    ratio = np.asarray(ratio, float)[:, None]
    u = np.linspace(-12.0, 12.0, 2401)[None, :]
    lo, hi = np.zeros(ratio.shape), np.full(ratio.shape, 10.0)
    for _ in range(40):  # bisection on c; the worst case falls as c grows
        c = (lo + hi) / 2
        worst = np.max(stats.norm.logcdf(u - c) + stats.norm.logcdf(-ratio * u - c), axis=1,
                       keepdims=True)
        high_enough = worst <= np.log(level / 2)
        hi, lo = np.where(high_enough, c, hi), np.where(high_enough, lo, c)
    return hi[:, 0]


def _reversals(q: pd.DataFrame, real: np.ndarray, syn: np.ndarray, se_r: np.ndarray,
               se_s: np.ndarray, alpha: float) -> np.ndarray:
    """Effects and ROAS both tables are sure of, with opposite signs (see the module
    docstring)."""
    signed = (q["family"].isin(["effect"]) | (q["kind"] == "roas")).to_numpy() \
        & q["judged"].to_numpy(bool)
    idx = np.flatnonzero(signed & (np.sign(real) * np.sign(syn) < 0) & (se_s > 0) & (se_r > 0))
    out = np.zeros(len(q), bool)
    if not len(idx):
        return out
    c = _reversal_threshold(se_r[idx] / se_s[idx], alpha * REVERSAL_SHARE / signed.sum())
    # bootstrap standard errors: the same tail probability under Student's t
    c = _quantile(stats.norm.cdf(c), q["df"].to_numpy(float)[idx])
    out[idx] = (np.abs(real[idx]) > c * se_r[idx]) & (np.abs(syn[idx]) > c * se_s[idx])
    return out


def _rule(q: pd.DataFrame, m: Margins, size_ratio: float = 1.0) -> pd.DataFrame:
    """Statuses, intervals and precisions of the long frame (see the module docstring).

    ``size_ratio``: synthetic rows over real rows, all draws counted; it scales the synthetic
    side's standard error to the real table's size for the pooled floor of ``se_diff``."""
    out = q.copy()
    real, syn = out["real"].to_numpy(float), out["synthetic"].to_numpy(float)
    se_r = np.nan_to_num(out["se_real"].to_numpy(float))
    se_s = np.nan_to_num(out["se_synthetic"].to_numpy(float))
    extra = np.nan_to_num(out["se_extra"].to_numpy(float))
    df, margin = out["df"].to_numpy(float), out["margin"].to_numpy(float)
    diff = syn - real
    # under the null both tables are samples of one population, so the synthetic side's
    # standard error at the real size is a second estimate of the real side's: a floor for
    # it where a small table's bootstrap understates its own spread
    ratio = size_ratio if np.isfinite(size_ratio) and size_ratio > 0 else 1.0
    se_r_pooled = np.maximum(se_r, se_s * np.sqrt(ratio))
    se_diff = np.sqrt(se_r_pooled ** 2 + se_s ** 2 + extra ** 2)
    se_within = np.sqrt(se_s ** 2 + extra ** 2)
    level = _levels(out, m.alpha)
    q_two = _quantile(1 - level / 2, df)
    q_one = _quantile(1 - m.alpha * out["alpha_within"].to_numpy(float), df)
    shown = np.abs(diff) + q_one * se_within
    beyond = (np.abs(diff) > margin) & (np.abs(diff) > q_two * se_diff)
    reversed_ = _reversals(out, real, syn, se_r_pooled, se_s, m.alpha)
    status = np.where(beyond | reversed_, BEYOND,
                      np.where(shown <= margin, WITHIN, UNCLEAR)).astype(object)
    # the ranking of treatments: a pair is reversed when both tables order it clearly
    rank = (out["family"] == "ranking").to_numpy()
    flipped = np.sign(real) != np.sign(syn)
    sure = (np.abs(real) > q_two * se_r_pooled) & (np.abs(syn) > q_two * se_s)
    status[rank] = np.where(sure & flipped, BEYOND, np.where(flipped, UNCLEAR, WITHIN))[rank]
    reversed_ |= rank & sure & flipped
    status[~np.isfinite(diff) | ~np.isfinite(se_diff)] = UNCLEAR
    status[~out["judged"].to_numpy(bool)] = NOT_JUDGED
    out["diff"], out["se_diff"], out["se_within"] = diff, se_diff, se_within
    out["diff_low"], out["diff_high"] = diff - q_two * se_diff, diff + q_two * se_diff
    out["shown"] = shown
    out["confirmable"] = q_one * se_within + _Z_CONFIRM * se_diff
    out["reversed"] = reversed_
    out["status"] = status
    out.loc[rank, ["shown", "confirmable"]] = np.nan
    return _covered(out)


def _covered(q: pd.DataFrame) -> pd.DataFrame:
    """Undecided effect estimates whose sibling (the other method's estimate of the same
    treatment and kind) is shown within its margin.

    The GCM effect (the fitted model ICI also comes from) and the model-light DML effect are
    two estimates of one effect, and either can be the noisier one. Each equivalence test runs
    at alpha / 2, so "shown within" by either keeps the effect at level alpha; an estimate
    shown beyond its margin still makes the verdict "not preserved".
    """
    eff = q["family"] == "effect"
    within = set(map(tuple, q.loc[eff & (q["status"] == WITHIN), ["subject", "kind"]].values))
    covered = eff & (q["status"] == UNCLEAR) & pd.Series(
        [(s, k) in within for s, k in zip(q["subject"], q["kind"], strict=True)], index=q.index)
    q.loc[covered, "status"] = COVERED
    return q


def judge_causal(comparison: CausalComparison, margins: Margins | None = None) -> Verdict:
    """Decide the verdict of a comparison under ``margins`` (see the module docstring)."""
    from causalsynth.evaluate.verdict_words import confirmable_summary, reasons, shown_summary

    m = margins or Margins()
    c = comparison
    ratio = c.n_synthetic * c.n_draws / c.n_real if c.n_real > 0 else 1.0
    q = _rule(quantities(c, m), m, size_ratio=ratio)
    statuses = q["status"].astype(str).to_numpy()
    if c.lost_columns or (statuses == BEYOND).any():
        verdict = NOT_PRESERVED
    elif np.isin(statuses, [WITHIN, NOT_JUDGED, COVERED]).all():
        verdict = PRESERVED
    else:
        verdict = INCONCLUSIVE
    tables = {family: _back(getattr(c, table), q[q["family"] == family])
              for family, (table, _) in FAMILIES.items()}
    confirmable = confirmable_summary(c, q)
    shown = shown_summary(c, q)
    headline, details = reasons(verdict, c, m, q, confirmable, shown)
    return Verdict(verdict=verdict, reasons=headline, margins=m, ici=tables["ici"],
                   effects=tables["effect"], independences=tables["independence"],
                   ranking=tables["ranking"], confirmable=confirmable,
                   n_judged=int((statuses != NOT_JUDGED).sum()), mmm=tables["mmm"],
                   quantities=q, details=details, shown=shown)


def _back(table: pd.DataFrame, q: pd.DataFrame) -> pd.DataFrame:
    """A comparison table with its quantities' judged columns beside its measurements."""
    out = table.copy()
    q = q.sort_values("row")
    for col in ("diff", "se_diff", "diff_low", "diff_high", "margin", "status", "shown",
                "confirmable", "decision", "reversed"):
        out[col] = q[col].to_numpy() if len(q) else pd.Series(dtype=object)
    if "kind" in out.columns and "treatment" in out.columns:  # effects: relative columns too
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = q["scale"].to_numpy(float) if len(q) else np.array([])
            for col in ("diff", "diff_low", "diff_high", "shown", "confirmable"):
                name = col.replace("diff", "rel_diff") if "diff" in col else f"{col}_rel"
                out[name] = out[col].to_numpy(float) / scale
    if "quantity" in out.columns and len(q):  # mmm: ROAS precision relative to the real ROAS
        scale = q["scale"].to_numpy(float)
        out["confirmable"] = out["confirmable"].to_numpy(float) / scale
        out["shown"] = out["shown"].to_numpy(float) / scale
    return out
