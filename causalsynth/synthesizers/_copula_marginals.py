"""The marginals SDV's copula models fitted: their bounds, and fits that collapsed.

SDV's GaussianCopula and CopulaGAN fit one univariate distribution per numerical column
(beta by default, through the ``copulas`` package). Two things about those fits matter to the
adapters in :mod:`causalsynth.synthesizers.sdv`:

* **Bounds.** Bounded families (beta, uniform, truncated normal) put their support's ends at or
  near the real extremes, and return an end when a normal score saturates: such values copy a
  real extreme (:func:`copula_bounds`).
* **Collapsed fits.** ``copulas``' beta fit can converge to a distribution that puts all its
  mass at one end of the data: on 4,000 rows of the built-in ``acquisition`` DAG (the demo's
  training rows of seed 2) revenue's beta came out with shape ``a = 3.1e6, b = 0.098``, its
  support ending at the real minimum, and every synthetic revenue was that minimum to four
  digits. SDV only falls back to a normal where the fit raises, not where it converges to
  nonsense. :func:`collapsed_marginals` names such columns (the fitted quartiles against the
  data's), so the adapter can refit them with another family.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causalsynth.dag import DAG
from causalsynth.errors import SynthesizerError

__all__ = ["FALLBACK_MARGINAL", "collapsed_marginals", "copula_bounds", "fitted_marginals"]

#: the family a collapsed marginal is refitted with: bounded at the real extremes like the
#: beta, fitted by moments, so it cannot pile its mass at one end
FALLBACK_MARGINAL = "truncnorm"
#: a fitted marginal whose interquartile range is outside this factor of the data's, or whose
#: median lies outside the data's 5-95 % range, has collapsed
_IQR_FACTOR = 3.0


def fitted_marginals(model: Any) -> dict[str, Any]:
    """Column -> the fitted ``copulas`` univariate of a fitted SDV copula model.

    Read from the fitted objects: ``get_learned_distributions()`` names the requested family
    even where SDV fell back to another.
    """
    from sdv.single_table import GaussianCopulaSynthesizer

    copula = getattr(model, "_model", None)
    normalizer = getattr(model, "_gaussian_normalizer_hyper_transformer", None)
    if isinstance(model, GaussianCopulaSynthesizer) and copula is not None \
            and hasattr(copula, "univariates"):
        return dict(zip(copula.columns, copula.univariates, strict=True))
    if normalizer is not None and hasattr(normalizer, "field_transformers"):
        return {col: t._univariate for col, t in normalizer.field_transformers.items()
                if hasattr(t, "_univariate")}
    raise SynthesizerError(  # pragma: no cover - guards an SDV upgrade
        f"cannot read the fitted marginals of SDV's {type(model).__name__} (SDV changed); pin "
        f"sdv<3 or report this")


def _numeric_nodes(fitted: dict[str, Any], dag: DAG, types: tuple[str, ...]) -> list[str]:
    return [c for c in fitted if c in dag.nodes and dag.node_type(c) in types]


def copula_bounds(fitted: dict[str, Any], data: pd.DataFrame, dag: DAG
                  ) -> dict[str, tuple[float, float]]:
    """Per continuous column, the band ``(low, high)`` outside which a value sits on a bound.

    The band is the support ``[ppf(0), ppf(1)]`` of the fitted marginal, shrunk by half of
    SDV's rounding unit (SDV rounds synthetic values to the real data's decimals, which turns a
    value a float's width from the real minimum into the minimum itself) and by a relative
    1e-9.
    """
    from rdt.transformers.utils import learn_rounding_digits

    bounds: dict[str, tuple[float, float]] = {}
    for col in _numeric_nodes(fitted, dag, ("continuous",)):
        low, high = (float(v) for v in np.ravel(fitted[col].ppf(np.array([0.0, 1.0]))))
        digits = learn_rounding_digits(data[col])
        half_unit = 0.0 if digits is None else 0.5 * 10.0 ** -digits
        low += max(half_unit, 1e-9 * abs(low)) if np.isfinite(low) else 0.0
        high -= max(half_unit, 1e-9 * abs(high)) if np.isfinite(high) else 0.0
        if np.isfinite(low) or np.isfinite(high):
            bounds[col] = (low, high)
    return bounds


def collapsed_marginals(fitted: dict[str, Any], data: pd.DataFrame, dag: DAG) -> list[str]:
    """Continuous and count columns whose fitted marginal has collapsed (module docstring):
    its interquartile range more than three times smaller or larger than the data's, or its
    median outside the data's 5-95 % range. Columns whose data have no spread are skipped."""
    out = []
    for col in _numeric_nodes(fitted, dag, ("continuous", "count")):
        values = pd.to_numeric(data[col], errors="coerce").to_numpy(float)
        q05, q25, _, q75, q95 = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
        if not q75 > q25:
            continue
        with np.errstate(all="ignore"):
            f25, f50, f75 = (float(v) for v in np.ravel(fitted[col].ppf(
                np.array([0.25, 0.5, 0.75]))))
        ratio = (f75 - f25) / (q75 - q25)
        if not (np.isfinite(ratio) and 1 / _IQR_FACTOR <= ratio <= _IQR_FACTOR
                and q05 <= f50 <= q95):
            out.append(col)
    return out
