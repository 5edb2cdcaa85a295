"""``causal``: a DAG-structured synthesizer that keeps attribution by construction.

The synthesizer is a fitted structural causal model. It walks the declared DAG in topological
order and learns, for every node, a conditional generative model of the node given its parents:

* **continuous and count nodes**: a regression for the conditional mean (ridge on a one-hot
  design or histogram gradient boosting, whichever has the lower validation error), a scale
  model for heteroscedastic noise (kept only when it lowers the validation negative
  log-likelihood), and a smoothed distribution of the standardised out-of-sample residuals
  (a variance-preserving Gaussian kernel density, Silverman's rule). Count nodes may use a
  Poisson draw instead, when it has the better validation likelihood. Nodes with many exact
  zeros get a hurdle: a classifier for ``P(zero | parents)`` and the regression on the non-zero
  rows. Samples stay within the natural support (``>= 0`` when every real value is).
* **binary and categorical nodes**: a classifier (smoothed frequencies, logistic regression or
  gradient boosting, whichever has the lower validation log-loss); values are drawn from the
  predicted probabilities.
* **structural zeros** ("no click without exposure"): when a child is zero on every row where a
  binary parent is 0, and chance cannot explain it, the parent is kept as a gate.
* **root nodes**: smoothed marginals (kernel density for numbers, add-one-half smoothed
  frequencies for labels), joined by a Gaussian copula when the real roots are dependent
  (|Spearman| >= ``copula_threshold`` with p < 0.01).

No real value is ever resampled: every numeric value passes through a smoothed quantile
function. Every node draws two uniforms per row in a fixed order (stratified for numbers;
independent for labels, so that label counts carry sampling noise instead of repeating the
real counts), so sampling under an
intervention reuses the same noise (common random numbers): the difference of two samples
with the same seed, with and without ``{"tv_spend": "+10%"}``, estimates the effect with little
Monte Carlo noise.

References
----------
Pearl. "Causality." Cambridge University Press, 2009 (structural causal models, do-operator).
Silverman. "Density Estimation for Statistics and Data Analysis." Chapman & Hall, 1986
(rule-of-thumb bandwidth, variance-preserving smoothed bootstrap, section 6.4.1).
Mullahy. "Specification and testing of some modified count data models." J. Econometrics, 1986
(hurdle models).
Nelsen. "An Introduction to Copulas." Springer, 2006 (Gaussian copula).
McKay, Beckman, Conover. "A comparison of three methods for selecting values of input variables
in the analysis of output from a computer code." Technometrics, 1979 (Latin hypercube sampling).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special
from threadpoolctl import threadpool_limits

from causalsynth._params import SEED, Interval
from causalsynth._random import child_seed
from causalsynth.dag import DAG, Node
from causalsynth.data import from_codes, to_codes
from causalsynth.errors import (
    CausalSynthError,
    InvalidParameterError,
    PrivacyBoundsWarning,
    SynthesizerError,
)
from causalsynth.guarantee import PrivacyGuarantee
from causalsynth.scm import parse_interventions, propagate
from causalsynth.synthesizers._node_models import (
    EPS,
    ClassNode,
    Design,
    NumericNode,
    RootModel,
    find_gates,
    root_copula,
)
from causalsynth.synthesizers._private import (
    ACCOUNTANT,
    CLIP_SHARE,
    Budget,
    PrivateClass,
    PrivateNumeric,
    PrivateRoot,
    clipped_share,
    epsilon_for,
    node_weight,
    private_range,
    quantile_knots,
    rho_for,
)
from causalsynth.synthesizers._series import (
    SeriesModel,
    schedule_per_row,
    series_shape,
    time_columns,
)
from causalsynth.synthesizers.base import Synthesizer

__all__ = ["DEFAULT_DELTA", "CausalSynthesizer"]

#: the delta of a private fit when ``epsilon`` is given without one
DEFAULT_DELTA = 1e-6

# ---------------------------------------------------------------------------------------
# The synthesizer
# ---------------------------------------------------------------------------------------
class CausalSynthesizer(Synthesizer):
    """A structural causal model fitted along the declared DAG; samples under interventions.

    Parameters
    ----------
    random_state : int or None, default 0
        Seed of the fitting randomness (validation splits, gradient boosting). ``sample`` has
        its own ``seed``.
    zero_share : float, default 0.05
        A numeric node with at least this share of exact zeros gets a zero hurdle.
    copula_threshold : float, default 0.1
        Roots are joined by a Gaussian copula when some pair has |Spearman| at least this
        (with p < 0.01).
    epsilon : float or None, default None
        Fit with (``epsilon``, ``delta``)-differential privacy: every quantity taken from the
        real table is released through a Gaussian mechanism and accounted in zCDP (see
        :mod:`causalsynth.synthesizers._private`). None: not private.
    delta : float or None, default None
        The delta of the guarantee, with ``epsilon`` only (None: 1e-6). A delta without an
        epsilon is refused: it would leave the fit silently non-private.
    bounds_share : float, default 0.1
        With ``epsilon``: the share of the budget of the numeric nodes that declare no
        ``range`` spent on estimating their bounds privately (in equal parts: a root's bounds
        need as much as a child's). 0 requires a declared range on every numeric node. Bounds
        that cannot be told from the noise fall back to (-1, 1) with a
        :class:`~causalsynth.errors.PrivacyBoundsWarning`, and ``guarantee_`` says so.

    Attributes
    ----------
    models_ : dict
        One fitted model per node, in topological order.
    summary_ : pandas.DataFrame
        Per node: the model chosen, its validation scores, noise model, gates.
    guarantee_ : PrivacyGuarantee or None
        With ``epsilon``: the guarantee (``epsilon``, ``delta``, ``rho``, ``accountant``, how
        the budget was split, where each node's bounds came from); None otherwise. It also
        reads like a dict (``guarantee_["epsilon"]``).

    Examples
    --------
    >>> from causalsynth import load_dag, make_synthesizer
    >>> dag = load_dag("acquisition")
    >>> synth = make_synthesizer("causal").fit(dag.simulate(2000, seed=0), dag)
    >>> base = synth.sample(5000, seed=1)
    >>> more_tv = synth.sample(5000, seed=1, interventions={"tv_spend": "+10%"})
    >>> bool(8000 < (more_tv["revenue"] - base["revenue"]).mean() < 12000)   # truth: 10,003
    True

    References
    ----------
    Pearl. "Causality." 2009. Silverman. "Density Estimation." 1986. Mullahy. "Specification
    and testing of some modified count data models." 1986.
    """

    #: the fitted mechanisms by node (learned state)
    models_: dict[str, Any]
    name: ClassVar[str] = "causal"
    #: a node model needs a handful of rows; smaller subsets fall back to smoothed marginals.
    min_rows: ClassVar[int] = 10
    supports_interventions: ClassVar[bool] = True
    generates_series: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "random_state": [SEED],
        "zero_share": [Interval(float, 0, 1, closed="neither")],
        "copula_threshold": [Interval(float, 0, 1, closed="neither")],
        "epsilon": [Interval(float, 0, None, closed="neither"), None],
        "delta": [Interval(float, 0, 1, closed="neither"), None],
        "bounds_share": [Interval(float, 0, 1, closed="left")],
    }

    def __init__(self, random_state: int | None = 0, zero_share: float = 0.05,
                 copula_threshold: float = 0.1, epsilon: float | None = None,
                 delta: float | None = None, bounds_share: float = 0.1):
        self.random_state = random_state
        self.zero_share = zero_share
        self.copula_threshold = copula_threshold
        self.epsilon = epsilon
        self.delta = delta
        self.bounds_share = bounds_share

    def _more_param_problems(self) -> list[str]:
        if self.delta is not None and self.epsilon is None:
            return [f"The 'delta' parameter of CausalSynthesizer is used only with 'epsilon'. "
                    f"Got delta={self.delta!r} and epsilon=None instead: give epsilon too for "
                    f"a differentially private fit (e.g. epsilon=3), or drop delta."]
        return []

    # ---- fitting --------------------------------------------------------------------
    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:
        rng = np.random.default_rng(self.random_state)
        values = to_codes(data, dag)
        self.guarantee_: PrivacyGuarantee | None = None
        self.series_: SeriesModel | None = None  # a refit never samples an earlier series model
        if self.epsilon is not None:
            self._fit_private(dag, values, float(self.epsilon), rng)
            return
        if dag.time is not None:  # whole series: see causalsynth.synthesizers._series
            self._fit_series(dag, values, rng)
            return
        self.models_ = {}
        # HistGradientBoosting's OpenMP threads stall badly on a shared, loaded machine
        with threadpool_limits(limits=1):
            for name in dag.nodes:
                self.models_[name] = self._guarded(
                    name, lambda name=name: self._fit_node(dag.node(name), dag, values, rng))
        self.copula_roots_, self.copula_chol_, self.root_tests_ = root_copula(
            dag.roots, dag, values, self.copula_threshold)
        self.summary_ = self._summary()

    def _fit_series(self, dag: DAG, values: Mapping[str, np.ndarray],
                    rng: np.random.Generator) -> None:
        def fit_node(name: str, inputs: tuple[str, ...], node_values, node_rng):
            return self._guarded(name, lambda: self._fit_node(
                dag.node(name), dag, node_values, node_rng, inputs))

        with threadpool_limits(limits=1):
            series = SeriesModel(dag, self._series_layout(), values, fit_node, rng,
                                 self.copula_threshold)
        self.series_ = series
        self.models_ = series.models_
        self.copula_roots_, self.copula_chol_ = series.copula_roots_, None
        self.root_tests_ = []
        self.summary_ = self._summary()

    @staticmethod
    def _guarded(name: str, fit):
        try:
            return fit()
        except CausalSynthError:
            raise
        except Exception as exc:  # a model library failed: name the node
            raise SynthesizerError(
                f"causal: fitting the model of node {name!r} failed ({exc}); check "
                f"that column for extreme or degenerate values") from exc

    def _fit_private(self, dag: DAG, values: Mapping[str, np.ndarray], epsilon: float,
                     rng: np.random.Generator) -> None:
        """Every node from differentially private releases; the budget split equally."""
        unbounded = [n for n in dag.nodes if dag.node(n).is_numeric and dag.node(n).range is None]
        if unbounded and self.bounds_share == 0:
            raise InvalidParameterError(
                f"causal with epsilon and bounds_share=0 needs a declared 'range: [lowest, "
                f"highest]' on every numeric node; missing on {unbounded}. Declare them in "
                f"the DAG or give bounds_share > 0 to estimate them privately.")
        delta = DEFAULT_DELTA if self.delta is None else float(self.delta)
        rho = rho_for(epsilon, delta)
        budget = Budget(rho, np.random.default_rng(child_seed(rng)))
        weights = {n: node_weight(dag, dag.node(n)) for n in dag.nodes}
        total = sum(weights.values())
        # the bounds' budget (bounds_share of the unbounded nodes' budget) is shared equally
        # among them: a histogram has sensitivity 1 whatever the node, and a root's own share
        # (weight 1) would be too small to find its bounds on a small table
        bounds_rho = self.bounds_share * rho * sum(weights[n] for n in unbounded) / total
        each_bounds = bounds_rho / len(unbounded) if unbounded else 0.0
        main_rho = rho - bounds_rho
        ranges: dict[str, tuple[float, float]] = {}
        knots: dict = {}
        knot_noise = np.random.default_rng(child_seed(rng))
        sources: dict[str, str] = {}
        clipped: dict[str, float] = {}
        notes: list[str] = []
        self.models_ = {}
        for name in dag.nodes:
            node = dag.node(name)
            per_node = node_rho = main_rho * weights[name] / total
            if node.is_numeric and node.range is not None:
                ranges[name], sources[name] = node.range, "declared"
                node_rho -= CLIP_SHARE * per_node
                clipped[name], visible = clipped_share(values[name], node.range, budget,
                                                       CLIP_SHARE * per_node, name)
                if visible:
                    notes.append(f"the declared range {list(node.range)} of {name!r} excludes "
                                 f"about {clipped[name]:.0%} of the real rows (a noisy count); "
                                 f"their synthetic values are clipped into it: widen "
                                 f"'range:' in the DAG")
            elif node.is_numeric:
                ranges[name], fell_back = private_range(values[name], budget, each_bounds,
                                                        name, nonnegative=node.type == "count")
                sources[name] = "fallback" if fell_back else "private"
                if fell_back:
                    notes.append(f"the private bounds of {name!r} could not be told from the "
                                 f"noise at epsilon={self.epsilon:g} (too few rows for this "
                                 f"budget), so its synthetic values lie in "
                                 f"{list(ranges[name])}: declare 'range: [lowest, highest]' for "
                                 f"it in the DAG, or raise epsilon or bounds_share")
            model: PrivateRoot | PrivateNumeric | PrivateClass
            if not node.parents:
                model = PrivateRoot(node, values[name], ranges.get(name), budget, node_rho)
            elif node.is_numeric:
                model = PrivateNumeric(node, dag, values, ranges, budget, node_rho,
                                       self.zero_share, knots)
            else:
                model = PrivateClass(node, dag, values, ranges, budget, node_rho, knots)
            self.models_[name] = model
            if node.is_numeric:  # post-processing: the released models' own draws
                draws = propagate(dag, self.models_, {n: knot_noise.random((5_000, 2))
                                                      for n in self.models_}, upto=name)
                knots[name] = quantile_knots(draws[name], ranges[name])
        spent = budget.total_spent()
        if spent > rho * (1 + 1e-9):  # pragma: no cover - the split above forbids it
            raise AssertionError(f"privacy budget overspent: {spent} > {rho}")
        self.copula_roots_, self.copula_chol_, self.root_tests_ = [], None, []
        self.ranges_ = ranges
        # the exact number of training rows tells whether one row was in the table
        self.n_train_ = None
        self.guarantee_ = PrivacyGuarantee(
            epsilon=epsilon, delta=delta, rho=rho,
            epsilon_spent=epsilon_for(spent, delta), accountant=ACCOUNTANT,
            split=f"{self.bounds_share:.0%} of the budget of the numeric nodes without a "
                  "declared range for their bounds, in equal parts; the rest across nodes in "
                  "proportion to the squared norm bound of their statistics (1 for a "
                  f"root); within a node with a declared range, {CLIP_SHARE:.0%} for the "
                  "count of rows outside it",
            bounds=sources,
            # noisy share of real rows outside each declared range (post-processing)
            clipped={k: round(v, 4) for k, v in clipped.items()},
            # what a reader of the synthetic table must know: fallback bounds, clipped ranges
            notes=tuple(notes),
        )
        for note in notes:  # decided from noisy counts: saying it costs no privacy
            warnings.warn(f"causal (epsilon={self.epsilon:g}): {note}", PrivacyBoundsWarning,
                          stacklevel=4)
        self.summary_ = self._summary()

    def _fit_node(self, node: Node, dag: DAG, values: Mapping[str, np.ndarray],
                  rng: np.random.Generator, inputs: tuple[str, ...] | None = None):
        """The node's model given its parents (or ``inputs``: a series model's time inputs
        of a root, adstocked spend and saturation of a child)."""
        if not node.parents and inputs is None:
            return RootModel(node, values[node.name], self.zero_share)
        gates = find_gates(node, dag, values) if node.parents else []
        on = np.ones(len(values[node.name]), dtype=bool)
        for g in gates:
            on &= values[g] == 1
        rows = np.flatnonzero(on)
        design = Design(dag, inputs or node.parents, values)
        if node.type in ("binary", "categorical"):
            return ClassNode(node, design, gates, values, rows, rng)
        return NumericNode(node, design, gates, values, rows, rng, self.zero_share)

    def _summary(self) -> pd.DataFrame:
        rows = []
        for name, model in self.models_.items():
            info = model.describe()
            info["copula"] = name in self.copula_roots_
            rows.append({"node": name, "type": self.dag_.node(name).type, **info})
        return pd.DataFrame(rows)

    # ---- sampling -------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator,
                interventions: Mapping[str, Any] | None = None,
                geos: int | None = None, **kwargs: Any) -> pd.DataFrame:
        dag = self.dag_
        if getattr(self, "series_", None) is not None:
            return self._sample_series(n, rng, interventions, geos)
        parse_interventions(dag, interventions)  # every problem before anything is drawn
        # two uniforms per node and row, drawn in a fixed order whatever the interventions:
        # the same seed gives the same noise with and without them (common random numbers).
        # Labels draw independent uniforms: stratified ones would reproduce the real label
        # counts exactly (73/50/77 of 300 rows), and exact counts of small groups disclose
        noise = {name: (rng.random((n, 2)) if dag.node(name).type in ("binary", "categorical")
                        else _stratified_uniforms(n, rng)) for name in dag.nodes}
        noise.update(self._root_uniforms(noise))
        with threadpool_limits(limits=1):
            values = propagate(dag, self.models_, noise, interventions)
        return from_codes(values, dag)

    def _sample_series(self, n: int, rng: np.random.Generator,
                       interventions: Mapping[str, Any] | None, geos: int | None
                       ) -> pd.DataFrame:
        dag, layout, series = self.dag_, self._series_layout(), self.series_
        if series is None:  # pragma: no cover - _sample sends series DAGs only
            raise SynthesizerError("causal: no series model was fitted")
        n_series, periods = series_shape(n, geos, layout, "causal")
        interventions = schedule_per_row(dag, interventions, n_series, periods)
        parse_interventions(dag, interventions)  # every problem before anything is drawn
        plan = series.plan(n_series, periods, rng)
        mechanisms = series.mechanisms(plan)
        with threadpool_limits(limits=1):
            values = propagate(dag, mechanisms, plan.noise)
            if interventions:  # the natural draw fixed each geo's means; now intervene
                plan.fixed = True
                values = propagate(dag, mechanisms, plan.noise, interventions)
        return pd.concat([time_columns(dag, layout, n_series, periods),
                          from_codes(values, dag)], axis=1)

    def _root_uniforms(self, noise: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each root's uniform, joined by the Gaussian copula where the real roots depend."""
        u = {name: noise[name][:, 0] for name in self.dag_.roots}
        if self.copula_chol_ is not None:
            z = special.ndtri(np.clip(np.column_stack([u[r] for r in self.copula_roots_]),
                                      EPS, 1 - EPS))
            joined = special.ndtr(z @ self.copula_chol_.T)
            for i, r in enumerate(self.copula_roots_):
                u[r] = joined[:, i]
        return u


def _stratified_uniforms(n: int, rng: np.random.Generator) -> np.ndarray:
    """Two columns of uniforms, each a Latin-hypercube (stratified) sample of (0, 1).

    Every row is still exactly uniform, but the n values of a column cover (0, 1) evenly, so a
    synthetic table's marginals carry less Monte Carlo noise than i.i.d. draws would give
    (McKay, Beckman and Conover 1979). Columns and nodes are permuted independently.
    """
    return (np.column_stack([rng.permutation(n), rng.permutation(n)])
            + rng.random((n, 2))) / n
