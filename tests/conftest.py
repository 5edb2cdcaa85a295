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
