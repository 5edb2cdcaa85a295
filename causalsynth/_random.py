"""Seeds: public functions take an int, None or a numpy Generator; none touches global state."""

from __future__ import annotations

import numpy as np

from causalsynth.errors import CausalSynthError


def as_generator(seed=None) -> np.random.Generator:
    """A numpy Generator from an int, a SeedSequence, a Generator (returned as is) or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    accepted = (int, np.integer, np.random.SeedSequence)
    if seed is None or (isinstance(seed, accepted) and not isinstance(seed, bool)):
        if isinstance(seed, (int, np.integer)) and seed < 0:
            raise CausalSynthError(f"The 'seed' parameter must be an int >= 0. Got {seed} instead.")
        return np.random.default_rng(seed)
    raise CausalSynthError(
        f"The 'seed' parameter must be an int, a numpy Generator or None. Got {seed!r} instead."
    )


def child_seed(rng: np.random.Generator) -> int:
    """An int seed drawn from ``rng``, for libraries that want ints (torch, sklearn, SDV)."""
    return int(rng.integers(0, 2**31 - 1))
