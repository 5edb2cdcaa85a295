"""Typed parts of a :class:`~causalsynth.evaluate.report.Report`: its verdict, its causal
section and its privacy gate.

Each section is a dataclass read by attribute (``report.causal.confirmable.text``) whose
``to_dict()`` writes exactly the JSON a report has always held: the same keys in the same
order, a key absent from the dict it was read from left absent, an unknown key (from a newer
version) kept in ``extra``. ``from_dict(d).to_dict() == d`` for every section a report writes
(the margins, read into a :class:`~causalsynth.evaluate.margins.Margins`, included), so a
saved report reads back and writes out unchanged.

Compatibility path: a section also reads like the dict it replaced (``report.causal["verdict"]``,
``.get("ici")``, ``"reference" in report.causal``, ``keys()``, equality with a dict), each value
in its JSON form. It keeps code written against the dicts working; new code reads attributes.
The verdict is a :class:`Verdict`, a ``str`` enum equal to the words it replaced
(``Verdict.PRESERVED == "preserved"``), so the producers of a report keep writing strings and
the report converts them where it is built.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

import pandas as pd

from causalsynth._json_mapping import JSONMapping
from causalsynth.errors import DataError, InvalidParameterError, excerpt
from causalsynth.evaluate.margins import Margins

__all__ = ["CausalSection", "Precision", "PrivacyGate", "Verdict"]

_S = TypeVar("_S", bound="_Section")


class Verdict(str, enum.Enum):
    """Does attribution hold on the synthetic table? A ``str``: equal to its word, hashed and
    printed as it.

    >>> Verdict("not preserved") is Verdict.NOT_PRESERVED, Verdict.PRESERVED == "preserved"
    (True, True)
    >>> f"{Verdict.INCONCLUSIVE}"
    'inconclusive'
    """

    PRESERVED = "preserved"
    NOT_PRESERVED = "not preserved"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    def __hash__(self) -> int:
        return hash(self.value)

    @classmethod
    def parse(cls, value: Any) -> Verdict:
        """``value`` as a Verdict; anything else is an InvalidParameterError naming the words."""
        try:
            return cls(value)
        except ValueError:
            words = ", ".join(repr(v.value) for v in cls)
            raise InvalidParameterError(f"A verdict must be one of {words}. Got "
                                        f"{excerpt(value)} instead.") from None


def _plain(value: Any) -> Any:
    """A section's value in its JSON form."""
    if isinstance(value, _Section):
        return value.to_dict()
    if isinstance(value, Margins):
        return asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


@dataclass(eq=False)
class _Section(JSONMapping):
    """JSON in and out, and the read-only dict view of the compatibility path.

    Read from a dict, a section writes back that dict's keys in its order: a known key it
    lacked stays absent unless it is set afterwards, an unknown key rides in ``extra``. Made
    directly, it writes every known key in declaration order. Equal to a section or a mapping
    with the same JSON form.
    """

    extra: dict[str, Any] = field(default_factory=dict, kw_only=True, repr=False)
    #: the keys of the dict it was read from, in their order (None: made directly)
    _source: tuple[str, ...] | None = field(default=None, init=False, repr=False)
    #: key -> the key order of a mapping read into an object that is not a section (margins)
    _orders: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)
    #: key -> how its JSON value is read (a value read as None stays None)
    _READ: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    @classmethod
    def from_dict(cls: type[_S], d: Mapping[str, Any]) -> _S:
        """The section a report's JSON holds (a section is returned as it is)."""
        if isinstance(d, cls):
            return d
        if not isinstance(d, Mapping):
            raise DataError(f"not a causalsynth report: its {cls.__name__} is a "
                            f"{type(d).__name__}, not a mapping; write reports with "
                            f"Report.to_json and do not edit them")
        known = {f.name for f in fields(cls) if f.init} - {"extra"}
        read = {k: v if v is None else cls._READ.get(k, _same)(v)
                for k, v in d.items() if k in known}
        section = cls(**read, extra={k: v for k, v in d.items() if k not in known})
        section._source = tuple(d)
        section._orders = {k: tuple(v) for k, v in d.items() if k in cls._READ
                           and isinstance(v, Mapping) and not isinstance(read[k], _Section)}
        return section

    def _keys(self) -> list[str]:
        """Which keys ``to_dict()`` writes, in which order (see the class docstring)."""
        known = [f for f in fields(self) if f.init and f.name != "extra"]
        if self._source is None:
            return [*(f.name for f in known), *self.extra]
        later = [f.name for f in known if f.name not in self._source
                 and _plain(getattr(self, f.name)) != _plain(_default(f))]
        return [*self._source, *later, *(k for k in self.extra if k not in self._source)]

    def _json(self, key: str) -> Any:
        if key in self.extra:
            return self.extra[key]
        value = _plain(getattr(self, key))
        order = self._orders.get(key)
        if order is not None and isinstance(value, dict):  # as it was read
            value = {**{k: value[k] for k in order if k in value}, **value}
        return value


def _default(f: Field[Any]) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _same(value: Any) -> Any:
    return value


def _read_margins(value: Any) -> Margins:
    try:
        return Margins.from_dict(dict(value))
    except (TypeError, ValueError) as exc:
        raise DataError(f"not a causalsynth report: its causal margins {excerpt(value)} cannot "
                        f"be read ({exc}); write reports with Report.to_json and do not edit "
                        f"them") from None


@dataclass(eq=False)
class Precision(_Section):
    """Margins per family: those this real table can confirm (``CausalSection.confirmable``)
    or those to which agreement was shown (``CausalSection.shown``), with their sentence.

    ``ici_points`` and ``budget_points`` in percentage points, ``effect_rel`` (the widest),
    ``effects`` and ``roas`` (by treatment) relative to the real figure, ``independence`` in
    effect size; None where nothing of the family was judged. ``roas`` and ``budget_points``
    only for a marketing mix.
    """

    n_real: int = 0
    n_synthetic: int = 0
    ici_points: float | None = None
    effect_rel: float | None = None
    independence: float | None = None
    effects: dict[str, float | None] = field(default_factory=dict)
    roas: dict[str, float | None] | None = None
    budget_points: float | None = None
    text: str = ""


@dataclass(eq=False)
class CausalSection(_Section):
    """The causal comparison of a report and how it was judged.

    Attributes
    ----------
    verdict : Verdict
    reasons : list of str
        At most five, most important first.
    target : str
        The outcome the comparison is about (revenue, conversions...).
    n_real, n_synthetic : int
        Rows compared.
    margins : Margins
        The margins it was judged at.
    n_judged : int
        Quantities judged.
    confirmable, shown : Precision
        What this real table can confirm; to what precision agreement was shown.
    details : dict of str to list of str
        One sentence per judged figure, by family.
    treatments, lost_columns : list of str
        The treatments compared; synthetic columns constant where the real one varies.
    method : dict
        How each figure was measured (bootstrap, estimators, rule).
    ici, effects, independences : list of dict
        The per-quantity tables, one row per quantity (see :meth:`table`).
    treatment_ranking : dict
        ``real`` and ``synthetic`` orders, ``kept`` and the judged ``pairs``.
    mmm : dict or None
        Marketing-mix figures (ROAS, contribution, budget split) of a time-indexed DAG.
    seconds : float
    reference : dict or None
        The split-half (real vs real) comparison, when ``validate(..., reference=True)``.
    """

    verdict: Verdict | None = None
    reasons: list[str] = field(default_factory=list)
    target: str = ""
    n_real: int = 0
    n_synthetic: int = 0
    margins: Margins = field(default_factory=Margins)
    n_judged: int = 0
    confirmable: Precision = field(default_factory=Precision)
    shown: Precision = field(default_factory=Precision)
    details: dict[str, list[str]] = field(default_factory=dict)
    treatments: list[str] = field(default_factory=list)
    lost_columns: list[str] = field(default_factory=list)
    method: dict[str, Any] = field(default_factory=dict)
    ici: list[dict[str, Any]] = field(default_factory=list)
    treatment_ranking: dict[str, Any] = field(default_factory=dict)
    effects: list[dict[str, Any]] = field(default_factory=list)
    independences: list[dict[str, Any]] = field(default_factory=list)
    mmm: dict[str, Any] | None = None
    seconds: float = 0.0
    reference: dict[str, Any] | None = None

    _READ: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "verdict": Verdict.parse, "margins": _read_margins,
        "confirmable": Precision.from_dict, "shown": Precision.from_dict}

    def table(self, name: str) -> pd.DataFrame:
        """One per-quantity table (``"ici"``, ``"effects"`` or ``"independences"``) as a frame.

        >>> CausalSection(ici=[{"node": "tv_spend", "real_share": 30.0}]).table("ici")
               node  real_share
        0  tv_spend        30.0
        """
        if name not in ("ici", "effects", "independences"):
            raise InvalidParameterError(f"The 'name' parameter of CausalSection.table must be "
                                        f"'ici', 'effects' or 'independences'. Got "
                                        f"{excerpt(name)} instead.")
        return pd.DataFrame(getattr(self, name))


@dataclass(eq=False)
class PrivacyGate(_Section):
    """Does the synthetic table copy real rows? Decided beside the verdict (see
    :mod:`causalsynth.evaluate.gate`): ``flagged`` (exit code 4), ``assessed`` (False when
    the exact-copy metric did not run or had no reference rate), the synthetic table's
    ``copy_share`` and the ``reference_share`` chance explains, and the ``reason`` in words.
    A report made without a gate holds an empty one (every key absent, not flagged)."""

    flagged: bool = False
    assessed: bool = False
    copy_share: float | None = None
    reference_share: float | None = None
    reason: str = ""
