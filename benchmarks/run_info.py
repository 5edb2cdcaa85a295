"""What every benchmark records beside its figures (the commit it ran and the machine's load),
and how a benchmark runs a peer tool in that tool's own environment.

Imported by the benchmark scripts (run as ``python benchmarks/bench_x.py``, so this folder is
on the path); not a benchmark itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
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


def append_results(path: Path, rows: list[dict]) -> None:
    """Append ``rows`` to the JSON-lines file ``path``, each stamped with the run's Python,
    machine, time, commit and load."""
    import platform

    stamp = {"python": platform.python_version(), "machine": platform.machine(),
             "when": time.strftime("%Y-%m-%d %H:%M"), "commit": git_state(),
             "load": machine_load()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({**row, **stamp}) + "\n")


def run_peer(python: str, runner: Path, spec: dict, folder: Path, name: str,
             timeout: float | None = None) -> float:
    """Run a peer's ``runner`` script with ``python`` (its own environment) on ``spec``
    (written to ``folder/spec.json``); the wall seconds. A failure raises with its output."""
    (folder / "spec.json").write_text(json.dumps(spec))
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    start = time.perf_counter()
    done = subprocess.run([python, str(runner), str(folder / "spec.json")], capture_output=True,
                          text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {done.returncode}) after {wall:.0f} s:\n"
                           f"{done.stderr[-2000:]}\n{done.stdout[-1000:]}")
    return wall
