"""Seeds: public functions take an int, None or a numpy Generator; none touches global state."""

from __future__ import annotations

from typing import Any

import numpy as np

from causalsynth.errors import InvalidParameterError, excerpt

#: what a ``seed`` or ``random_state`` parameter accepts (for type hints)
SeedLike = int | np.integer[Any] | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: object = None, *, name: str = "seed", owner: str | None = None
                 ) -> np.random.Generator:
    """A numpy Generator from an int >= 0, a SeedSequence, a Generator (returned as is) or None.

    Anything else raises :class:`~causalsynth.errors.InvalidParameterError` naming the
    parameter (``name``, of ``owner`` when given) and the accepted types.

    Examples
    --------
    >>> as_generator(0).integers(10) == as_generator(0).integers(10)
    np.True_
    >>> as_generator("abc", name="random_state", owner="CausalSynthesizer")
    Traceback (most recent call last):
    ...
    causalsynth.errors.InvalidParameterError: The 'random_state' parameter of \
CausalSynthesizer must be an int >= 0, a numpy Generator or None. Got 'abc' (str) instead.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) \
            and seed >= 0:
        return np.random.default_rng(seed)
    of = f" of {owner}" if owner else ""
    raise InvalidParameterError(
        f"The {name!r} parameter{of} must be an int >= 0, a numpy Generator or None. "
        f"Got {excerpt(seed)} ({type(seed).__name__}) instead."
    )


def child_seed(rng: np.random.Generator) -> int:
    """An int seed drawn from ``rng``, for libraries that want ints (torch, sklearn, SDV)."""
    return int(rng.integers(0, 2**31 - 1))
