"""Shared fixtures: built-in DAGs and simulated tables (cached per session, never mutated)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keep BLAS/OpenMP to one thread per process: on 2 cores, oversubscribed OpenMP in gradient
# boosting slows tests many times over.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from causalsynth import load_dag  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

#: test files started first, longest first (CPU seconds of the whole file, measured on
#: 2026-12-07 with benchmarks/pytest_cpu_times.py): under `--dist loadfile` a worker takes
#: the next file when it runs dry, so a long file taken last leaves the other worker idle
#: for its length; longest-first evens the two workers out (simulated on those figures:
#: the longer worker 731 s in file-name order, 693 s with these first, 687 s the ideal)
FIRST = ("test_examples.py",             # ~190 s: the examples and the notebook
         "test_verdict.py",              # ~110 s
         "test_causal_eval.py",          # ~75 s
         "test_compare_backend.py",      # ~70 s, a Dask cluster's processes besides
         "test_golden.py",               # ~64 s
         "test_cli_safety.py",           # ~50 s of subprocesses
         "test_synthesizer_contract.py",  # ~47 s
         "test_report_html.py",          # ~45 s
         "test_torch_synthesizers.py",   # ~40 s
         "test_compare.py")              # ~39 s


def pytest_collection_modifyitems(config, items):
    """The files of FIRST first, in its order; every other test keeps its place after them
    (the order within a file is never changed)."""
    rank = {name: i for i, name in enumerate(FIRST)}
    tests = Path(__file__).resolve().parent
    items.sort(key=lambda item: rank.get(item.path.name, len(FIRST))
               if item.path.parent == tests else len(FIRST))


@pytest.fixture(scope="session", autouse=True)
def _ground_truth_cache(tmp_path_factory):
    """One ground-truth cache folder (causalsynth._cache) for the whole run, shared by the
    xdist workers and the subprocesses tests start: each truth is computed once per run, and
    no run reads what an earlier one left. An explicit CAUSALSYNTH_CACHE_DIR (a folder kept
    across runs, or off) is left as it is."""
    if os.environ.get("CAUSALSYNTH_CACHE_DIR"):
        yield
        return
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker's folder sits in the run's folder
        root = root.parent
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAUSALSYNTH_CACHE_DIR", str(root / "causalsynth-cache"))
        yield


@pytest.fixture(scope="session")
def acquisition():
    return load_dag("acquisition")


@pytest.fixture(scope="session")
def saturation():
    return load_dag("saturation")


@pytest.fixture(scope="session")
def ad_funnel():
    return load_dag("ad_funnel")


@pytest.fixture(scope="session")
def acquisition_real(acquisition):
    """20,000 rows of the acquisition DAG (seed 1). Do not modify: copy first."""
    return acquisition.simulate(20_000, seed=1)
