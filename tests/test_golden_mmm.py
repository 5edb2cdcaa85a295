"""Golden digests of the marketing-mix DAGs (``weekly_mmm``, ``geo_mmm``): the verdicts and the
headline figures of ``validate`` must stay where ``tests/golden/make_golden.py`` wrote them.

Unlike the golden reports of the tabular DAGs (``test_golden.py``, to 1e-7), these compare at a
tolerance that survives a DoWhy, EconML or scikit-learn patch release, and still fails when a
figure really moves:

* the verdicts (the report's, the causal section's, the privacy gate's) and the lost columns
  exactly; the same quantities (no figure appears or disappears);
* a figure of a causal table (ICI share, effect, independence, ROAS, contribution or budget
  share) within ``REL`` (2 %) of the largest magnitude of its row (both tables' figures and
  standard errors, so each quantity in its own units), or within ``SE_SHARE`` (a quarter) of
  its own standard error, whichever is wider; ICI shares also within ``ICI_FLOOR`` points
  (numerical zeros such as 1e-60 % of the trend);
* what the table can confirm within ``CONFIRM_REL`` (5 %: it is made of standard errors);
* a fidelity, utility or privacy score within ``REL`` of itself or ``SCORE_FLOOR`` (0.01).

Regenerate with ``python tests/golden/make_golden.py weekly_mmm geo_mmm`` only for a change
meant to move the numbers, and say so in the commit.
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

REL, SE_SHARE, ICI_FLOOR = 0.02, 0.25, 0.01
CONFIRM_REL, SCORE_FLOOR = 0.05, 0.01
TABLES = ("ici", "effects", "independences", "mmm")
SCORES = ("fidelity", "utility", "privacy")


def _close(got, want, tol: float) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return math.isfinite(got) and abs(got - want) <= tol


def digest_problems(got: dict, want: dict) -> list[str]:
    """Every way ``got`` departs from the golden digest ``want`` beyond the tolerances."""
    problems = [f"verdicts: {got['verdicts']} != {want['verdicts']}"] \
        if got["verdicts"] != want["verdicts"] else []
    for table in TABLES:
        if sorted(got[table]) != sorted(want[table]):
            problems.append(f"{table}: quantities {sorted(got[table])} != {sorted(want[table])}")
            continue
        for name, row in want[table].items():
            scale = max((abs(v) for v in row.values() if v is not None), default=0.0)
            for side in ("real", "synthetic"):
                se = row[f"se_{side}"] or 0.0
                tol = max(REL * scale, SE_SHARE * se, ICI_FLOOR if table == "ici" else 0.0)
                if not _close(got[table][name][side], row[side], tol):
                    problems.append(f"{table} {name} {side}: {got[table][name][side]} != "
                                    f"{row[side]} (+-{tol:.3g})")
    for key, value in want["confirmable"].items():
        if not _close(got["confirmable"][key], value, CONFIRM_REL * abs(value or 0.0)):
            problems.append(f"confirmable {key}: {got['confirmable'][key]} != {value}")
    for section in SCORES:
        if sorted(got[section]) != sorted(want[section]):
            problems.append(f"{section}: metrics {sorted(got[section])} != "
                            f"{sorted(want[section])}")
            continue
        for name, value in want[section].items():
            tol = max(REL * abs(value or 0.0), SCORE_FLOOR)
            if not _close(got[section][name], value, tol):
                problems.append(f"{section} {name}: {got[section][name]} != {value}")
    return problems


@pytest.fixture(scope="module")
def weekly_golden():
    return json.loads((GOLDEN / "digest_weekly_mmm.json").read_text())


def test_the_tolerance_passes_noise_and_catches_a_moved_figure(weekly_golden):
    """Checked on the golden digest itself: unchanged, and nudged within the tolerances, it
    passes; a figure moved by 10 % of its row, a flipped verdict, a lost quantity fail."""
    want = weekly_golden
    assert digest_problems(json.loads(json.dumps(want)), want) == []
    nudged = json.loads(json.dumps(want))
    for table in TABLES:
        for row in nudged[table].values():
            scale = max(abs(v) for v in row.values() if v is not None)
            for side in ("real", "synthetic"):
                if row[side] is not None:
                    row[side] += 0.9 * max(REL * scale, SE_SHARE * (row[f"se_{side}"] or 0))
    for section in SCORES:
        for name, value in nudged[section].items():
            if value is not None:
                nudged[section][name] = value + 0.9 * max(REL * abs(value), SCORE_FLOOR)
    assert digest_problems(nudged, want) == []

    moved = json.loads(json.dumps(want))
    row = moved["mmm"]["tv_spend roas"]
    row["synthetic"] += 0.1 * max(abs(v) for v in row.values()) + SE_SHARE * row["se_synthetic"]
    moved["verdicts"]["causal"] = "preserved"
    del moved["effects"]["tv_spend per_unit (dml)"]
    moved["fidelity"]["quality_score"] -= 0.05
    problems = digest_problems(moved, want)
    assert len(problems) == 4, problems
    assert [p.split(":")[0].split(" ")[0] for p in problems] == [
        "verdicts", "effects", "mmm", "fidelity"]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(make_golden.DIGEST_DAGS))
def test_validate_reproduces_the_golden_digest(name):
    want = json.loads((GOLDEN / f"digest_{name}.json").read_text())
    got = json.loads(json.dumps(make_golden.golden_digest(name), sort_keys=True))
    problems = digest_problems(got, want)
    assert not problems, (f"{name}: {len(problems)} figure(s) moved beyond the tolerance "
                          f"(regenerate only for a change meant to move them):\n"
                          + "\n".join(problems[:20]))
