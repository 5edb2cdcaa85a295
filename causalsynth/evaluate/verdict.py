"""The verdict: one rule turns a causal comparison into preserved, not preserved or inconclusive.

Every judged quantity — each ICI share, each judged treatment effect, each implied
independence, each clearly ordered pair of treatments — is compared by its **difference**
(synthetic minus real), with a standard error that carries the sampling noise of *both* tables
(bootstrap standard deviations, the synthetic side resampled at the real table's size, plus the
estimator's own Monte Carlo error). Then, with ``K`` judged quantities and level ``alpha``:

* a quantity is **beyond** its margin when the difference is material (``|d| > margin``) *and*
  significant: its two-sided interval at level ``alpha / K`` (Bonferroni over the family)
  excludes zero. One quantity beyond its margin makes the verdict ``not preserved``; for a
  perfect synthesizer (true differences all zero) this happens with probability at most
  ``alpha``, at any table size.
* a quantity is **within** its margin when its one-sided ``alpha`` equivalence interval
  (``d ± t_(1-alpha) se``, the two one-sided tests of Schuirmann 1987) lies inside
  ``[-margin, margin]``. All within: ``preserved`` (intersection-union: the whole family is
  shown at level ``alpha``).
* otherwise ``inconclusive``: this table is too small to tell at these margins. The smallest
  margin each quantity *could* confirm — the equivalence half-width a perfect synthesizer
  would get, ``t_(1-alpha) * sqrt(2) * se_real`` — is reported, so the analyst sees which
  margins would be decidable.

Standard errors from ``B`` bootstrap replicates use Student's t with ``B - 1`` degrees of
freedom. A synthetic column that is constant where the real one varies is a lost variable:
``not preserved``, whatever else holds (a rare label that chance explains: inconclusive).

The verdict is decided here and only here; ``judge`` works from the stored comparison, so a
saved report can be re-judged with other margins without refitting anything.

References
----------
Schuirmann. "A comparison of the two one-sided tests procedure and the power approach for
assessing the equivalence of average bioavailability." J. Pharmacokinet. Biopharm. 15, 1987.
Berger, Hsu. "Bioequivalence trials, intersection-union tests and equivalence confidence sets."
Statistical Science 11(4), 1996.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth._params import BOOLEAN, Interval, check_params

__all__ = ["INCONCLUSIVE", "MMM_COLUMNS", "NOT_PRESERVED", "PRESERVED", "VERDICTS",
           "CausalComparison", "Margins", "Verdict", "judge_causal"]

PRESERVED, NOT_PRESERVED, INCONCLUSIVE = "preserved", "not preserved", "inconclusive"
VERDICTS = (PRESERVED, NOT_PRESERVED, INCONCLUSIVE)

#: per-quantity statuses; COVERED: an effect estimate left undecided while the other method's
#: estimate of the same effect is shown within its margin (it can veto "preserved", not block it)
WITHIN, BEYOND, UNCLEAR, NOT_JUDGED = "within", "beyond", "unclear", "not judged"
COVERED = "covered"


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
_MMM_LABEL = {"roas": "ROAS", "mroas": "marginal ROAS", "contribution_share": "contribution share",
              "optimal_share": "share of the optimal budget"}


@dataclass
class CausalComparison:
    """What was measured on both tables, before any judgement (typed frames, one row each).

    ``ici``: one row per node (shares in percent, bootstrap and Monte Carlo standard errors);
    ``effects``: one row per (treatment, kind, method); ``independences``: one row per implied
    independence; ``ranking``: one row per pair of treatments (ICI share gaps); ``mmm``
    (time-indexed DAGs): one row per (channel, quantity) of the marketing mix model, with
    ``mmm_curves`` its response curves on both tables (reported, not judged). ``df`` columns
    hold the degrees of freedom of the standard errors (bootstrap replicates - 1; inf when
    analytic).
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
                   mmm_curves=pd.DataFrame(mmm.get("response_curves") or []))


@dataclass
class Verdict:
    """The judgement of a comparison: the verdict, its reasons and per-row statuses."""

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


# ---------------------------------------------------------------------------------------
# The rule
# ---------------------------------------------------------------------------------------
def _quantile(p: float, df) -> np.ndarray:
    df = np.asarray(df, float)
    return np.where(np.isfinite(df) & (df > 0), stats.t.ppf(p, np.maximum(df, 1)),
                    stats.norm.ppf(p))


def _status(diff, se, margin, q_two, q_one) -> np.ndarray:
    """Per row: beyond (significant and material), within (equivalence shown), else unclear."""
    diff, se, margin = (np.asarray(v, float) for v in (diff, se, margin))
    beyond = (np.abs(diff) > margin) & (np.abs(diff) > q_two * se)
    within = np.abs(diff) + q_one * se <= margin
    out = np.where(beyond, BEYOND, np.where(within, WITHIN, UNCLEAR)).astype(object)
    out[~np.isfinite(diff) | ~np.isfinite(se)] = UNCLEAR
    return out


def _with_intervals(frame: pd.DataFrame, diff, se, margin, df, k: int, alpha: float,
                    judged=None, alpha_within: float | None = None) -> pd.DataFrame:
    out = frame.copy()
    q_two = _quantile(1 - alpha / (2 * max(k, 1)), df)
    q_one = _quantile(1 - (alpha if alpha_within is None else alpha_within), df)
    diff, se = np.asarray(diff, float), np.asarray(se, float)
    out["diff"] = diff
    out["se_diff"] = se
    out["diff_low"], out["diff_high"] = diff - q_two * se, diff + q_two * se
    out["margin"] = margin
    status = _status(diff, se, margin, q_two, q_one)
    if judged is not None:
        status = np.where(np.asarray(judged, bool), status, NOT_JUDGED)
    out["status"] = status
    return out


def _se(*parts) -> np.ndarray:
    return np.sqrt(sum(np.square(np.nan_to_num(np.asarray(p, float))) for p in parts))


def judge_causal(comparison: CausalComparison, margins: Margins | None = None) -> Verdict:
    """Decide the verdict of a comparison under ``margins`` (see the module docstring)."""
    m = margins or Margins()
    c = comparison
    eff = c.effects
    judged_eff = ~((eff["method"] == "gcm") & (eff["kind"] == "per_unit")
                   & (eff["zero_share"].fillna(0).astype(float) >= m.zero_inflated))
    real_abs = eff["real"].astype(float).abs().to_numpy()
    ranking = c.ranking
    q_rank = _quantile(1 - m.alpha / 2, ranking["df"]) if len(ranking) else np.array([])
    clear_real = (ranking["real_gap"].abs() > q_rank * ranking["se_real"]).to_numpy()
    pairs_judged = clear_real if m.keep_treatment_ranking else np.zeros(len(ranking), bool)
    testable = c.independences["testable"].fillna(True).astype(bool).to_numpy()
    mm = c.mmm
    # a budget share at the optimiser's bound is a constrained optimum: its bootstrap noise
    # is not sized reliably, so it is reported, not judged
    judged_mmm = (mm["quantity"].isin(list(_MMM_MARGIN))
                  & ~mm["at_bound"].fillna(False).astype(bool)).to_numpy()
    k = (len(c.ici) + int(judged_eff.sum()) + int(testable.sum()) + int(pairs_judged.sum())
         + int(judged_mmm.sum()))

    ici = _with_intervals(
        c.ici, c.ici["synthetic_share"] - c.ici["real_share"],
        _se(c.ici["se_real"], c.ici["se_synthetic"], c.ici["mc_se_real"],
            c.ici["mc_se_synthetic"]), m.ici_points, c.ici["df"], k, m.alpha)
    ici["confirmable"] = _quantile(1 - m.alpha, c.ici["df"]) * np.sqrt(2) * _se(
        c.ici["se_real"], c.ici["mc_se_real"])
    # each effect has two estimates (GCM and DML); either may show it within its margin, so
    # each equivalence test runs at alpha / 2 and the pair stays at level alpha
    effects = _with_intervals(eff, eff["synthetic"] - eff["real"],
                              _se(eff["se_real"], eff["se_synthetic"]),
                              m.effect_rel * real_abs, eff["df"], k, m.alpha, judged_eff,
                              alpha_within=m.alpha / 2)
    effects["status"] = _covered(effects)
    with np.errstate(divide="ignore", invalid="ignore"):
        for col in ("diff", "diff_low", "diff_high"):
            effects[col.replace("diff", "rel_diff")] = effects[col] / real_abs
        effects["confirmable_rel"] = (_quantile(1 - m.alpha / 2, eff["df"]) * np.sqrt(2)
                                      * eff["se_real"].astype(float) / real_abs)
    ind = c.independences
    independences = _with_intervals(ind, ind["synthetic_effect"] - ind["real_effect"],
                                    _se(ind["se_real"], ind["se_synthetic"]), m.independence,
                                    np.inf, k, m.alpha, testable)
    independences["confirmable"] = np.where(testable, stats.norm.ppf(1 - m.alpha) * np.sqrt(2)
                                            * ind["se_real"].astype(float), np.nan)
    ranking = _judge_ranking(ranking, pairs_judged, k, m.alpha)
    mmm = _judge_mmm(mm, judged_mmm, k, m)

    statuses = np.concatenate([ici["status"], effects["status"], independences["status"],
                               ranking["status"], mmm["status"]]).astype(str)
    if c.lost_columns or (statuses == BEYOND).any():
        verdict = NOT_PRESERVED
    elif np.isin(statuses, [WITHIN, NOT_JUDGED, COVERED]).all():
        verdict = PRESERVED
    else:
        verdict = INCONCLUSIVE
    confirmable = _confirmable(c, ici, effects, independences)
    reasons = _reasons(verdict, c, m, ici, effects, independences, ranking, confirmable,
                       _mmm_reasons(mmm, m))
    return Verdict(verdict=verdict, reasons=reasons, margins=m, ici=ici, effects=effects,
                   independences=independences, ranking=ranking, confirmable=confirmable,
                   n_judged=k, mmm=mmm)


def _judge_mmm(mm: pd.DataFrame, judged: np.ndarray, k: int, m: Margins) -> pd.DataFrame:
    """ROAS vs ``effect_rel`` (relative), shares vs ``ici_points``, budget vs ``budget_points``."""
    real = mm["real"].astype(float).abs().to_numpy()
    scale = np.where(mm["quantity"].isin(["roas", "mroas"]), real, 1.0)
    margin = np.array([getattr(m, _MMM_MARGIN.get(q, "effect_rel")) for q in mm["quantity"]],
                      float) * scale
    out = _with_intervals(mm, mm["synthetic"] - mm["real"], _se(mm["se_real"],
                          mm["se_synthetic"]), margin, mm["df"], k, m.alpha, judged)
    out["confirmable"] = (_quantile(1 - m.alpha, mm["df"]) * np.sqrt(2)
                          * mm["se_real"].astype(float) / scale)
    return out


def _mmm_reasons(mmm: pd.DataFrame, m: Margins) -> tuple[list, list, list]:
    fails, unclear, passes = [], [], []
    for _, r in mmm.iterrows():
        rel = r["quantity"] in ("roas", "mroas")
        scale = abs(r["real"])

        def show(v: float, rel: bool = rel, scale: float = scale) -> str:
            return f"{v / scale:+.0%}" if rel else f"{v:+.1f} points"
        margin = f"±{m.effect_rel:.0%}" if rel else f"±{r['margin']:g} points"
        text = (f"{_MMM_LABEL[r['quantity']]} of {r['channel']}: real {_fmt(r['real'])} vs "
                f"synthetic {_fmt(r['synthetic'])} ({show(r['diff'])}, interval "
                f"[{show(r['diff_low'])}; {show(r['diff_high'])}]; margin {margin})")
        confirm = f"±{r['confirmable']:.0%}" if rel else f"±{r['confirmable']:.1f} points"
        _file(r["status"], text, confirm, fails, unclear)
    judged = mmm[mmm["status"] != NOT_JUDGED]
    if len(judged) and (judged["status"] == WITHIN).all():
        passes.append(f"all {len(judged)} marketing-mix figures (ROAS, contribution shares, "
                      f"budget split) within their margins")
    return fails, unclear, passes


def _covered(effects: pd.DataFrame) -> np.ndarray:
    """Undecided estimates whose sibling (the other method's estimate of the same treatment
    and kind) is shown within its margin.

    The GCM effect (the fitted model ICI also comes from) and the model-light DML effect are
    two estimates of one effect, and either can be the noisier one (DML's controls are only
    the treatment's parents; a spline GCM can swing in a bootstrap replicate). Each
    equivalence test runs at alpha / 2, so "shown within" by either keeps the effect at level
    alpha; an estimate shown beyond its margin still makes the verdict "not preserved".
    """
    status = effects["status"].to_numpy(dtype=object).copy()
    if not len(effects):
        return status
    within = {(r.treatment, r.kind) for r in effects.itertuples() if r.status == WITHIN}
    for i, r in enumerate(effects.itertuples()):
        if r.status == UNCLEAR and (r.treatment, r.kind) in within:
            status[i] = COVERED
    return status


def _judge_ranking(ranking: pd.DataFrame, judged: np.ndarray, k: int, alpha: float
                   ) -> pd.DataFrame:
    """A pair is reversed when both tables order it clearly (Bonferroni), in opposite orders."""
    out = ranking.copy()
    if not len(out):
        out["status"] = pd.Series(dtype=object)
        return out
    q = _quantile(1 - alpha / (2 * max(k, 1)), out["df"])
    sure_r = out["real_gap"].abs() > q * out["se_real"]
    sure_s = out["synthetic_gap"].abs() > q * out["se_synthetic"].fillna(0)
    flipped = np.sign(out["real_gap"]) != np.sign(out["synthetic_gap"])
    status = np.where(sure_r & sure_s & flipped, BEYOND,
                      np.where(flipped, UNCLEAR, WITHIN)).astype(object)
    out["status"] = np.where(judged, status, NOT_JUDGED)
    return out


# ---------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def _effect_name(r) -> str:
    what = "per unit" if r["kind"] == "per_unit" else "for +10%"
    return f"effect of {r['treatment']} on {r['outcome']} {what} ({r['method']})"


def _confirmable(c: CausalComparison, ici, effects, independences) -> dict[str, Any]:
    """The smallest margins this real table could confirm for a perfect synthesizer.

    Per effect, the better of its estimates (GCM or DML) decides; per treatment, its hardest
    effect (per unit or +10%).
    """
    judged = effects[effects["status"] != NOT_JUDGED].replace(np.inf, np.nan)
    per_effect = judged.groupby(["treatment", "kind"], sort=False)["confirmable_rel"].min()
    per_treatment = per_effect.groupby(level=0, sort=False).max()
    finite = lambda v: float(v) if v is not None and np.isfinite(v) else None  # noqa: E731
    out: dict[str, Any] = {"n_real": c.n_real}
    out["ici_points"] = finite(ici["confirmable"].max()) if len(ici) else None
    out["effect_rel"] = finite(per_treatment.max()) if len(per_treatment) else None
    out["independence"] = (finite(independences["confirmable"].max())
                           if len(independences) else None)
    out["effects"] = {t: finite(v) for t, v in per_treatment.items()}
    parts = []
    if out["ici_points"] is not None:
        parts.append(f"ICI shares to ±{out['ici_points']:.1f} points")
    parts += [f"the effect of {t} to ±{v:.0%}" for t, v in out["effects"].items()
              if v is not None]
    if out["independence"] is not None:
        parts.append(f"independence effect sizes to ±{out['independence']:.2f}")
    sub = c.method.get("subsample")  # causal figures from a subsample of a large table
    rows = f"{c.n_real:,} real rows" + (f" (a random subsample of {sub['real_rows']:,}: the "
                                        f"intervals are those of {c.n_real:,} rows)" if sub else "")
    out["text"] = f"with {rows}, this table can confirm " + ", ".join(parts) if parts else ""
    return out


def _file(status: str, text: str, confirmable: str | None, fails: list, unclear: list) -> None:
    """A quantity's sentence goes to the failures or to the undecided (with what the table
    could confirm); those within their margins are summarised, not listed."""
    if status == BEYOND:
        fails.append(text)
    elif status == UNCLEAR:
        unclear.append(text + ": not decidable" + (f", this table confirms {confirmable} at "
                                                     f"best" if confirmable else ""))


def _reasons(verdict, c: CausalComparison, m: Margins, ici, effects, independences, ranking,
             confirmable, mmm_words: tuple[list, list, list]) -> list[str]:
    fails, unclear, passes = (list(words) for words in mmm_words)
    for col in c.lost_columns:
        fails.append(f"the synthetic table lost {col}: it is constant where the real one varies")
    for col in c.method.get("absent_by_chance") or []:
        unclear.append(f"{col} is constant in the synthetic table, its other values so rare in "
                       f"the real one that a faithful table lacks them by chance: not decidable")
    for _, r in ici.sort_values("diff", key=abs, ascending=False).iterrows():
        text = (f"ICI share of {r['node']}: real {r['real_share']:.1f}% vs synthetic "
                f"{r['synthetic_share']:.1f}% ({r['diff']:+.1f} points, interval "
                f"[{r['diff_low']:+.1f}; {r['diff_high']:+.1f}]; margin ±{m.ici_points:g})")
        _file(r["status"], text, f"±{r['confirmable']:.1f}", fails, unclear)
    if len(ici) and (ici["status"] == WITHIN).all():
        worst = ici.loc[ici["diff"].abs().idxmax()]
        passes.append(f"all {len(ici)} ICI shares within ±{m.ici_points:g} points (largest "
                      f"difference {worst['diff']:+.1f} for {worst['node']})")
    for _, r in effects.iterrows():
        text = (f"{_effect_name(r)}: real {_fmt(r['real'])} vs synthetic {_fmt(r['synthetic'])}"
                f" ({r['rel_diff']:+.0%}, interval [{r['rel_diff_low']:+.0%}; "
                f"{r['rel_diff_high']:+.0%}]; margin ±{m.effect_rel:.0%})")
        _file(r["status"], text, f"±{r['confirmable_rel']:.0%}", fails, unclear)
    judged = effects[effects["status"] != NOT_JUDGED]
    if len(judged) and judged["status"].isin([WITHIN, COVERED]).all():
        covered = int((judged["status"] == COVERED).sum())
        passes.append(f"all {len(judged) - covered} judged treatment effects within "
                      f"±{m.effect_rel:.0%}" + (f" ({covered} noisier second estimate(s) of "
                                                f"the same effects consistent but not decisive)"
                                                if covered else ""))
    if len(judged) < len(effects):
        passes.append(f"{len(effects) - len(judged)} per-unit GCM slope(s) of zero-inflated "
                      f"treatments reported but not judged (not identified at zero spend)")
    for _, r in independences.iterrows():
        given = f" | {', '.join(r['given'])}" if len(r["given"]) else ""
        text = (f"independence {r['x']} ⊥ {r['y']}{given}: effect real "
                f"{r['real_effect']:.3f} vs synthetic {r['synthetic_effect']:.3f} "
                f"({r['diff']:+.3f}, interval [{r['diff_low']:+.3f}; {r['diff_high']:+.3f}]; "
                f"margin ±{m.independence:g})")
        _file(r["status"], text, None, fails, unclear)
    tested = independences[independences["status"] != NOT_JUDGED]
    if len(tested) and (tested["status"] == WITHIN).all():
        passes.append(f"all {len(tested)} tested implied independences alike on both tables "
                      f"(effect sizes within ±{m.independence:g})")
    if len(tested) < len(independences):
        passes.append(f"{len(independences) - len(tested)} implied independence(s) not tested "
                      f"at {c.n_real:,} rows: their conditioning sets need more columns than "
                      f"half the rows")
    for _, r in ranking[ranking["status"] == BEYOND].iterrows():
        hi, lo = (r["a"], r["b"]) if r["real_gap"] > 0 else (r["b"], r["a"])
        fails.append(f"treatment ranking by ICI reversed: the real table clearly has {hi} "
                     f"above {lo}, the synthetic table clearly the reverse")
    if not (c.ici["se_real"].fillna(0) > 0).any() and len(c.ici):
        passes.append("no bootstrap replicates: ICI and GCM effect intervals ignore the "
                      "tables' sampling noise")
    n_unclear = len(unclear)
    head = [f"inconclusive: {n_unclear} difference(s) neither shown within nor shown beyond "
            f"their margins at {c.n_real:,} real rows"] if verdict == INCONCLUSIVE else []
    tail = [confirmable["text"]] if confirmable.get("text") else []
    return head + fails + unclear + passes + tail


def verdict_dict(v: Verdict) -> dict[str, Any]:
    """The judged part of a report's causal section."""
    from causalsynth.evaluate.metric import jsonable

    return jsonable({
        "verdict": v.verdict, "reasons": v.reasons, "margins": asdict(v.margins),
        "n_judged": v.n_judged, "confirmable": v.confirmable,
    })
