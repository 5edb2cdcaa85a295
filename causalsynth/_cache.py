"""A disk cache for results that take seconds to compute and never change for the same inputs
(the Monte Carlo ground truth of a DAG): paid once per machine, not once per process.

Where: the folder ``$CAUSALSYNTH_CACHE_DIR``; unset, the user's cache folder
(``$XDG_CACHE_HOME/causalsynth``, else ``~/.cache/causalsynth`` on Linux;
``~/Library/Caches/causalsynth`` on macOS; ``%LOCALAPPDATA%\\causalsynth\\Cache`` on Windows).
``CAUSALSYNTH_CACHE_DIR=off`` (or ``0``, ``false``, ``no``, ``none``) turns the cache off:
nothing is read or written.

An entry's key is the SHA-256 of its inputs (as JSON), the versions of causalsynth, Python,
numpy, scipy and pandas, and a digest of the source of the module that computes it and of
every causalsynth module that module imports, directly or not (:func:`source_modules`): a
change of code or of a library is a miss, never a stale hit. Entries are JSON files (reading
one runs no code, unlike a pickle), ``<folder>/<kind>/<key[:2]>/<key>.json``, each written
whole or not at all (a temporary file renamed into place), so processes that share the folder
(test workers, a command line run beside a notebook) never read half an entry. An entry that
cannot be read or decoded is ignored, recomputed and written again; a folder that cannot be
written only costs the saving.

Examples
--------
>>> "causalsynth.scm" in source_modules("causalsynth.simulation")
True
>>> len(entry_key("ground_truth", {"seed": 0}, "causalsynth.simulation"))
64
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from importlib import metadata, util
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from causalsynth._io import write_text_atomic

__all__ = ["ENV", "cache_dir", "cached", "entry_key", "frame_from_json", "frame_to_json",
           "source_modules"]

T = TypeVar("T")
#: the environment variable naming the cache folder, or turning the cache off
ENV = "CAUSALSYNTH_CACHE_DIR"
_OFF = {"off", "0", "false", "no", "none"}
#: bump when the layout of an entry changes
_FORMAT = 1


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when ``$CAUSALSYNTH_CACHE_DIR`` turns the
    cache off."""
    value = os.environ.get(ENV, "").strip()
    if value:
        return None if value.lower() in _OFF else Path(value).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "causalsynth" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "causalsynth"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "causalsynth"


# ---- the key ----------------------------------------------------------------------------------
def _module_file(name: str) -> Path | None:
    """The file of module ``name``; None for a name that is no module (a class, a function)."""
    try:
        spec = util.find_spec(name)
    except (ImportError, ValueError):  # "causalsynth.errors.DAGError": errors is no package
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def _imports(name: str, path: Path) -> set[str]:
    """The causalsynth modules ``name`` imports, at the top or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..errors import y
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # submodules imported by name
    return {m for m in found if m.startswith("causalsynth.") and _module_file(m) is not None}


@functools.cache
def source_modules(module: str) -> tuple[str, ...]:
    """``module`` and every causalsynth module it imports, directly or not (its packages'
    ``__init__`` included), sorted: the code whose source is in a cache key."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]  # parent packages
        path = _module_file(name)
        if path is not None and path.suffix == ".py":
            todo += sorted(_imports(name, path) - seen)
    return tuple(sorted(seen))


@functools.cache
def _source_digest(module: str) -> str:
    digest = hashlib.sha256()
    for name in source_modules(module):
        path = _module_file(name)
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path is not None and path.suffix == ".py" else b"")
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def entry_key(kind: str, inputs: Mapping[str, Any], module: str) -> str:
    """The SHA-256 key of an entry: ``kind``, ``inputs`` (JSON-able), the library versions and
    the source of ``module`` with everything it imports."""
    material = {"format": _FORMAT, "kind": kind, "inputs": dict(inputs),
                "python": list(sys.version_info[:3]), "causalsynth": _version("causalsynth"),
                "numpy": np.__version__, "pandas": pd.__version__, "scipy": _version("scipy"),
                "source": _source_digest(module)}
    text = json.dumps(material, sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


# ---- entries ----------------------------------------------------------------------------------
def cached(kind: str, inputs: Mapping[str, Any], module: str, compute: Callable[[], T],
           encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
    """``compute()``, or its saved value: ``decode`` of what ``encode`` wrote for the same key
    (see :func:`entry_key`). ``encode`` returns JSON-able data and ``decode(encode(x))``
    must equal ``x`` exactly; a value ``encode`` cannot write is returned unsaved."""
    folder = cache_dir()
    if folder is None:
        return compute()
    try:
        key = entry_key(kind, inputs, module)
    except (OSError, SyntaxError, ValueError, TypeError):  # sources unreadable: no cache
        return compute()
    path = folder / kind / key[:2] / f"{key}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry["key"] == key:
            return decode(entry["value"])
    except Exception:  # missing, unreadable, truncated or foreign: recompute
        pass
    value = compute()
    try:
        text = json.dumps({"key": key, "kind": kind, "inputs": dict(inputs),
                           "value": encode(value)})
        write_text_atomic(path, text)
    except (OSError, TypeError, ValueError):  # a read-only folder, a value JSON cannot hold
        pass
    return value


def frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame of numbers, strings and booleans as JSON-able data that
    :func:`frame_from_json` reads back exactly (floats round-trip through ``repr``; NaN is
    written as ``NaN``). Its index is not kept: a default index comes back.

    >>> frame = pd.DataFrame({"node": ["tv", "search"], "share": [0.1 + 0.2, float("nan")]})
    >>> frame_from_json(json.loads(json.dumps(frame_to_json(frame)))).equals(frame)
    True
    """
    kinds = {str(t) for t in frame.dtypes}
    if not kinds <= {"float64", "int64", "bool", "object"}:
        raise TypeError(f"cannot cache a frame with dtypes {sorted(kinds)}")
    return {"columns": [str(c) for c in frame.columns], "dtypes": [str(t) for t in frame.dtypes],
            "data": [frame[c].tolist() for c in frame.columns]}


def frame_from_json(data: Mapping[str, Any]) -> pd.DataFrame:
    """The DataFrame :func:`frame_to_json` wrote."""
    return pd.DataFrame({c: pd.Series(v, dtype=t) for c, v, t in
                         zip(data["columns"], data["data"], data["dtypes"], strict=True)},
                        columns=list(data["columns"]))
