"""What the privacy metrics share: the holdout they need, and its split for a reference."""

from __future__ import annotations

import numpy as np

from causalsynth.evaluate.metric import MetricResult, MetricSpec

__all__ = ["CONFIDENCE", "MIN_REFERENCE_ROWS", "NEEDS_HOLDOUT", "no_holdout", "split_holdout"]

CONFIDENCE = 0.95
MIN_REFERENCE_ROWS = 40  # holdout rows needed to split it for a reference figure
NEEDS_HOLDOUT = ("needs a holdout: pass holdout= real rows that the synthesizer did not see "
                 "(e.g. split the real table before fitting)")


def no_holdout(spec: MetricSpec) -> MetricResult:
    """The result of a metric that cannot run without a holdout: an error that says so."""
    return spec.result(None, None, None, {"note": NEEDS_HOLDOUT},
                       error=f"{spec.name} {NEEDS_HOLDOUT}")


def split_holdout(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """Two random halves (sorted row numbers) of a holdout of ``n`` rows; None when too small
    for a reference."""
    if n < MIN_REFERENCE_ROWS:
        return None
    perm = rng.permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2:])
