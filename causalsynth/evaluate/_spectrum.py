"""Numeric kernels of the temporal report figures: a periodogram and zero-run lengths.

Both work on arrays of shape (series, periods), one row per series (one per geo), and return
aggregates over the series; :mod:`causalsynth.evaluate.temporal` turns them into real vs
synthetic tables.

Power is *relative*: the periodogram of a series after removing its intercept and linear
trend, divided by the variance left, ``|sum_t x_t exp(-2 pi i f t)|^2 / sum_t x_t^2``. White
noise has relative power 1 at every frequency (in expectation), so the figure reads the same
for tables of any scale or length; a pure cycle of ``T`` periods has ``T / 2`` at its
frequency.

References
----------
Priestley, M. B. "Spectral Analysis and Time Series", Academic Press, 1981 (periodogram,
Daniell smoothing by averaging neighbouring Fourier frequencies).

Examples
--------
>>> import numpy as np

from causalsynth.media.time import LinearTrend
>>> t = np.arange(104)
>>> cycle = np.cos(2 * np.pi * t / 52)[None, :]
>>> round(float(relative_power(cycle, np.array([1 / 52]))[0]), 1)  # T / 2, less the trend's bit
52.0
>>> run_length_counts(np.array([[0, 0, 1, 0, 1, 0, 0, 0]]), max_run=2).tolist()
[1, 2]
"""

from __future__ import annotations

import numpy as np

from causalsynth.media.time import LinearTrend

__all__ = ["binned_spectrum", "fourier_frequencies", "frequency_edges", "relative_power",
           "run_length_counts"]


def _detrended(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series less its intercept and linear trend, and which series keep any variance
    (a constant or pure-trend series has nothing left to take a spectrum of)."""
    t = np.arange(x.shape[1], dtype=float)
    base = np.column_stack([np.ones_like(t), *LinearTrend().columns(t, len(t) - 1).values()])
    resid = x - (base @ np.linalg.lstsq(base, x.T, rcond=None)[0]).T
    tss = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    left = (resid ** 2).sum(axis=1)
    return resid, (tss > 0) & (left > 1e-12 * tss)


def relative_power(x: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Mean over series of the relative power at each frequency (cycles per period).

    Series with no variance left after the trend are skipped; all NaN when none is left.

    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(size=(200, 156))
    >>> float(np.round(relative_power(noise, np.array([0.1, 0.3])).mean(), 1))
    1.0
    """
    resid, keep = _detrended(np.asarray(x, dtype=float))
    freqs = np.asarray(freqs, dtype=float)
    if not keep.any():
        return np.full(len(freqs), np.nan)
    r = resid[keep]
    t = np.arange(r.shape[1], dtype=float)
    wave = np.exp(-2j * np.pi * np.outer(freqs, t))  # (frequencies, periods)
    power = np.abs(r @ wave.T) ** 2 / (r ** 2).sum(axis=1, keepdims=True)
    return power.mean(axis=0)


def fourier_frequencies(periods: int, low: float) -> np.ndarray:
    """The Fourier frequencies ``k / periods`` from ``low`` up to 0.5 (cycles per period)."""
    f = np.arange(1, periods // 2 + 1) / periods
    return f[f >= low * (1 - 1e-9)]


def frequency_edges(period: int, max_points: int) -> np.ndarray:
    """Edges of ``max_points`` bins of equal width on a log scale from ``1 / period`` to 0.5
    (cycles per period): fine near the season, where the power changes fast, wide at high
    frequencies, where averaging more Fourier frequencies tames the periodogram's noise.

    >>> frequency_edges(52, 40)[[0, -1]].round(4).tolist()
    [0.0192, 0.5]
    """
    return np.geomspace(1.0 / period, 0.5, max_points + 1)


def binned_spectrum(x: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relative power averaged over the Fourier frequencies of each bin (a Daniell smoother)
    and how many the bin holds (the power is NaN where it holds none)."""
    f = fourier_frequencies(x.shape[1], edges[0])
    power = relative_power(x, f)
    which = np.clip(np.searchsorted(edges, f, side="right") - 1, 0, len(edges) - 2)
    total = np.bincount(which, weights=power, minlength=len(edges) - 1)
    count = np.bincount(which, minlength=len(edges) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), count


def run_length_counts(x: np.ndarray, max_run: int) -> np.ndarray:
    """Number of runs of exact zeros of each length 1..``max_run`` (the last counts runs of
    ``max_run`` periods or more), summed over series; a run never crosses into the next
    series."""
    zero = np.pad(np.asarray(x) == 0, ((0, 0), (1, 1))).ravel().astype(np.int8)
    step = np.diff(zero)
    lengths = np.flatnonzero(step == -1) - np.flatnonzero(step == 1)
    return np.bincount(np.minimum(lengths, max_run) - 1, minlength=max_run)[:max_run]
