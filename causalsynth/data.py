"""Checks a table against a DAG and returns a typed copy; the input is never modified.

Every later step (synthesizers, evaluations, the CLI) calls :func:`check_data` first, so that
a wrong table fails early with one error that lists every problem and what to do about it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causalsynth.dag import DAG
from causalsynth.errors import DataError

__all__ = ["MIN_ROWS", "check_data"]

MIN_ROWS = 10
_SHOW = 3  # how many offending values an error message quotes


def _examples(values) -> str:
    vals = list(dict.fromkeys(map(repr, values)))
    more = f" and {len(vals) - _SHOW} more" if len(vals) > _SHOW else ""
    return ", ".join(vals[:_SHOW]) + more


def check_data(data: pd.DataFrame, dag: DAG, *, min_rows: int = MIN_ROWS,
               allow_constant: bool = False, what: str = "the data") -> pd.DataFrame:
    """Validate ``data`` against ``dag`` and return a copy with the DAG's column order and dtypes.

    Dtypes: continuous -> float64, count and binary -> int64, categorical -> pandas Categorical
    with the declared categories. Problems collected together: missing or extra columns, NaN
    or infinite values, text in a numeric column, values outside a node's type (binary not
    0/1, negative or fractional counts, unknown categories), constant columns, too few rows.

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
        raise DataError(f"{what} has duplicate column names {dup}; rename them")
    missing = [n for n in dag.nodes if n not in columns]
    extra = [c for c in columns if c not in dag.nodes]
    if missing:
        problems.append(
            f"column(s) {missing} are declared in the DAG {dag.name!r} but missing from "
            f"{what}; columns present: {columns}"
        )
    if extra:
        problems.append(
            f"column(s) {extra} are in {what} but not in the DAG {dag.name!r}; drop them or "
            f"declare them as nodes"
        )
    if len(data) < min_rows:
        problems.append(
            f"{what} has {len(data)} rows; at least {min_rows} are needed for this step"
        )
    out: dict[str, pd.Series] = {}
    for name in dag.nodes:
        if name not in columns:
            continue
        col = data[data.columns[columns.index(name)]]
        converted, col_problems = _convert(col, dag.node(name))
        problems += col_problems
        if converted is not None:
            out[name] = converted
            if not allow_constant and len(data) > 1 and converted.nunique(dropna=True) == 1:
                problems.append(
                    f"column {name!r} is constant ({_plain(converted.iloc[0])!r}); a constant "
                    f"column carries no causal information: remove the node or give data that "
                    f"varies"
                )
    if problems:
        raise DataError(problems, source=None if what == "the data" else what)
    return pd.DataFrame(out, index=pd.RangeIndex(len(data)))


def _convert(col: pd.Series, node) -> tuple[pd.Series | None, list[str]]:
    name = node.name
    if col.isna().any():
        return None, [f"column {name!r} has {int(col.isna().sum())} missing value(s) (NaN); "
                      f"drop or impute those rows first"]
    if node.type == "categorical":
        labels = col.astype(str)
        unknown = sorted(set(labels.unique()) - set(node.categories))
        if unknown:
            return None, [f"column {name!r} has value(s) {_examples(unknown)} that are not "
                          f"declared categories {list(node.categories)}; add them to the DAG or "
                          f"recode the data"]
        return pd.Series(pd.Categorical(labels.to_numpy(), categories=node.categories),
                         name=name), []
    if pd.api.types.is_bool_dtype(col):
        values = col.astype("int64")
    else:
        values = pd.to_numeric(col, errors="coerce")
        bad = values.isna()
        if bad.any():
            return None, [f"column {name!r} is {node.type} but holds text such as "
                          f"{_examples(col[bad].tolist())}; convert it to numbers"]
    arr = values.to_numpy(dtype="float64")
    if not np.isfinite(arr).all():
        return None, [f"column {name!r} has {int((~np.isfinite(arr)).sum())} infinite value(s); "
                      f"replace or drop them"]
    if node.type == "binary":
        if not np.isin(arr, (0.0, 1.0)).all():
            return None, [f"column {name!r} is binary but holds values other than 0 and 1 "
                          f"({_examples(arr[~np.isin(arr, (0.0, 1.0))][:10].tolist())}); "
                          f"recode it to 0/1 or declare it continuous"]
        return pd.Series(arr.astype("int64"), name=name), []
    if node.type == "count":
        if (arr < 0).any() or (arr != np.round(arr)).any():
            return None, [f"column {name!r} is a count but holds negative or fractional values; "
                          f"declare it continuous or round it"]
        return pd.Series(arr.astype("int64"), name=name), []
    return pd.Series(arr, name=name), []


def _plain(value):
    """A numpy scalar as the Python value it holds (so messages show 1.0, not np.float64(1.0))."""
    return value.item() if isinstance(value, np.generic) else value
