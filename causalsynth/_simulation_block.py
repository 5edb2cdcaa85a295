"""The ``simulation`` block of a DAG file: its vocabulary and the check that lists every
problem in it (the mechanisms themselves are in :mod:`causalsynth.simulation`).

A DAG with a geo column (``time: {index: week, period: 52, geo: region}``) simulates a
balanced panel and declares it under the reserved key ``panel`` of its simulation block::

    simulation:
      panel:
        geos: 40                                   # number of geos (labels geo_01 ... geo_40)
        size: {distribution: lognormal, sigma: 0.5}   # geo sizes, mean 1 over the geos
        scale: [tv_spend, revenue]                 # nodes that are geo totals: size x per-capita
        baseline: {demand: {sd: 10}}               # a per-geo shift of a node (per capita)

Every mechanism works in per-capita units: a scaled parent enters its children divided by
the geo's size, and a scaled node's value is multiplied by it, so spend and revenue grow with
the geo while saturation acts on spend per capita (as in Meridian's population scaling). Geo
effects are fixed properties of the panel, not random draws: the sizes are the ``geos``
quantiles of the lognormal (levels ``(r + 0.5) / geos``), rescaled to mean 1, and a baseline is
the quantiles of ``normal(0, sd)``; the rank ``r`` of each geo comes from a fixed scrambled
order (rotations by the golden ratio for sizes, by multiples of sqrt(2) for baselines), so
neighbouring labels differ and the same DAG gives the same geos at every seed.

Examples
--------
>>> panel = panel_effects({"geos": 4, "size": {"distribution": "lognormal", "sigma": 0.5}})
>>> panel.labels(), round(float(panel.sizes.mean()), 12)
(['geo_1', 'geo_2', 'geo_3', 'geo_4'], 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

__all__ = ["LINKS", "PANEL_KEY", "Panel", "check_simulation", "is_number", "panel_effects"]

#: the reserved key of a geo DAG's simulation block that declares the panel
PANEL_KEY = "panel"
_PANEL_KEYS = ("geos", "size", "scale", "baseline")

_ROOT_DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "lognormal": ("mu", "sigma"),
    "uniform": ("low", "high"),
    "poisson": ("rate",),
    "bernoulli": ("p",),
}
_NOISE_DISTRIBUTIONS = {"normal": ("sd",), "lognormal": ("mu", "sigma"), "uniform": ("low", "high")}
_ROOT_KEYS = {"distribution", "probabilities", "zero_share", "min",
              "mean", "sd", "mu", "sigma", "low", "high", "rate", "p"}
_CHILD_KEYS = {"intercept", "coefficients", "saturation", "carryover", "segment", "gate", "link",
               "noise", "zero_share", "min"}
#: a time context root (needs the DAG's ``time`` block): trend and/or seasonality, plus noise
_TIME_ROOT_KEYS = {"trend", "seasonality", "noise", "min"}
_TIME_CURVES = {"trend": {"start", "end"}, "seasonality": {"amplitude", "harmonics", "phase"}}
LINKS = {"continuous": ("identity",), "count": ("identity", "log"),
          "binary": ("logistic", "identity")}


# ---------------------------------------------------------------------------------------
# Validation of the simulation block
# ---------------------------------------------------------------------------------------
def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)


def check_simulation(dag) -> list[str]:
    """Every problem of ``dag.simulation``, as sentences (empty when it is valid)."""
    sim = dag.simulation
    problems: list[str] = []
    names = set(dag.nodes)
    geo = getattr(getattr(dag, "time", None), "geo", None)
    for key in sim:
        if key == PANEL_KEY and (geo is not None or key not in names):
            problems += _check_panel(sim[key], dag, geo)
        elif key not in names:
            problems.append(f"simulation: {key!r} is not a declared node")
    if geo is not None and PANEL_KEY not in sim:
        problems.append(f"simulation: the DAG has a geo column (time.geo = {geo!r}), so its "
                        f"simulation declares the panel: add 'panel: {{geos: 40}}' (see "
                        f"causalsynth.simulation)")
    for name in dag.nodes:
        node = dag.node(name)
        spec = sim.get(name)
        where = f"simulation of {name!r}"
        if spec is None:
            problems.append(f"{where} is missing; every node needs a mechanism")
            continue
        if not isinstance(spec, Mapping):
            problems.append(f"{where} must be a mapping; got {spec!r}")
            continue
        if node.parents:
            problems += _check_child(node, spec, dag, where)
        elif any(k in spec for k in _TIME_CURVES):
            problems += _check_time_root(node, spec, dag, where)
        else:
            problems += _check_root(node, spec, where)
        zero = spec.get("zero_share", 0)
        if not is_number(zero) or not 0 <= zero < 1:
            problems.append(f"{where}: zero_share must be a number in [0, 1); got {zero!r}")
        elif zero and not node.is_numeric:
            problems.append(f"{where}: zero_share only applies to continuous and count nodes")
        if "min" in spec and not is_number(spec["min"]):
            problems.append(f"{where}: min must be a number; got {spec['min']!r}")
    return problems


def _check_root(node, spec: Mapping, where: str) -> list[str]:
    problems = [f"{where}: unknown key {k!r} for a root node; allowed: "
                f"{', '.join(sorted(_ROOT_KEYS))}" for k in spec if k not in _ROOT_KEYS]
    if node.type == "categorical":
        probs = spec.get("probabilities")
        if not isinstance(probs, Mapping):
            return [*problems, f"{where}: a categorical root needs 'probabilities': "
                               f"{{category: probability}}"]
        unknown = [str(k) for k in probs if str(k) not in node.categories]
        if unknown:
            problems.append(f"{where}: probabilities name unknown categories {unknown}; "
                            f"declared: {list(node.categories)}")
        values = list(probs.values())
        if not all(is_number(v) and v >= 0 for v in values) or not np.isclose(sum(values), 1):
            problems.append(f"{where}: probabilities must be non-negative numbers summing to 1")
        return problems
    dist = spec.get("distribution")
    allowed = {"continuous": ("normal", "lognormal", "uniform"), "count": ("poisson",),
               "binary": ("bernoulli",)}[node.type]
    if dist not in allowed:
        return [*problems, f"{where}: distribution {dist!r} does not fit a {node.type} node; "
                           f"use one of {', '.join(allowed)}"]
    for param in _ROOT_DISTRIBUTIONS[dist]:
        if not is_number(spec.get(param)):
            problems.append(f"{where}: {dist} needs a number {param!r}")
    problems += _check_params(dist, spec, where)
    return problems


def _check_params(dist: str, spec: Mapping, where: str) -> list[str]:
    get = spec.get
    bad = {
        "sd": is_number(get("sd")) and get("sd") <= 0,
        "sigma": is_number(get("sigma")) and get("sigma") <= 0,
        "rate": is_number(get("rate")) and get("rate") <= 0,
        "p": is_number(get("p")) and not 0 < get("p") < 1,
        "high": is_number(get("low")) and is_number(get("high")) and get("high") <= get("low"),
    }
    return [f"{where}: {dist} parameter {k!r} is out of range ({get(k)!r})"
            for k in _ROOT_DISTRIBUTIONS.get(dist, ()) + _NOISE_DISTRIBUTIONS.get(dist, ())
            if bad.get(k)]


def _mapping(spec: Mapping, key: str, form: str, where: str, problems: list[str]) -> Mapping:
    """``spec[key]`` when it is a mapping (empty when absent); else a problem and ``{}``."""
    value = spec.get(key, {}) or {}
    if isinstance(value, Mapping):
        return value
    problems.append(f"{where}: {key} must be a mapping {form}")
    return {}


def _check_child(node, spec: Mapping, dag, where: str) -> list[str]:
    problems = [f"{where}: unknown key {k!r}; allowed: {', '.join(sorted(_CHILD_KEYS))}"
                for k in spec if k not in _CHILD_KEYS]
    if node.type == "categorical":
        return [*problems, f"{where}: categorical nodes can only be roots in a simulation"]
    parents = set(node.parents)
    used: set[str] = set()
    if "intercept" in spec and not is_number(spec["intercept"]):
        problems.append(f"{where}: intercept must be a number")
    coefs = _mapping(spec, "coefficients", "parent -> number", where, problems)
    for parent, coef in coefs.items():
        used.add(parent)
        if parent not in parents:
            problems.append(f"{where}: coefficient for {parent!r}, which is not a parent")
            continue
        ptype = dag.node(parent).type
        if ptype == "categorical":
            if not isinstance(coef, Mapping) or not all(is_number(v) for v in coef.values()):
                problems.append(f"{where}: categorical parent {parent!r} needs per-category "
                                f"coefficients {{category: number}}")
            elif unknown := [str(k) for k in coef if str(k) not in dag.node(parent).categories]:
                problems.append(f"{where}: coefficients of {parent!r} name unknown "
                                f"categories {unknown}")
        elif not is_number(coef):
            problems.append(f"{where}: coefficient of {parent!r} must be a number; got {coef!r}")
    sat = _mapping(spec, "saturation", "parent -> {half, shape}", where, problems)
    for parent, hill in sat.items():
        if parent not in coefs:
            problems.append(f"{where}: saturation of {parent!r} needs a coefficient for it too")
        if not isinstance(hill, Mapping) or not all(
            is_number(hill.get(k)) and hill.get(k) > 0 for k in ("half", "shape")
        ):
            problems.append(f"{where}: saturation of {parent!r} needs positive 'half' and 'shape'")
    segment = spec.get("segment")
    if segment is not None:
        seg_parent = segment.get("parent") if isinstance(segment, Mapping) else None
        mult = segment.get("multipliers") if isinstance(segment, Mapping) else None
        if seg_parent not in parents or dag.node(seg_parent).type != "categorical":
            problems.append(f"{where}: segment.parent must be a categorical parent; "
                            f"got {seg_parent!r}")
        elif not isinstance(mult, Mapping) or set(map(str, mult)) != set(
            dag.node(seg_parent).categories
        ) or not all(is_number(v) for v in mult.values()):
            problems.append(f"{where}: segment.multipliers must give a number for every "
                            f"category of {seg_parent!r}: {list(dag.node(seg_parent).categories)}")
        else:
            used.add(seg_parent)
    gate = spec.get("gate")
    if gate is not None:
        if gate not in parents or dag.node(gate).type != "binary":
            problems.append(f"{where}: gate must be a binary parent; got {gate!r}")
        else:
            used.add(gate)
    link = spec.get("link", LINKS[node.type][0])
    if link not in LINKS[node.type]:
        problems.append(f"{where}: link {link!r} does not fit a {node.type} node; use one of "
                        f"{', '.join(LINKS[node.type])}")
    problems += _check_noise(node, spec, where)
    problems += _check_carryover(spec, coefs, dag, where)
    for parent in sorted(parents - used):
        problems.append(f"{where}: parent {parent!r} has no term (coefficient, segment or gate); "
                        f"add one or drop the edge")
    return problems




def _check_noise(node, spec: Mapping, where: str) -> list[str]:
    noise = spec.get("noise")
    if noise is None:
        return []
    if node.type != "continuous":
        return [f"{where}: noise applies to continuous nodes only ({node.type} nodes draw "
                f"from their own distribution)"]
    if not isinstance(noise, Mapping) or noise.get("distribution") not in _NOISE_DISTRIBUTIONS:
        return [f"{where}: noise needs a distribution among {', '.join(_NOISE_DISTRIBUTIONS)}"]
    dist = noise["distribution"]
    problems = [f"{where}: {dist} noise needs a number {param!r}"
                for param in _NOISE_DISTRIBUTIONS[dist] if not is_number(noise.get(param))]
    return problems + _check_params(dist, noise, where)


def _check_carryover(spec: Mapping, coefs: Mapping, dag, where: str) -> list[str]:
    """``carryover: {parent: {decay in [0, 1), max_lag int >= 0, peak}}`` on a DAG with time
    (``peak``, optional, in [0, max_lag]: the delayed adstock, whose effect peaks at that lag)."""
    problems: list[str] = []
    carry = _mapping(spec, "carryover", "parent -> {decay, max_lag}", where, problems)
    if carry and getattr(dag, "time", None) is None:
        problems.append(f"{where}: carryover needs rows that are consecutive periods; declare "
                        f"a top-level 'time: {{index: week, period: 52}}' block")
    for parent, rule in carry.items():
        if not is_number(coefs.get(parent)):
            problems.append(f"{where}: carryover of {parent!r} needs a numeric coefficient "
                            f"for it too")
        if not isinstance(rule, Mapping):
            problems.append(f"{where}: carryover of {parent!r} must be {{decay, max_lag}}")
            continue
        problems += [f"{where}: carryover of {parent!r}: unknown key {k!r}; allowed: decay, "
                     f"max_lag, peak" for k in rule if k not in ("decay", "max_lag", "peak")]
        decay, lag, peak = rule.get("decay"), rule.get("max_lag"), rule.get("peak")
        if peak is not None and not (is_number(peak) and isinstance(lag, int)
                                     and 0 <= peak <= lag):
            problems.append(f"{where}: carryover of {parent!r}: peak must be a number of "
                            f"periods between 0 and max_lag ({lag!r}); got {peak!r}")
        if not is_number(decay) or not 0 <= decay < 1:
            problems.append(f"{where}: carryover of {parent!r}: decay must be a number in "
                            f"[0, 1); got {decay!r}")
        if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
            problems.append(f"{where}: carryover of {parent!r}: max_lag must be a whole number "
                            f">= 0; got {lag!r}")
    return problems


def _check_time_root(node, spec: Mapping, dag, where: str) -> list[str]:
    """A root with ``trend: {start, end}`` and/or ``seasonality: {amplitude, harmonics,
    phase}`` (plus optional noise), on a DAG with time."""
    problems = [f"{where}: unknown key {k!r} for a trend or seasonality root; allowed: "
                f"{', '.join(sorted(_TIME_ROOT_KEYS))}" for k in spec if k not in _TIME_ROOT_KEYS]
    if getattr(dag, "time", None) is None:
        problems.append(f"{where}: trend and seasonality need rows that are consecutive "
                        f"periods; declare a top-level 'time: {{index: week, period: 52}}' block")
    if node.type != "continuous":
        problems.append(f"{where}: trend and seasonality make continuous nodes; {node.name!r} "
                        f"is {node.type}")
    for curve, keys in _TIME_CURVES.items():
        if curve not in spec:
            continue
        rule = spec[curve]
        if not isinstance(rule, Mapping):
            problems.append(f"{where}: {curve} must be a mapping of {', '.join(sorted(keys))}")
            continue
        problems += [f"{where}: {curve}: unknown key {k!r}; allowed: {', '.join(sorted(keys))}"
                     for k in rule if k not in keys]
        need = ("start", "end") if curve == "trend" else ("amplitude",)
        problems += [f"{where}: {curve} needs a number {k!r}" for k in need
                     if not is_number(rule.get(k))]
        if curve == "seasonality":
            harmonics, phase = rule.get("harmonics", 1), rule.get("phase", 0)
            if not isinstance(harmonics, int) or isinstance(harmonics, bool) or harmonics < 1:
                problems.append(f"{where}: seasonality harmonics must be a whole number >= 1; "
                                f"got {harmonics!r}")
            if not is_number(phase):
                problems.append(f"{where}: seasonality phase must be a number (rows); got "
                                f"{phase!r}")
    return problems + _check_noise(node, spec, where)



# ---------------------------------------------------------------------------------------
# Geo panels
# ---------------------------------------------------------------------------------------
def _check_panel(panel: Any, dag, geo: str | None) -> list[str]:
    where = "simulation: panel"
    if geo is None:
        return [f"{where} needs a geo column: declare time: {{index: week, period: 52, geo: "
                f"region}}"]
    if PANEL_KEY in dag.nodes:
        return [f"{where}: a node is also named {PANEL_KEY!r}, which this block reserves for "
                f"the panel of a geo DAG; rename the node"]
    if not isinstance(panel, Mapping):
        return [f"{where} must be a mapping like {{geos: 40}}; got {panel!r}"]
    problems = [f"{where}: unknown key {k!r}; allowed: {', '.join(_PANEL_KEYS)}"
                for k in panel if k not in _PANEL_KEYS]
    geos = panel.get("geos")
    if not isinstance(geos, int) or isinstance(geos, bool) or geos < 1:
        problems.append(f"{where}: geos must be a whole number >= 1 (the number of geos); got "
                        f"{geos!r}")
    size = panel.get("size")
    if size is not None and not (
            isinstance(size, Mapping) and size.get("distribution") == "lognormal"
            and set(size) <= {"distribution", "sigma"} and is_number(size.get("sigma"))
            and size["sigma"] >= 0):
        problems.append(f"{where}: size must be {{distribution: lognormal, sigma: s}} with a "
                        f"number s >= 0 (the spread of log geo sizes); got {size!r}")
    scale = panel.get("scale", [])
    if not isinstance(scale, (list, tuple)):
        problems.append(f"{where}: scale must be a list of nodes; got {scale!r}")
        scale = []
    problems += _continuous_nodes(list(scale), dag, f"{where}: scale")
    baseline = panel.get("baseline", {}) or {}
    if not isinstance(baseline, Mapping):
        return [*problems, f"{where}: baseline must be a mapping node -> {{sd: number}}"]
    problems += _continuous_nodes(list(baseline), dag, f"{where}: baseline")
    problems += [f"{where}: baseline of {k!r} must be {{sd: number > 0}}; got {v!r}"
                 for k, v in baseline.items()
                 if not (isinstance(v, Mapping) and set(v) == {"sd"} and is_number(v["sd"])
                         and v["sd"] > 0)]
    return problems


def _continuous_nodes(names: list, dag, where: str) -> list[str]:
    problems = []
    for name in names:
        if name not in dag.nodes:
            problems.append(f"{where} names {name!r}, which is not a node")
        elif dag.node(name).type != "continuous":
            problems.append(f"{where} names {name!r}, a {dag.node(name).type} node; geo "
                            f"scaling and baselines apply to continuous nodes")
    return problems


@dataclass(frozen=True, eq=False)
class Panel:
    """The geo effects of a panel: ``sizes`` (one per geo, mean 1), ``baselines`` (node -> one
    shift per geo), the ``scaled`` nodes; rows are series of ``periods`` rows, geo after geo."""

    geos: int
    sizes: np.ndarray
    baselines: Mapping[str, np.ndarray] = field(default_factory=dict)
    scaled: frozenset = frozenset()

    def labels(self) -> list[str]:
        """``geo_01``, ``geo_02``, ... (zero-padded to the same width)."""
        width = len(str(self.geos))
        return [f"geo_{g + 1:0{width}d}" for g in range(self.geos)]

    def geo_of_rows(self, n: int, periods: int) -> np.ndarray:
        """The geo of each of ``n`` rows laid out as consecutive series of ``periods`` rows."""
        return (np.arange(n) // periods) % self.geos


def _levels(geos: int, rotation: float) -> np.ndarray:
    """Quantile levels ``(r + 0.5) / geos`` in a fixed scrambled order of the geos."""
    keys = np.mod((np.arange(geos) + 1) * rotation, 1.0)
    ranks = np.argsort(np.argsort(keys, kind="stable"), kind="stable")
    return (ranks + 0.5) / geos


def panel_effects(panel: Mapping[str, Any]) -> Panel:
    """The :class:`Panel` of a checked ``panel`` block (see the module notes)."""
    geos = int(panel["geos"])
    sigma = float((panel.get("size") or {}).get("sigma", 0.0))
    sizes = np.exp(sigma * special.ndtri(_levels(geos, (math.sqrt(5) - 1) / 2)))
    baselines = {
        name: float(rule["sd"]) * special.ndtri(_levels(geos, math.sqrt(2) * (k + 1) % 1.0))
        for k, (name, rule) in enumerate((panel.get("baseline") or {}).items())}
    return Panel(geos=geos, sizes=sizes / sizes.mean(), baselines=baselines,
                 scaled=frozenset(panel.get("scale") or ()))
