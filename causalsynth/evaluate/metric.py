"""A metric result, and running metrics so that one failure does not sink the rest.

Metrics are plain functions ``(real, synthetic, dag, rng, holdout=None) -> MetricResult``
(SDMetrics' goal/breakdown idea, without its state). Each result carries a direction (is
higher better?), the figure for a reference (an independent fresh sample or the holdout,
measured the same way, so a reader sees what "no problem" looks like) and a breakdown table.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["MetricResult", "jsonable", "run_metrics"]


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
    direction: Literal["higher", "lower"] | None = None
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
                *args, **kwargs) -> dict[str, MetricResult]:
    """Call each metric; a metric that raises is recorded with its error, the rest go on."""
    out: dict[str, MetricResult] = {}
    for metric in metrics:
        start = time.perf_counter()
        try:
            results = metric(*args, **kwargs)
        except Exception as exc:  # one failing metric must not sink the report
            name = getattr(metric, "metric_name", metric.__name__)
            last = traceback.extract_tb(exc.__traceback__)[-1]
            results = MetricResult(
                name=name, value=None,
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
