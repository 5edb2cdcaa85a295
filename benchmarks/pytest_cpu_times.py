"""A pytest plugin that writes each test's CPU seconds (the test process and the child
processes it waited for) and wall seconds, one JSON line per test: durations that a shared,
busy machine inflates far less than ``--durations``' wall clock.

    PYTHONPATH=benchmarks CPU_TIMES_OUT=/tmp/cpu.jsonl \\
        python -m pytest -n 0 -p pytest_cpu_times tests/test_x.py

CPU of pool workers that outlive a test (joblib/loky, a Dask cluster fixture) is counted when
they are reaped, at a later test or not at all; ``/usr/bin/time`` around the whole run counts
everything. Not a benchmark (nothing is appended to results/).
"""

from __future__ import annotations

import json
import os
import resource
import time

import pytest

OUT = os.environ.get("CPU_TIMES_OUT", "cpu_times.jsonl")


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall = _cpu(), time.perf_counter()
    yield
    with open(OUT, "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": item.nodeid, "cpu": round(_cpu() - cpu, 2),
                            "wall": round(time.perf_counter() - wall, 2)}) + "\n")
