"""Checks a table against a DAG and returns a typed copy; the input is never modified.

Every later step (synthesizers, evaluations, the CLI) calls :func:`check_data` first, so that
a wrong table fails early with one error that lists every problem and what to do about it.

Numbers the rest of the package can compute with safely:

* every number of a continuous or count column is at most ``MAX_ABS_VALUE`` (1e50) in
  absolute value. Squares, products of two columns and fourth powers (the variance of a
  product, as in Monte Carlo standard errors) stay finite in float64 (largest 1.8e308) summed
  over any table; beyond that they overflow, and a synthesizer fitted to such a column draws
  values of 1e300 or ``inf``;
* a column whose numbers are not all zero has at least one of magnitude ``MIN_ABS_SCALE``
  (1e-50) or more; below that, fourth powers underflow to zero and the column looks constant;
* a count is a whole number between 0 and ``MAX_COUNT`` (2**53, about 9.0e15), the largest
  range in which float64 holds every integer exactly, well inside int64.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from causalsynth._time_columns import LAYOUT_KEY, MIN_PERIODS, SeriesLayout, check_time_columns
from causalsynth.errors import DAGError, DataError, excerpt

if TYPE_CHECKING:  # the DAG module imports the simulation, which imports this module
    from causalsynth.dag import DAG

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_COUNT",
    "MIN_ABS_SCALE",
    "MIN_PERIODS",
    "MIN_ROWS",
    "SeriesLayout",
    "check_data",
    "code_matrix",
    "from_codes",
    "index_notes",
    "label_codes",
    "sdmetrics_metadata",
    "sdv_metadata",
    "series_layout",
    "to_codes",
    "to_plain_frame",
]

MIN_ROWS = 10
#: largest absolute number a continuous or count column may hold
MAX_ABS_VALUE = 1e50
#: a column that is not all zero needs one number at least this large in absolute value
MIN_ABS_SCALE = 1e-50
#: largest count: every integer up to 2**53 is exact in float64, and fits int64
MAX_COUNT = 2**53
_SHOW = 3  # how many offending values an error message quotes
_SHOW_NAMES = 10  # how many column names an error message lists
_DATETIME_TYPES = (_dt.date, _dt.time, _dt.timedelta, np.datetime64, np.timedelta64, pd.Period)


def _examples(values) -> str:
    vals = list(dict.fromkeys(excerpt(_plain(v), limit=40) for v in values))
    more = f" and {len(vals) - _SHOW} more" if len(vals) > _SHOW else ""
    return ", ".join(vals[:_SHOW]) + more


def _names(names: list[str]) -> str:
    """A bounded list of column names, e.g. ['a', 'b'] or ['a', ..., 'j'] and 40 more."""
    shown = "[" + ", ".join(excerpt(n) for n in names[:_SHOW_NAMES]) + "]"
    return shown + (f" and {len(names) - _SHOW_NAMES} more" if len(names) > _SHOW_NAMES else "")


def check_data(data: pd.DataFrame, dag: DAG, *, min_rows: int = MIN_ROWS,
               allow_constant: bool = False, what: str = "the data",
               min_periods: int = MIN_PERIODS) -> pd.DataFrame:
    """Validate ``data`` against ``dag`` and return a copy with the DAG's column order and dtypes.

    Dtypes: continuous -> float64, count and binary -> int64, categorical -> pandas Categorical
    with the declared categories. Problems collected together: missing or extra columns, NaN
    or infinite values, text, dates or complex numbers in a numeric column, True/False in a
    continuous or count column (fine for a binary one: read as 1/0), numbers too large or too
    small to compute with (see the module notes), values outside a node's type (binary not
    0/1, negative, fractional or too large counts, unknown categories), constant columns
    (unless ``allow_constant``: for synthetic tables, where a constant column is a finding
    rather than bad input), too few rows.

    A table of a DAG with ``time`` may also hold the time index column and the geo column
    (both optional, neither returned: their layout, dates included, is kept in
    ``frame.attrs["time_layout"]`` for the time features); see :func:`series_layout` for
    what is checked. Its rows come back series after series (geos in order of first
    appearance, time ascending); every series needs ``min_periods`` periods (default
    ``MIN_PERIODS``, 20). Without an index column the rows are taken in the given order.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> check_data(dag.simulate(50, seed=0), dag).shape
    (50, 6)
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame; got {type(data).__name__}")
    problems: list[str] = []
    columns = [str(c) for c in data.columns]
    if len(set(columns)) != len(columns):
        dup = sorted({c for c in columns if columns.count(c) > 1})
        raise DataError(f"{what} has duplicate column names {_names(dup)}; rename or drop the "
                        f"copies", source=None if what == "the data" else what)
    missing = [n for n in dag.nodes if n not in columns]
    time_columns = [] if dag.time is None else [dag.time.index, dag.time.geo]
    extra = [c for c in columns if c not in dag.nodes and c not in time_columns]
    order, layout = None, None
    if dag.time is not None:
        order, layout, time_problems = check_time_columns(data, dag.time, min_periods)
        problems += time_problems
    if missing:
        problems.append(
            f"column(s) {_names(missing)} are declared in the DAG {excerpt(dag.name)} but missing "
            f"from {what}; columns present: {_names(columns)}"
        )
    renamed = [c for c in extra if (m := re.fullmatch(r"(.+)\.(\d+)", c)) and m[1] in columns]
    if renamed:
        problems.append(
            f"column(s) {_names(renamed)} look like repeated columns that the CSV reader renamed "
            f"(a second {excerpt(renamed[0].rsplit('.', 1)[0])} column became "
            f"{excerpt(renamed[0])}); remove the duplicate columns from the file"
        )
    extra = [c for c in extra if c not in renamed]
    if extra:
        problems.append(
            f"column(s) {_names(extra)} are in {what} but not in the DAG {excerpt(dag.name)}; "
            f"drop them or declare them as nodes"
        )
    if len(data) < min_rows:
        problems.append(
            f"{what} has {len(data)} rows; at least {min_rows} are needed for this step"
        )
    out: dict[str, pd.Series] = {}
    for name in dag.nodes:
        if name not in columns:
            continue
        col = data.iloc[:, columns.index(name)]
        converted, col_problems = _convert(col, dag.node(name))
        problems += col_problems
        if converted is not None:
            out[name] = converted
            if not allow_constant and len(data) > 1 and converted.nunique(dropna=True) == 1:
                problems.append(
                    f"column {excerpt(name)} is constant ({excerpt(_plain(converted.iloc[0]))}); "
                    f"a constant column carries no causal information: remove the node or give "
                    f"data that varies"
                )
    if problems:
        raise DataError(problems, source=None if what == "the data" else what)
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(data)))
    if order is not None and (np.diff(order) != 1).any():
        frame = frame.iloc[order].reset_index(drop=True)
    if layout is not None and layout.index is not None:  # the dates holidays are read from
        frame.attrs[LAYOUT_KEY] = layout
    elif LAYOUT_KEY in data.attrs and (order is None or (np.diff(order) == 1).all()):
        frame.attrs[LAYOUT_KEY] = data.attrs[LAYOUT_KEY]  # a typed table checked again
    return frame


def index_notes(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG) -> list[str]:
    """Sentences for a report when a synthetic table's time index differs from the real one's:
    missing, or dates where the real table numbers its periods (or the reverse). The tables
    are then compared row by row without their index; the report must say so.

    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> real = dag.simulate(60, seed=0)
    >>> index_notes(real, real.drop(columns="week"), dag)  # doctest: +ELLIPSIS
    ["the synthetic table has no time index column 'week'; ..."]
    """
    if dag.time is None or dag.time.index not in real.columns:
        return []
    name = dag.time.index
    if name not in synthetic.columns:
        return [f"the synthetic table has no time index column {name!r}; its rows were taken "
                f"as consecutive periods in table order"]
    kinds = [("dates" if pd.api.types.is_datetime64_any_dtype(t[name])
              or pd.api.types.is_object_dtype(t[name]) else "period numbers")
             for t in (real, synthetic)]
    if kinds[0] != kinds[1]:
        return [f"the time index column {name!r} holds {kinds[1]} in the synthetic table but "
                f"{kinds[0]} in the real one; the tables were compared period by period in "
                f"row order"]
    return []


def series_layout(data: pd.DataFrame, dag: DAG, *, min_periods: int = MIN_PERIODS
                  ) -> SeriesLayout:
    """How the rows of :func:`check_data`'s output for ``data`` split into series.

    Pass the table as given (with its index and geo columns), not ``check_data``'s output,
    which drops them. For a DAG with ``time: {index, period, geo}``:

    * the index column (optional) holds dates (datetime values, or text such as
      ``2021-01-04``) or whole numbers, none missing; within each geo the periods are
      strictly increasing (sort the table otherwise), none repeated, and on a regular grid:
      the step is the most common spacing (e.g. 7 days, 1, or a calendar month) and missing
      periods are listed;
    * the geo column (optional) has no missing labels; it is required when the table holds
      more than one series, since repeated periods without it are refused;
    * every geo covers the same periods (a balanced panel) and every series has at least
      ``min_periods`` periods (default ``MIN_PERIODS``, 20: carryover is learned from lagged
      spend, up to about 8 weeks, and intervals come from blocks of about 10 periods).

    Without an index column the rows of each geo are taken in the given order. Every problem
    is reported in one :class:`~causalsynth.errors.DataError`.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> layout = series_layout(dag.simulate(104, seed=0), dag)
    >>> layout.n_series, layout.periods, layout.index[:3]
    (1, 104, (0, 1, 2))
    """
    if dag.time is None:
        raise DAGError(f"DAG {dag.name!r} declares no 'time' block, so its rows are independent "
                       f"rather than series; declare time: {{index: week, period: 52}}")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"the data must be a pandas DataFrame; got {type(data).__name__}")
    _, layout, problems = check_time_columns(data, dag.time, min_periods)
    if problems:
        raise DataError(problems)
    return layout


def _convert(col: pd.Series, node) -> tuple[pd.Series | None, list[str]]:
    name = excerpt(node.name)
    if col.isna().any():
        return None, [f"column {name} has {int(col.isna().sum())} missing value(s) (NaN); "
                      f"drop or impute those rows first"]
    if node.type == "categorical":
        return _categorical(col, node)
    kind = _special_kind(col)
    if kind == "date":
        return None, [f"column {name} holds dates or times ({_examples(col.head(_SHOW))}) but "
                      f"is declared {node.type}; convert them to numbers (e.g. days since the "
                      f"first date) or drop the node"]
    if kind == "complex":
        return None, [f"column {name} holds complex numbers ({_examples(col.head(_SHOW))}); "
                      f"a {node.type} node needs real numbers"]
    if kind == "bool":
        if node.type != "binary":
            return None, [f"column {name} holds True/False values but is declared {node.type}; "
                          f"declare the node binary or convert the column to numbers"]
        col = (col.astype("int64") if pd.api.types.is_bool_dtype(col.dtype)
               else col.map(lambda v: int(v) if isinstance(v, (bool, np.bool_)) else v))
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna()
    if bad.any():
        shown = col[bad].tolist()
        what = "text" if all(isinstance(v, str) for v in shown) else "values that are not numbers"
        return None, [f"column {name} is {node.type} but holds {what} such as "
                      f"{_examples(shown)}; convert it to numbers"]
    arr = values.to_numpy(dtype="float64")
    if not np.isfinite(arr).all():
        return None, [f"column {name} has {int((~np.isfinite(arr)).sum())} infinite value(s); "
                      f"replace or drop them"]
    if node.type == "binary":
        if not np.isin(arr, (0.0, 1.0)).all():
            return None, [f"column {name} is binary but holds values other than 0 and 1 "
                          f"({_examples(arr[~np.isin(arr, (0.0, 1.0))][:10].tolist())}); "
                          f"recode it to 0/1 or declare it continuous"]
        return pd.Series(arr.astype("int64"), name=node.name), []
    problem = _magnitude_problem(arr, name, node.type)
    if problem:
        return None, [problem]
    if node.type == "count":
        if (arr < 0).any() or (arr != np.round(arr)).any():
            return None, [f"column {name} is a count but holds negative or fractional values; "
                          f"declare it continuous or round it"]
        big = _above_max_count(values, arr)
        if big is not None:
            shown = f"{big:,}" if isinstance(big, int) else f"{big:.4g}"
            return None, [f"column {name} is a count but holds {shown}, above the largest "
                          f"count this package stores exactly (2**53, about 9.0e15); check the "
                          f"column for a unit or parsing error, or declare it continuous"]
        return pd.Series(arr.astype("int64"), name=node.name), []
    return pd.Series(arr, name=node.name), []


def _special_kind(col: pd.Series) -> str | None:
    """'date', 'complex' or 'bool' when the column holds such values (by dtype or by element)."""
    dtype = col.dtype
    if (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)
            or isinstance(dtype, pd.PeriodDtype)):
        return "date"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if not pd.api.types.is_object_dtype(dtype):
        return None
    kinds = {type(v) for v in col.to_numpy()}
    if any(issubclass(k, _DATETIME_TYPES) for k in kinds):
        return "date"
    if any(issubclass(k, (complex, np.complexfloating)) for k in kinds):
        return "complex"
    if any(issubclass(k, (bool, np.bool_)) for k in kinds):
        return "bool"
    return None


def _magnitude_problem(arr: np.ndarray, name: str, ntype: str) -> str | None:
    peak = float(np.max(np.abs(arr))) if len(arr) else 0.0
    if peak > MAX_ABS_VALUE:
        big = arr[np.abs(arr) > MAX_ABS_VALUE]
        return (f"column {name} holds {len(big)} number(s) beyond ±1e50 (such as "
                f"{_examples(big.tolist())}); squares and sums of such numbers overflow, so "
                f"fix the values (a unit or parsing error?), rescale the column or drop those rows")
    if 0 < peak < MIN_ABS_SCALE:
        return (f"column {name} ({ntype}) holds only numbers smaller than 1e-50 (largest "
                f"{peak:.3g}); their squares underflow to zero: rescale the column (e.g. "
                f"multiply it by a power of ten)")
    return None


def _above_max_count(values: pd.Series, arr: np.ndarray) -> int | float | None:
    """The first count above MAX_COUNT, compared exactly for integer columns."""
    if pd.api.types.is_integer_dtype(values.dtype):
        ints = values.to_numpy()
        over = ints[ints > MAX_COUNT] if len(ints) else ints
        return int(over[0]) if len(over) else None
    over = arr[arr > MAX_COUNT]
    return float(over[0]) if len(over) else None


def _categorical(col: pd.Series, node) -> tuple[pd.Series | None, list[str]]:
    labels = col.astype(str)
    unknown = set(labels.unique()) - set(node.categories)
    if unknown:
        labels = labels.map(_label_aliases(col, node.categories, unknown)).fillna(labels)
        unknown = set(labels.unique()) - set(node.categories)
    if unknown:
        return None, [f"column {excerpt(node.name)} has value(s) {_examples(sorted(unknown))} "
                      f"that are not declared categories {excerpt(list(node.categories))}; add "
                      f"them to the DAG or recode the data"]
    return pd.Series(pd.Categorical(labels.to_numpy(), categories=node.categories),
                     name=node.name), []


def _label_aliases(col: pd.Series, categories: tuple[str, ...], unknown: set[str]
                   ) -> dict[str, str]:
    """Data labels that mean a declared category written another way.

    A CSV reader turns ``01`` into the number 1 and ``true`` into True; a category declared
    as ``01`` or ``true`` is then matched by value (numbers) or case-insensitively (True/False),
    when exactly one category matches.
    """
    aliases: dict[str, str] = {}
    if pd.api.types.is_bool_dtype(col.dtype):
        for label in unknown:
            hits = [c for c in categories if c.lower() == label.lower()]
            if len(hits) == 1:
                aliases[label] = hits[0]
    elif pd.api.types.is_numeric_dtype(col.dtype):
        by_value: dict[float, list[str]] = {}
        for c in categories:
            try:
                by_value.setdefault(float(c), []).append(c)
            except ValueError:
                continue
        for label in unknown:
            try:
                hits = by_value.get(float(label), [])
            except ValueError:
                continue
            if len(hits) == 1:
                aliases[label] = hits[0]
    return aliases


def _plain(value):
    """A numpy scalar as the Python value it holds (so messages show 1.0, not np.float64(1.0))."""
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------------------------------
# The one typed-table converter. A typed table (from check_data) holds floats for continuous
# nodes, int64 for binary and count nodes and pandas Categoricals with the declared categories;
# the computing parts of the package work on "codes": one float array per node, a category as
# its index into the node's declared categories.
# ---------------------------------------------------------------------------------------
def to_codes(data: pd.DataFrame, dag: DAG) -> dict[str, np.ndarray]:
    """A typed table as ``{node: float array}``; categories become their integer codes.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("ad_funnel")
    >>> sorted(to_codes(dag.simulate(4, seed=0), dag)) == sorted(dag.nodes)
    True
    """
    out = {}
    for name in dag.nodes:
        col = data[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = col.cat.codes.to_numpy(dtype="float64")
        else:
            out[name] = col.to_numpy(dtype="float64")
    return out


def code_matrix(data: pd.DataFrame, dag: DAG) -> np.ndarray:
    """:func:`to_codes` as one float matrix, columns in the DAG's node order."""
    values = to_codes(data, dag)
    return (np.column_stack([values[n] for n in dag.nodes]) if values
            else np.empty((len(data), 0)))


def from_codes(values, dag: DAG) -> pd.DataFrame:
    """The inverse of :func:`to_codes`: a typed table from ``{node: float array}``.

    Binary and count values are rounded to integers; categorical codes are rounded and kept
    within the declared categories.
    """
    columns = {}
    for name in dag.nodes:
        node, v = dag.node(name), np.asarray(values[name])
        if node.type == "categorical":
            codes = np.clip(np.rint(v).astype(int), 0, len(node.categories) - 1)
            columns[name] = pd.Categorical.from_codes(codes, categories=list(node.categories))
        elif node.type in ("binary", "count"):
            columns[name] = np.rint(v).astype("int64")
        else:
            columns[name] = v.astype("float64")
    return pd.DataFrame(columns)


def label_codes(node, labels) -> np.ndarray:
    """Text labels of a binary (``"0"``/``"1"``) or categorical node as float codes; a numeric
    node's values as floats. Unknown labels get code -1."""
    if node.is_numeric:
        return np.asarray(labels, dtype="float64")
    known = ["0", "1"] if node.type == "binary" else list(node.categories)
    codes = pd.Categorical(np.asarray(labels).astype(str), categories=known).codes
    return codes.astype("float64")


def to_plain_frame(data: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    """A copy with categorical columns as plain text labels (object dtype): what SDV's
    synthesizers and SDMetrics' metrics accept (they refuse or mishandle pandas Categoricals)."""
    out = data.copy()
    for name in dag.nodes:
        if name in out and dag.node(name).type == "categorical":
            out[name] = out[name].astype(str).astype(object)
    return out


def sdmetrics_metadata(dag: DAG, multi_table: bool = False) -> dict:
    """SDMetrics metadata from the DAG's node types: continuous -> numerical (Float), count ->
    numerical (Int64), binary -> boolean, categorical -> categorical. ``multi_table`` wraps it
    as the one table ``"table"`` (SDMetrics' privacy metrics want that form).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> sdmetrics_metadata(load_dag("acquisition"))["columns"]["revenue"]
    {'sdtype': 'numerical', 'computer_representation': 'Float'}
    """
    kinds = {"continuous": {"sdtype": "numerical", "computer_representation": "Float"},
             "count": {"sdtype": "numerical", "computer_representation": "Int64"},
             "binary": {"sdtype": "boolean"}, "categorical": {"sdtype": "categorical"}}
    single = {"columns": {n: dict(kinds[dag.node(n).type]) for n in dag.nodes}}
    return {"tables": {"table": single}} if multi_table else single


def sdv_metadata(dag: DAG, table: str = "table") -> dict:
    """SDV 2.x metadata (as a dict) from the DAG's node types alone: it holds no data value.
    Binary and categorical nodes are categorical (one-hot in CTGAN/TVAE, frequency-encoded in
    the copulas); counts are numbers without decimals.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> sdv_metadata(load_dag("acquisition"))["tables"]["table"]["columns"]["revenue"]
    {'sdtype': 'numerical'}
    """
    kinds = {"continuous": {"sdtype": "numerical"},
             "count": {"sdtype": "numerical", "decimal_places": 0},
             "binary": {"sdtype": "categorical"}, "categorical": {"sdtype": "categorical"}}
    columns = {n: dict(kinds[dag.node(n).type]) for n in dag.nodes}
    return {"METADATA_SPEC_VERSION": "V2", "tables": {table: {"columns": columns}},
            "relationships": []}
