"""The verdict: one rule turns a causal comparison into preserved, not preserved or inconclusive.

Every judged quantity — each ICI share, each treatment effect (GCM and DML), each implied
independence, each clearly ordered pair of treatments, each ROAS, contribution and budget
share of a marketing mix — is declared once, as a row of one long frame
(:func:`~causalsynth.evaluate.quantities.quantities`): its family, whether it drives a
decision, both tables' figures, their standard errors and its margin. The rule, here, then
reads only that frame.

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

The verdict is decided here and only here; ``judge`` works from the stored comparison
(:mod:`causalsynth.evaluate.causal_comparison`), so a saved report can be re-judged with
other margins (:mod:`causalsynth.evaluate.margins`) without refitting anything. The sentences
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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth.evaluate.causal_comparison import MMM_COLUMNS, CausalComparison
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.quantities import (
    FAMILIES,
    quantities,
    quantity_columns,
    t_quantile,
)

#: the rule's own names, and (re-exported) the comparison it reads, the margins and the
#: quantities, where code written before they had modules of their own imports them
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
#: the level share of reversals (taken from the decision family's half)
REVERSAL_SHARE = 0.1


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
# The rule
# ---------------------------------------------------------------------------------------
def _levels(judged: np.ndarray, decision: np.ndarray, alpha: float) -> np.ndarray:
    """Per quantity, the two-sided level of its 'significant' test: ``alpha`` split between
    the decision family and the rest (all of it to one family when the other is empty), then
    Bonferroni within each."""
    judged, decision = judged.astype(bool), decision.astype(bool)
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


def _reversals(q: dict[str, np.ndarray], real: np.ndarray, syn: np.ndarray,
               se_r: np.ndarray, se_s: np.ndarray, alpha: float) -> np.ndarray:
    """Effects and ROAS both tables are sure of, with opposite signs (see the module
    docstring)."""
    signed = ((q["family"] == "effect") | (q["kind"] == "roas")) & q["judged"].astype(bool)
    idx = np.flatnonzero(signed & (np.sign(real) * np.sign(syn) < 0) & (se_s > 0) & (se_r > 0))
    out = np.zeros(len(real), bool)
    if not len(idx):
        return out
    c = _reversal_threshold(se_r[idx] / se_s[idx], alpha * REVERSAL_SHARE / signed.sum())
    # bootstrap standard errors: the same tail probability under Student's t
    c = t_quantile(stats.norm.cdf(c), q["df"].astype(float)[idx])
    out[idx] = (np.abs(real[idx]) > c * se_r[idx]) & (np.abs(syn[idx]) > c * se_s[idx])
    return out


def _rule(q: dict[str, np.ndarray], m: Margins, size_ratio: float = 1.0
          ) -> dict[str, np.ndarray]:
    """Statuses, intervals and precisions of the long frame's columns ``q``: the columns the
    rule adds, in the frame's order (see the module docstring).

    ``size_ratio``: synthetic rows over real rows, all draws counted; it scales the synthetic
    side's standard error to the real table's size for the pooled floor of ``se_diff``."""
    real, syn = q["real"].astype(float), q["synthetic"].astype(float)
    se_r = np.nan_to_num(q["se_real"].astype(float))
    se_s = np.nan_to_num(q["se_synthetic"].astype(float))
    extra = np.nan_to_num(q["se_extra"].astype(float))
    df, margin = q["df"].astype(float), q["margin"].astype(float)
    diff = syn - real
    # under the null both tables are samples of one population, so the synthetic side's
    # standard error at the real size is a second estimate of the real side's: a floor for
    # it where a small table's bootstrap understates its own spread
    ratio = size_ratio if np.isfinite(size_ratio) and size_ratio > 0 else 1.0
    se_r_pooled = np.maximum(se_r, se_s * np.sqrt(ratio))
    se_diff = np.sqrt(se_r_pooled ** 2 + se_s ** 2 + extra ** 2)
    se_within = np.sqrt(se_s ** 2 + extra ** 2)
    level = _levels(q["judged"], q["decision"], m.alpha)
    q_two = t_quantile(1 - level / 2, df)
    q_one = t_quantile(1 - m.alpha * q["alpha_within"].astype(float), df)
    shown = np.abs(diff) + q_one * se_within
    beyond = (np.abs(diff) > margin) & (np.abs(diff) > q_two * se_diff)
    reversed_ = _reversals(q, real, syn, se_r_pooled, se_s, m.alpha)
    status = np.where(beyond | reversed_, BEYOND,
                      np.where(shown <= margin, WITHIN, UNCLEAR)).astype(object)
    # the ranking of treatments: a pair is reversed when both tables order it clearly
    rank = q["family"] == "ranking"
    flipped = np.sign(real) != np.sign(syn)
    sure = (np.abs(real) > q_two * se_r_pooled) & (np.abs(syn) > q_two * se_s)
    status[rank] = np.where(sure & flipped, BEYOND, np.where(flipped, UNCLEAR, WITHIN))[rank]
    reversed_ |= rank & sure & flipped
    status[~np.isfinite(diff) | ~np.isfinite(se_diff)] = UNCLEAR
    status[~q["judged"].astype(bool)] = NOT_JUDGED
    confirmable = q_one * se_within + _Z_CONFIRM * se_diff
    shown[rank], confirmable[rank] = np.nan, np.nan
    _covered(q, status)
    return {"diff": diff, "se_diff": se_diff, "se_within": se_within,
            "diff_low": diff - q_two * se_diff, "diff_high": diff + q_two * se_diff,
            "shown": shown, "confirmable": confirmable, "reversed": reversed_,
            "status": status}


def _covered(q: dict[str, np.ndarray], status: np.ndarray) -> None:
    """Undecided effect estimates whose sibling (the other method's estimate of the same
    treatment and kind) is shown within its margin: their ``status`` becomes covered.

    The GCM effect (the fitted model ICI also comes from) and the model-light DML effect are
    two estimates of one effect, and either can be the noisier one. Each equivalence test runs
    at alpha / 2, so "shown within" by either keeps the effect at level alpha; an estimate
    shown beyond its margin still makes the verdict "not preserved".
    """
    eff = q["family"] == "effect"
    pairs = list(zip(q["subject"], q["kind"], strict=True))
    within = {pairs[i] for i in np.flatnonzero(eff & (status == WITHIN))}
    for i in np.flatnonzero(eff & (status == UNCLEAR)):
        if pairs[i] in within:
            status[i] = COVERED


def judge_causal(comparison: CausalComparison, margins: Margins | None = None) -> Verdict:
    """Decide the verdict of a comparison under ``margins`` (see the module docstring)."""
    from causalsynth.evaluate.verdict_words import confirmable_summary, reasons, shown_summary

    m = margins or Margins()
    c = comparison
    ratio = c.n_synthetic * c.n_draws / c.n_real if c.n_real > 0 else 1.0
    cols = quantity_columns(c, m)
    index = None
    if cols is None:  # no quantity: the empty long frame's (object) columns
        empty = quantities(c, m)
        cols, index = {k: empty[k].to_numpy() for k in empty.columns}, empty.index
    cols = {**cols, **_rule(cols, m, size_ratio=ratio)}
    q = pd.DataFrame(cols, index=index)
    statuses = cols["status"].astype(str)
    if c.lost_columns or (statuses == BEYOND).any():
        verdict = NOT_PRESERVED
    elif np.isin(statuses, [WITHIN, NOT_JUDGED, COVERED]).all():
        verdict = PRESERVED
    else:
        verdict = INCONCLUSIVE
    tables = {family: _back(getattr(c, table), cols, cols["family"] == family)
              for family, (table, _) in FAMILIES.items()}
    confirmable = confirmable_summary(c, q)
    shown = shown_summary(c, q)
    headline, details = reasons(verdict, c, m, q, confirmable, shown)
    return Verdict(verdict=verdict, reasons=headline, margins=m, ici=tables["ici"],
                   effects=tables["effect"], independences=tables["independence"],
                   ranking=tables["ranking"], confirmable=confirmable,
                   n_judged=int((statuses != NOT_JUDGED).sum()), mmm=tables["mmm"],
                   quantities=q, details=details, shown=shown)


#: the judged columns each comparison table gets beside its measurements
_BACK_COLUMNS = ("diff", "se_diff", "diff_low", "diff_high", "margin", "status", "shown",
                 "confirmable", "decision", "reversed")


def _back(table: pd.DataFrame, q: dict[str, np.ndarray], rows: np.ndarray) -> pd.DataFrame:
    """A comparison table with its quantities' judged columns (``q``'s, where ``rows``)
    beside its measurements."""
    idx = np.flatnonzero(rows)
    idx = idx[np.argsort(q["row"][idx], kind="stable")]
    new = {col: q[col][idx] if len(idx) else np.empty(0, object) for col in _BACK_COLUMNS}
    # relative figures: none where the real figure is 0 (NaN, not infinity)
    def relative(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(scale > 0, values.astype(float) / scale, np.nan)

    if "kind" in table.columns and "treatment" in table.columns:  # effects: relative too
        scale = q["scale"][idx].astype(float)
        for col in ("diff", "diff_low", "diff_high", "shown", "confirmable"):
            name = col.replace("diff", "rel_diff") if "diff" in col else f"{col}_rel"
            new[name] = relative(new[col], scale)
    if "quantity" in table.columns and len(idx):  # mmm: ROAS precision relative to real ROAS
        scale = q["scale"][idx].astype(float)
        new["confirmable"] = relative(new["confirmable"], scale)
        new["shown"] = relative(new["shown"], scale)
    if table.columns.is_unique and not set(new) & set(table.columns):
        return pd.DataFrame({**dict(table.items()), **new}, index=table.index)  # built once
    out = table.copy()
    for col, values in new.items():
        out[col] = values
    return out
