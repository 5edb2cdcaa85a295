"""One registry of the media and time components, by kind and YAML word.

Every curve or feature of :mod:`causalsynth.media` is one small class registered here once,
under its kind (``adstock``, ``saturation``, ``time``) and the word a DAG file uses for it
(``geometric``, ``hill``, ``fourier``...), as pymc-marketing registers its adstock,
saturation, trend and Fourier components. A new curve is one new class with
``@register(kind, word)``; :func:`component` builds one from its word and parameters and
names the words there are when a word is unknown.

Examples
--------
>>> from causalsynth.media import component
>>> component("adstock", "geometric", decay=0.5, max_lag=2).weights().round(3).tolist()
[0.571, 0.286, 0.143]
>>> sorted(words("saturation"))
['hill']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from causalsynth.errors import DAGError, excerpt

__all__ = ["KINDS", "component", "register", "words"]

#: the kinds of component
KINDS = ("adstock", "saturation", "time")
_REGISTRY: dict[str, dict[str, type]] = {kind: {} for kind in KINDS}


def register(kind: str, word: str) -> Callable[[type], type]:
    """Class decorator: register a component class under ``kind`` and its YAML ``word``."""
    if kind not in _REGISTRY:
        raise ValueError(f"unknown component kind {kind!r}; kinds: {', '.join(KINDS)}")

    def add(cls: type) -> type:
        if word in _REGISTRY[kind] and _REGISTRY[kind][word] is not cls:
            raise ValueError(f"{kind} word {word!r} is already registered")
        cls.word = word
        _REGISTRY[kind][word] = cls
        return cls

    return add


def words(kind: str) -> dict[str, type]:
    """The registered classes of ``kind`` by word."""
    return dict(_REGISTRY[kind])


def component(kind: str, word: str, **params: Any):
    """An instance of the ``kind`` component named ``word`` with ``params``."""
    known = _REGISTRY.get(kind, {})
    if word not in known:
        raise DAGError(f"unknown {kind} {excerpt(word)}; known: {', '.join(sorted(known))}")
    return known[word](**params)
