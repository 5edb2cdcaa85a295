"""Privacy of time-indexed tables: copied stretches of weeks and reproduced geo series.

The rows of a table of a DAG with ``time`` are periods of one series (or of a geo panel: one
series per geo, rows geo after geo, time ascending), so a synthesizer can leak a *stretch* of
the real series, or a whole geo, while each row on its own looks new. The row metrics of
:mod:`~causalsynth.evaluate.privacy.distances` treat rows as independent; these treat windows
of ``window`` consecutive periods within a series, and whole geo series, as the records.

Series of each table: a table checked with its geo column has one series per geo (the
``periods`` of :class:`~causalsynth.evaluate._shared.Tables`, as ``validate`` records them).
A synthetic table without a geo column (a row synthesizer's: node columns only) is one series
in its row order, or, for a panel DAG, consecutive blocks of the real series length when its
row count is a multiple of it; a holdout without a geo column is split into as many equal
blocks as the real table has series when its row count allows, else it is one series.

Distances: the row encoding of the row metrics (numeric columns robust-scaled by the real
table's median and IQR, labels one-hot / sqrt(2)); two windows are
``sqrt(mean over their k periods of the squared row distance)`` apart (the Euclidean distance
of the stacked rows over sqrt(k), so on the row distance's scale); exact nearest neighbours
(:func:`causalsynth.evaluate._shared.nearest_distinct`).

Drift: the holdout of a time table is its *last* periods, so a column that drifts (a trend
ramp, revenue growing with it) puts held-out windows farther from the training windows than
windows of the training weeks drawn afresh: on ``weekly_mmm`` an independent series scored
0.70 on average over 8 seeds, not 0.5. The window DCR therefore first removes each numeric
column's linear drift over the periods (one slope, fitted on the real series, in the
robust-scaled units; row ``p`` of a series at period ``p``, the holdout's periods following
the real series'), which brings it to 0.50 (sd 0.11 over 12 seeds). The copy counts compare
the values as they are.

Metrics: ``window_dcr_share_closer_to_train``, ``copied_subsequences`` and, for panels,
``geo_series_reproduced`` (see each; :func:`sequence_metrics` picks those that apply).

Examples
--------
>>> from causalsynth import load_dag
>>> dag = load_dag("weekly_mmm")
>>> real = dag.simulate(156, seed=1)
>>> train, hold = real.iloc[:125], real.iloc[125:]
>>> copied_subsequences(train, train, dag, holdout=hold).value
122.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import mannwhitneyu
from sklearn.neighbors import KDTree

from causalsynth._params import Interval, check_param
from causalsynth.dag import DAG
from causalsynth.data import series_layout
from causalsynth.errors import DAGError, DataError
from causalsynth.evaluate._shared import TABLES, Tables, distinct_rows, nearest_distinct, prepare
from causalsynth.evaluate.metric import MetricResult, MetricSpec, measures
from causalsynth.evaluate.privacy._common import NEEDS_HOLDOUT, no_holdout
from causalsynth.media.time import LinearTrend

__all__ = [
    "MAX_PAIRS",
    "REPRODUCED_FRACTION",
    "TOLERANCE",
    "WINDOW",
    "copied_subsequences",
    "geo_series_reproduced",
    "sequence_metrics",
    "series_lengths",
    "series_tables",
    "window_dcr_share_closer_to_train",
]

WINDOW = 4  # periods per window: a month of weeks
TOLERANCE = 1e-9  # "equal within float round-off": this fraction of each column's IQR
#: a synthetic geo series "reproduces" a real one when it is closer to it than this fraction
#: of the 5th percentile of the real geos' distances to their nearest other real geo
REPRODUCED_FRACTION = 0.5
#: equal (synthetic, training) row pairs traced for the runs; past it the longest runs are
#: not computed and windows equal within the tolerance are found by a window search
MAX_PAIRS = 5_000_000
_QUANTILES = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75]
_DISTANCE = ("root mean square over the window's periods of the row distance (euclidean; "
             "numeric robust-scaled, labels one-hot / sqrt(2))")

WINDOW_DCR_SHARE_CLOSER_TO_TRAIN = MetricSpec(
    "window_dcr_share_closer_to_train", "Window DCR: share closer to training",
    "windows of consecutive periods nearer to training than held-out windows are", "lower",
    "holdout windows measured the same way (0.5)")
COPIED_SUBSEQUENCES = MetricSpec(
    "copied_subsequences", "Copied subsequences",
    "windows of consecutive synthetic periods identical to training periods", "lower",
    "the count expected of as many windows drawn like the holdout")
GEO_SERIES_REPRODUCED = MetricSpec(
    "geo_series_reproduced", "Geo series reproduced",
    "synthetic geo series sitting on a real geo's series", "lower",
    "the holdout's geo series measured the same way")


def series_tables(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                  dag: DAG | None = None, holdout: pd.DataFrame | None = None) -> Tables:
    """:func:`causalsynth.evaluate._shared.prepare`, plus the rows per geo of each panel table.

    Prepared tables are returned as they are (``validate`` records ``periods`` itself). For
    a DAG with a geo column, each table that holds the geo column gets its rows per geo from
    :func:`causalsynth.data.series_layout`.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("geo_mmm")
    >>> panel = dag.simulate(40 * 30, seed=0)
    >>> series_tables(panel, panel, dag).periods
    (30, 30, None)
    """
    tables = prepare(real, synthetic, dag, holdout)
    axis = tables.dag.time
    if isinstance(real, Tables) or axis is None or axis.geo is None:
        return tables
    periods = tuple(None if f is None or axis.geo not in f.columns
                    else series_layout(f, tables.dag, min_periods=1).periods
                    for f in (real, synthetic, holdout))
    return Tables(tables.dag, tables.real, tables.synthetic, tables.holdout, periods=periods)


def series_lengths(tables: Tables, name: str) -> np.ndarray:
    """The lengths of the consecutive series that make up table ``name`` (see module notes).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("geo_mmm")
    >>> panel = dag.simulate(40 * 30, seed=0)
    >>> t = series_tables(panel, panel.drop(columns=["geo", "week"]), dag)
    >>> series_lengths(t, "real")[:3].tolist(), len(series_lengths(t, "synthetic"))
    ([30, 30, 30], 40)
    """
    n = len(tables[name])
    own = tables.periods[TABLES.index(name)]
    if own:
        return np.full(n // own, own)
    real_p = tables.periods[0]
    if tables.dag.time is not None and tables.dag.time.geo is not None and real_p \
            and name != "real":
        n_real = len(tables.real) // real_p
        block = real_p if name == "synthetic" else (n // n_real if n % n_real == 0 else n)
        if block and n % block == 0:
            return np.full(n // block, block)
    return np.array([n])


def _series_ids(lengths: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(lengths)), lengths)


def _windows(x: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
    """Every run of ``k`` consecutive rows within a series, as one row of ``k * d`` values."""
    parts, lo = [], 0
    for n in lengths:
        if n >= k:  # (n - k + 1, d, k) -> periods first
            w = sliding_window_view(x[lo:lo + n], k, axis=0).transpose(0, 2, 1)
            parts.append(w.reshape(n - k + 1, -1))
        lo += n
    return np.vstack(parts) if parts else np.empty((0, k * x.shape[1]))


def _check(tables: Tables, owner: str, window: int | None = None) -> None:
    if window is not None:
        check_param("window", window, Interval(int, 1, None), owner=owner)
    if tables.dag.time is None:
        raise DAGError(f"{owner} needs a time-indexed DAG; DAG {tables.dag.name!r} declares no "
                       f"'time' block, so its rows are independent: use the row metrics "
                       f"(dcr_share_closer_to_train, exact_copies) instead")


def _positions(t: Tables, name: str) -> np.ndarray:
    """Each row's period number: its place in its series; the holdout's periods follow the
    real series' (the last periods held out, as ``compare`` splits a time table)."""
    lengths = series_lengths(t, name)
    pos = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pos + (series_lengths(t, "real")[0] if name == "holdout" else 0)


def _trend_free(t: Tables, name: str) -> np.ndarray:
    """The encoded table minus each numeric column's linear drift over the periods, fitted
    on the real series (one slope, each series centred on its own mean)."""
    lengths, x = series_lengths(t, "real"), t.encoded("real")
    n_num = len(t.encoder.numeric_)
    ids = _series_ids(lengths)
    pos = LinearTrend().columns(_positions(t, "real"), 1.0)["trend"]  # the drift in periods
    centre = pd.DataFrame(np.column_stack([pos, x[:, :n_num]])).groupby(ids).transform("mean")
    dev = np.column_stack([pos, x[:, :n_num]]) - centre.to_numpy()
    spread = float(dev[:, 0] @ dev[:, 0])
    slope = dev[:, 0] @ dev[:, 1:] / spread if spread > 0 else np.zeros(n_num)
    out = t.encoded(name).copy()
    drift = LinearTrend().columns(_positions(t, name), 1.0)["trend"]
    out[:, :n_num] -= drift[:, None] * slope[None, :]
    return out


def _table_windows(t: Tables, name: str, window: int, kind: str = "encoded") -> np.ndarray:
    x = {"encoded": t.encoded, "codes": t.codes, "trend_free": lambda n: _trend_free(t, n)}[
        kind](name)
    w = _windows(x, series_lengths(t, name), window)
    if not len(w):
        raise DataError(f"the {name} table has no series of {window} periods or more; "
                        f"pass a smaller window or longer series")
    return w


def _share_closer(a: np.ndarray, b: np.ndarray) -> float:
    """P(A < B) + 0.5 P(A = B), A from ``a``, B from ``b``: Mann-Whitney's U over n_a n_b."""
    return float(mannwhitneyu(b, a).statistic / (len(a) * len(b)))


def _below(d: np.ndarray, cut: float) -> float:
    return float(np.mean(d < cut) + 0.5 * np.mean(d == cut))


@measures(WINDOW_DCR_SHARE_CLOSER_TO_TRAIN)
def window_dcr_share_closer_to_train(real: pd.DataFrame | Tables,
                                     synthetic: pd.DataFrame | None = None,
                                     dag: DAG | None = None, rng=None,
                                     holdout: pd.DataFrame | None = None,
                                     window: int = WINDOW) -> MetricResult:
    """How often a window of synthetic periods is closer to the training windows than a
    window of held-out periods is.

    Windows: ``window`` consecutive periods of one series, every node column. DCR = distance
    to the closest training window (see the module notes). ``value`` = P(DCR_synthetic <
    DCR_holdout) + 0.5 P(tie) over synthetic and holdout windows: 0.5 means synthetic
    stretches sit as far from the training series as unseen real periods do; 1 means every
    synthetic window is on a training window (a copied stretch), even where each row alone
    looks new. ``reference``: the holdout measured the same way (0.5). ``details``: median
    distances, and the share of synthetic windows below the holdout's 5th percentile (about
    0.05 for unseen periods). Without a holdout it reports an error saying so. Lower is
    better; deterministic (``rng`` is not used).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> real = dag.simulate(156, seed=1)
    >>> train, hold = real.iloc[:125], real.iloc[125:]
    >>> window_dcr_share_closer_to_train(train, train, dag, holdout=hold).value
    1.0
    """
    t = series_tables(real, synthetic, dag, holdout)
    _check(t, "window_dcr_share_closer_to_train", window)
    if t.holdout is None:
        return no_holdout(WINDOW_DCR_SHARE_CLOSER_TO_TRAIN)
    train = _table_windows(t, "real", window, "trend_free")
    d_syn, d_hold = (nearest_distinct(_table_windows(t, name, window, "trend_free"), train,
                                      k=1)[:, 0] / math.sqrt(window)
                     for name in ("synthetic", "holdout"))
    p05 = float(np.quantile(d_hold, 0.05))
    details = {"window": window, "n_synthetic_windows": len(d_syn),
               "n_holdout_windows": len(d_hold), "n_training_windows": len(train),
               "holdout_median_distance": float(np.median(d_hold)),
               "synthetic_median_distance": float(np.median(d_syn)),
               "holdout_p05_distance": p05,
               "share_below_holdout_p05": _below(d_syn, p05),
               "reference_share_below_holdout_p05": _below(d_hold, p05),
               "share_synthetic_distance_zero": float(np.mean(d_syn == 0)),
               "distance": _DISTANCE}
    breakdown = pd.DataFrame({"quantile": _QUANTILES,
                              "synthetic": np.quantile(d_syn, _QUANTILES),
                              "holdout": np.quantile(d_hold, _QUANTILES)})
    return WINDOW_DCR_SHARE_CLOSER_TO_TRAIN.result(
        _share_closer(d_syn, d_hold), _share_closer(d_hold, d_hold), breakdown, details)


def _equal_pairs(query: np.ndarray, train: np.ndarray, tolerance: float | None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """(query row, training row) pairs of equal rows (within ``tolerance``, Chebyshev);
    None when there are more than ``MAX_PAIRS``."""
    if tolerance is None:
        both = distinct_rows(np.vstack([train, query])).inverse
        t_ids, q_ids = both[:len(train)], both[len(train):]
        t_count = np.bincount(t_ids, minlength=both.max() + 1)
        if int(t_count[q_ids].sum()) > MAX_PAIRS:
            return None
        m = pd.DataFrame({"id": q_ids, "i": np.arange(len(q_ids))}).merge(
            pd.DataFrame({"id": t_ids, "j": np.arange(len(t_ids))}), on="id")
        return m["i"].to_numpy(), m["j"].to_numpy()
    tree = KDTree(train, metric="chebyshev")
    if int(tree.query_radius(query, r=tolerance, count_only=True).sum()) > MAX_PAIRS:
        return None
    found = tree.query_radius(query, r=tolerance)
    i = np.repeat(np.arange(len(query)), [len(f) for f in found])
    return i, np.concatenate(found).astype(np.int64) if len(i) else np.zeros(0, np.int64)


def _runs(pairs: tuple[np.ndarray, np.ndarray], q_series: np.ndarray, t_series: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """For each equal (query row, training row) pair: its query row, and how many consecutive
    equal pairs start there (query and training rows both advancing by one period, each
    within one series of its table)."""
    i, j = pairs
    if not len(i):
        return i, np.zeros(0, np.int64)
    order = np.lexsort((i, j - i))  # along each diagonal j - i, query rows in order
    i, j = i[order], j[order]
    go_on = ((j[1:] - i[1:] == j[:-1] - i[:-1]) & (i[1:] == i[:-1] + 1)
             & (q_series[i[1:]] == q_series[i[:-1]]) & (t_series[j[1:]] == t_series[j[:-1]]))
    run = np.cumsum(np.r_[True, ~go_on]) - 1
    first = np.flatnonzero(np.r_[True, ~go_on])
    return i, np.bincount(run)[run] - (np.arange(len(i)) - first[run])


def _window_starts(lengths: np.ndarray, k: int) -> np.ndarray:
    """The first row of each window of :func:`_windows`, in the same order."""
    ends = np.cumsum(lengths)
    return np.concatenate([np.arange(e - n, e - k + 1) for n, e in zip(lengths, ends,
                                                                        strict=True)]
                          + [np.zeros(0, np.int64)])


def _copies(t: Tables, name: str, window: int, train_codes: np.ndarray,
            train_enc: np.ndarray, train_series: np.ndarray) -> dict[str, Any]:
    """The copy figures of table ``name`` against the training windows and rows."""
    codes = _table_windows(t, name, window, "codes")
    both = distinct_rows(np.vstack([train_codes, codes])).inverse
    exact = np.isin(both[len(train_codes):], both[:len(train_codes)])
    lengths = series_lengths(t, name)
    series = _series_ids(lengths)
    out: dict[str, Any] = {"windows": len(exact), "copied": int(exact.sum()),
                           "share": float(exact.mean())}
    for tol, x, y, key in ((None, t.codes(name), t.codes("real"), ""),
                           (TOLERANCE, t.encoded(name), t.encoded("real"), "_within_tolerance")):
        pairs = _equal_pairs(x, y, tol)
        runs = None if pairs is None else _runs(pairs, series, train_series)
        out[f"longest_run{key}"] = None if runs is None else int(runs[1].max(initial=0))
        if tol is not None:  # windows equal within the tolerance: runs of >= window periods
            close = (np.isin(_window_starts(lengths, window), runs[0][runs[1] >= window])
                     if runs is not None else nearest_distinct(
                         _table_windows(t, name, window), train_enc, k=1,
                         metric="chebyshev")[:, 0] <= TOLERANCE)
            out["copied_within_tolerance"] = int(close.sum())
            out["share_within_tolerance"] = float(close.mean())
    return out


@measures(COPIED_SUBSEQUENCES)
def copied_subsequences(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                        dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None,
                        window: int = WINDOW) -> MetricResult:
    """Synthetic windows of ``window`` consecutive periods equal to a training window in every
    node column (a count; lower is better).

    Also counted within a tolerance of 1e-9 of each numeric column's IQR (float round-off:
    a series written to CSV and read back), and the longest run of consecutive synthetic
    periods equal to a run of consecutive training periods (exact, and within the tolerance;
    None when the tables repeat so many rows that more than 5 million equal row pairs would
    have to be traced). ``reference``: the count expected of as many windows drawn like the
    holdout (the holdout's share of copied windows times the synthetic window count; its
    longest run is in the breakdown). Without a holdout the counts are computed and the
    reference is not. Deterministic (``rng`` is not used).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> train = dag.simulate(125, seed=1)
    >>> backwards = train.iloc[::-1].drop(columns="week")  # a row synthesizer's table
    >>> res = copied_subsequences(train, backwards, dag)
    >>> res.value, res.details["longest_run"], res.reference
    (0.0, 1, None)
    """
    t = series_tables(real, synthetic, dag, holdout)
    _check(t, "copied_subsequences", window)
    train_codes = _table_windows(t, "real", window, "codes")
    train_enc = _table_windows(t, "real", window)
    train_series = _series_ids(series_lengths(t, "real"))
    syn = _copies(t, "synthetic", window, train_codes, train_enc, train_series)
    rows = [{"table": "synthetic", **syn}]
    details: dict[str, Any] = {"window": window, "tolerance_iqr": TOLERANCE, **syn}
    reference = None
    if t.holdout is not None:
        hold = _copies(t, "holdout", window, train_codes, train_enc, train_series)
        rows.append({"table": "holdout", **hold})
        reference = hold["share"] * syn["windows"]
        details["reference_share"] = hold["share"]
        details["reference_longest_run"] = hold["longest_run"]
    else:
        details["reference_note"] = NEEDS_HOLDOUT
    return COPIED_SUBSEQUENCES.result(float(syn["copied"]), reference, pd.DataFrame(rows),
                                      details)


def _split(x: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return np.split(x, np.cumsum(lengths)[:-1])


def _series_distances(a: list[np.ndarray], b: list[np.ndarray]) -> np.ndarray:
    """Mean row distance of each series of ``a`` to each of ``b``, aligned by position in the
    series over their common length, shape ``(len(a), len(b))``."""
    out = np.empty((len(a), len(b)))
    for j, y in enumerate(b):
        for i, x in enumerate(a):
            m = min(len(x), len(y))
            out[i, j] = np.linalg.norm(x[:m] - y[:m], axis=1).mean()
    return out


def _reproduced(d: np.ndarray, yardstick: float) -> dict[str, Any]:
    """The flagged series of distances ``d`` (series x real geos) and their figures."""
    nearest = d.min(axis=1)
    flagged = (nearest < REPRODUCED_FRACTION * yardstick) | (nearest == 0)
    return {"series": len(nearest), "reproduced": int(flagged.sum()),
            "min_distance": float(nearest.min()), "median_distance": float(np.median(nearest)),
            "min_ratio": float(nearest.min() / yardstick) if yardstick > 0 else math.inf,
            "reproduced_geos": np.unique(d.argmin(axis=1)[flagged]).tolist()}


@measures(GEO_SERIES_REPRODUCED)
def geo_series_reproduced(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                          dag: DAG | None = None, rng=None,
                          holdout: pd.DataFrame | None = None) -> MetricResult:
    """Synthetic geo series that sit on a real training geo's series (a count; lower is better).

    Distance of two series: the mean over periods of the robust-scaled row distance, aligned
    by position in the series, over their common length. Yardstick: how close real geos come
    to each other, the 5th percentile over the real training geos of the distance to the
    nearest *other* real geo. Rule: a synthetic series reproduces a real geo when its distance
    to that geo is below half the yardstick (``REPRODUCED_FRACTION``), or zero. Two draws of
    the same geo's process differ by their week-to-week noise, so a fresh panel, even one of
    the very same geos, stays outside (on ``geo_mmm`` its closest series sits at 0.7-0.9 of
    the yardstick); a real geo's series emitted with noise of up to a tenth of each column's
    standard deviation falls well inside (0.25), with a fifth it is borderline (0.5).

    ``value``: how many synthetic series are flagged; ``reference``: the holdout's geo series
    (the later, unseen periods of the real geos, aligned by position, so on other weeks)
    flagged the same way. ``details``: the threshold, the distances, ``min_ratio`` (the
    closest synthetic series' distance over the yardstick; flagged below 0.5) and
    ``reproduced_geos``, the positions of the reproduced real geos in the real table (0 =
    first geo). Needs a panel with at least 2 real geo series; without a holdout only the
    reference is missing. Deterministic (``rng`` is not used).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("geo_mmm")
    >>> panel = dag.simulate(40 * 30, seed=1)
    >>> res = geo_series_reproduced(panel, panel, dag)
    >>> res.value, res.details["reproduced_geos"][:3]
    (40.0, [0, 1, 2])
    """
    t = series_tables(real, synthetic, dag, holdout)
    _check(t, "geo_series_reproduced")
    real_len = series_lengths(t, "real")
    if t.dag.time.geo is None or len(real_len) < 2:
        raise DataError(f"geo_series_reproduced needs a geo panel with at least 2 real geo "
                         f"series; got {len(real_len)} (pass the real table with its "
                         f"{t.dag.time.geo or 'geo'!r} column)")
    real_series = _split(t.encoded("real"), real_len)
    among = _series_distances(real_series, real_series)
    np.fill_diagonal(among, np.inf)
    nearest_other = among.min(axis=1)
    yardstick = float(np.quantile(nearest_other, 0.05))
    syn = _reproduced(_series_distances(
        _split(t.encoded("synthetic"), series_lengths(t, "synthetic")), real_series), yardstick)
    rows = [{"table": "synthetic", **syn},
            {"table": "training geos (nearest other geo)", "series": len(real_len),
             "reproduced": None, "min_distance": float(nearest_other.min()),
             "median_distance": float(np.median(nearest_other)),
             "min_ratio": float(nearest_other.min() / yardstick) if yardstick > 0 else None}]
    details: dict[str, Any] = {
        "threshold": REPRODUCED_FRACTION * yardstick, "yardstick": yardstick,
        "rule": f"reproduced: closer to a real training geo's series than {REPRODUCED_FRACTION}"
                f" x the 5th percentile of the real geos' distances to their nearest other "
                f"real geo (or at distance 0)", **syn}
    reference = None
    if t.holdout is not None:
        hold = _reproduced(_series_distances(
            _split(t.encoded("holdout"), series_lengths(t, "holdout")), real_series), yardstick)
        rows.append({"table": "holdout", **hold})
        reference = float(hold["reproduced"])
        details["reference_min_ratio"] = hold["min_ratio"]
    else:
        details["reference_note"] = NEEDS_HOLDOUT
    breakdown = pd.DataFrame(rows).drop(columns="reproduced_geos")
    return GEO_SERIES_REPRODUCED.result(float(syn["reproduced"]), reference, breakdown, details)


def sequence_metrics(dag: DAG) -> list:
    """The metrics of this module that apply to ``dag``: none without a time index, the
    window metrics for one series, and the geo metric too for a geo panel.

    >>> from causalsynth import load_dag
    >>> [m.__name__ for m in sequence_metrics(load_dag("geo_mmm"))][-1]
    'geo_series_reproduced'
    """
    if dag.time is None:
        return []
    metrics = [window_dcr_share_closer_to_train, copied_subsequences]
    return metrics + ([geo_series_reproduced] if dag.time.geo is not None else [])
