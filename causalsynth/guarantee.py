"""A synthesizer's differential-privacy guarantee, as a typed value.

A private fit (``make_synthesizer("causal", epsilon=3)``) states what it guarantees in its
``guarantee_``: a :class:`PrivacyGuarantee`. :func:`~causalsynth.validate` records it in the
report (``meta["guarantee"]``, its JSON form), the report states it first in its privacy part,
and the comparison plots attribution error against its ``epsilon``.

It lives below both the synthesizers that make it and the evaluation that records it (it
imports nothing of either).

Compatibility path: a guarantee also reads like the dict it replaced (``g["epsilon"]``,
``g.get("notes")``, ``"rho" in g``, equality with a dict), each value in its JSON form (lists,
plain dicts). ``to_dict()`` writes exactly the JSON a report has always held: the same keys in
the same order; read from a dict, a key that dict lacked stays absent and an unknown key (from
a newer version or another synthesizer) rides in ``extra``, so
``PrivacyGuarantee.from_dict(d).to_dict() == d`` for a saved report's guarantee.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from causalsynth._json_mapping import JSONMapping
from causalsynth.errors import InvalidParameterError, excerpt

__all__ = ["PrivacyGuarantee"]

#: the JSON keys of a guarantee, in the order a report writes them
_KEYS = ("epsilon", "delta", "rho", "epsilon_spent", "accountant", "split", "bounds",
         "clipped", "notes")
_NUMBERS = ("delta", "rho", "epsilon_spent")
_TEXTS = ("accountant", "split")
#: what each known key holds, for messages
_WANTED = {**dict.fromkeys(_NUMBERS, "a number or None"),
           **dict.fromkeys(_TEXTS, "a string or None"),
           "bounds": "a mapping of node to 'declared', 'private' or 'fallback'",
           "clipped": "a mapping of node to a share", "notes": "a list of sentences"}


def _problem(text: str) -> InvalidParameterError:
    return InvalidParameterError(f"not a differential-privacy guarantee: {text}")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True, eq=False)
class PrivacyGuarantee(JSONMapping):
    """The (epsilon, delta)-differential-privacy guarantee of a fitted synthesizer.

    Attributes
    ----------
    epsilon : float
        The epsilon guaranteed (> 0).
    delta : float or None
        Its delta.
    rho : float or None
        The zCDP budget the (epsilon, delta) pair converts to.
    epsilon_spent : float or None
        The epsilon the releases spent (never more than ``epsilon``).
    accountant : str or None
        How the releases were accounted.
    split : str or None
        How the budget was split across the released quantities, in words.
    bounds : mapping of str to str
        Where each numeric node's bounds came from: ``declared``, ``private`` or ``fallback``.
    clipped : mapping of str to float
        Noisy share of real rows outside each declared range (post-processing).
    notes : tuple of str
        What a reader of the synthetic table must know (fallback bounds, clipped ranges).
    extra : mapping
        Keys of the dict it was read from that a guarantee does not know, kept as they were.

    Examples
    --------
    >>> g = PrivacyGuarantee(epsilon=3.0, delta=1e-6, accountant="zCDP")
    >>> g.epsilon, g["delta"], g.to_dict()["notes"]
    (3.0, 1e-06, [])
    >>> PrivacyGuarantee.from_dict({"epsilon": 1, "delta": 1e-6}).to_dict()
    {'epsilon': 1, 'delta': 1e-06}
    >>> PrivacyGuarantee.from_dict({"epsilon": 1}) == {"epsilon": 1}
    True
    """

    epsilon: float
    delta: float | None = None
    rho: float | None = None
    epsilon_spent: float | None = None
    accountant: str | None = None
    split: str | None = None
    bounds: Mapping[str, str] = field(default_factory=dict)
    clipped: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, kw_only=True, repr=False)
    #: the keys of the dict it was read from, in their order (None: made directly)
    _source: tuple[str, ...] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not _is_number(self.epsilon) or not (math.isfinite(self.epsilon)
                                                and self.epsilon > 0):
            raise _problem(f"its 'epsilon' must be a number > 0. Got {excerpt(self.epsilon)} "
                           f"instead.")
        bad = [k for k in _NUMBERS if getattr(self, k) is not None
               and not _is_number(getattr(self, k))]
        bad += [k for k in _TEXTS if getattr(self, k) is not None
                and not isinstance(getattr(self, k), str)]
        bad += [k for k in ("bounds", "clipped") if not isinstance(getattr(self, k), Mapping)]
        if isinstance(self.notes, (str, bytes)) or not isinstance(self.notes, (list, tuple)):
            bad.append("notes")
        if bad:
            raise _problem("; ".join(f"its {k!r} must be {_WANTED[k]}. Got "
                                     f"{excerpt(getattr(self, k))} instead" for k in bad) + ".")
        # copies: a frozen guarantee shares no container with the caller
        object.__setattr__(self, "bounds", dict(self.bounds))
        object.__setattr__(self, "clipped", dict(self.clipped))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "extra", dict(self.extra))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PrivacyGuarantee:
        """The guarantee a dict holds (a saved report's ``meta["guarantee"]``, a synthesizer's
        older ``guarantee_``); a PrivacyGuarantee is returned as it is.

        Raises :class:`~causalsynth.errors.InvalidParameterError` when ``d`` is not a mapping
        with a numeric ``epsilon`` or a known key holds a value of another kind.
        """
        if isinstance(d, cls):
            return d
        if not isinstance(d, Mapping):
            raise _problem(f"a guarantee is a mapping with an 'epsilon' (a synthesizer's "
                           f"guarantee_), not a {type(d).__name__}: {excerpt(d)}.")
        if "epsilon" not in d:
            raise _problem(f"it has no 'epsilon'; keys present: {excerpt(sorted(map(str, d)))}.")
        none = [k for k in ("bounds", "clipped", "notes") if k in d and d[k] is None]
        if none:
            raise _problem(f"its {none} are null; a guarantee without them omits the keys.")
        guarantee = cls(**{k: d[k] for k in _KEYS if k in d},
                        extra={k: v for k, v in d.items() if k not in _KEYS})
        object.__setattr__(guarantee, "_source", tuple(d))
        return guarantee

    # ---- the compatibility path: read like the dict it replaced ---------------------------
    def _keys(self) -> tuple[str, ...]:
        """The keys of the dict it was read from, in its order; made directly, every key whose
        value is known (not None) in the order above, then ``extra``."""
        if self._source is not None:
            return self._source
        return (*(k for k in _KEYS if getattr(self, k) is not None), *self.extra)

    def _json(self, key: str) -> Any:
        if key not in _KEYS:
            return self.extra[key]
        value = getattr(self, key)
        if isinstance(value, Mapping):
            return dict(value)
        return list(value) if isinstance(value, tuple) else value
