"""Golden reports and tables: refactoring must not move the numbers.

The files in ``tests/golden/`` were written by ``tests/golden/make_golden.py`` before the engine,
converter and metric refactoring; for fixed seeds ``validate``, ``DAG.simulate`` and the
``causal`` synthesizer must reproduce them (to floating-point noise). Regenerate them only for a
change meant to move numbers, and say so in the commit.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)

# run-dependent, not results
_VOLATILE = {("meta", "timings"), ("meta", "created"), ("meta", "versions"),
             ("meta", "peak_memory_mb")}


def assert_same(got, want, path=()):
    """Equal structure; numbers equal to 1e-7 relative (floating-point noise, not drift)."""
    where = "/".join(map(str, path)) or "<root>"
    if tuple(path[-2:]) in _VOLATILE or (path and path[-1] == "seconds"):
        return
    if isinstance(want, dict):
        assert isinstance(got, dict), where
        assert sorted(got) == sorted(want), f"{where}: keys {sorted(got)} != {sorted(want)}"
        for key in want:
            assert_same(got[key], want[key], (*path, key))
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, (*path, i))
    elif isinstance(want, float) and isinstance(got, (int, float)):
        if math.isnan(want):
            assert math.isnan(got), f"{where}: {got} != nan"
        else:
            assert math.isclose(got, want, rel_tol=1e-7, abs_tol=1e-9), f"{where}: {got} != {want}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def _load(name):
    return json.loads((GOLDEN / name).read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", make_golden.REPORT_DAGS)
def test_validate_reproduces_golden_report(name):
    got = json.loads(json.dumps(make_golden.golden_report(name), sort_keys=True, default=str))
    assert_same(got, _load(f"report_{name}.json"))


@pytest.mark.parametrize("name", make_golden.REPORT_DAGS)
def test_simulate_and_causal_sampling_reproduce_golden_tables(name):
    got = json.loads(json.dumps(make_golden.golden_tables(name), sort_keys=True, default=str))
    assert_same(got, _load(f"tables_{name}.json"))
