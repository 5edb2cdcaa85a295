"""Diminishing returns of (adstocked) spend: the Hill family.

``hill(z) = z**s / (z**s + half**s)``: S-shaped for ``shape > 1``, concave at ``shape = 1``
(``z / (z + half)``, the series synthesizer's saturating basis is that member). The simulator
and ``fit_mmm`` use the same curve; fit_mmm's grid of half-saturation points (multiples of the
channel's mean spend) and shapes lives here too.

References
----------
Jin, Wang, Sun, Chan, Koehler. "Bayesian methods for media mix modeling with carryover and
shape effects." Google, 2017 (the Hill curve in media mix models).

Examples
--------
>>> import numpy as np
>>> hill(np.array([0.0, 1.0, 3.0]), half=1.0, shape=1.0).tolist()
[0.0, 0.5, 0.75]
>>> HillSaturation(half=2.0, shape=2.0).apply(np.array([2.0])).tolist()
[0.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalsynth.media.registry import register

__all__ = ["HALF_GRID", "SHAPE_GRID", "HillSaturation", "hill"]

#: Hill half-saturation points tried by fit_mmm, in multiples of the channel's mean spend
HALF_GRID = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0)
#: Hill shapes tried by fit_mmm
SHAPE_GRID = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)


def hill(z: np.ndarray, half: float, shape: float = 1.0) -> np.ndarray:
    """``z**shape / (z**shape + half**shape)``, negative ``z`` counted as 0."""
    zs = np.power(np.maximum(np.asarray(z, dtype=float), 0.0), shape)
    return zs / (zs + float(half) ** shape)


@register("saturation", "hill")
@dataclass(frozen=True)
class HillSaturation:
    """The Hill curve; ``shape = 1`` is the concave ``z / (z + half)``."""

    half: float
    shape: float = 1.0

    def apply(self, z: np.ndarray) -> np.ndarray:
        return hill(z, self.half, self.shape)
