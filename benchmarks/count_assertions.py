"""How many checks the test suite makes: ``assert`` statements, ``pytest.raises`` /
``pytest.warns`` blocks and ``pytest.approx`` comparisons in ``tests/``, counted from the source
(AST), per file and in total. A change that speeds the suite up must not lower the total.

    python benchmarks/count_assertions.py            # totals
    python benchmarks/count_assertions.py --files    # per file too

Not a benchmark (nothing is timed, nothing is appended to results/).
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("assert", "raises", "approx", "tests")


def count(source: str) -> Counter:
    """``assert`` statements, ``raises``/``warns`` and ``approx`` calls, ``test*`` functions."""
    found: Counter = Counter({k: 0 for k in KINDS})
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            found["assert"] += 1
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("raises", "warns"):
                found["raises"] += 1
            elif name == "approx":
                found["approx"] += 1
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                node.name.startswith("test"):
            found["tests"] += 1
    return found


def main(argv: list[str]) -> None:
    total: Counter = Counter({k: 0 for k in KINDS})
    for path in sorted((ROOT / "tests").rglob("*.py")):
        found = count(path.read_text(encoding="utf-8"))
        total.update(found)
        if "--files" in argv:
            print(f"{path.relative_to(ROOT)}: " + ", ".join(f"{k} {found[k]}" for k in KINDS))
    print("total: " + ", ".join(f"{k} {total[k]}" for k in KINDS))


if __name__ == "__main__":
    main(sys.argv[1:])
