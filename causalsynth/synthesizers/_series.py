"""Whole series from the ``causal`` synthesizer on a time-indexed DAG.

A table of a DAG with ``time`` is one weekly series, or a geo panel (one series per geo). The
``causal`` synthesizer then learns, besides each node's mechanism, what makes the rows a series:

* **time inputs**: every node (a spend plan, demand, a control, revenue) is modelled given the
  DAG's time features (:func:`causalsynth.media.row_features`: a linear trend, Fourier terms
  of the declared period, holidays of a declared country; the ones ``check_dag`` and
  ``fit_mmm`` condition on), so trend and season follow the real ones, also where the table
  has dates only, and continue when more periods are sampled;
* **carryover**: each spend -> child edge acts through the adstocked spend, with the decay
  estimated on the table (:func:`causalsynth.carryover.estimate_carryover`), and a saturating
  basis ``a / (a + h)`` of it (``h`` the median positive adstock) beside the linear one, so a
  child's response can bend like a Hill curve;
* **persistence of the noise**: every node's noise is a Gaussian AR(1) process in normal
  scores (estimated from the lag-1 autocorrelation of the probability integral transform of its
  real values under the fitted model), so spend keeps its week-to-week runs; a zero hurdle
  (dark weeks of a flighted plan) has its own AR(1) latent, whose correlation matches the real
  count of consecutive zero weeks (bivariate normal, Owen's T); the roots' innovations share a
  Gaussian copula (cross-channel co-movement);
* **geo heterogeneity** (panels): a geo's size (mean outcome) scales the nodes that grow with
  it, which are modelled per head of the geo; every node's noise has a geo-level part (its
  share of the variance between geos). A new geo's size and its geo-level parts are drawn from
  a Gaussian fitted to the real geos' (shrunk towards independence), so no real geo's series
  is copied, while sizes and baselines spread as the real ones do.

The mechanisms are those of the row-wise synthesizer, handed to the one engine
(:func:`causalsynth.scm.propagate`) through :class:`SeriesMechanism`, so interventions,
schedules ("TV dark in weeks 10-20"), shifts and common random numbers work as elsewhere.

Examples
--------
>>> from causalsynth import load_dag, make_synthesizer
>>> dag = load_dag("weekly_mmm")
>>> synth = make_synthesizer("causal").fit(dag.simulate(156, seed=1), dag)
>>> synth.series_.carry_.decays["revenue"]["tv_spend"]     # the declared decay: 0.7
0.7
>>> synth.sample(208, seed=0)["week"].iloc[-1]              # 208 weeks: the real ones continued
np.int64(207)

References
----------
Jin, Wang, Sun, Chan, Koehler. "Bayesian methods for media mix modeling with carryover and
shape effects." Google, 2017 (adstock and Hill saturation).
Owen. "Tables for computing bivariate normal probabilities." Ann. Math. Stat., 1956.
Ledoit, Wolf. "A well-conditioned estimator for large-dimensional covariance matrices."
J. Multivariate Analysis, 2004 (shrinkage towards the identity).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import special, stats

from causalsynth._time_columns import LAYOUT_KEY, SeriesLayout
from causalsynth.carryover import estimate_carryover
from causalsynth.dag import DAG
from causalsynth.data import from_codes
from causalsynth.errors import DAGError, InvalidParameterError
from causalsynth.media import hill, row_features
from causalsynth.media.geo import panel_units
from causalsynth.synthesizers._fitting import Smooth1D

__all__ = ["SeriesMechanism", "SeriesModel", "SeriesPlan", "schedule_per_row",
           "series_shape", "time_columns"]

_SAT = "~saturation:"
_GEO_MEAN = "~geo mean:"
_MAX_RHO = 0.95
_COPULA_P = 0.01


def _time_values(dag: DAG, layout: SeriesLayout, periods: int, n_series: int,
                 outcome: np.ndarray | None = None, harmonics: int | None = None
                 ) -> dict[str, np.ndarray]:
    """The time inputs of every row (``n_series`` series of ``periods`` rows): the DAG's time
    features (:func:`causalsynth.media.row_features`), the trend scaled by the real series'
    length so that it continues when more periods are sampled; dates (for holidays) continue
    the real index."""
    dates = None
    if dag.time.country and layout.index and isinstance(layout.index[0], pd.Timestamp):
        dates = np.tile(_index_values(layout.index, periods), n_series)
    feats = row_features(dag, n_series * periods, periods, outcome=outcome, dates=dates,
                         span=max(layout.periods - 1, 1), harmonics=harmonics)
    return {f"~{name}": feats.values[:, i] for i, name in enumerate(feats.names)}


def _lag1(q: np.ndarray, periods: int) -> float:
    """Lag-1 correlation of ``q`` within series of ``periods`` rows (NaN pairs skipped)."""
    z = q.reshape(-1, periods)
    a, b = z[:, 1:].ravel(), z[:, :-1].ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 10 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return 0.0
    return float(np.clip(np.corrcoef(a[ok], b[ok])[0, 1], -_MAX_RHO, _MAX_RHO))


def _bvn_both_below(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """P(X <= h, Y <= k) for standard normals with correlation ``rho`` (Owen's T)."""
    h = np.where(h == 0, 1e-12, h)
    k = np.where(k == 0, 1e-12, k)
    root = math.sqrt(1 - rho * rho)
    beta = np.where(h * k > 0, 0.0, 0.5)
    return (0.5 * special.ndtr(h) + 0.5 * special.ndtr(k)
            - special.owens_t(h, (k - rho * h) / (h * root))
            - special.owens_t(k, (h - rho * k) / (k * root)) - beta)


def _zero_persistence(zero: np.ndarray, p0: np.ndarray, periods: int) -> float:
    """Correlation of a latent AR(1) whose threshold crossings give as many consecutive zero
    pairs (within series) as the real ones, each row's zero probability ``p0``."""
    z, p = zero.reshape(-1, periods), np.clip(p0, 1e-6, 1 - 1e-6).reshape(-1, periods)
    observed = float(np.sum(z[:, 1:] & z[:, :-1]))
    c = special.ndtri(p)
    h, k = c[:, 1:].ravel(), c[:, :-1].ravel()
    lo, hi = -_MAX_RHO, _MAX_RHO
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if float(np.sum(_bvn_both_below(h, k, mid))) < observed:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _nearest_correlation(corr: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((corr + corr.T) / 2)
    corr = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(corr))
    return corr / np.outer(d, d)


@dataclasses.dataclass
class SeriesPlan:
    """What one ``sample`` call draws: series, their length, each geo's size per row, the
    time inputs of the roots and the noise of every node (two uniforms per row)."""

    n_series: int
    periods: int
    sizes: np.ndarray
    inputs: dict[str, np.ndarray]
    noise: dict[str, np.ndarray]
    #: each geo's mean of a node's inputs, ``(node, input) -> array per series``: recorded
    #: by a natural draw, then held fixed under interventions (a geo keeps its character)
    geo_means: dict[tuple[str, str], np.ndarray] = dataclasses.field(default_factory=dict)
    fixed: bool = False


class SeriesModel:
    """The series structure of a time table, learned beside the node models.

    ``fit_node(name, inputs, values, rng)`` fits one node model on ``values`` with ``inputs``
    as its parents (the synthesizer's own node fitting)."""

    def __init__(self, dag: DAG, layout: SeriesLayout, values: Mapping[str, np.ndarray],
                 fit_node: Callable, rng: np.random.Generator, copula_threshold: float):
        self.dag, self.layout = dag, layout
        self.period, self.periods = dag.time.period, layout.periods
        series = layout.series_of_rows()
        self._fit_sizes(values)
        per_head = self.per_head(values, self.sizes_[series])
        typed = from_codes(per_head, dag)
        typed.attrs[LAYOUT_KEY] = layout  # its dates, for holidays
        self.carry_ = estimate_carryover(typed, dag, periods=self.periods)
        self.half_ = {}
        for child, decays in self.carry_.decays.items():
            adstocked = self.carry_.transform(child, {p: per_head[p] for p in decays})
            for p in decays:
                positive = adstocked[p][adstocked[p] > 0]
                self.half_[(child, p)] = float(np.median(positive)) if len(positive) else 1.0
        outcome = values.get(dag.outcome) if dag.outcome else None
        times = _time_values(dag, layout, self.periods, layout.n_series, outcome)
        #: the time features every node's model reads (the DAG's, as check_dag's)
        self.times_, self.time_inputs_ = times, tuple(times)
        self.harmonics_ = sum(name.startswith("~sin") for name in times) or None
        self.models_, q, zero_rho, self.geo_inputs_ = {}, {}, {}, {}
        for name in dag.nodes:
            self.geo_inputs_[name] = self._geo_inputs(name, per_head, times)
            inputs = self.inputs(name, per_head, times, self.periods)
            model = fit_node(name, self.node_inputs(name), inputs, rng)
            self.models_[name] = model
            u, p0 = model.scores(inputs, per_head[name], rng)
            q[name] = special.ndtri(u)
            if p0 is not None:
                zero_rho[name] = _zero_persistence(per_head[name] == 0, p0, self.periods)
        self._fit_noise(q, zero_rho, series, copula_threshold)

    # ---- geo sizes ---------------------------------------------------------------------
    def _fit_sizes(self, values: Mapping[str, np.ndarray]) -> None:
        """Each geo's size and the nodes that scale with it, read as the causal comparison
        reads them (:func:`causalsynth.media.geo.panel_units`: the geo's mean
        outcome over the mean of all; nodes whose geo means grow at least half as fast)."""
        units = None
        if self.layout.n_series >= 2 and self.dag.outcome:
            units = panel_units(pd.DataFrame(dict(values)), self.dag, self.periods)
        self.scaled_: tuple[str, ...] = () if units is None else units.scaled
        self.sizes_ = np.ones(self.layout.n_series) if units is None else units.sizes
        self.log_size_ = Smooth1D(np.log(self.sizes_)) if self.scaled_ else None

    def per_head(self, values: Mapping[str, np.ndarray], row_sizes: np.ndarray
                 ) -> dict[str, np.ndarray]:
        """``values`` with the nodes that scale with geo size divided by each row's size."""
        return {k: v / row_sizes if k in self.scaled_ else v for k, v in values.items()}

    # ---- a node's inputs ----------------------------------------------------------------
    def inputs(self, name: str, values: Mapping[str, np.ndarray],
               times: Mapping[str, np.ndarray], periods: int,
               plan: SeriesPlan | None = None) -> dict[str, np.ndarray]:
        """``values`` with what the node's model reads: time inputs for a root, adstocked
        spend and its saturating basis for a child of spend, and on a panel each geo's mean
        of the numeric inputs (``plan``: recorded there, or read from it when fixed)."""
        parents = self.dag.parents(name)
        out = {**values, **times}
        if not parents:
            return out
        decays = self.carry_.decays.get(name)
        if decays:
            carry = dataclasses.replace(self.carry_, periods=periods)
            out.update(carry.transform(name, {p: values[p] for p in decays}))
            for p in decays:
                a = np.maximum(out[p], 0.0)
                out[f"{_SAT}{p}"] = hill(a, self.half_[(name, p)], 1.0)
        for i in getattr(self, "geo_inputs_", {}).get(name, ()):
            key = (name, i)
            if plan is not None and plan.fixed and key in plan.geo_means:
                means = plan.geo_means[key]
            else:
                means = out[i].reshape(-1, periods).mean(axis=1)
                if plan is not None:
                    plan.geo_means[key] = means
            out[f"{_GEO_MEAN}{i}"] = np.repeat(means, periods)
        return out

    def _geo_inputs(self, name: str, values: Mapping[str, np.ndarray],
                    times: Mapping[str, np.ndarray]) -> tuple[str, ...]:
        """Numeric inputs of a child whose geo means differ between the geos of a panel.

        Their geo means enter the model beside them (Mundlak 1978), so the inputs' own
        coefficients are within-geo slopes: across geos, a geo's size and baseline (estimated
        from the outcome, so confounded with the geo's demand) would bias a pooled slope."""
        if self.layout.n_series < 2 or not self.dag.parents(name):
            return ()
        inputs = self.inputs(name, values, times, self.periods)
        out = []
        for i in self.node_inputs(name):
            if i in self.dag.nodes and not self.dag.node(i).is_numeric:
                continue
            means = inputs[i].reshape(-1, self.periods).mean(axis=1)
            if np.std(means) > 1e-9 * (np.std(inputs[i]) + 1e-300):
                out.append(i)
        return tuple(out)

    def node_inputs(self, name: str) -> tuple[str, ...]:
        """The input names of a node's model."""
        parents = self.dag.parents(name)
        if not parents:
            return self.time_inputs_
        decays = self.carry_.decays.get(name) or {}
        geo = getattr(self, "geo_inputs_", {}).get(name, ())
        return (*parents, *(f"{_SAT}{p}" for p in decays), *self.time_inputs_,
                *(f"{_GEO_MEAN}{i}" for i in geo))

    # ---- the noise ----------------------------------------------------------------------
    def _fit_noise(self, q: Mapping[str, np.ndarray], zero_rho: Mapping[str, float],
                   series: np.ndarray, threshold: float) -> None:
        names, periods = self.dag.nodes, self.periods
        n_series = self.layout.n_series
        self.tau_, self.rho_, within = {}, {}, {}
        geo_parts = []
        for name in names:
            x = np.where(np.isfinite(q[name]), q[name], np.nan)
            means = np.nanmean(x.reshape(n_series, periods), axis=1)
            means = np.where(np.isfinite(means), means, 0.0)
            w = x - means[series]
            tau = 0.0
            if n_series >= 2:
                var_w = float(np.nanvar(w))
                between = max(float(np.var(means)) - var_w / periods, 0.0)
                tau = min(between / max(between + var_w, 1e-12), 0.95)
            self.tau_[name] = tau
            self.rho_[name] = _lag1(w, periods)
            within[name] = w
            geo_parts.append(means / math.sqrt(max(float(np.var(means)), 1e-12)))
        self.zero_rho_ = dict(zero_rho)
        self.geo_chol_ = None
        if n_series >= 2:
            size_score = special.ndtri(stats.rankdata(self.sizes_) / (n_series + 1.0))
            parts = np.column_stack([size_score, *geo_parts])
            sd = parts.std(axis=0)
            z = (parts - parts.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
            corr = z.T @ z / n_series
            np.fill_diagonal(corr, 1.0)  # a part equal in every geo: independent
            shrink = min(1.0, parts.shape[1] / n_series)
            corr = (1 - shrink) * corr + shrink * np.eye(parts.shape[1])
            self.geo_chol_ = np.linalg.cholesky(_nearest_correlation(corr))
        self._fit_root_copula(within, threshold)

    def _fit_root_copula(self, within: Mapping[str, np.ndarray], threshold: float) -> None:
        """Correlated innovations of the roots (cross-channel co-movement), corrected so that
        the AR(1) series have the real same-period correlation."""
        roots = list(self.dag.roots)
        self.copula_roots_, self.copula_chol_ = [], None
        if len(roots) < 2:
            return
        k = len(roots)
        corr = np.eye(k)
        for i in range(k):
            for j in range(i + 1, k):
                a, b = within[roots[i]], within[roots[j]]
                ok = np.isfinite(a) & np.isfinite(b)
                if ok.sum() < 10 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
                    continue
                res = stats.spearmanr(a[ok], b[ok])
                r = float(res.statistic)
                if np.isfinite(r) and abs(r) >= threshold and res.pvalue < _COPULA_P:
                    ri, rj = self.rho_[roots[i]], self.rho_[roots[j]]
                    r = 2 * math.sin(math.pi * r / 6)  # Spearman -> Pearson of normal scores
                    r *= (1 - ri * rj) / math.sqrt((1 - ri * ri) * (1 - rj * rj))
                    corr[i, j] = corr[j, i] = float(np.clip(r, -0.99, 0.99))
        if np.allclose(corr, np.eye(k)):
            return
        self.copula_roots_ = roots
        self.copula_chol_ = np.linalg.cholesky(_nearest_correlation(corr))

    def plan(self, n_series: int, periods: int, rng: np.random.Generator) -> SeriesPlan:
        """Draw the geos, the time inputs and every node's noise for one sample (in a fixed
        order, whatever the interventions: common random numbers)."""
        names = self.dag.nodes
        # stratified normal scores per column: a few dozen new geos spread like the real ones
        # (their sizes above all, which confound spend and outcome across geos)
        geo = special.ndtri((np.argsort(rng.random((n_series, 1 + len(names))), axis=0)
                             + rng.random((n_series, 1 + len(names)))) / n_series)
        if self.geo_chol_ is not None:
            geo = geo @ self.geo_chol_.T
        sizes = np.ones(n_series)
        if self.log_size_ is not None:
            sizes = np.exp(self.log_size_.ppf(special.ndtr(geo[:, 0])))
            sizes /= sizes.mean() if n_series > 1 else 1.0
        shocks = rng.standard_normal((n_series, periods, len(names)))
        if self.copula_chol_ is not None:
            idx = [names.index(r) for r in self.copula_roots_]
            shocks[..., idx] = shocks[..., idx] @ self.copula_chol_.T
        zero_shocks = rng.standard_normal((n_series, periods, len(names)))
        noise = {}
        for j, name in enumerate(names):
            w = _ar1(shocks[..., j], self.rho_[name])
            tau = self.tau_[name]
            u0 = special.ndtr(math.sqrt(tau) * geo[:, [1 + j]] + math.sqrt(1 - tau) * w)
            u1 = special.ndtr(_ar1(zero_shocks[..., j], self.zero_rho_.get(name, 0.0)))
            noise[name] = np.column_stack([u0.ravel(), u1.ravel()])
        inputs = _time_values(self.dag, self.layout, periods, n_series,
                              harmonics=self.harmonics_)
        return SeriesPlan(n_series, periods, np.repeat(sizes, periods), inputs, noise)

    def mechanisms(self, plan: SeriesPlan) -> dict[str, SeriesMechanism]:
        return {name: SeriesMechanism(self, name, plan) for name in self.dag.nodes}


def _ar1(shocks: np.ndarray, rho: float) -> np.ndarray:
    """A stationary standard-normal AR(1) along axis 1 of ``shocks``."""
    out = np.empty_like(shocks)
    out[:, 0] = shocks[:, 0]
    scale = math.sqrt(1 - rho * rho)
    for t in range(1, shocks.shape[1]):
        out[:, t] = rho * out[:, t - 1] + scale * shocks[:, t]
    return out


class SeriesMechanism:
    """One node's fitted model on a sampled series: parents in natural units in, values in
    natural units out (per head of the geo inside, adstock and saturation applied)."""

    def __init__(self, model: SeriesModel, name: str, plan: SeriesPlan):
        self.model, self.name, self.plan = model, name, plan

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        m, plan = self.model, self.plan
        per_head = m.per_head(parents, plan.sizes)
        inputs = m.inputs(self.name, per_head, plan.inputs, plan.periods, plan)
        y = m.models_[self.name].evaluate(inputs, noise)
        return y * plan.sizes if self.name in m.scaled_ else y


def time_columns(dag: DAG, layout: SeriesLayout, n_series: int, periods: int
                 ) -> pd.DataFrame:
    """The geo (panels) and index columns of a synthetic table: new geo labels
    (``synthetic_01``, ...), never the real ones; the real index continued on its grid."""
    out = {}
    if dag.time.geo is not None and (layout.geos is not None or n_series > 1):
        width = max(2, len(str(n_series)))
        out[dag.time.geo] = np.repeat([f"synthetic_{i + 1:0{width}d}" for i in range(n_series)],
                                      periods)
    out[dag.time.index] = np.tile(_index_values(layout.index, periods), n_series)
    return pd.DataFrame(out)


def _index_values(index: tuple | None, periods: int):
    if not index:
        return np.arange(periods, dtype="int64")
    first = index[0]
    if isinstance(first, pd.Timestamp):
        stamps = pd.DatetimeIndex(index)
        freq = pd.infer_freq(stamps) if len(stamps) >= 3 else None
        if freq is not None:
            return pd.date_range(first, periods=periods, freq=freq).to_numpy()
        step = stamps[1] - stamps[0] if len(stamps) > 1 else pd.Timedelta(days=7)
        return (first + step * np.arange(periods)).to_numpy()
    step = int(index[1]) - int(index[0]) if len(index) > 1 else 1
    return int(first) + step * np.arange(periods, dtype="int64")


def schedule_per_row(dag: DAG, interventions, n_series: int, periods: int):
    """Interventions with each schedule as one value per row: a schedule of one value per
    period applies to every geo; any other length is refused, naming the lengths that fit."""
    if not interventions or not isinstance(interventions, Mapping):
        return interventions
    n, out = n_series * periods, dict(interventions)
    for name, value in interventions.items():
        if not (isinstance(value, (list, tuple, np.ndarray)) or hasattr(value, "to_numpy")):
            continue
        raw = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=object)
        if raw.ndim != 1 or len(raw) == n:
            continue
        if len(raw) == periods:
            out[name] = np.tile(raw, n_series)
            continue
        geo = f" in each of {n_series} geos ({n} rows)" if n_series > 1 else ""
        per_row = f" or one per row ({n})" if n_series > 1 else ""
        raise DAGError(
            f"intervention on {name!r}: the schedule has {len(raw)} values, but the sample has "
            f"{periods} periods{geo}; give one value per period ({periods}){per_row}, or sample "
            f"as many periods as the schedule has (n = {n_series * len(raw)})")
    return out


def series_shape(n: int, geos: int | None, layout: SeriesLayout, owner: str
                 ) -> tuple[int, int]:
    """``(series, periods)`` of a sample of ``n`` rows: ``geos`` series (default: as many as
    the training table) of ``n / geos`` periods; an ``n`` that does not split is refused."""
    n_series = geos or layout.n_series
    if n % n_series:
        raise InvalidParameterError(
            f"{owner}.sample: n is the number of rows, geos x periods; {n} rows do not split "
            f"into {n_series} geos. Give n = {n_series} x periods (such as "
            f"{n_series * layout.periods} for {layout.periods} periods per geo) or another "
            f"geos.")
    return n_series, n // n_series
