"""The package's layout rules, so they stay true: small modules, no reaching into another
module's private names, a pinned public API, and every subpackage listed for the wheel.

Read from the source with :mod:`ast` (nothing is imported but the package itself), so a
violation names the file and line to fix.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import causalsynth

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "causalsynth"
#: longest module, in lines (the style aims at ~450)
MAX_MODULE_LINES = 500


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``causalsynth.evaluate.gcm``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The module an ``ImportFrom`` reads from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")[: len(module.split(".")) - node.level + is_package]
    return ".".join([*base, *([node.module] if node.module else [])])


def _private_imports(module: str, tree: ast.Module) -> list[str]:
    """``from causalsynth.x import _y`` and ``x._y`` (x bound to a causalsynth module)."""
    found: list[str] = []
    bound: dict[str, str] = {}  # local name -> causalsynth module it refers to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "causalsynth":
                    key = alias.asname or alias.name.split(".")[0]
                    bound[key] = alias.name if alias.asname else "causalsynth"
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if source.split(".")[0] != "causalsynth" or source == module:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:  # a submodule: reading its public names is fine
                    bound[alias.asname or alias.name] = full
                elif _private(alias.name):
                    found.append(f"line {node.lineno}: from {source} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            target = _dotted(node.value, bound)
            if target in MODULES and target != module:
                found.append(f"line {node.lineno}: {target}.{node.attr}")
    return found


def _dotted(node: ast.expr, bound: dict[str, str]) -> str | None:
    """The causalsynth module an expression such as ``x`` or ``causalsynth.x`` names."""
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, bound)
        return f"{base}.{node.attr}" if base else None
    return None


def test_no_module_is_too_long():
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them): {long}"


def test_no_module_imports_a_private_name_of_another():
    found = {}
    for name, path in MODULES.items():
        hits = _private_imports(name, ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert not found, ("private names used across modules (make them public in their module, "
                       f"or move the code): {found}")


def test_the_rule_sees_both_spellings():
    tree = ast.parse("import causalsynth\nfrom causalsynth.data import _x\n"
                     "from causalsynth import data\nimport causalsynth.evaluate.gcm as g\n"
                     "from . import _io\nfrom .errors import _bounded\n"
                     "data._y; g._z; causalsynth.simulation._w; _io.write_text_atomic\n"
                     "data.__doc__; data.check_data\n")
    hits = [h.split(": ", 1)[1] for h in _private_imports("causalsynth.dag", tree)]
    assert sorted(hits) == sorted([
        "from causalsynth.data import _x", "from causalsynth.errors import _bounded",
        "causalsynth.data._y", "causalsynth.evaluate.gcm._z", "causalsynth.simulation._w"])


def test_package_all_is_the_pinned_public_api():
    spec = importlib.util.spec_from_file_location("_pinned_api", ROOT / "tests" /
                                                  "test_public_api.py")
    pinned = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pinned)
    assert sorted(causalsynth.__all__) == sorted(pinned.PUBLIC)
    assert len(causalsynth.__all__) == len(set(causalsynth.__all__))


def test_every_subpackage_is_shipped():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11+")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    missing = sorted(packages - listed)
    assert not missing, f"pyproject.toml [tool.setuptools] packages lacks {missing}: a wheel " \
                        f"would ship without them"
