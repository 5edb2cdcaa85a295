"""Mechanisms and the one propagation engine of a structural causal model.

A DAG's values are made in one place, :func:`propagate`: it walks the nodes in topological
order and asks each node's *mechanism* for its values given its parents' values and its own
noise. The simulator (declared mechanisms, :mod:`causalsynth.simulation`), the fitted GCM of
the evaluation (learned mechanisms, :mod:`causalsynth.evaluate.gcm`) and the ``causal``
synthesizer (learned mechanisms with noise models) are collections of mechanisms handed to it.
Sampling, interventions (set a value, shift by ``"+10%"``, a whole schedule), observed values
held fixed (the g-formula) and reuse of values across paired runs (pick-freeze ICI) are all
options of that one loop, as in DoWhy's ``gcm`` sampling.

Values travel as float arrays, one per node: numbers as they are, binary nodes as 0/1 and
categories as their integer code (index into the node's declared categories).

Examples
--------
>>> import numpy as np
>>> from causalsynth import load_dag
>>> from causalsynth.simulation import declared_mechanisms, draw_noise
>>> dag = load_dag("acquisition")
>>> noise = draw_noise(dag, np.random.default_rng(0), 1000)
>>> base = propagate(dag, declared_mechanisms(dag), noise)
>>> more = propagate(dag, declared_mechanisms(dag), noise, {"tv_spend": "+10%"})
>>> bool(np.all(more["tv_spend"] > base["tv_spend"]))
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from causalsynth.errors import InvalidParameterError as _Invalid
from causalsynth.errors import excerpt

__all__ = ["Intervention", "Mechanism", "parse_intervention", "parse_interventions", "propagate"]

#: natural values of a node -> its values under the intervention
Intervention = Callable[[np.ndarray], np.ndarray]


class Mechanism(Protocol):
    """How one node's values arise from its parents' values and its own noise."""

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        """Values of the node, one per row of ``noise``; ``parents`` maps parent -> values."""
        ...


def propagate(dag, mechanisms: Mapping[str, Mechanism], noise: Mapping[str, np.ndarray],
              interventions: Mapping[str, Any] | None = None,
              observed: Mapping[str, np.ndarray] | None = None, upto: str | None = None,
              memo: tuple[dict, frozenset] | None = None) -> dict[str, np.ndarray]:
    """Values of every node (or of ``upto`` and its ancestors), in topological order.

    Parameters
    ----------
    dag : DAG
    mechanisms : mapping node -> Mechanism
    noise : mapping node -> array
        Each mechanism's noise, rows first (its shape is the mechanism's business). Nodes
        taken from ``observed`` need none.
    interventions : mapping, optional
        ``{node: value, shift or schedule}`` (see :func:`parse_intervention`), applied to the
        node's natural values, so a shift moves each row from where it would have been.
    observed : mapping node -> array, optional
        Nodes whose values are given rather than generated (the g-formula keeps a treatment's
        non-descendants as observed); an intervention still applies to them.
    upto : str, optional
        Only this node and its ancestors are computed.
    memo : (cache, key), optional
        For paired runs that mix two noise draws (pick-freeze): ``key`` is the set of nodes
        whose noise comes from the first draw; a node's values are reused from ``cache``
        whenever the same upstream nodes come from the same draw. Not combined with
        interventions or observed values.

    Returns
    -------
    dict node -> float array
    """
    do = parse_interventions(dag, interventions)
    order = dag.nodes if upto is None else [*dag.ancestors(upto), upto]
    values: dict[str, np.ndarray] = {}
    for name in order:
        ckey = None
        if memo is not None:
            cache, key = memo
            ckey = (name, key & _upstream(dag, name))
            if ckey in cache:
                values[name] = cache[ckey]
                continue
        if observed is not None and name in observed:
            natural = np.asarray(observed[name], dtype=float)
        else:
            parents = {p: values[p] for p in dag.parents(name)}
            natural = mechanisms[name].evaluate(parents, noise[name])
        values[name] = _intervene(dag.node(name), do[name], natural) if name in do else natural
        if ckey is not None and name != upto:
            memo[0][ckey] = values[name]
    return values


def _upstream(dag, node: str) -> frozenset:
    """The node and its ancestors (cached on the DAG object, which is immutable)."""
    cache = dag.__dict__.setdefault("_upstream_cache", {})
    if node not in cache:
        cache[node] = frozenset([*dag.ancestors(node), node])
    return cache[node]


def _intervene(node, fn: Intervention, natural: np.ndarray) -> np.ndarray:
    out = np.asarray(fn(natural), dtype=float)
    if out.shape != natural.shape or not np.all(np.isfinite(out)):
        raise _Invalid(f"intervention on {node.name!r} must give one finite number per row "
                       f"({natural.shape[0]} rows); got shape {out.shape}")
    below = (out < 0) & (natural >= 0)  # a value already negative stays the model's business
    if _nonnegative(node) and np.any(below):
        what = "spend" if node.role == "spend" else "counts"
        raise _Invalid(
            f"intervention on {node.name!r} gives negative {what} on {int(np.sum(below)):,} "
            f"of {len(out):,} rows (as low as {float(out[below].min()):,.6g}); "
            f"{what} cannot go below 0: use a smaller cut "
            f"(such as '-50%') or set a value >= 0")
    return out


def _nonnegative(node) -> bool:
    """Counts and spend (role ``spend``) cannot go below 0."""
    return node.is_numeric and (node.type == "count" or node.role == "spend")


# ---------------------------------------------------------------------------------------
# Interventions
# ---------------------------------------------------------------------------------------
_SHIFT = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(
        x, (bool, np.bool_)) and bool(np.isfinite(x))


def parse_intervention(node, value: Any) -> Intervention:
    """Turn ``120000``, ``"+10%"``, ``"-500"`` or a schedule into natural -> intervened.

    A number sets the node to that value; a signed string shifts it (relative with ``%``); a
    list or array (one value per row) sets each row. Binary nodes take 0 or 1, categorical
    nodes one of their categories (set only). A callable is used as it is.

    Examples
    --------
    >>> import numpy as np
    >>> from causalsynth import load_dag
    >>> tv = load_dag("acquisition").node("tv_spend")
    >>> parse_intervention(tv, "+10%")(np.array([100.0, 200.0]))
    array([110., 220.])
    """
    if callable(value):
        return value
    if isinstance(value, str) and (m := _SHIFT.match(value)):
        if not node.is_numeric:
            raise _Invalid(f"intervention {value!r} on {node.name!r}: shifts apply to "
                           f"continuous and count nodes; set a {node.type} node to a value")
        amount = (1.0 if m.group(1) == "+" else -1.0) * float(m.group(2))
        if m.group(3) and amount < -100 and _nonnegative(node):
            raise _Invalid(
                f"intervention {value!r} on {node.name!r}: a cut beyond -100% makes "
                f"{'spend' if node.role == 'spend' else 'counts'} negative; give a "
                f"shift from '-100%' (none at all) upwards")
        if m.group(3):
            return lambda x: x * (1.0 + amount / 100.0)
        return lambda x: x + amount
    if isinstance(value, (list, tuple, np.ndarray)) or hasattr(value, "to_numpy"):
        return _schedule(node, value)
    if node.type == "categorical":
        code = _category_code(node, value)
        return lambda x: np.full(len(x), code)
    if _is_number(value) and value < 0 and _nonnegative(node):
        raise _Invalid(
            f"intervention on {node.name!r}: {value!r} is negative; a {node.type} "
            f"{'spend' if node.role == 'spend' else 'node'} takes values >= 0")
    if not _is_number(value) or (node.type == "binary" and value not in (0, 1)):
        raise _Invalid(f"intervention on {node.name!r}: {value!r} is neither a value nor a "
                       f"shift like '+10%' or '+1000'" + ("; binary nodes take 0 or 1"
                                                        if node.type == "binary" else ""))
    return lambda x: np.full(len(x), float(value))


def _category_code(node, value: Any) -> float:
    if str(value) not in node.categories:
        raise _Invalid(f"intervention on {node.name!r}: {value!r} is not one of its "
                       f"categories {list(node.categories)}")
    return float(node.categories.index(str(value)))


def _schedule(node, value) -> Intervention:
    """A whole schedule: one value per row (checked against the rows when applied)."""
    raw = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=object)
    if raw.ndim != 1:
        raise _Invalid(f"intervention on {node.name!r}: a schedule is one value per row; "
                       f"got an array of shape {raw.shape}")
    if node.type == "categorical":
        codes = np.array([_category_code(node, v) for v in raw], dtype=float)
    else:
        bad = [v for v in raw if not _is_number(v) or (node.type == "binary" and v not in (0, 1))]
        if bad:
            raise _Invalid(f"intervention on {node.name!r}: the schedule holds {bad[0]!r}, "
                           f"which is not a finite number" + ("; binary nodes take 0 or 1"
                                                             if node.type == "binary" else ""))
        codes = raw.astype(float)
    return lambda x: codes


def parse_interventions(dag, interventions: Mapping[str, Any] | None
                        ) -> dict[str, Intervention]:
    """``{node: value}`` checked against the DAG: unknown nodes and bad values raise
    :class:`~causalsynth.errors.InvalidParameterError` (naming the intervention) before
    anything is drawn; spend and counts never go below 0."""
    if not interventions:
        return {}
    if not isinstance(interventions, Mapping):
        raise _Invalid(f"interventions must be a mapping {{node: value or shift}}, such as "
                       f"{{'tv_spend': '+10%'}}; got {type(interventions).__name__}")
    parsed = {}
    for name, value in interventions.items():
        if str(name) not in dag.nodes:
            raise _Invalid(
                f"intervention on {excerpt(name)}: that node is not in the DAG {dag.name!r}; "
                f"its nodes: {', '.join(dag.nodes)}")
        node = dag.node(str(name))
        parsed[node.name] = parse_intervention(node, value)
    return parsed
