"""The marketing-mix figures of a real and a synthetic weekly table, side by side.

For a DAG that declares ``time`` and has spend channels among the outcome's ancestors, the
analyst's questions are: does each channel earn the same return (ROAS, marginal ROAS), take
the same share of the media-driven revenue, and — the decision the data is shared for — would
the same total budget be split the same way? :func:`measure_mmm` fits the same marketing mix
model (:func:`causalsynth.evaluate.mmm.fit_mmm`) to both tables with a moving-block bootstrap,
the synthetic series resampled at the real series' length, and returns one row per (channel,
quantity) with both estimates and their bootstrap standard errors. It measures; the verdict
module judges (ROAS against the effect margin, shares against the ICI margin, the budget split
against the budget margin; mROAS is reported, not judged: the budget split is where it acts).
A channel whose optimal budget sits at the optimiser's bound (no spend, or the largest
multiple of today's) on either table is flagged ``at_bound``: the bootstrap of a constrained
optimum is not a reliable measure of its noise (it collapses on the bound), so that share is
reported, not judged. Likewise every row of a channel whose fitted curve sits at the edge of
its range on the real table (decay at the top of the grid, half-saturation or shape at an end:
``MMMFit.channels["at_bound"]``): its ROAS rests on a curve the data did not settle. A curve at
an edge on the synthetic table alone is judged: a lost carryover shows as exactly that.

Examples
--------
>>> from causalsynth import load_dag
>>> dag = load_dag("weekly_mmm")
>>> rows, curves = measure_mmm(dag.simulate(156, seed=1), dag.simulate(156, seed=2), dag,
...                            seed=0, n_bootstrap=5)
>>> sorted(set(rows["quantity"]))
['contribution_share', 'mroas', 'optimal_share', 'roas']
>>> sorted(set(curves["table"]))
['real', 'synthetic']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from causalsynth._mmm import media_channels
from causalsynth._random import as_generator, child_seed
from causalsynth.evaluate.causal_comparison import MMM_COLUMNS
from causalsynth.evaluate.draws import combine_draws, draw_bootstrap
from causalsynth.evaluate.mmm import MAX_MULTIPLIER, fit_mmm

__all__ = ["MMM_QUANTITIES", "has_mmm", "measure_mmm", "mmm_section"]

#: what is compared per channel; the budget split's share is ``optimal_share``
MMM_QUANTITIES = ("roas", "mroas", "contribution_share", "optimal_share")
#: block-bootstrap refits per table (a fit takes about 0.1 s on 156 weeks)
DEFAULT_MMM_BOOTSTRAP = 50
#: geo-bootstrap refits per table of a panel
PANEL_MMM_BOOTSTRAP = 20


def has_mmm(dag) -> bool:
    """Whether ``dag`` is a marketing mix: time declared and a numeric spend channel upstream
    of the outcome."""
    return dag.time is not None and dag.outcome is not None and bool(
        media_channels(dag, dag.outcome))


def _points(fit) -> pd.DataFrame:
    """Point estimates per channel; ``at_bound``: the budget split at a bound, and
    ``curve_at_bound``: the channel's decay, half-saturation or shape at its range's edge."""
    channels = fit.channels.set_index("channel")
    point = channels[["roas", "mroas", "contribution_share"]]
    budget = fit.budget.set_index("channel")
    bound = (budget["multiplier"] <= 1e-3) | (budget["multiplier"] >= MAX_MULTIPLIER - 1e-3)
    return point.join(budget["optimal_share"]).assign(
        at_bound=bound & (budget["spend"] > 0), curve_at_bound=channels["at_bound"] != "")


def _summary(fit) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Point, standard error and 95 % percentile bounds per (channel, quantity)."""
    boot = fit.bootstrap.groupby("channel", sort=False)[list(MMM_QUANTITIES)]
    return boot.std(ddof=1), boot.quantile(0.025), boot.quantile(0.975)


def _at_bound(quantity: str, real: pd.Series, synthetic: pd.Series) -> bool:
    """Whether a row's estimate on either table is constrained: the budget share at a bound
    of the split, any quantity of a channel whose curve sits at the edge of its range."""
    if quantity == "optimal_share" and (real["at_bound"] or synthetic["at_bound"]):
        return True
    # a curve at its range's edge on the real table: the reference rests on a curve the data
    # did not settle. On the synthetic side alone the row is still judged: a synthetic table
    # that lost a channel's carryover or response shows exactly that (TV shifted 8 weeks)
    return bool(real["curve_at_bound"])


def measure_mmm(real: pd.DataFrame, synthetic: pd.DataFrame | Sequence[pd.DataFrame], dag,
                seed=None, n_bootstrap: int | None = None,
                periods: tuple[int | None, int | None] = (None, None)
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ROAS, mROAS, contribution shares and the budget split of both tables.

    Returns ``(rows, curves)``: ``rows`` has :data:`MMM_COLUMNS` (one row per channel and
    quantity; ``df`` = bootstrap refits - 1), ``curves`` the response curves of both fitted
    models (``table`` = real / synthetic, then ``channel, multiplier, spend, contribution``).
    Both tables are typed and in time order (see :func:`causalsynth.data.check_data`);
    ``periods``: rows per geo of each table when it is a panel (geos are then resampled whole).
    ``n_bootstrap`` defaults to 50 refits, 20 for a panel (a refit of 40 geos x 156 weeks takes
    about a second). ``synthetic`` may be several draws of one synthesizer: each is fitted
    (the refits shared among them) and the rows combined (:mod:`causalsynth.evaluate.draws`);
    the synthetic curves are those of the first draw.
    """
    rng = as_generator(seed)
    boot_seed = child_seed(rng)  # the same resampling stream for both tables
    if n_bootstrap is None:
        n_bootstrap = PANEL_MMM_BOOTSTRAP if periods[0] else DEFAULT_MMM_BOOTSTRAP
    draws = [synthetic] if isinstance(synthetic, pd.DataFrame) else list(synthetic)
    fit_r = fit_mmm(real, dag, seed=boot_seed, n_bootstrap=n_bootstrap, periods=periods[0])
    point_r, (se_r, lo_r, hi_r) = _points(fit_r), _summary(fit_r)
    boot_s = draw_bootstrap(n_bootstrap, len(draws))
    fits = [fit_mmm(draw, dag, seed=boot_seed, n_bootstrap=boot_s, n_resample=len(real),
                    periods=periods[1]) for draw in draws]
    frames = []
    for fit in fits:
        point_s, (se_s, lo_s, hi_s) = _points(fit), _summary(fit)
        rows = []
        for channel in point_r.index:
            for q in MMM_QUANTITIES:
                rows.append({"channel": channel, "quantity": q,
                             "real": point_r.loc[channel, q], "real_low": lo_r.loc[channel, q],
                             "real_high": hi_r.loc[channel, q],
                             "synthetic": point_s.loc[channel, q],
                             "synthetic_low": lo_s.loc[channel, q],
                             "synthetic_high": hi_s.loc[channel, q],
                             "se_real": se_r.loc[channel, q],
                             "se_synthetic": se_s.loc[channel, q],
                             "df": float(n_bootstrap - 1),
                             "at_bound": _at_bound(q, point_r.loc[channel],
                                                   point_s.loc[channel])})
        frame = pd.DataFrame(rows, columns=MMM_COLUMNS)
        numbers = MMM_COLUMNS[2:-1]
        frame[numbers] = frame[numbers].astype(float).replace([np.inf, -np.inf], np.nan)
        frames.append(frame)
    frame = combine_draws("mmm", frames)
    curves = pd.concat([fit_r.response_curves.assign(table="real"),
                        fits[0].response_curves.assign(table="synthetic")], ignore_index=True)
    return frame, curves[["table", "channel", "multiplier", "spend", "contribution"]]


def mmm_section(judged: pd.DataFrame, curves: pd.DataFrame) -> dict:
    """The ``mmm`` part of a report's causal section: the judged rows, the response curves and
    whether both tables rank the channels alike by ROAS and by their optimal budget."""
    def order(quantity: str, table: str) -> list[str]:
        part = judged[judged["quantity"] == quantity]
        return list(part.sort_values(table, ascending=False)["channel"])

    ranking = {f"{q}_order_{t}": order(q, t) for q in ("roas", "optimal_share")
               for t in ("real", "synthetic")}
    return {"channels": judged.to_dict("records"),
            "response_curves": curves.to_dict("records"), **ranking,
            "same_roas_ranking": ranking["roas_order_real"] == ranking["roas_order_synthetic"],
            "same_budget_ranking": (ranking["optimal_share_order_real"]
                                    == ranking["optimal_share_order_synthetic"])}
