"""Mechanism vocabulary, ``simulate()`` and the ground truth of a declared DAG.

A DAG's optional ``simulation`` block gives every node a mechanism. Root nodes draw from a
distribution; other nodes combine their parents. The vocabulary::

    simulation:
      demand:       {distribution: normal, mean: 100000, sd: 25000}
      tv_spend:     {distribution: lognormal, mu: 11, sigma: 0.4, zero_share: 0.3}
      segment:      {probabilities: {new: 0.6, returning: 0.4}}        # categorical root
      exposed:      {distribution: bernoulli, p: 0.3}                   # binary root
      visits:       {distribution: poisson, rate: 4}                    # count root
      clicks:
        intercept: 0
        coefficients: {demand: 0.75, tv_spend: 0.5, device: {mobile: 0.1, desktop: 0}}
        saturation: {tv_spend: {half: 80000, shape: 2}}   # Hill S-curve x^s/(x^s+half^s)
        segment: {parent: segment, multipliers: {new: 1.0, returning: 1.6}}
        gate: exposed           # multiply by a binary parent (no exposure, no click)
        link: identity          # identity | logistic (binary) | log (count)
        noise: {distribution: normal, sd: 2000}   # normal (mean, sd) | lognormal | uniform
        zero_share: 0.1         # share of rows set to 0 (zero-inflated spend)
        min: 0                  # clip below

Rows as a time series: a DAG with a top-level ``time: {index: week, period: 52}`` block has
rows that are consecutive periods (see :mod:`causalsynth._time_block`), and two more words::

      trend:   {trend: {start: 0, end: 1}}                  # linear ramp, first to last row
      season:  {seasonality: {amplitude: 1, harmonics: 2, phase: 0},
                noise: {distribution: normal, sd: 0.1}}     # optional noise on either
      revenue:
        coefficients: {tv_spend: 2.0}
        carryover: {tv_spend: {decay: 0.6, max_lag: 8}}     # geometric adstock, then saturation
        # (add peak: 2 for the delayed form, whose effect peaks two periods after the spend)

A ``seasonality`` root is ``amplitude * sum_k sin(2 pi k (t - phase) / period) / k``,
``k = 1..harmonics``, at row ``t`` of the series; a root may have both curves (they add).
``carryover`` replaces a parent's series ``x`` by ``sum_l w_l x_(t-l)``, ``w_l = decay**l /
sum_j decay**j``, ``l = 0..max_lag`` (spend before the first row counts as 0), before the
declared saturation. The index column is not a node: ``simulate`` returns it first, numbering
the periods ``0, 1, ...``, then the nodes, one row per period in order. Interventions act on the
whole series (``"+10%"`` raises every week's spend) and the carryover follows.

Geo panels: a DAG with ``time: {index: week, period: 52, geo: region}`` declares its panel in
the reserved key ``panel`` (geos, their sizes, the nodes that scale with size, per-geo
baselines; see :mod:`causalsynth._simulation_block`)::

      panel: {geos: 40, size: {distribution: lognormal, sigma: 0.5},
              scale: [tv_spend, revenue], baseline: {demand: {sd: 8}}}

``simulate(n)`` then draws ``n = geos x weeks`` rows, geo after geo; every geo is its own
series (trend, season and carryover restart in each geo).

The value of a non-root node is ``gate * g(segment * (intercept + sum of terms) + noise)``,
with ``g`` the link: identity for continuous nodes, a Bernoulli draw of ``sigmoid`` for binary
nodes (or of the clipped value with ``link: identity``), a Poisson draw for count nodes (rate
``exp`` with ``link: log``, else the value clipped at 0). A categorical parent enters through a
per-level coefficient mapping or a ``segment``; categorical nodes must be roots.

Each node's mechanism is a :class:`DeclaredMechanism` run by the package's one engine,
:func:`causalsynth.scm.propagate`. Every node draws its randomness from two uniforms per row
(one for its value, one for zero inflation), turned into the declared distribution by inverse
CDFs. That makes interventions and the ground truth use common random numbers: the same row
under ``do(tv_spend + 10%)`` differs only through the intervention. The block's vocabulary is
checked by :func:`check_simulation` (every problem at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from causalsynth._cache import cached, frame_from_json, frame_to_json
from causalsynth._ici import shapley_variance_shares
from causalsynth._mmm import channel_truth
from causalsynth._params import Interval, check_param, check_size
from causalsynth._random import as_generator
from causalsynth._simulation_block import LINKS, PANEL_KEY, Panel, check_simulation, panel_effects
from causalsynth._time_columns import period_positions
from causalsynth.data import from_codes
from causalsynth.errors import DAGError, InvalidParameterError
from causalsynth.media import adstock, hill, time_curve
from causalsynth.scm import parse_interventions, propagate

__all__ = ["DeclaredMechanism", "GroundTruth", "check_simulation", "declared_mechanisms",
           "draw_noise", "ground_truth", "panel_of", "simulate"]

_EPS = 1e-12


# ---------------------------------------------------------------------------------------
# Declared mechanisms: uniforms in, values out
# ---------------------------------------------------------------------------------------
class DeclaredMechanism:
    """One node's mechanism as declared in the ``simulation`` block (a :class:`~causalsynth.scm.
    Mechanism`); its noise is two uniforms per row (value, zero inflation)."""

    def __init__(self, dag, name: str, periods: int | None = None, panel: Panel | None = None):
        self.dag, self.node, self.spec = dag, dag.node(name), dag.simulation[name]
        #: rows per series on a time DAG (None: all rows are one series)
        self.periods = periods
        #: geo effects of a panel DAG (rows: series of ``periods`` rows, geo after geo)
        self.panel = panel

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        node, spec, panel = self.node, self.spec, self.panel
        geo = None if panel is None else panel.geo_of_rows(len(noise), self.periods)
        if geo is not None:  # per-capita parents
            parents = {p: v / panel.sizes[geo] if p in panel.scaled else v
                       for p, v in parents.items()}
        if "trend" in spec or "seasonality" in spec:
            x = self._time_root(noise[:, 0])
        elif not node.parents:
            x = self._root(noise[:, 0])
        else:
            x = self._child(parents, noise[:, 0])
        if geo is not None and node.name in panel.baselines:
            x = x + panel.baselines[node.name][geo]
        if spec.get("zero_share"):
            x = np.where(noise[:, 1] < spec["zero_share"], 0.0, x)
        if "min" in spec:
            x = np.maximum(x, spec["min"])
        if geo is not None and node.name in panel.scaled:
            x = x * panel.sizes[geo]
        return x

    def _root(self, u: np.ndarray) -> np.ndarray:
        node, spec = self.node, self.spec
        if node.type == "categorical":
            probs = np.array([float(spec["probabilities"].get(c, 0)) for c in node.categories])
            return np.searchsorted(np.cumsum(probs / probs.sum()), u, side="right").clip(
                0, len(probs) - 1).astype(float)
        return _inverse_cdf(spec["distribution"], spec, u)

    def _time_root(self, u: np.ndarray) -> np.ndarray:
        periods = self.periods or len(u)
        x = time_curve(self.spec, self.dag.time.period, period_positions(len(u), periods),
                       periods)
        noise = self.spec.get("noise")
        return x + _inverse_cdf(noise["distribution"], {"mean": 0.0, **noise}, u) if noise else x

    def _child(self, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        node, spec = self.node, self.spec
        eta = np.full(len(u), float(spec.get("intercept", 0.0)))
        sat = spec.get("saturation", {}) or {}
        carry = spec.get("carryover", {}) or {}
        for parent, coef in (spec.get("coefficients", {}) or {}).items():
            x = values[parent]
            if isinstance(coef, Mapping):  # per-category effects of a categorical parent
                cats = self.dag.node(parent).categories
                table = np.array([float(coef.get(c, 0.0)) for c in cats])
                eta += table[x.astype(int)]
                continue
            if parent in carry:
                x = adstock(x, carry[parent]["decay"], carry[parent]["max_lag"], self.periods,
                            carry[parent].get("peak"))
            if parent in sat:
                x = hill(x, float(sat[parent]["half"]), float(sat[parent]["shape"]))
            eta += float(coef) * x
        if spec.get("segment"):
            seg = spec["segment"]
            cats = self.dag.node(seg["parent"]).categories
            mult = np.array([float(seg["multipliers"][c]) for c in cats])
            eta *= mult[values[seg["parent"]].astype(int)]
        link = spec.get("link", LINKS[node.type][0])
        if node.type == "continuous":
            noise = spec.get("noise")
            y = eta + (_inverse_cdf(noise["distribution"], {"mean": 0.0, **noise}, u)
                       if noise else 0.0)
        elif node.type == "binary":
            p = special.expit(eta) if link == "logistic" else np.clip(eta, 0.0, 1.0)
            y = (u < p).astype(float)
        else:  # count
            rate = np.exp(eta) if link == "log" else np.maximum(eta, 0.0)
            y = _poisson_ppf(u, rate)
        if spec.get("gate"):
            y = y * values[spec["gate"]]
        return y


def declared_mechanisms(dag, periods: int | None = None) -> dict[str, DeclaredMechanism]:
    """The mechanisms of the DAG's ``simulation`` block, one per node.

    On a time DAG, ``periods`` consecutive rows form one series (default: all the rows). On a
    panel DAG (``time.geo``) ``periods`` is required: the rows are series of ``periods`` rows,
    one per geo in turn (geo 1, ..., geo G, geo 1, ... when there are more series).
    """
    if dag.simulation is None:
        raise DAGError(f"DAG {dag.name!r} has no 'simulation' block, so it cannot be "
                       f"simulated; add one (see causalsynth.simulation) or load data instead")
    panel = panel_of(dag)
    if panel is not None and periods is None:
        raise DAGError(f"DAG {dag.name!r} simulates a panel of {panel.geos} geos; give the "
                       f"periods per geo (declared_mechanisms(dag, periods=156))")
    return {name: DeclaredMechanism(dag, name, periods, panel) for name in dag.nodes}


def panel_of(dag) -> Panel | None:
    """The geo effects of a panel DAG's ``simulation.panel`` block; None for other DAGs."""
    if dag.time is None or dag.time.geo is None or dag.simulation is None:
        return None
    return panel_effects(dag.simulation[PANEL_KEY])


def draw_noise(dag, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Two uniforms per node and row, drawn node by node in the DAG's order."""
    return {name: rng.random((n, 2)) for name in dag.nodes}


def _inverse_cdf(dist: str, p: Mapping, u: np.ndarray) -> np.ndarray:
    u = np.clip(u, _EPS, 1 - _EPS)
    if dist == "normal":
        return p.get("mean", 0.0) + p["sd"] * special.ndtri(u)
    if dist == "lognormal":
        return np.exp(p["mu"] + p["sigma"] * special.ndtri(u))
    if dist == "uniform":
        return p["low"] + (p["high"] - p["low"]) * u
    if dist == "poisson":
        return _poisson_ppf(u, np.full(len(u), float(p["rate"])))
    if dist == "bernoulli":
        return (u < p["p"]).astype(float)
    raise DAGError(f"unknown distribution {dist!r}")  # unreachable after check_simulation


def _poisson_ppf(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson inverse CDF, vectorised over rates: a Cornish-Fisher start, then exact steps.

    Three times faster than ``scipy.stats.poisson.ppf`` and equal to it.
    """
    u = np.clip(u, _EPS, 1 - _EPS)
    rate = np.maximum(np.broadcast_to(rate, u.shape), _EPS)
    z = special.ndtri(u)
    k = np.maximum(np.floor(rate + np.sqrt(rate) * z + (z * z - 1) / 6), 0)
    for _ in range(100):
        down = (k > 0) & (special.pdtr(k - 1, rate) >= u)
        up = special.pdtr(k, rate) < u
        if not (down.any() or up.any()):
            break
        k = k - down + up
    return k


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def simulate(dag, n: int, seed=None, interventions: Mapping[str, Any] | None = None
             ) -> pd.DataFrame:
    """Draw ``n`` rows from the DAG's ``simulation`` block.

    Parameters
    ----------
    dag : DAG
        A DAG with a ``simulation`` block.
    n : int
        Number of rows, >= 1. On a panel DAG (``time.geo``) the rows of all geos together:
        ``geos x weeks``, so a multiple of the declared number of geos (``geo_mmm``: 40 geos,
        ``n = 6240`` for 156 weeks); any other ``n`` is refused.
    seed : int or numpy.random.Generator, optional
        The same seed gives the same frame.
    interventions : mapping, optional
        ``{node: value, shift or schedule}``; see :func:`causalsynth.scm.parse_intervention`.
        A schedule has one value per row (geo after geo on a panel).

    Returns
    -------
    pandas.DataFrame
        The nodes in the DAG's order. On a DAG with ``time`` the rows are consecutive periods
        and the index column comes first, numbering them ``0, 1, ..., weeks - 1``; on a panel
        the geo column (``geo_01``, ``geo_02``, ...) comes before it, and the rows are geo after
        geo, each geo's weeks in order. Carryover never crosses from one geo to the next.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> load_dag("acquisition").simulate(3, seed=0).shape
    (3, 6)
    >>> load_dag("weekly_mmm").simulate(3, seed=0)["week"].tolist()
    [0, 1, 2]
    """
    n = check_size("n", n, owner="simulate", columns=len(dag.nodes) + 2)
    panel = panel_of(dag) if dag.simulation is not None else None
    if panel is not None and n % panel.geos:
        weeks = max(n // panel.geos, 1)
        raise InvalidParameterError(
            f"The 'n' parameter of simulate is the number of rows of the panel, geos x weeks, "
            f"and DAG {dag.name!r} has {panel.geos} geos: n must be a multiple of "
            f"{panel.geos}, such as {panel.geos * weeks} ({weeks} weeks per geo) or "
            f"{panel.geos * 156} (156 weeks). Got {n} instead.")
    periods = n // panel.geos if panel is not None else None
    mechanisms = declared_mechanisms(dag, periods)
    parse_interventions(dag, interventions)  # every problem before anything is drawn
    noise = draw_noise(dag, as_generator(seed), n)
    frame = from_codes(propagate(dag, mechanisms, noise, interventions), dag)
    if dag.time is not None:
        frame.insert(0, dag.time.index, period_positions(n, periods).astype("int64"))
    if panel is not None:
        frame.insert(0, dag.time.geo, np.repeat(panel.labels(), periods))
    return frame


@dataclass(frozen=True)
class GroundTruth:
    """The true causal answers of a simulated DAG.

    ``ici``: columns ``node``, ``share`` (percent, sums to 100) and ``se`` (Monte Carlo standard
    error in points; 0 when exact). ``effects``: columns ``treatment``, ``outcome``, ``per_unit``
    (change in the outcome's mean per unit added to the treatment; for a binary treatment,
    do(1) minus do(0)) and ``shift_10pct`` (change in the outcome's mean when the treatment is
    raised by 10%; NaN for binary treatments).

    On a time DAG, ``mmm`` gives per spend channel ``channel``, ``spend`` (mean per row: per
    period, or per geo and period on a panel),
    ``contribution_share`` (percent of the summed channel contributions), ``roas`` (revenue
    lost when the channel's spend is 0 in every period, over its spend) and ``mroas`` (revenue
    gained by +1% spend in every period, over the added spend); ``response_curves`` gives the
    mean contribution per period (``contribution``, versus zero spend) when every period's spend
    is multiplied by ``multiplier``. Both None for DAGs without time.
    """

    target: str
    ici: pd.DataFrame
    effects: pd.DataFrame
    method: str
    mmm: pd.DataFrame | None = None
    response_curves: pd.DataFrame | None = None

    def shares(self) -> dict[str, float]:
        return dict(zip(self.ici["node"], self.ici["share"], strict=True))


def ground_truth(dag, target: str | None = None, n_samples: int = 200_000, seed: int = 0,
                 n_periods: int | None = None) -> GroundTruth:
    """True ICI shares of every ancestor of ``target`` (default: the outcome) and true effects.

    ICI follows DoWhy's definition (Janzing et al. 2024): the Shapley value of the variance of
    ``E[target | noise of a node set]`` over the nodes' noise terms. For a linear-Gaussian DAG
    the shares are exact: the squared total path coefficient times the noise variance. Otherwise
    they come from a Monte Carlo pick-freeze estimator (Jansen 1999) over all node subsets, with
    common random numbers, ``n_samples`` rows and a stated standard error. Effects use common
    random numbers too: the same rows with and without the intervention.

    On a DAG with ``time``, the rows are ``n_samples // n_periods`` independent series of
    ``n_periods`` periods each (default: three seasonal periods, 156 weeks for ``period: 52``),
    the truth of a series as long as ``simulate(n_periods)`` draws. On a panel DAG the rows
    are ``n_samples // (geos * n_periods)`` (at least one) whole panels of every geo over
    ``n_periods`` weeks, the truth of ``simulate(geos * n_periods)``; the geos' sizes and
    baselines are fixed, like the trend, and get no ICI share; the channel figures are sums
    over the geos. ICI pools the periods of
    all series: it shares the variance of the target given the period (trend and seasonality
    without noise are fixed given the period and get no share), and carryover runs within each
    series. Effects are mean changes per period with the intervention applied in every period
    (carryover included). ``mmm`` and ``response_curves`` give the channel truth (see
    :class:`GroundTruth`).

    The truth of an int ``seed`` is computed once per machine: it is saved in the disk cache
    of :mod:`causalsynth._cache` (the folder ``$CAUSALSYNTH_CACHE_DIR``, else the user's cache
    folder such as ``~/.cache/causalsynth``; ``CAUSALSYNTH_CACHE_DIR=off`` turns it off),
    keyed on the DAG's whole spec, every argument, the library versions and the source of the
    code that computes it, and read back exactly as computed.

    References
    ----------
    Janzing, Blöbaum, Minorics, Mastakouri, Wenzel. "Quantifying intrinsic causal contributions
    via structure preserving interventions." AISTATS 2024.
    """
    target = target or dag.outcome
    periods = None
    if dag.time is not None:
        periods = int(n_periods or 3 * dag.time.period)
        check_param("n_periods", periods, Interval(int, 1, None), owner="ground_truth")
    check_size("n_samples", n_samples, owner="ground_truth", columns=len(dag.nodes) + 2)
    key = (dag.to_yaml(), target, int(n_samples), seed, periods)
    if key not in _TRUTHS:
        if len(_TRUTHS) >= 32:  # a small cache: the Monte Carlo truth takes seconds
            _TRUTHS.pop(next(iter(_TRUTHS)))
        _TRUTHS[key] = _saved_truth(dag, *key[1:])
    return _TRUTHS[key]


_TRUTHS: dict[tuple, GroundTruth] = {}
#: the frames of a GroundTruth, as its disk cache entry holds them
_FRAMES = ("ici", "effects", "mmm", "response_curves")


def _saved_truth(dag, target: str, n_samples: int, seed, periods: int | None) -> GroundTruth:
    """The truth from the disk cache of :mod:`causalsynth._cache` (computed and saved on a
    miss), keyed on the DAG's whole spec and every argument; an unseeded truth (None or a
    Generator: a draw, not a fixed answer) is computed each time."""
    def compute() -> GroundTruth:
        return _ground_truth(dag, target, n_samples, seed, periods)

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        return compute()
    inputs = {"spec": dag.to_yaml(), "target": target, "n_samples": n_samples,
              "seed": int(seed), "n_periods": periods}
    return cached("ground_truth", inputs, __name__, compute, _truth_to_json, _truth_from_json)


def _truth_to_json(truth: GroundTruth) -> dict[str, Any]:
    frames = {f: None if getattr(truth, f) is None else frame_to_json(getattr(truth, f))
              for f in _FRAMES}
    return {"target": truth.target, "method": truth.method, **frames}


def _truth_from_json(data: Mapping[str, Any]) -> GroundTruth:
    frames = {f: None if data[f] is None else frame_from_json(data[f]) for f in _FRAMES}
    return GroundTruth(target=data["target"], method=data["method"], **frames)


def _ground_truth(dag, target: str, n_samples: int, seed: int, periods: int | None
                  ) -> GroundTruth:
    mechanisms = declared_mechanisms(dag, periods)
    panel = panel_of(dag)
    block = periods * (panel.geos if panel is not None else 1) if periods else None
    if block is not None:  # whole series (whole panels)
        n_samples = max(1, n_samples // block) * block
    dag.node(target)
    players = [*dag.ancestors(target), target]
    exact = None if panel is not None else _linear_gaussian_ici(dag, target, players)
    rng = as_generator(seed)
    if exact is not None:
        ici = pd.DataFrame({"node": players, "share": exact, "se": 0.0})
        method = "exact (linear-Gaussian)"
    else:
        noise_a, noise_b = draw_noise(dag, rng, n_samples), draw_noise(dag, rng, n_samples)
        shares, se = shapley_variance_shares(
            lambda noise, _: propagate(dag, mechanisms, noise, upto=target)[target],
            noise_a, noise_b, players)
        ici = pd.DataFrame({"node": players, "share": shares, "se": se})
        method = f"Monte Carlo pick-freeze Shapley, {n_samples} rows"
    effects = _true_effects(dag, mechanisms, target, rng, n_samples)
    if panel is not None:
        method += f"; {n_samples // block} panel(s) of {panel.geos} geos x {periods} periods"
    elif periods is not None:
        method += f"; {n_samples // periods} series of {periods} periods"
    if periods is None:
        return GroundTruth(target=target, ici=ici, effects=effects, method=method)
    mmm, curves = channel_truth(dag, mechanisms, draw_noise(dag, rng, n_samples), target)
    return GroundTruth(target=target, ici=ici, effects=effects, method=method, mmm=mmm,
                       response_curves=curves)


def _linear_gaussian_ici(dag, target: str, players: list[str]) -> np.ndarray | None:
    """Exact shares when every mechanism up to ``target`` is linear with Gaussian noise."""
    sd: dict[str, float] = {}
    for name in players:
        node, spec = dag.node(name), dag.simulation[name]
        plain = node.type == "continuous" and "min" not in spec and not any(
            spec.get(k) for k in ("zero_share", "saturation", "carryover", "segment", "gate"))
        if not plain:
            return None
        if node.parents:
            noise = spec.get("noise")
            if noise and noise.get("distribution") != "normal":
                return None
            sd[name] = float(noise["sd"]) if noise else 0.0
        elif spec.get("distribution") != "normal":
            return None
        else:
            sd[name] = float(spec["sd"])
    # total effect of each node on the target: sum over paths of coefficient products
    total = {target: 1.0}
    for name in reversed(players[:-1]):
        total[name] = sum(float(dag.simulation[c].get("coefficients", {}).get(name, 0.0)) *
                          total.get(c, 0.0) for c in dag.children(name) if c in total)
    contrib = np.array([total[p] ** 2 * sd[p] ** 2 for p in players])
    return 100.0 * contrib / contrib.sum()


def _true_effects(dag, mechanisms: Mapping[str, DeclaredMechanism], target: str,
                  rng: np.random.Generator, n_samples: int) -> pd.DataFrame:
    rows = []
    ancestors = set(dag.ancestors(target))
    noise = draw_noise(dag, rng, n_samples)

    def run(interventions=None):
        return propagate(dag, mechanisms, noise, interventions, upto=target)

    base = run()
    for t in dag.treatments:
        node = dag.node(t)
        if t not in ancestors:
            rows.append((t, target, 0.0, 0.0 if node.is_numeric else np.nan))
            continue
        if node.type == "binary":
            y1 = run({t: 1})[target]
            y0 = run({t: 0})[target]
            rows.append((t, target, float(np.mean(y1 - y0)), np.nan))
            continue
        if node.type == "categorical":
            continue  # effects of categorical treatments are contrasts, not a per-unit number
        delta = 0.01 * float(np.std(base[t])) or 1.0
        y_unit = run({t: lambda x, d=delta: x + d})[target]
        y_shift = run({t: "+10%"})[target]
        y0 = base[target]
        rows.append((t, target, float(np.mean(y_unit - y0)) / delta, float(np.mean(y_shift - y0))))
    return pd.DataFrame(rows, columns=["treatment", "outcome", "per_unit", "shift_10pct"])
