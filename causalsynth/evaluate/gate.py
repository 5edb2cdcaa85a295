"""The privacy gate: does the synthetic table copy real rows? Decided beside the causal verdict.

A synthetic table that emits real customers' rows is a security problem whatever its causal
fidelity, so the gate is shown next to the verdict (HTML verdict box, terminal summary, JSON
``privacy_gate``) and has its own exit code. It reads the ``exact_copies`` metric of the
report (it recomputes nothing):

* with a holdout, the synthetic table's share of rows equal to a training row is compared with
  the holdout's share (what a table drawn like the real one shows: tables of labels repeat
  rows by nature). Copying is flagged when the synthetic share exceeds it by at least one
  percentage point *and* by more than three standard errors of the difference of two
  proportions.
* without a holdout, the reference is the training table's own repeat rate (the share of its
  rows equal to another of its rows), with the same rule; when that rate is not recorded the
  gate says it could not judge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from causalsynth.errors import DataError
from causalsynth.evaluate._tabular import repeat_share, row_hashes

__all__ = ["beyond_chance", "check_holdout", "privacy_gate"]

#: copy shares must exceed the reference by at least this much to be flagged
MIN_EXCESS = 0.01


def beyond_chance(share: float, n: int, chance: float, n_chance: int) -> bool:
    """Is ``share`` (of ``n`` rows) at least a point above the ``chance`` rate (measured on
    ``n_chance`` rows) and more than 3 standard errors of the difference of two proportions?"""
    se = math.sqrt(chance * (1 - chance) / max(n_chance, 1) + share * (1 - share) / max(n, 1))
    return share - chance >= MIN_EXCESS and share - chance > 3 * se


def privacy_gate(exact_copies: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"flagged", "assessed", "copy_share", "reference_share", "reason"}`` from the
    ``exact_copies`` metric (a ``MetricResult.to_dict()``)."""
    m = dict(exact_copies or {})
    details = m.get("details") or {}
    if m.get("error") or m.get("value") is None or "share" not in details:
        return {"flagged": False, "assessed": False, "copy_share": None,
                "reference_share": None,
                "reason": "copying not assessed: the exact-copy metric did not run"
                          + (f" ({m['error']})" if m.get("error") else "")}
    share, n_syn = float(details["share"]), int(details.get("n_synthetic") or 0)
    ref = details.get("holdout_share")
    rows = m.get("breakdown") or []
    n_hold = next((int(r["rows"]) for r in rows if r.get("table") == "holdout"), 0)
    if ref is not None and n_hold:
        ref = float(ref)
        flagged = beyond_chance(share, n_syn, ref, n_hold)
        basis = f"a table drawn like the holdout repeats {ref:.1%} of training rows"
    elif details.get("training_repeat_share") is not None:
        ref = float(details["training_repeat_share"])
        flagged = beyond_chance(share, n_syn, ref, int(details.get("n_training") or 0))
        basis = (f"the training table repeats {ref:.1%} of its own rows (no holdout given; "
                 f"pass one for a firmer reference)")
    else:
        return {"flagged": False, "assessed": False, "copy_share": share,
                "reference_share": None,
                "reason": f"{share:.1%} of synthetic rows equal a training row; no reference "
                          f"rate to tell copying from chance repeats: pass a holdout"}
    verb = "COPIES REAL ROWS" if flagged else "no copying beyond chance"
    reason = (f"{verb}: {share:.1%} of synthetic rows ({round(share * n_syn):,}) equal a "
              f"training row; {basis}")
    return {"flagged": bool(flagged), "assessed": True, "copy_share": share,
            "reference_share": ref, "reason": reason}


def check_holdout(train: pd.DataFrame, holdout: pd.DataFrame) -> None:
    """Refuse a holdout that overlaps the training rows (typed tables of one DAG).

    A holdout must be real rows the synthesizer never saw; sharing rows with the training
    table turns every privacy reference into nonsense. Rows repeat by chance where the table
    is made of labels or zero-inflated values, so the share of holdout rows found in the
    training table is compared with the training table's own repeat rate (the share of its
    rows equal to another of its rows): at least 1 point more, and more than 3 standard
    errors, is refused.
    """
    train_hashes = row_hashes(train)
    shared = np.isin(row_hashes(holdout), train_hashes)
    chance = repeat_share(train_hashes)
    if shared.sum() >= 2 and beyond_chance(float(shared.mean()), len(holdout), chance,
                                           len(train)):
        raise DataError(
            f"the holdout shares {int(shared.sum()):,} of its {len(holdout):,} rows with the "
            f"real (training) table, where chance repeats would explain {chance:.0%}; a "
            f"holdout must be real rows the synthesizer never saw: split them off before "
            f"fitting (compare() does this for you)")
