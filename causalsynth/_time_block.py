"""The ``time`` block of a DAG: rows are consecutive periods (weeks, days).

A DAG whose rows are consecutive periods declares it::

    time:
      index: week      # name of the time column (not a node)
      period: 52       # seasonal period in rows (52 weeks, 7 days)
      geo: region      # optional: name of a geo column for panels (validated, not simulated)
      harmonics: 2     # optional: Fourier pairs of the period in the time features (or auto)
      country: DE      # optional: public holidays of that country are a time feature
      subdivision: BY  # optional: the country's region for its holidays
      events: [promo]  # optional: nodes that mark events, controls of fit_mmm

The simulation block of such a DAG may then use ``carryover`` on a child's parents and
``trend`` / ``seasonality`` roots (see :mod:`causalsynth.simulation`); the curves, the adstock
and the time features every estimator conditions on live in :mod:`causalsynth.media`. A
table's index and geo columns are checked against the block in
:mod:`causalsynth._time_columns`.

Examples
--------
>>> TimeAxis("week", 52, geo="region").to_dict()
{'index': 'week', 'period': 52, 'geo': 'region'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from causalsynth.errors import excerpt

__all__ = ["DEFAULT_HARMONICS", "TIME_KEYS", "TimeAxis", "country_problem", "parse_time"]

TIME_KEYS = ("index", "period", "geo", "harmonics", "country", "subdivision", "events")
#: Fourier pairs of the declared period when the time block names none
DEFAULT_HARMONICS = 2

@dataclass(frozen=True)
class TimeAxis:
    """The declared time axis: the index column's name, the seasonal period in rows, an
    optional geo column (panels), the Fourier pairs of the time features (``"auto"``: chosen
    from the outcome), a holiday calendar (``country``, ``subdivision``) and event nodes."""

    index: str
    period: int
    geo: str | None = None
    harmonics: int | str = DEFAULT_HARMONICS
    country: str | None = None
    subdivision: str | None = None
    events: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The block as written in a DAG file."""
        out: dict[str, Any] = {"index": self.index, "period": self.period}
        if self.geo is not None:
            out["geo"] = self.geo
        if self.harmonics != DEFAULT_HARMONICS:
            out["harmonics"] = self.harmonics
        for key in ("country", "subdivision"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.events:
            out["events"] = list(self.events)
        return out


def country_problem(country: Any, subdivision: Any = None) -> str | None:
    """Why ``country`` (and ``subdivision``) is not a calendar of the ``holidays`` package;
    None when it is.

    >>> country_problem("DE") is None
    True
    >>> country_problem("XX").split(" (")[0]
    "time: country 'XX' is not a country code of the holidays package"
    """
    try:
        import holidays
    except ImportError:  # pragma: no cover - a declared dependency
        return "time: 'country' needs the holidays package: pip install holidays"
    known = holidays.list_supported_countries()
    if not isinstance(country, str) or country.upper() not in known:
        near = sorted(c for c in known if isinstance(country, str) and c[:1] == country[:1])
        return (f"time: country {excerpt(country)} is not a country code of the holidays "
                f"package (ISO 3166 alpha-2, e.g. DE, US, GB)"
                + (f"; codes starting alike: {', '.join(near[:8])}" if near else ""))
    subs = known[country.upper()]
    if subdivision is not None and str(subdivision) not in subs:
        return (f"time: subdivision {excerpt(subdivision)} is not one of "
                f"{country.upper()}'s: {', '.join(subs[:12])}{' ...' if len(subs) > 12 else ''}")
    return None


def _extras(raw: Mapping, node_names: set[str], problems: list[str]) -> dict[str, Any]:
    """The optional keys of the block: harmonics, country, subdivision, events."""
    out: dict[str, Any] = {}
    harmonics = raw.get("harmonics", DEFAULT_HARMONICS)
    if harmonics != "auto" and (not isinstance(harmonics, int) or isinstance(harmonics, bool)
                                or harmonics < 1):
        problems.append(f"time: 'harmonics' must be a whole number >= 1 of Fourier pairs, or "
                        f"auto; got {excerpt(harmonics)}")
    out["harmonics"] = harmonics
    country, sub = raw.get("country"), raw.get("subdivision")
    if sub is not None and country is None:
        problems.append("time: 'subdivision' needs a 'country' (e.g. country: DE, "
                        "subdivision: BY)")
    if country is not None:
        problem = country_problem(country, sub)
        if problem:
            problems.append(problem)
        else:
            out["country"] = country.upper()
            out["subdivision"] = None if sub is None else str(sub)
    events = raw.get("events") or []
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        problems.append(f"time: 'events' must be a list of node names; got {excerpt(events)}")
        events = []
    unknown = [e for e in events if e not in node_names]
    if unknown:
        problems.append(f"time: events {excerpt(unknown)} are not nodes; events name nodes "
                        f"that mark promotions or launches")
    out["events"] = tuple(events)
    return out


def parse_time(raw: Any, node_names: set[str], problems: list[str]) -> TimeAxis | None:
    """The ``time`` block checked; every problem is appended to ``problems``.

    Examples
    --------
    >>> problems = []
    >>> parse_time({"index": "week", "period": 52, "country": "de"}, {"revenue"}, problems)
    ... # doctest: +ELLIPSIS
    TimeAxis(index='week', period=52, geo=None, harmonics=2, country='DE', ...)
    >>> parse_time({"index": "revenue", "period": 1, "lag": 2}, {"revenue"}, problems)
    >>> len(problems)
    3
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"'time' must be a mapping like {{index: week, period: 52}}; got "
                        f"{excerpt(raw)}")
        return None
    before = len(problems)
    for key in raw:
        if key not in TIME_KEYS:
            problems.append(f"time: unknown key {excerpt(key)}; allowed: {', '.join(TIME_KEYS)}")
    columns: dict[str, str] = {}
    for key in ("index", "geo"):
        value = raw.get(key)
        if value is None and key == "geo":
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"time: {key!r} must be the name of a column (non-empty text); got "
                            f"{excerpt(value)}")
        elif value in node_names:
            problems.append(f"time: {key} {excerpt(value)} is also a node; the {key} column is "
                            f"not a node, so give it another name")
        else:
            columns[key] = value
    if "geo" in columns and columns.get("geo") == columns.get("index"):
        problems.append(f"time: index and geo are both {excerpt(columns['geo'])}; they name "
                        f"two different columns")
    period: Any = raw.get("period")
    if not isinstance(period, int) or isinstance(period, bool) or period < 2:
        problems.append(f"time: 'period' must be a whole number of rows >= 2 (52 for weeks in "
                        f"a year, 7 for days in a week); got {excerpt(period)}")
    extras = _extras(raw, node_names, problems)
    if len(problems) > before:
        return None
    return TimeAxis(index=columns["index"], period=int(period), geo=columns.get("geo"),
                    **extras)
