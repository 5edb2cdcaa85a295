"""What every benchmark records beside its figures: the commit it ran and the machine's load.

Imported by the benchmark scripts (run as ``python benchmarks/bench_x.py``, so this folder is
on the path); not a benchmark itself.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git_state(paths: tuple[str, ...] = ("causalsynth", "dags")) -> str | None:
    """The commit the run's code comes from, ``+dirty`` when ``paths`` have changes; None
    outside a git checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT,
                               text=True, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def machine_load() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``"1.2/0.9/0.8"``."""
    return "{:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())
