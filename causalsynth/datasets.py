"""Load a real marketing table shipped in ``examples/data/``, ready for its built-in DAG.

Three third-party tables come with the source repository (not with the wheel), each with its
licence and origin note in ``examples/data/ORIGIN.md`` and a DAG in ``dags/``:

* ``robyn_weekly`` — Meta Robyn's weekly demo data (208 weeks, MIT);
* ``meridian_national`` — Google Meridian's simulated national weekly data (156 weeks,
  Apache-2.0);
* ``online_shop`` — DoWhy's online-shop example, one row per day of 2021 (365 days, MIT).

:func:`load_example` reads the CSV as shipped, renames columns to the DAG's node names where
they differ, drops the columns that are not nodes (dates, and the columns each DAG's
description names) and returns the nodes in the DAG's order with the dtypes that
:func:`causalsynth.data.check_data` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from causalsynth.dag import load_dag
from causalsynth.data import check_data
from causalsynth.errors import DataError

__all__ = ["EXAMPLES", "load_example"]


@dataclass(frozen=True)
class _Example:
    file: str
    rename: dict[str, str] = field(default_factory=dict)


_TABLES: dict[str, _Example] = {
    "robyn_weekly": _Example("dt_simulated_weekly.csv"),
    "meridian_national": _Example("meridian_national_all_channels.csv"),
    "meridian_geo": _Example("meridian_geo_all_channels.csv"),
    "online_shop": _Example(
        "dowhy_online_shop_2021.csv",
        rename={
            "Shopping Event?": "shopping_event",
            "Ad Spend": "ad_spend",
            "Page Views": "page_views",
            "Unit Price": "unit_price",
            "Sold Units": "sold_units",
            "Revenue": "revenue",
            "Operational Cost": "operational_cost",
            "Profit": "profit",
        },
    ),
}

#: Names accepted by :func:`load_example`; each is also the name of its built-in DAG.
EXAMPLES: tuple[str, ...] = tuple(_TABLES)


def _data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples" / "data"


def load_example(name: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """One shipped example table, with the columns and dtypes of its built-in DAG.

    Parameters
    ----------
    name : str
        ``"robyn_weekly"``, ``"meridian_national"``, ``"meridian_geo"`` or ``"online_shop"``;
        the DAG of the same name (``causalsynth.load_dag(name)``) describes the table.
    data_dir : str or Path, optional
        Folder holding the CSV files. Default: ``examples/data`` of the source tree this
        package is imported from. The files are not inside the wheel: after a plain
        ``pip install``, point this at ``examples/data`` of a clone of the repository.

    Returns
    -------
    pandas.DataFrame
        One column per DAG node in the DAG's order (continuous as float64, count and binary
        as int64, categorical as pandas Categorical); columns that are not nodes are dropped,
        except the time index and geo columns of a time-indexed DAG, which come first (rows
        geo after geo, in time order).

    Raises
    ------
    DataError
        Unknown name, missing file (the message gives the path looked at), or a file that no
        longer fits its DAG.

    Examples
    --------
    >>> from causalsynth.datasets import load_example
    >>> shop = load_example("online_shop")    # from a clone: examples/data/ is found by itself
    >>> shop.shape, list(shop.columns[:3])     # the date column, then the DAG's nodes
    ((365, 9), ['Date', 'shopping_event', 'ad_spend'])
    """
    if name not in _TABLES:
        raise DataError(
            f"no example table called {name!r}; available: {', '.join(EXAMPLES)}"
        )
    spec = _TABLES[name]
    folder = Path(data_dir) if data_dir is not None else _data_dir()
    path = folder / spec.file
    if not path.is_file():
        raise DataError(
            f"the example table {name!r} is not at {str(path)!r}; the example data ship with "
            f"the source repository (examples/data/), not with the installed package: clone "
            f"the repository and install it with 'pip install -e .', or pass data_dir= the "
            f"folder that holds {spec.file!r}"
        )
    dag = load_dag(name)
    raw = pd.read_csv(path).rename(columns=spec.rename)
    missing = [n for n in dag.nodes if n not in raw.columns]
    if missing:
        raise DataError(
            f"{str(path)!r} lacks the column(s) {missing} that the DAG {dag.name!r} declares; "
            f"columns present: {list(raw.columns)}"
        )
    axis = [] if dag.time is None else [c for c in (dag.time.geo, dag.time.index)
                                        if c is not None and c in raw.columns]
    if axis:
        raw = raw.sort_values(axis, kind="stable").reset_index(drop=True)
    nodes = check_data(raw[axis + dag.nodes], dag, what=str(path))
    return pd.concat([raw[axis], nodes], axis=1) if axis else nodes
