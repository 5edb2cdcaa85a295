"""Row-wise ``E[Var(Y | N_S)]`` of fitted causal models with discrete noise summed out: the
Rao-Blackwellised pick-freeze runs behind :func:`causalsynth.evaluate.gcm_ici.mc_ici`, for one
model or several models of one DAG evaluated together (a table's bootstrap replicates)."""

from __future__ import annotations

import numpy as np

from causalsynth._ici import Contractor, Tensor, TooLarge, align
from causalsynth.evaluate.gcm import FittedGCM
from causalsynth.evaluate.gcm_models import is_classified, model_parents

__all__ = ["EXACT_BUDGET", "PairedRuns"]

#: largest array (elements) an exact sum over label values may build; beyond, labels are sampled
EXACT_BUDGET = 4_000_000


class PairedRuns:
    """Row-wise ``E[Var(Y | N_S)]`` for every subset S, with discrete noise summed out.

    Jansen's pick-freeze term ``1/2 (Y(A) - Y(A_S, B_rest))^2`` is replaced by its conditional
    expectation given the sampled uniforms (Rao-Blackwellisation), which is still unbiased and
    has a smaller variance:

    * the target's own additive noise ``N_Y`` adds ``Var(N_Y)`` whenever ``Y`` is not in S and
      nothing otherwise, so its Shapley value is exactly ``Var(N_Y)`` (its residuals'
      variance) and the Monte Carlo runs over the noise-free prediction ``f(parents)``;
    * a binary or categorical node X (in ``integrate``) is not sampled: each run carries one
      array axis per such node, indexing its value, and the pair (A run, mixed run) gets a
      probability factor per node: ``P(X | parents)`` in each run when its uniform differs
      between the runs (X not in S), and when it is shared (X in S) the joint law of the two
      labels driven by one uniform through the two runs' class probabilities (the overlap of
      the two CDF intervals), exactly how DoWhy's ``ClassifierFCM`` turns a uniform into a
      class. A root's label keeps one axis when shared. ``numpy.einsum`` sums the products.

    Nodes not summed out (numeric roots, additive noise, labels beyond the budget) are sampled
    from the draws A and B passed in (the same for every table), along a rows axis.

    ``fitted`` is one fitted model or a list of models of the same DAG, families and classes
    (the bootstrap replicates of a table): they are evaluated together along one more axis,
    so the Python cost of each subset is paid once for all of them. ``cost`` returns an array
    of shape ``(rows, models)`` (rows 1 when nothing is sampled).

    References
    ----------
    Jansen. "Analysis of variance designs for model output." Computer Physics
    Communications, 1999. Owen. "Monte Carlo theory, methods and examples", ch. 8
    (conditioning), 2013.
    """

    def __init__(self, fitted: FittedGCM | list[FittedGCM], target: str, uniforms_a,
                 uniforms_b, integrate: frozenset, budget: float | None = None):
        self.fits = list(fitted) if isinstance(fitted, list) else [fitted]
        self.fitted = fitted = self.fits[0]  # the DAG, upstream sets, classes: shared by all
        dag = fitted.dag
        self.target = target
        self.order = [*dag.ancestors(target), target]
        self.additive = dag.node(target).is_numeric
        self.players = [n for n in self.order if not (self.additive and n == target)]
        self.integrate = [n for n in self.order if n in integrate]
        m = len(self.integrate)
        if 2 * m + 2 > 52:  # einsum names at most 52 axes
            raise TooLarge(f"{m} label nodes")
        self.axis_a = {n: i for i, n in enumerate(self.integrate)}
        self.axis_m = {n: m + i for i, n in enumerate(self.integrate)}
        self.rows_axis = 2 * m
        self.batch_axis = 2 * m + 1  # the models: the last axis of every model's output
        self.uniforms_a, self.uniforms_b = uniforms_a, uniforms_b
        self.upstream = fitted.upstream
        self.budget = budget or EXACT_BUDGET
        self.contract = Contractor(self.budget, batch_axis=self.batch_axis)
        # all-label parents: one lookup table per model, stacked (configurations, models, ...)
        self.grids = {node: (grid[0], np.stack([f.grids[node][1] for f in self.fits], axis=1))
                      for node, grid in fitted.grids.items()}
        self._values: dict = {}
        self._probs: dict = {}
        self._couplings: dict = {}
        self.everything = frozenset(self.order)
        self._run(self.everything)
        y_a = self._value_of(target, self.everything)
        self.factors_a = [self._probs[(n, self.upstream[n])] for n in self.integrate]
        tensors = [*self.factors_a, y_a]
        self.sampled = any(self.rows_axis in t.axes for t in tensors)
        self.n_rows = len(next(iter(uniforms_a.values()))) if self.sampled else 1
        self.out = (self.rows_axis, self.batch_axis) if self.sampled else (self.batch_axis,)
        means = self._batched(self.contract(tensors, self.out))
        self.center = Tensor(means.mean(axis=0), (self.batch_axis,))
        self.y_a = self._centred(y_a)
        self.ea2 = self._batched(self.contract([*self.factors_a, self.y_a, self.y_a], self.out))

    # ---- the runs ----------------------------------------------------------------------
    def _batched(self, x: np.ndarray) -> np.ndarray:
        """A contraction over ``self.out`` as (rows, models)."""
        return x.reshape(self.n_rows, len(self.fits))

    def _centred(self, t: Tensor) -> Tensor:
        axes, (array, center) = align(t, self.center)
        return Tensor(array - center, axes)

    def _value_of(self, node: str, key: frozenset) -> Tensor:
        return self._values[(node, key & self.upstream[node])]

    def _run(self, key: frozenset) -> None:
        for node in self.order:
            ckey = (node, key & self.upstream[node])
            if ckey not in self._values:
                self._values[ckey] = self._evaluate(node, key, ckey)

    def _axis(self, node: str, key: frozenset) -> int:
        """The A run's axis when the node's whole upstream comes from A, else the mixed one."""
        return self.axis_a[node] if self.upstream[node] <= key else self.axis_m[node]

    def _check(self, axes: tuple[int, ...], shape) -> None:
        """One model's share of an array (the models' axis is not counted) within budget."""
        size = int(np.prod(shape))
        if self.batch_axis in axes:
            size //= shape[axes.index(self.batch_axis)]
        if size > self.budget:
            raise TooLarge(shape)

    def _per_model(self, axes: tuple[int, ...], arrays: list[np.ndarray], compute
                   ) -> tuple[tuple[int, ...], np.ndarray]:
        """``compute(fitted, arrays)`` for each model on its slice of the broadcast arrays,
        stacked on the models' axis (before any trailing class axis of the output)."""
        batch = axes.index(self.batch_axis) if self.batch_axis in axes else None
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        inner = tuple(n for i, n in enumerate(shape) if i != batch)
        outs = []
        for b, f in enumerate(self.fits):
            sliced = [np.broadcast_to(a if batch is None else a.take(
                min(b, a.shape[batch] - 1), axis=batch), inner) for a in arrays]
            outs.append(compute(f, sliced))
        kept = tuple(ax for ax in axes if ax != self.batch_axis)
        return (*kept, self.batch_axis), np.stack(outs, axis=len(inner))

    def _noise(self, node: str, u: np.ndarray) -> Tensor:
        """A sampled node's noise in each model: (rows, models)."""
        return Tensor(np.stack([f.noise(node, u) for f in self.fits], axis=-1),
                      (self.rows_axis, self.batch_axis))

    def _evaluate(self, node: str, key: frozenset, ckey) -> Tensor:
        f = self.fitted
        parents = model_parents(f.dag, node)
        sampled = node not in self.integrate and not (node == self.target and self.additive)
        if sampled:
            u = self.uniforms_a[node] if node in key else self.uniforms_b[node]
        if not parents:
            if node not in self.integrate:
                return self._noise(node, u)
            ax = self._axis(node, key)
            n_labels = len(f.labels(node))
            pmf = np.stack([np.bincount(g.noise_values[node].astype(np.intp),
                                        minlength=n_labels) / len(g.noise_values[node])
                            for g in self.fits], axis=-1)
            self._probs[ckey] = Tensor(pmf, (ax, self.batch_axis))
            return Tensor(np.arange(n_labels, dtype=float), (ax,))
        parent_values = [self._value_of(p, key) for p in parents]
        if is_classified(f.dag, node) and node not in self.integrate:
            # a sampled label, as in the plain estimator
            axes, arrays = align(*parent_values, Tensor(u, (self.rows_axis,)))
            self._check(axes, np.broadcast_shapes(*[a.shape for a in arrays]))
            axes, out = self._per_model(axes, arrays, lambda g, full: g.evaluate_node(
                node, [a.ravel() for a in full[:-1]], full[-1].ravel()).reshape(full[0].shape))
            return Tensor(out, axes)
        axes, arrays = align(*parent_values)
        self._check(axes, np.broadcast_shapes(*[a.shape for a in arrays]))
        if not is_classified(f.dag, node):
            pred_axes, pred_array = self._predict(node, axes, arrays)
            pred = Tensor(pred_array, pred_axes)
            if node == self.target and self.additive:
                return pred  # its own noise is accounted for exactly (exact_phi)
            axes, (p, e) = align(pred, self._noise(node, u))
            return Tensor(p + e, axes)
        ax = self._axis(node, key)
        axes, probs = self._predict(node, axes, arrays)  # (..., models, classes)
        pos = sum(a < ax for a in axes)
        self._probs[ckey] = Tensor(np.moveaxis(probs, -1, pos), (*axes[:pos], ax, *axes[pos:]))
        return Tensor(f.class_codes[node].astype(float), (ax,))

    def _predict(self, node: str, axes: tuple[int, ...], arrays: list[np.ndarray]
                 ) -> tuple[tuple[int, ...], np.ndarray]:
        """Each model's output on broadcast parent arrays (lookup when tabulated): the
        output's axes (the models' last) and its array (a trailing class axis for labels)."""
        grid = self.grids.get(node)
        if grid is not None and self.batch_axis not in axes:
            strides, table = grid  # table: (configurations, models, ...)
            code = sum(a.astype(np.intp) * s for a, s in zip(arrays, strides, strict=True))
            return (*axes, self.batch_axis), table[code]

        def predict(g: FittedGCM, full: list[np.ndarray]) -> np.ndarray:
            out = g.predict(node, [a.ravel() for a in full])
            shape = full[0].shape if full else ()
            return out.reshape(*shape, -1) if out.ndim == 2 else out.reshape(shape)

        return self._per_model(axes, arrays, predict)

    # ---- the pair (A run, mixed run) -----------------------------------------------------
    def _coupling(self, node: str, key: frozenset) -> Tensor:
        """Joint law of the node's class in both runs when one uniform drives both."""
        ckey = (node, key & self.upstream[node])
        if ckey not in self._couplings:
            p_a = self._probs[(node, self.upstream[node])]
            p_m = self._probs[ckey]
            cdf_a = np.cumsum(p_a.array, axis=p_a.axes.index(self.axis_a[node]))
            cdf_m = np.cumsum(p_m.array, axis=p_m.axes.index(self.axis_m[node]))
            axes, (hi_a, lo_a, hi_m, lo_m) = align(
                Tensor(cdf_a, p_a.axes), Tensor(cdf_a - p_a.array, p_a.axes),
                Tensor(cdf_m, p_m.axes), Tensor(cdf_m - p_m.array, p_m.axes))
            joint = np.clip(np.minimum(hi_a, hi_m) - np.maximum(lo_a, lo_m), 0.0, None)
            self._check(axes, joint.shape)
            self._couplings[ckey] = Tensor(joint, axes)
        return self._couplings[ckey]

    def cost(self, subset: frozenset) -> np.ndarray:
        """Row-wise conditional expectation of 1/2 (Y(A) - Y(A_S, B_rest))^2: (rows, models)."""
        key = frozenset(subset) | (self.everything - frozenset(self.players))
        self._run(key)
        y_m = self._centred(self._value_of(self.target, key))
        joint, marginal = [], []
        for node in self.integrate:
            p_a = self._probs[(node, self.upstream[node])]
            if self.upstream[node] <= key:  # the same value in both runs
                joint.append(p_a)
                marginal.append(p_a)
                continue
            p_m = self._probs[(node, key & self.upstream[node])]
            marginal.append(p_m)
            if node in key:  # one uniform, two sets of class probabilities
                joint.append(self._coupling(node, key))
            else:
                joint += [p_a, p_m]
        cross = self._batched(self.contract([*joint, self.y_a, y_m], self.out))
        em2 = (self._batched(self.contract([*marginal, y_m, y_m], self.out)) if self.sampled
               else self.ea2)
        return 0.5 * (self.ea2 + em2 - 2.0 * cross)

    def exact_phi(self, players: list[str]) -> np.ndarray:
        """Shapley values known exactly (players, models): the target's additive noise
        variance (else zeros)."""
        exact = np.zeros((len(players), len(self.fits)))
        if self.additive:
            exact[players.index(self.target)] = [float(np.var(f.noise_values[self.target]))
                                                 for f in self.fits]
        return exact
