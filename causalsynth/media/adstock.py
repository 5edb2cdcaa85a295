"""Carryover of spend into later periods: geometric and delayed adstock, their lag and grid.

``adstock(x)_t = sum_l w_l x_(t-l)`` for ``l = 0..max_lag``, weights normalised to sum to 1
and spend before the start of a series counted as 0. Geometric: ``w_l ~ decay**l``; delayed:
``w_l ~ decay**((l - peak)**2)`` (the effect builds up to lag ``peak``, then fades; Jin et al.
2017). The simulator, the carryover of the fitted causal model, the series synthesizer and
``fit_mmm`` all read these definitions, the default lag and the grid of decays from here.

References
----------
Jin, Wang, Sun, Chan, Koehler. "Bayesian methods for media mix modeling with carryover and
shape effects." Google, 2017.

Examples
--------
>>> import numpy as np
>>> adstock(np.array([1.0, 0.0, 0.0]), decay=0.5, max_lag=1)
array([0.66666667, 0.33333333, 0.        ])
>>> GeometricAdstock(0.5, max_lag=1).apply(np.array([1.0, 0.0, 0.0])).round(3).tolist()
[0.667, 0.333, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalsynth.errors import DAGError
from causalsynth.media.registry import register

__all__ = ["DECAY_GRID", "DEFAULT_MAX_LAG", "DelayedAdstock", "GeometricAdstock", "adstock",
           "adstock_weights", "make_adstock"]

#: candidate decays of every carried-over edge (estimated on this grid, then refined)
DECAY_GRID = tuple(round(0.05 * i, 2) for i in range(20))
#: maximum lag of an edge whose DAG declares none (two months of weeks)
DEFAULT_MAX_LAG = 8


def adstock_weights(decay: float, max_lag: int, peak: float | None = None) -> np.ndarray:
    """Adstock weights for lags ``l = 0..max_lag``, normalised to sum to 1: geometric
    ``decay**l``, or with a ``peak`` the delayed form ``decay**((l - peak)**2)``.

    >>> adstock_weights(0.5, 2).round(4)
    array([0.5714, 0.2857, 0.1429])
    >>> int(np.argmax(adstock_weights(0.5, 6, peak=2)))
    2
    """
    lags = np.arange(int(max_lag) + 1)
    w = np.power(float(decay), lags if peak is None else (lags - float(peak)) ** 2)
    return w / w.sum()


def _series(x: np.ndarray, periods: int | None) -> np.ndarray:
    """Rows as (series, period): ``periods`` consecutive rows make one series."""
    n = len(x)
    periods = periods or n
    if n % periods:
        raise DAGError(f"{n} rows do not split into series of {periods} periods")
    return x.reshape(n // periods, periods)


def adstock(x: np.ndarray, decay: float, max_lag: int, periods: int | None = None,
            peak: float | None = None) -> np.ndarray:
    """Adstock along the rows (weights of :func:`adstock_weights`), spend before the start of
    a series counted as 0. ``periods`` consecutive rows form one series (default: all rows)."""
    w = adstock_weights(decay, max_lag, peak)
    xs = _series(np.asarray(x, dtype=float), periods)
    out = np.zeros_like(xs)
    for lag, weight in enumerate(w):
        if lag >= xs.shape[1]:
            break
        out[:, lag:] += weight * xs[:, : xs.shape[1] - lag]
    return out.reshape(-1)


@register("adstock", "geometric")
@dataclass(frozen=True)
class GeometricAdstock:
    """Geometric carryover: weights ``decay**l``, ``l = 0..max_lag``, normalised."""

    decay: float
    max_lag: int = DEFAULT_MAX_LAG

    def weights(self) -> np.ndarray:
        return adstock_weights(self.decay, self.max_lag)

    def apply(self, x: np.ndarray, periods: int | None = None) -> np.ndarray:
        return adstock(x, self.decay, self.max_lag, periods)


@register("adstock", "delayed")
@dataclass(frozen=True)
class DelayedAdstock:
    """Delayed carryover: weights ``decay**((l - peak)**2)``, normalised."""

    decay: float
    max_lag: int = DEFAULT_MAX_LAG
    peak: float = 0.0

    def weights(self) -> np.ndarray:
        return adstock_weights(self.decay, self.max_lag, self.peak)

    def apply(self, x: np.ndarray, periods: int | None = None) -> np.ndarray:
        return adstock(x, self.decay, self.max_lag, periods, self.peak)


def make_adstock(decay: float, max_lag: int | None = None, peak: float | None = None
                 ) -> GeometricAdstock | DelayedAdstock:
    """The adstock of an edge as the DAG's carryover block declares it (``peak``: delayed).

    >>> make_adstock(0.3, peak=2).word
    'delayed'
    """
    lag = DEFAULT_MAX_LAG if max_lag is None else int(max_lag)
    if peak is None:
        return GeometricAdstock(float(decay), lag)
    return DelayedAdstock(float(decay), lag, float(peak))
