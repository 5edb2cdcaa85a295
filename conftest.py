"""Root conftest: one BLAS/OpenMP thread per process for every collected item, doctests in
``causalsynth/`` included (on 2 cores, oversubscribed OpenMP slows tests many times over);
and how the tests share the two pytest-xdist workers.

``python -m pytest`` runs on 2 worker processes with ``--dist loadfile`` (pyproject.toml): a
test file goes to one worker, so the fitted synthesizers, comparisons and tables its
module-scoped fixtures build are built once. The files in :data:`SPREAD` hold long tests that
share nothing (each runs an example script or a whole validation of its own): their tests go
one by one to whichever worker is free, and first (``--no-loadscope-reorder`` keeps this
order), so the longest units start early and the many short docstring examples of the package,
collected last, fill the end of the run on both workers.

(``--dist loadgroup`` with ``xdist_group`` marks would say the same, but with pytest 9.2 and
pytest-xdist 3.8 the marks are silently ignored: pytest-xdist issue #1386.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

#: test files whose tests are scheduled one by one (long, independent, no shared fixture)
SPREAD = frozenset({"tests/test_examples.py", "tests/test_golden.py"})


def _spread(item: pytest.Item) -> bool:
    return item.nodeid.split("::", 1)[0] in SPREAD


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, the :data:`SPREAD` tests first (every worker sorts alike)."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: not _spread(item))  # stable: the rest keep their order


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, except that the tests of the :data:`SPREAD` files are spread."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileOrTestScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else path

    return FileOrTestScheduling(config, log)
