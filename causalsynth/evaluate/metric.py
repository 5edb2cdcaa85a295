"""Metrics declared once, their results, and running them so that one failure spares the rest.

A metric is a plain function ``(real, synthetic, dag, rng=None, holdout=None) -> MetricResult``
(or a list of them), where ``real`` may instead be the tables prepared once for a whole
evaluation (:class:`causalsynth.evaluate._shared.Tables`). What a metric *is* (name, label,
one-line hint, direction, what its reference figure is) is declared once, in a
:class:`MetricSpec` bound to the function with :func:`measures`, in the spirit of SDMetrics'
metric classes without their state; results are built from the spec, so a result's direction
cannot disagree with its declaration. Each result carries the figure for a reference (an
independent fresh sample or the holdout, measured the same way, so a reader sees what "no
problem" looks like) and a breakdown table.

Examples
--------
>>> metric_label("exact_copies")
('Exact copies', 'synthetic rows identical to a training row')
>>> metric_label("tstr_revenue")[0]
'Train synthetic, test real: revenue'
>>> metric_label("my_metric")
('my metric', '')
"""

from __future__ import annotations

import importlib
import math
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "METRIC_SPECS",
    "Direction",
    "MetricResult",
    "MetricSpec",
    "jsonable",
    "measures",
    "metric_label",
    "run_metrics",
]

Direction = Literal["higher", "lower"]
F = TypeVar("F", bound=Callable[..., Any])

#: every declared metric by name (filled as the fidelity, utility and privacy modules load)
METRIC_SPECS: dict[str, MetricSpec] = {}
#: the modules that declare metrics; :func:`metric_label` loads them on first use
_DECLARING = ("causalsynth.evaluate.fidelity", "causalsynth.evaluate.utility",
              "causalsynth.evaluate.privacy")


@dataclass(frozen=True)
class MetricSpec:
    """What a metric is, declared once.

    Attributes
    ----------
    name : str
        Stable identifier of its results, e.g. ``"quality_score"``. For a family
        (``per_target``), the prefix: results are named ``f"{name}_{target}"``.
    label : str
        Human label; a family's may hold ``{target}``.
    hint : str
        One line on what the number means.
    direction : "higher" or "lower"
        Whether higher or lower is better.
    reference : str
        What the reference figure is (e.g. the holdout scored the same way).
    per_target : bool
        One result per target node (``tstr_revenue``, ``tstr_click``...).
    """

    name: str
    label: str
    hint: str
    direction: Direction
    reference: str
    per_target: bool = False

    def result(self, value: float | None, reference: float | None = None,
               breakdown: pd.DataFrame | None = None, details: dict[str, Any] | None = None,
               *, error: str | None = None, target: str | None = None) -> MetricResult:
        """A result of this metric (named ``f"{name}_{target}"`` for a family)."""
        name = self.name if target is None else f"{self.name}_{target}"
        return MetricResult(name, value, self.direction, reference, breakdown,
                            dict(details or {}), error)

    def label_for(self, name: str) -> tuple[str, str]:
        """(label, hint) for a result of this metric named ``name``."""
        target = name[len(self.name) + 1:] if self.per_target else ""
        return self.label.format(target=target), self.hint


def measures(*specs: MetricSpec) -> Callable[[F], F]:
    """Declare what a metric function measures (one spec per result it returns).

    The specs are registered in :data:`METRIC_SPECS` and kept on the function as ``specs``;
    :func:`run_metrics` names a failing metric after the first.
    """
    for spec in specs:
        known = METRIC_SPECS.setdefault(spec.name, spec)
        if known != spec:
            raise ValueError(f"metric {spec.name!r} is declared twice, differently")

    def bind(fn: F) -> F:
        fn.specs = specs  # type: ignore[attr-defined]
        return fn
    return bind


def metric_label(name: str) -> tuple[str, str]:
    """(label, hint) of a metric result's name; unknown names read as their words, no hint."""
    for module in _DECLARING:  # the declarations live beside the metrics (cheap once loaded)
        importlib.import_module(module)
    spec = METRIC_SPECS.get(name)
    if spec is None:  # a family member, e.g. tstr_revenue
        spec = next((s for s in METRIC_SPECS.values()
                     if s.per_target and name.startswith(f"{s.name}_")), None)
    return spec.label_for(name) if spec is not None else (name.replace("_", " "), "")


@dataclass
class MetricResult:
    """The outcome of one metric.

    Attributes
    ----------
    name : str
        Stable identifier, e.g. ``"quality_score"`` or ``"dcr_share_closer_to_train"``.
    value : float or None
        The figure (None when the metric failed or does not apply).
    direction : "higher", "lower" or None
        Whether higher or lower is better.
    reference : float or None
        The same figure for a reference table (holdout or fresh sample), when one exists.
    breakdown : DataFrame or None
        Per-column, per-pair or per-item detail.
    details : dict
        Further JSON-friendly figures (p-values, intervals, thresholds...).
    error : str or None
        Why the metric failed, when it did; the report shows it instead of a figure.
    """

    name: str
    value: float | None
    direction: Direction | None = None
    reference: float | None = None
    breakdown: pd.DataFrame | None = None
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricResult:
        """The inverse of ``to_dict`` (a breakdown comes back as a DataFrame)."""
        breakdown = d.get("breakdown")
        return cls(name=d.get("name", ""), value=d.get("value"), direction=d.get("direction"),
                   reference=d.get("reference"),
                   breakdown=None if breakdown is None else pd.DataFrame(breakdown),
                   details=dict(d.get("details") or {}), error=d.get("error"),
                   seconds=d.get("seconds"))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "name": self.name,
            "value": self.value,
            "direction": self.direction,
            "reference": self.reference,
            "details": self.details,
            "breakdown": None if self.breakdown is None else self.breakdown.to_dict("records"),
            "error": self.error,
            "seconds": self.seconds,
        })


def run_metrics(metrics: Iterable[Callable[..., MetricResult | list[MetricResult]]],
                *args: Any, **kwargs: Any) -> dict[str, MetricResult]:
    """Call each metric; a metric that raises is recorded with its error, the rest go on."""
    out: dict[str, MetricResult] = {}
    for metric in metrics:
        start = time.perf_counter()
        try:
            results = metric(*args, **kwargs)
        except Exception as exc:  # one failing metric must not sink the report
            specs = getattr(metric, "specs", ())
            last = traceback.extract_tb(exc.__traceback__)[-1]
            results = MetricResult(
                name=specs[0].name if specs else metric.__name__, value=None,
                error=f"{type(exc).__name__}: {exc} (at {last.name}, line {last.lineno})")
        elapsed = time.perf_counter() - start
        for r in results if isinstance(results, list) else [results]:
            r.seconds = r.seconds if r.seconds is not None else elapsed
            out[r.name] = r
    return out


def jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN/inf to None, frames to records."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict("records"))
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    return obj
