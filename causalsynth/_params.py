"""Declare what a parameter accepts, and check it: the one way, after scikit-learn.

A class lists its constructor parameters' constraints in ``_parameter_constraints`` (name ->
list of constraints; the value must satisfy at least one), as scikit-learn's estimators do;
:meth:`causalsynth.synthesizers.Synthesizer.fit` checks them before fitting. A plain function
checks one argument with :func:`check_param`. Either way a wrong value raises
:class:`~causalsynth.errors.InvalidParameterError` in scikit-learn's words, naming every bad
parameter at once::

    The 'epochs' parameter of CTGANAdapter must be an int in the range [1, inf). Got -3 instead.

**The size cap**, one rule for every size argument (:func:`check_size`): a number of rows (or
draws) times the columns each carries is at most :data:`MAX_CELLS` (100 million cells, 0.8 GB
as float64); a number of repetitions (bootstrap replicates, permutations) is at most
:data:`MAX_REPLICATES` (10,000). Beyond, the call is refused before any work, with the cap in
the message: a typo such as ``n=10**9`` never runs for hours or asks for terabytes.

A constraint is an :class:`Interval`, :class:`Options`, :class:`Pattern`, :class:`SequenceOf`,
:data:`SEED` or :data:`BOOLEAN`; a type (``dict``) stands for "an instance of it" and ``None``
for None itself. Booleans are never numbers here: ``True`` is not an int in ``[1, inf)``.

Examples
--------
>>> check_param("n", 0, Interval(int, 1, None), owner="simulate")
Traceback (most recent call last):
...
causalsynth.errors.InvalidParameterError: The 'n' parameter of simulate must be an int in \
the range [1, inf). Got 0 instead.
>>> check_params("X", {"share": [Interval(float, 0, 1, closed="neither")], "n": [int, None]},
...              {"share": 0.5, "n": None})
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any, Literal

import numpy as np

from causalsynth.errors import InvalidParameterError, excerpt

__all__ = [
    "BOOLEAN",
    "MAX_CELLS",
    "MAX_REPLICATES",
    "SEED",
    "Constraint",
    "InstanceOf",
    "Interval",
    "Options",
    "Pattern",
    "SequenceOf",
    "check_param",
    "check_params",
    "check_size",
    "param_problems",
    "raise_problems",
]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, (Real, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _number(value: float) -> str:
    """A bound or a value as a message shows it: ints with thousands separators, 'inf'."""
    if _is_int(value):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value)) if isinstance(value, np.floating) else repr(value)


class Constraint:
    """One kind of accepted value: :meth:`is_satisfied_by` tests it, ``str()`` describes it."""

    def is_satisfied_by(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def accepts_type(self, value: Any) -> bool:
        """Whether ``value`` is of a type this constraint takes (messages name a wrong type)."""
        return self.is_satisfied_by(value)


class Interval(Constraint):
    """Numbers (``kind`` int or float) from ``left`` to ``right``; None is an open end.

    ``closed`` is "both" (default), "left", "right" or "neither"; an infinite end is open, so
    ``inf`` is never inside. An int interval accepts Python and numpy ints; a float interval
    accepts ints too. Booleans and NaN are never inside.

    Examples
    --------
    >>> str(Interval(float, 0, 1, closed="neither")), str(Interval(int, 1, None))
    ('a float in the range (0, 1)', 'an int in the range [1, inf)')
    >>> str(Interval(int, 1, 10_000))
    'an int between 1 and 10,000'
    """

    def __init__(self, kind: type, left: float | None, right: float | None, *,
                 closed: Literal["both", "left", "right", "neither"] = "both"):
        if kind not in (int, float) or closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval(kind={kind!r}, closed={closed!r}): kind is int or "
                             f"float, closed is 'both', 'left', 'right' or 'neither'")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def accepts_type(self, value: Any) -> bool:
        return _is_int(value) if self.kind is int else _is_real(value)

    def is_satisfied_by(self, value: Any) -> bool:
        if not self.accepts_type(value):
            return False
        if isinstance(value, (float, np.floating)) and not math.isfinite(value):
            return False  # NaN is inside no interval; an infinite end is open
        low_in = self.closed in ("both", "left")
        high_in = self.closed in ("both", "right")
        if self.left is not None and not (value >= self.left if low_in else value > self.left):
            return False
        return self.right is None or bool(value <= self.right if high_in else value < self.right)

    def _range(self) -> str:
        if self.left is None and self.right is None:
            return ""
        if self.kind is int and self.closed == "both" and self.left is not None \
                and self.right is not None:
            return f"between {_number(self.left)} and {_number(self.right)}"
        left = "(" if self.left is None or self.closed in ("right", "neither") else "["
        right = ")" if self.right is None or self.closed in ("left", "neither") else "]"
        low = "-inf" if self.left is None else _number(self.left)
        high = "inf" if self.right is None else _number(self.right)
        return f"in the range {left}{low}, {high}{right}"

    def plural(self) -> str:
        """'ints in the range [1, inf)': the description of several such numbers."""
        return f"{self.kind.__name__}s {self._range()}".rstrip()

    def __str__(self) -> str:
        return f"{'an int' if self.kind is int else 'a float'} {self._range()}".rstrip()


class Options(Constraint):
    """One of a fixed set of values (usually strings).

    Examples
    --------
    >>> str(Options({"cpu", "auto"}))
    "a str among {'auto', 'cpu'}"
    """

    def __init__(self, options: Iterable[Any]):
        self.options = frozenset(options)

    def accepts_type(self, value: Any) -> bool:
        return any(type(value) is type(o) for o in self.options)

    def is_satisfied_by(self, value: Any) -> bool:
        return self.accepts_type(value) and value in self.options

    def __str__(self) -> str:
        shown = "{" + ", ".join(sorted(repr(o) for o in self.options)) + "}"
        texts = all(isinstance(o, str) for o in self.options)
        return f"a str among {shown}" if texts else f"one of {shown}"


class Pattern(Constraint):
    """A string that matches ``regex`` in full; ``what`` describes it ("a str such as 'cuda:0'")."""

    def __init__(self, regex: str, what: str):
        self.regex, self.what = re.compile(regex), what

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, str)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and self.regex.fullmatch(value) is not None

    def __str__(self) -> str:
        return self.what


class InstanceOf(Constraint):
    """An instance of one of ``types``; ``what`` overrides the description ("a bool")."""

    def __init__(self, *types: type, what: str | None = None):
        self.types, self.what = types, what

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def __str__(self) -> str:
        if self.what:
            return self.what
        names = [t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
                 for t in self.types]
        return " or ".join(f"an instance of {n!r}" for n in names)


class SequenceOf(Constraint):
    """A tuple or list (possibly empty) whose every item is inside ``item`` (an Interval).

    Examples
    --------
    >>> str(SequenceOf(Interval(int, 1, None)))
    'a tuple of ints in the range [1, inf)'
    """

    def __init__(self, item: Interval):
        self.item = item

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, (tuple, list))

    def is_satisfied_by(self, value: Any) -> bool:
        return self.accepts_type(value) and all(self.item.is_satisfied_by(v) for v in value)

    def __str__(self) -> str:
        return f"a tuple of {self.item.plural()}"


class _Seed(Constraint):
    """What :func:`causalsynth._random.as_generator` takes: an int >= 0, a Generator or None."""

    def is_satisfied_by(self, value: Any) -> bool:
        return (value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence))
                or (_is_int(value) and value >= 0))

    def accepts_type(self, value: Any) -> bool:
        return value is None or _is_int(value) or isinstance(
            value, (np.random.Generator, np.random.SeedSequence))

    def __str__(self) -> str:
        return "an int >= 0, a numpy Generator or None"


class _NoneConstraint(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


#: a seed (``random_state``): an int >= 0, a numpy Generator or None
SEED = _Seed()
#: True or False (Python or numpy)
BOOLEAN = InstanceOf(bool, np.bool_, what="a bool")
_TYPE_NAMES = {bool: BOOLEAN, dict: InstanceOf(dict, what="a dict"),
               str: InstanceOf(str, what="a str"), int: Interval(int, None, None),
               float: Interval(float, None, None)}


def _as_constraint(spec: Any) -> Constraint:
    if isinstance(spec, Constraint):
        return spec
    if spec is None:
        return _NoneConstraint()
    if isinstance(spec, type):
        return _TYPE_NAMES.get(spec) or InstanceOf(spec)
    raise TypeError(f"not a parameter constraint: {spec!r}")


def _problem(name: str, value: Any, specs: Any, owner: str | None,
             hint: str | None = None) -> str | None:
    """The sentence saying why ``value`` fits none of ``specs``, or None when it fits one."""
    allowed = [_as_constraint(s) for s in (specs if isinstance(specs, list) else [specs])]
    if any(c.is_satisfied_by(value) for c in allowed):
        return None
    # None last, as scikit-learn writes it: "an int in the range [1, inf) or None"
    allowed.sort(key=lambda c: isinstance(c, _NoneConstraint))
    texts = [str(c) for c in allowed]
    expected = texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} or {texts[-1]}"
    if isinstance(value, (bool, np.bool_)):
        shown = repr(bool(value))
    elif _is_int(value) or isinstance(value, np.floating):
        shown = _number(value)
    else:
        shown = excerpt(value)
    if value is not None and not any(c.accepts_type(value) for c in allowed):
        shown += f" ({type(value).__name__})"
    of = f" of {owner}" if owner else ""
    note = f" ({hint})" if hint else ""
    return f"The {name!r} parameter{of} must be {expected}{note}. Got {shown} instead."


def param_problems(owner: str, constraints: Mapping[str, Any],
                   values: Mapping[str, Any]) -> list[str]:
    """One sentence per parameter in ``constraints`` whose value in ``values`` fits none."""
    found = (_problem(name, values[name], specs, owner) for name, specs in constraints.items())
    return [p for p in found if p is not None]


def raise_problems(owner: str, problems: list[str]) -> None:
    """Raise :class:`InvalidParameterError` listing ``problems``; do nothing when empty."""
    if len(problems) == 1:
        raise InvalidParameterError(problems[0])
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise InvalidParameterError(f"{len(problems)} problems with the parameters of "
                                    f"{owner}:\n{lines}")


def check_params(owner: str, constraints: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Check every parameter in ``constraints`` (name -> list of constraints) at once.

    Raises :class:`~causalsynth.errors.InvalidParameterError` naming each bad parameter of
    ``owner`` (a class or function name), its accepted values and the value given.
    """
    raise_problems(owner, param_problems(owner, constraints, values))


def check_param(name: str, value: Any, constraints: Any, *, owner: str | None = None,
                hint: str | None = None) -> None:
    """Check one argument of a plain function: ``constraints`` is one constraint or a list.

    ``hint`` (optional) is added in parentheses after the accepted values: why, or what to do.

    Examples
    --------
    >>> check_param("alpha", 1.5, Interval(float, 0, 1, closed="neither"), owner="judge")
    Traceback (most recent call last):
    ...
    causalsynth.errors.InvalidParameterError: The 'alpha' parameter of judge must be a float \
in the range (0, 1). Got 1.5 instead.
    """
    problem = _problem(name, value, constraints, owner, hint)
    if problem is not None:
        raise InvalidParameterError(problem)


#: most cells (rows x columns) one table made in memory may hold: 0.8 GB as float64
MAX_CELLS = 100_000_000
#: most repetitions (bootstrap replicates, permutations, Monte Carlo repeats) of one call
MAX_REPLICATES = 10_000


def check_size(name: str, value: Any, *, owner: str, columns: int = 1,
               replicates: bool = False, low: int = 1) -> int:
    """The size cap: ``value`` is an int from ``low`` to the cap, or InvalidParameterError.

    Rows or draws (default): ``value * columns`` at most :data:`MAX_CELLS`. Repetitions
    (``replicates=True``, bootstrap counts): at most :data:`MAX_REPLICATES`. Returns the value
    as an int.

    Examples
    --------
    >>> check_size("n", 1_000, owner="simulate", columns=6)
    1000
    >>> check_size("n", 10**11, owner="simulate", columns=6)
    Traceback (most recent call last):
    ...
    causalsynth.errors.InvalidParameterError: The 'n' parameter of simulate must be an int \
between 1 and 16,666,666 (the size cap: at most 100,000,000 cells, rows x 6 columns, 0.8 GB \
as float64; draw larger tables in batches with different seeds). Got 100,000,000,000 instead.
    >>> check_size("n_bootstrap", 10**9, owner="fit_mmm", replicates=True, low=0)
    Traceback (most recent call last):
    ...
    causalsynth.errors.InvalidParameterError: The 'n_bootstrap' parameter of fit_mmm must be \
an int between 0 and 10,000 (the size cap: at most 10,000 replicates). Got 1,000,000,000 \
instead.
    """
    if replicates:
        cap, hint = MAX_REPLICATES, f"the size cap: at most {MAX_REPLICATES:,} replicates"
    else:
        width = max(int(columns), 1)
        cap = max(low, MAX_CELLS // width)
        hint = (f"the size cap: at most {MAX_CELLS:,} cells, rows x {width} column"
                f"{'s' if width != 1 else ''}, {MAX_CELLS * 8 / 1e9:.1f} GB as float64; draw "
                f"larger tables in batches with different seeds")
    check_param(name, value, Interval(int, low, cap), owner=owner, hint=hint)
    return int(value)
