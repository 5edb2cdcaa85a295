"""The package's layout rules, so they stay true: imports point down the layers, modules stay
readable, no reaching into another module's private names, a pinned public API, and every
subpackage listed for the wheel.

Read from the source with :mod:`ast` (nothing is imported but the package itself), so a
violation names the file and line to fix.
"""

from __future__ import annotations

import ast
import importlib.util
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import causalsynth

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "causalsynth"
#: a module longer than this (in lines) gets a warning: split it by responsibility
WARN_MODULE_LINES = 500
#: ... and longer than this fails: nobody reads a module of that length at once
MAX_MODULE_LINES = 1000


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of a package by dotted name (``causalsynth.evaluate.gcm``)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _absolute(module: str, node: ast.ImportFrom, modules: dict[str, Path] = MODULES) -> str:
    """The module an ``ImportFrom`` reads from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    is_package = modules[module].name == "__init__.py"
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


def test_modules_stay_readable():
    """Over 500 lines: a warning (split by responsibility, not by count); over 1,000: a
    failure."""
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines())
               for name, path in MODULES.items()}
    long = {name: n for name, n in lengths.items() if n > WARN_MODULE_LINES}
    if long:
        with warnings.catch_warnings():  # shown in the summary, not turned into an error
            warnings.simplefilter("default")
            warnings.warn(f"modules over {WARN_MODULE_LINES} lines (split them where they "
                          f"hold several jobs): {long}", UserWarning, stacklevel=1)
    too_long = {name: n for name, n in long.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them): {too_long}"


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


# ---- layers -------------------------------------------------------------------------------------
#: the layers, lowest first (module prefixes relative to the package; a module belongs to the
#: layer of its longest matching prefix, the package's ``__init__`` to ""). A module may import
#: its own layer and those below, never one above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("errors", "_params", "_random", "_io", "_yaml", "_cache", "_json_mapping",
              "guarantee")),
    ("declaration", ("dag", "data", "_time_block", "_time_columns", "_simulation_block",
                     "_discovery_block")),
    ("engine and media rules", ("scm", "simulation", "media", "carryover", "_mmm", "_ici",
                                "datasets")),
    ("synthesizers | evaluate", ("synthesizers", "evaluate")),
    # leaderboard.py reads report dicts only (no training, no judging): the renderers use it
    ("render", ("render", "leaderboard")),
    # the modules that both train and judge: the comparison grid and the privacy audit
    ("comparison", ("comparison", "_grid_cells", "_grid_backends", "_dask_connect",
                    "privacy_audit")),
    ("public API", ("",)),
    ("command line", ("cli", "__main__")),
)
#: parts of one layer that never import each other
APART: tuple[tuple[str, str], ...] = (("synthesizers", "evaluate"),)
#: (importer, imported) -> why the upward import is accepted. Each entry must still be needed
#: (a stale entry fails), so the list only shrinks.
ALLOWED: dict[tuple[str, str], str] = {
    ("causalsynth.dag", "causalsynth.simulation"):
        "DAG.simulate (public contract): the declaration runs its simulation block through "
        "the simulator, imported when called; type-only for its return type",
    ("causalsynth.evaluate.report", "causalsynth.render.html"):
        "Report.to_html and _repr_html_ (public contract): a report renders itself on "
        "request, imported when called; render/ never recomputes",
}


@dataclass(frozen=True)
class Import:
    """One import of a package module by another: where, how, and what."""

    module: str
    line: int
    kind: str  # "top-level", "lazy", "type-only", "importlib" or "by name"
    target: str


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The package module that ``name`` (a module or ``module.attribute``) lives in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_name(node: ast.Call) -> str | None:
    """``importlib.import_module("x")``, ``import_module("x")``, ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name in ("import_module", "__import__") and node.args \
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def package_imports(module: str, tree: ast.Module, modules: dict[str, Path]) -> list[Import]:
    """Every import of a module of the package by ``module``: top-level, inside a function
    (lazy), under ``if TYPE_CHECKING:`` (type-only), through ``importlib`` with a literal
    name, and module names held as strings (``"pkg.mod"`` or ``"pkg.mod:Class"``, as a
    registry or a list of modules to load keeps them)."""
    root = module.split(".")[0]
    found: list[Import] = []

    def add(node: ast.AST, kind: str, name: str) -> None:
        target = _owner(name, modules) if name.split(".")[0] == root else None
        if target and target != module:
            found.append(Import(module, node.lineno, kind, target))

    def visit(node: ast.AST, kind: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = kind
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "lazy" if kind == "top-level" else kind
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                inner = "type-only"
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(child, kind, alias.name)
            elif isinstance(child, ast.ImportFrom):
                source = _absolute(module, child, modules)
                for alias in child.names:
                    full = f"{source}.{alias.name}"
                    add(child, kind, full if full in modules else source)
            elif isinstance(child, ast.Call) and (name := _imported_name(child)):
                add(child, "importlib", name)
                continue  # its literal argument is this import, not another by name
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                name = child.value.split(":")[0] if child.value.count(":") == 1 else child.value
                if "." in name and name in modules:  # the bare package name: a distribution
                    add(child, "by name", name)
            visit(child, inner)

    visit(tree, "top-level")
    return found


def _layer_of(module: str, layers=LAYERS) -> tuple[int, str]:
    """(rank, part) of a module: the layer of its longest matching prefix, and that prefix's
    first part (``synthesizers``, ``evaluate``...)."""
    rel = module.partition(".")[2]
    best: tuple[int, int, str] | None = None
    for rank, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            matches = rel == prefix or (prefix != "" and rel.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix), prefix.split(".")[0])
    if best is None:
        raise AssertionError(f"module {module} is in no layer: add it to LAYERS")
    return best[0], best[2]


def layer_violations(package: Path, layers=LAYERS, apart=APART,
                     allowed: dict[tuple[str, str], str] | None = None
                     ) -> tuple[list[str], set[tuple[str, str]]]:
    """The imports of ``package`` that point up a layer or across ``apart`` parts, outside
    ``allowed``; and the allowed pairs that were used."""
    allowed = ALLOWED if allowed is None else allowed
    modules = _modules(package)
    bad, used = [], set()
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for imp in package_imports(name, tree, modules):
            rank, part = _layer_of(name, layers)
            to_rank, to_part = _layer_of(imp.target, layers)
            across = rank == to_rank and part != to_part and (
                (part, to_part) in apart or (to_part, part) in apart)
            if to_rank <= rank and not across:
                continue
            if (name, imp.target) in allowed:
                used.add((name, imp.target))
                continue
            why = (f"{layers[rank][0]} imports {layers[to_rank][0]}" if to_rank > rank
                   else f"{part} and {to_part} never import each other")
            bad.append(f"{path.relative_to(package.parent)}:{imp.line}: {imp.kind} import of "
                       f"{imp.target} ({why})")
    return bad, used


def test_imports_point_down_the_layers():
    bad, used = layer_violations(PACKAGE)
    assert not bad, "imports against the layering (move the code down, or pass the value " \
                    "in; add to ALLOWED only with a reason):\n" + "\n".join(bad)
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"ALLOWED entries no longer needed (remove them): {stale}"


def test_the_privacy_audit_trains_from_above_evaluate():
    """The audit fits synthesizers, so it sits with the comparison (no allowed exception);
    its old names in evaluate.privacy say where it went."""
    assert _layer_of("causalsynth.privacy_audit")[0] == _layer_of("causalsynth.comparison")[0]
    assert not [pair for pair in ALLOWED if pair[0].startswith("causalsynth.evaluate")
                and pair[1].startswith("causalsynth.synthesizers")]
    with pytest.raises(ImportError, match=r"from causalsynth\.privacy_audit import audit"):
        from causalsynth.evaluate.privacy import audit  # noqa: F401


def test_every_module_is_in_a_layer():
    ranks = {name: _layer_of(name)[0] for name in MODULES}
    assert set(ranks) == set(MODULES) and all(0 <= r < len(LAYERS) for r in ranks.values())
    # a module no layer names is refused by name
    with pytest.raises(AssertionError, match=r"causalsynth\.nowhere is in no layer"):
        _layer_of("causalsynth.nowhere", layers=LAYERS[:1])


def _fake_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "fakepkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "fakepkg"


FAKE_LAYERS = (("core", ("errors",)), ("declaration", ("dag",)),
               ("synthesizers | evaluate", ("synthesizers", "evaluate")),
               ("public API", ("",)), ("command line", ("cli",)))


def test_the_layer_check_fails_on_inverted_imports(tmp_path):
    """A tiny package in which the core imports the command line in every spelling, and the
    synthesizers import evaluate: each is reported with its file, line and kind."""
    package = _fake_package(tmp_path, {
        "__init__.py": "from fakepkg.dag import DAG\n",
        "errors.py": """\
            from typing import TYPE_CHECKING
            import importlib
            from fakepkg import cli
            if TYPE_CHECKING:
                from fakepkg.cli import main
            def later():
                from .cli import main
                return importlib.import_module("fakepkg.cli")
            REGISTRY = {"x": "fakepkg.cli:main"}
            """,
        "dag.py": "from fakepkg.errors import later\nclass DAG: ...\n",
        "cli.py": "import fakepkg\nfrom fakepkg import dag\ndef main(): ...\n",
        "synthesizers/__init__.py": "",
        "synthesizers/base.py": "from fakepkg.evaluate import score\n",
        "evaluate/__init__.py": "def score(): ...\n",
    })
    bad, _ = layer_violations(package, FAKE_LAYERS, allowed={})
    assert bad == [
        "fakepkg/errors.py:3: top-level import of fakepkg.cli (core imports command line)",
        "fakepkg/errors.py:5: type-only import of fakepkg.cli (core imports command line)",
        "fakepkg/errors.py:7: lazy import of fakepkg.cli (core imports command line)",
        "fakepkg/errors.py:8: importlib import of fakepkg.cli (core imports command line)",
        "fakepkg/errors.py:9: by name import of fakepkg.cli (core imports command line)",
        "fakepkg/synthesizers/base.py:1: top-level import of fakepkg.evaluate "
        "(synthesizers and evaluate never import each other)",
    ]
    # the same package, its direction right, passes; an allowed pair with its reason passes
    package = _fake_package(tmp_path / "ok", {
        "__init__.py": "", "errors.py": "", "dag.py": "from fakepkg import errors\n",
        "cli.py": "import fakepkg\nfrom fakepkg.dag import x\n",
        "synthesizers/__init__.py": "from fakepkg.dag import x\n",
        "evaluate/__init__.py": "def f():\n    import fakepkg.synthesizers\n"})
    assert layer_violations(package, FAKE_LAYERS, allowed={})[0] == [
        "fakepkg/evaluate/__init__.py:2: lazy import of fakepkg.synthesizers "
        "(evaluate and synthesizers never import each other)"]
    pair = ("fakepkg.evaluate", "fakepkg.synthesizers")
    assert layer_violations(package, FAKE_LAYERS, allowed={pair: "a reason"}) == ([], {pair})
