"""How fast the package refuses (or accepts) hostile and odd inputs: the speed budgets that
tests/test_input_hardening.py and tests/test_property_inputs.py used to assert.

Run by hand:  python benchmarks/bench_input_speed.py [--repeats 5] [--examples 60]

Each case is timed ``--repeats`` times (the best and the worst are printed) against the budget
a test used to assert; the property cases time every example hypothesis generates from the
tests' own strategies (same derandomized examples as the tests) and report the slowest one.
One JSON line per case is appended to benchmarks/results/input_speed.jsonl; the exit status is
1 when a case exceeds its budget, so the script can gate a release on a quiet machine.

Cases and budgets (seconds):

- ``billion_laughs_8`` / ``_9``: ``load_dag`` of a 700-byte YAML alias bomb (9**9 / 9**10
  values if expanded) refused: 2.
- ``deep_nesting_60`` / ``_3000``: ``load_dag`` of ``[[[...]]]`` 60 / 3,000 levels deep
  refused: 5.
- ``excerpt_shared``: ``errors.excerpt`` of a list of 9**30 items through shared references:
  0.1.
- ``claim_budget_40``: ``check_dag`` on a generated 40-node DAG (400 rows) with
  ``max_claims=30``: 30.
- ``property_tables``: per generated table, ``check_data`` on the 5-node test DAG and, when
  accepted, ``independence_tests``: 5.
- ``property_dag_texts``: per generated DAG YAML text (tricky labels, duplicate keys,
  aliases), ``load_dag``: 3.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the property tests' strategies

from bench_check_dag import generated_dag  # noqa: E402
from run_info import git_state, machine_load  # noqa: E402

RESULTS = HERE / "results" / "input_speed.jsonl"


def laughs(depth: int, width: int = 9) -> str:
    """A YAML alias bomb: ``depth`` levels of ``width`` aliases each."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for d in range(1, depth + 1):
        lines.append(f"a{d}: &a{d} [" + ", ".join([f"*a{d - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nnodes: *a{depth}\n"


def refused(text: str) -> Callable[[], None]:
    """A call of ``load_dag(text)`` that must raise ``DAGError``."""
    from causalsynth import DAGError, load_dag

    def call() -> None:
        try:
            load_dag(text)
        except DAGError:
            return
        raise AssertionError("load_dag accepted a hostile text")

    return call


def shared_structure_excerpt() -> Callable[[], None]:
    from causalsynth.errors import excerpt

    x: list = ["lol"] * 9
    for _ in range(30):
        x = [x] * 9
    return lambda: excerpt(x) and None


def claim_budget() -> Callable[[], None]:
    from causalsynth import check_dag, load_dag

    dag = load_dag(generated_dag(40, seed=0))
    data = dag.simulate(400, seed=1)
    return lambda: check_dag(data, dag, seed=0, max_claims=30, progress=False) and None


def timed(call: Callable[[], None], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def property_times(examples: int) -> dict[str, list[float]]:
    """Seconds per generated example, from the property tests' own strategies."""
    import numpy as np
    from hypothesis import given, settings
    from test_property_inputs import MINI, SETTINGS, dag_texts, tables

    from causalsynth import load_dag
    from causalsynth.data import check_data
    from causalsynth.errors import CausalSynthError
    from causalsynth.evaluate.independence import independence_tests

    out: dict[str, list[float]] = {"property_tables": [], "property_dag_texts": []}

    @settings(max_examples=examples, **SETTINGS)
    @given(tables())
    def time_tables(df):
        start = time.perf_counter()
        try:
            clean = check_data(df, MINI)
        except CausalSynthError:
            pass
        else:
            tests = independence_tests(clean, MINI, seed=0, progress=False)
            assert np.isfinite(tests["p_value"].to_numpy()).all()
        out["property_tables"].append(time.perf_counter() - start)

    @settings(max_examples=examples, **SETTINGS)
    @given(dag_texts())
    def time_dag_texts(case):
        start = time.perf_counter()
        with contextlib.suppress(CausalSynthError):
            load_dag(case[0])
        out["property_dag_texts"].append(time.perf_counter() - start)

    time_tables()
    time_dag_texts()
    return out


BUDGETS = {"billion_laughs_8": 2, "billion_laughs_9": 2, "deep_nesting_60": 5,
           "deep_nesting_3000": 5, "excerpt_shared": 0.1, "claim_budget_40": 30,
           "property_tables": 5, "property_dag_texts": 3}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--examples", type=int, default=60)
    args = parser.parse_args(argv)
    cases: dict[str, Callable[[], None]] = {
        "billion_laughs_8": refused(laughs(8)),
        "billion_laughs_9": refused(laughs(9)),
        "deep_nesting_60": refused("nodes: " + "[" * 60 + "]" * 60 + "\n"),
        "deep_nesting_3000": refused("nodes: " + "[" * 3000 + "]" * 3000 + "\n"),
        "excerpt_shared": shared_structure_excerpt(),
        "claim_budget_40": claim_budget(),
    }
    times = {name: timed(call, args.repeats) for name, call in cases.items()}
    times.update(property_times(args.examples))
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    over = []
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as fh:
        for name, values in times.items():
            row = {"case": name, "n": len(values), "best_s": round(min(values), 5),
                   "worst_s": round(max(values), 5), "budget_s": BUDGETS[name],
                   "within": max(values) < BUDGETS[name], "date": stamp,
                   "commit": git_state(), "load": machine_load()}
            fh.write(json.dumps(row) + "\n")
            print(f"{name:22s} n={row['n']:3d}  best {row['best_s']:9.4f} s  "
                  f"worst {row['worst_s']:9.4f} s  budget {row['budget_s']:>5} s  "
                  f"{'ok' if row['within'] else 'OVER'}")
            if not row["within"]:
                over.append(name)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
