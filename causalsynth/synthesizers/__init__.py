"""Synthesizers behind one contract, and the registry that builds them by name.

Each family lives in its own module and is imported only when asked for, so importing
causalsynth does not import torch or SDV.
"""

from __future__ import annotations

import difflib
from importlib import import_module
from typing import Any

from causalsynth.errors import InvalidParameterError, MissingDependencyError
from causalsynth.synthesizers.base import Synthesizer, check_is_fitted

__all__ = ["REGISTRY", "Synthesizer", "available_synthesizers", "check_is_fitted",
           "make_synthesizer", "synthesizer_class"]

#: name -> "module:Class"; modules load lazily.
REGISTRY: dict[str, str] = {
    "gaussian_copula": "causalsynth.synthesizers.sdv:GaussianCopulaAdapter",
    "ctgan": "causalsynth.synthesizers.sdv:CTGANAdapter",
    "tvae": "causalsynth.synthesizers.sdv:TVAEAdapter",
    "copulagan": "causalsynth.synthesizers.sdv:CopulaGANAdapter",
    "causal": "causalsynth.synthesizers.causal:CausalSynthesizer",
    "diffusion": "causalsynth.synthesizers.diffusion:DiffusionSynthesizer",
    "wgan": "causalsynth.synthesizers.wgan:WGANSynthesizer",
    "par": "causalsynth.synthesizers.par:PARAdapter",
}


def available_synthesizers() -> list[str]:
    """Names accepted by :func:`make_synthesizer`."""
    return list(REGISTRY)


def synthesizer_class(name: str) -> type[Synthesizer]:
    """The class registered as ``name`` (its module is imported now)."""
    if name not in REGISTRY:
        raise InvalidParameterError(
            f"unknown synthesizer {name!r}; choose one of {', '.join(REGISTRY)}"
        )
    module_name, cls_name = REGISTRY[name].split(":")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise MissingDependencyError(
            f"synthesizer {name!r} needs a package that is not installed ({exc.name}); "
            f"install it with: pip install {exc.name}"
        ) from exc
    return getattr(module, cls_name)


def make_synthesizer(name: str, **params: Any) -> Synthesizer:
    """Build a synthesizer by name with its parameters.

    A parameter name the synthesizer does not take raises
    :class:`~causalsynth.errors.InvalidParameterError` naming the ones it takes; values are
    checked by ``fit``.

    Examples
    --------
    >>> from causalsynth import make_synthesizer
    >>> make_synthesizer("gaussian_copula")   # doctest: +SKIP
    GaussianCopulaAdapter(...)
    >>> make_synthesizer("ctgan", epoch=5)
    Traceback (most recent call last):
    ...
    causalsynth.errors.InvalidParameterError: Invalid parameter 'epoch' for synthesizer \
'ctgan' (CTGANAdapter); did you mean 'epochs'? Valid parameters are: epochs, batch_size, \
embedding_dim, ...
    """
    cls = synthesizer_class(name)
    valid = cls.param_names()
    unknown = [p for p in params if p not in valid]
    if unknown:
        close = [m for p in unknown for m in difflib.get_close_matches(p, valid, n=1)]
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "."
        raise InvalidParameterError(
            f"Invalid parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))} for synthesizer {name!r} ({cls.__name__}){hint} "
            f"Valid parameters are: {', '.join(valid)}."
        )
    return cls(**params)
