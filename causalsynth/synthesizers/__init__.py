"""Synthesizers behind one contract, and the registry that builds them by name.

Each family lives in its own module and is imported only when asked for, so importing
causalsynth does not import torch or SDV.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from causalsynth.errors import CausalSynthError, MissingDependencyError
from causalsynth.synthesizers.base import Synthesizer

__all__ = ["REGISTRY", "Synthesizer", "available_synthesizers", "make_synthesizer"]

#: name -> "module:Class"; modules load lazily.
REGISTRY: dict[str, str] = {
    "gaussian_copula": "causalsynth.synthesizers.sdv:GaussianCopulaAdapter",
    "ctgan": "causalsynth.synthesizers.sdv:CTGANAdapter",
    "tvae": "causalsynth.synthesizers.sdv:TVAEAdapter",
    "copulagan": "causalsynth.synthesizers.sdv:CopulaGANAdapter",
    "causal": "causalsynth.synthesizers.causal:CausalSynthesizer",
    "diffusion": "causalsynth.synthesizers.diffusion:DiffusionSynthesizer",
    "wgan": "causalsynth.synthesizers.wgan:WGANSynthesizer",
}


def available_synthesizers() -> list[str]:
    """Names accepted by :func:`make_synthesizer`."""
    return list(REGISTRY)


def synthesizer_class(name: str) -> type[Synthesizer]:
    if name not in REGISTRY:
        raise CausalSynthError(
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

    Examples
    --------
    >>> from causalsynth import make_synthesizer
    >>> make_synthesizer("gaussian_copula")   # doctest: +SKIP
    GaussianCopulaAdapter(...)
    """
    cls = synthesizer_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise CausalSynthError(f"bad parameters for synthesizer {name!r}: {exc}") from None
