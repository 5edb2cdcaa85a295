"""Reading tables and writing outputs whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from causalsynth.errors import DataError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, with a clear error when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no file at {str(path)!r}; check the path")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except Exception as exc:  # pandas raises many types; the user needs one message
        raise DataError(f"cannot read {str(path)!r}: {exc}") from None
    raise DataError(
        f"unknown table format {suffix!r} for {str(path)!r}; use .csv or .parquet"
    )


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename: whole or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    _write_atomic(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def json_text(data, path: str | Path | None = None) -> str:
    """Strict JSON text (no NaN) of ``data``; also written whole to ``path`` when given."""
    import json

    text = json.dumps(data, indent=2, allow_nan=False)
    if path is not None:
        write_text_atomic(path, text + "\n")
    return text


def write_table_atomic(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as CSV or Parquet (by suffix), whole or not at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_atomic(path, lambda p: frame.to_csv(p, index=False))
    elif suffix in (".parquet", ".pq"):
        _write_atomic(path, lambda p: frame.to_parquet(p, index=False))
    else:
        raise DataError(
            f"unknown output format {suffix!r} for {str(path)!r}; use .csv or .parquet"
        )
