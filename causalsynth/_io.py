"""Reading tables and writing outputs whole or not at all.

Every output goes through a hidden temporary file beside its final path
(``.NAME.XXXX.part``) that is renamed into place only when it is complete. The outputs of one
command are written as a set (:func:`write_outputs`): all temporary files first, then all the
renames together, with SIGINT and SIGTERM held back during the renames, so an interrupt leaves
either every output or none of them, and never a ``.part`` file. A new file gets the usual
mode (``0666`` less the umask); a replaced file keeps its mode.

Tables are read so that they come back exactly as written: CSV floats are parsed with
``float_precision="round_trip"`` (pandas' default parser is off by one unit in the last place
on about 1% of values) and ``DataFrame.to_csv`` writes the shortest repr that round-trips.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from causalsynth.errors import DataError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


# ---- reading ---------------------------------------------------------------------------------
def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, with a clear error when it cannot.

    CSV floats are parsed exactly (``float_precision="round_trip"``), so a table written by
    :func:`write_table_atomic` reads back bit for bit. A column name that appears twice in the
    header is an error naming it (pandas would silently rename the second one ``NAME.1``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no file at {str(path)!r}; check the path")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"unknown table format {suffix!r} for {str(path)!r}; use .csv or .parquet"
        )
    try:
        if suffix == ".csv":
            header = _csv_header(path)
            frame = pd.read_csv(path, float_precision="round_trip")
        else:
            frame = pd.read_parquet(path)
            header = [str(c) for c in frame.columns]
    except Exception as exc:  # pandas raises many types; the user needs one message
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read {str(path)!r}: {first}") from None
    _check_unique_header(header, path)
    return frame


def _csv_header(path: Path) -> list[str]:
    """The header row of a CSV file as written (pandas renames a repeated name ``NAME.1``)."""
    row = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    return [str(v) for v in row.iloc[0].tolist()] if len(row) else []


def _check_unique_header(header: list[str], path: Path) -> None:
    seen: dict[str, int] = {}
    for name in header:
        seen[name] = seen.get(name, 0) + 1
    repeated = [f"{name!r} ({count} times)" for name, count in seen.items() if count > 1]
    if repeated:
        raise DataError(
            f"the header of {str(path)!r} repeats the column name(s) {', '.join(repeated)}; "
            f"give every column its own name"
        )


# ---- checking output paths -------------------------------------------------------------------
def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: same inode when both exist (hard links, symlinks,
    case-insensitive file systems), else the same resolved path."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def output_problems(path: str | Path, what: str = "output") -> list[str]:
    """What stops ``path`` from being written (checked before any work starts); empty if
    nothing does.

    ``what`` names the output in the sentences, e.g. ``"--json"``.
    """
    path = Path(path)
    shown = f"the {what} {str(path)!r}"
    if path.is_dir():
        return [f"{shown} is a folder; give a file path"]
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the folder that exists; the missing ones are created
    if not folder.is_dir():
        return [f"{shown} cannot be written: {str(folder)!r} is a file, not a folder"]
    if not os.access(folder, os.W_OK | os.X_OK):
        return [f"{shown} cannot be written: no permission to write in the folder "
                f"{str(folder)!r}; choose a folder you can write to"]
    if path.exists() and not os.access(path, os.W_OK):
        return [f"{shown} exists and is read-only; choose another path or make it "
                f"writable (chmod u+w)"]
    return []


# ---- writing ---------------------------------------------------------------------------------
Content = str | bytes | pd.DataFrame


def write_outputs(outputs: Mapping[str | Path, Content],
                  remove: Iterable[str | Path] = ()) -> None:
    """Write several files as one set: each whole, and all of them or none.

    Text (``str``), bytes or a DataFrame (CSV or Parquet by suffix) per path. Every file is
    first written to a hidden temporary file beside its final path; only when all are complete
    are they renamed into place, one after the other with SIGINT/SIGTERM held back until the
    last rename is done. Any error or interrupt before that removes the temporary files (and
    any folder this call created) and leaves the old files as they were. ``remove`` lists
    files that belong to the set but are not produced this time (stale outputs of an earlier
    run); they are deleted together with the renames.

    Examples
    --------
    >>> write_outputs({"report.json": text, "report.html": html})  # doctest: +SKIP
    """
    items = [(Path(p), content) for p, content in outputs.items()]
    for path, content in items:  # refuse a bad suffix before anything is written
        if isinstance(content, pd.DataFrame):
            _table_writer(path, content)
    staged: list[tuple[Path, Path]] = []
    created: list[Path] = []
    try:
        for path, content in items:
            staged.append((_stage(path, _writer(path, content), created), path))
        with _signals_held():
            for tmp, path in staged:
                _rename(tmp, path)
            staged = []
            for p in remove:
                Path(p).unlink(missing_ok=True)
    except BaseException:
        with _signals_held():  # a second Ctrl-C must not interrupt the clean-up
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all."""
    write_outputs({path: text})


def write_table_atomic(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as CSV or Parquet (by suffix), whole or not at all."""
    write_outputs({path: frame})


def json_text(data, path: str | Path | None = None) -> str:
    """Strict JSON text (no NaN) of ``data``; also written whole to ``path`` when given."""
    import json

    text = json.dumps(data, indent=2, allow_nan=False)
    if path is not None:
        write_text_atomic(path, text + "\n")
    return text


def _writer(path: Path, content: Content) -> Callable[[Path], None]:
    if isinstance(content, pd.DataFrame):
        return _table_writer(path, content)
    if isinstance(content, bytes):
        return lambda p: p.write_bytes(content)
    if isinstance(content, str):
        return lambda p: p.write_text(content, encoding="utf-8")
    raise TypeError(f"cannot write a {type(content).__name__} to {str(path)!r}; give text, "
                    f"bytes or a DataFrame")


def _table_writer(path: Path, frame: pd.DataFrame) -> Callable[[Path], None]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # to_csv writes float64 as its shortest round-trip repr; read_table parses it exactly
        return lambda p: frame.to_csv(p, index=False)
    if suffix in (".parquet", ".pq"):
        return lambda p: frame.to_parquet(p, index=False)
    raise DataError(
        f"unknown output format {suffix!r} for {str(path)!r}; use .csv or .parquet"
    )


def _stage(path: Path, write: Callable[[Path], None], created: list[Path]) -> Path:
    """Write to a hidden temporary file beside ``path`` with the final mode; return it."""
    missing = [f for f in (path.parent, *path.parent.parents) if not f.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created.extend(reversed(missing))
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except PermissionError:  # name the user's path, not the hidden temporary file
        raise PermissionError(errno.EACCES, "permission denied", str(path)) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, _final_mode(path))  # mkstemp's 0600 must not reach the result
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:  # name the user's path
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
    return tmp


def _rename(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno is None:
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None


def _final_mode(path: Path) -> int:
    """The mode of the file being replaced, or 0666 less the umask for a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask sets it, racing other threads)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back inside the block; deliver the first one after it."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread
        return
    pending: list[int] = []
    held = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    previous = {}
    try:
        for sig in held:
            previous[sig] = signal.signal(sig, lambda signum, _frame: pending.append(signum))
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if pending:
            signal.raise_signal(pending[0])
