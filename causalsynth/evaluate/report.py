"""The Report: one object holding every evaluation of a synthetic table, and its verdict.

A Report only holds results; rendering (HTML, notebook, terminal) lives in
``causalsynth.render`` and works from ``to_dict()``, so a JSON file renders the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from causalsynth._io import json_text, write_text_atomic
from causalsynth.errors import DataError, InvalidParameterError, excerpt
from causalsynth.evaluate.causal_comparison import CausalComparison
from causalsynth.evaluate.gate import privacy_gate
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.metric import MetricResult, jsonable
from causalsynth.evaluate.report_sections import CausalSection, PrivacyGate, Verdict
from causalsynth.evaluate.verdict import (
    INCONCLUSIVE,
    NOT_PRESERVED,
    PRESERVED,
    VERDICTS,
    judge_causal,
)
from causalsynth.guarantee import PrivacyGuarantee

__all__ = ["INCONCLUSIVE", "NOT_PRESERVED", "PRESERVED", "CausalSection", "PrivacyGate",
           "Report", "Verdict", "judge", "read_report", "schema_problems"]


@dataclass(init=False)
class Report:
    """Result of :func:`causalsynth.validate`.

    Attributes
    ----------
    verdict : Verdict
        ``Verdict.PRESERVED``, ``NOT_PRESERVED`` or ``INCONCLUSIVE`` (the real table is too
        small to tell at these margins): does attribution hold on the synthetic table? A
        ``str`` enum, equal to ``"preserved"``, ``"not preserved"``, ``"inconclusive"``.
    causal : CausalSection
        ICI, effects and independence tables, the verdict's reasons and margins, what this
        table can confirm (``report.causal.confirmable.text``).
    fidelity, utility, privacy : dict of MetricResult
        Standard figures, each with a direction, a reference and a breakdown.
    meta : dict
        Versions, seed, timings, table sizes; ``guarantee``, the synthesizer's differential
        privacy guarantee in its JSON form, only when :func:`~causalsynth.validate` was given
        one (``report.guarantee`` reads it as a :class:`~causalsynth.PrivacyGuarantee`).
    privacy_gate : PrivacyGate
        Does the synthetic table copy real rows? ``flagged``, ``assessed``, ``reason`` (see
        :mod:`causalsynth.evaluate.gate`); shown beside the verdict, exit code 4 when flagged.
    structure : dict
        The graphs discovered on the real and the synthetic table, compared, beside a
        split-half reference (:mod:`causalsynth.evaluate.structure`); informational, not part
        of the verdict. Empty in reports made before it existed.

    The verdict, ``causal`` and ``privacy_gate`` may be given as the strings and dicts a
    report's JSON holds; they are converted here. ``report.causal["verdict"]`` and
    ``report.privacy_gate["flagged"]`` still read as before (a compatibility path: see
    :mod:`causalsynth.evaluate.report_sections`).

    >>> report = Report("preserved", {"verdict": "preserved", "reasons": ["all within"]})
    >>> report.verdict is Verdict.PRESERVED, report.causal.reasons, report.causal["verdict"]
    (True, ['all within'], 'preserved')
    """

    verdict: Verdict
    causal: CausalSection
    fidelity: dict[str, MetricResult]
    utility: dict[str, MetricResult]
    privacy: dict[str, MetricResult]
    meta: dict[str, Any]
    privacy_gate: PrivacyGate
    structure: dict[str, Any]

    def __init__(self, verdict: Verdict | str, causal: CausalSection | Mapping[str, Any],
                 fidelity: dict[str, MetricResult] | None = None,
                 utility: dict[str, MetricResult] | None = None,
                 privacy: dict[str, MetricResult] | None = None,
                 meta: dict[str, Any] | None = None,
                 privacy_gate: PrivacyGate | Mapping[str, Any] | None = None,
                 structure: dict[str, Any] | None = None) -> None:
        self.verdict = Verdict.parse(verdict)
        self.causal = CausalSection.from_dict(causal)
        self.fidelity = {} if fidelity is None else fidelity
        self.utility = {} if utility is None else utility
        self.privacy = {} if privacy is None else privacy
        self.meta = {} if meta is None else meta
        self.privacy_gate = PrivacyGate.from_dict({} if privacy_gate is None else privacy_gate)
        self.structure = {} if structure is None else structure

    @property
    def reasons(self) -> list[str]:
        return list(self.causal.reasons)

    @property
    def preserved(self) -> bool:
        return self.verdict == PRESERVED

    @property
    def copies_real_rows(self) -> bool:
        """The privacy gate: does the synthetic table copy real rows beyond chance?"""
        return bool(self.privacy_gate.flagged)

    @property
    def inconclusive(self) -> bool:
        return self.verdict == INCONCLUSIVE

    @property
    def guarantee(self) -> PrivacyGuarantee | None:
        """The synthesizer's differential-privacy guarantee, read from ``meta["guarantee"]``
        (its JSON form), or None when the report was made without one.

        A :class:`~causalsynth.guarantee.PrivacyGuarantee` (``.epsilon``, ``.delta``,
        ``.notes``...) that also reads like the dict it replaced (``["epsilon"]``, equality
        with that dict).

        >>> g = Report("preserved", {}, meta={"guarantee": {"epsilon": 1.0}}).guarantee
        >>> g.epsilon, g["epsilon"], g == {"epsilon": 1.0}
        (1.0, 1.0, True)
        >>> Report("preserved", {}).guarantee is None
        True
        """
        stored = self.meta.get("guarantee")
        return None if stored is None else PrivacyGuarantee.from_dict(stored)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str | None = None) -> Report:
        """A Report from ``to_dict()`` output (or a JSON report read back).

        A dict that fails the report's schema (a section of the wrong type, a figure that is
        text, a causal comparison whose every number is missing) is one
        :class:`~causalsynth.errors.DataError` listing every problem; ``source`` (a path)
        names where it came from.

        >>> Report.from_dict({"verdict": "preserved", "causal": "edited"})
        Traceback (most recent call last):
        ...
        causalsynth.errors.DataError: invalid data: not a causalsynth report: its 'causal' \
section is a str, not a mapping; write reports with Report.to_json and do not edit them
        """
        if not isinstance(d, dict) or d.get("verdict") not in VERDICTS or "causal" not in d:
            raise DataError("not a causalsynth report: expected a mapping with 'verdict' (one "
                            f"of {', '.join(VERDICTS)}) and 'causal'", source=source)
        problems = schema_problems(d)
        if problems:
            raise DataError([f"not a causalsynth report: {p}" for p in problems],
                            source=source)
        def section(key: str) -> dict[str, MetricResult]:
            return {k: MetricResult.from_dict(v) for k, v in (d.get(key) or {}).items()}

        try:
            causal = CausalSection.from_dict(d["causal"])
        except InvalidParameterError as exc:  # a verdict word edited into something else
            raise DataError(f"not a causalsynth report: its causal section: {exc}; {_FIX}",
                            source=source) from None
        return cls(verdict=d["verdict"], causal=causal,
                   fidelity=section("fidelity"), utility=section("utility"),
                   privacy=section("privacy"), meta=dict(d.get("meta") or {}),
                   privacy_gate=PrivacyGate.from_dict(d.get("privacy_gate") or {}),
                   structure=dict(d.get("structure") or {}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: verdict, privacy_gate, causal, fidelity, privacy, utility, meta,
        and structure when the report has one."""
        def section(metrics: dict[str, MetricResult]) -> dict[str, Any]:
            return {k: v.to_dict() for k, v in metrics.items()}

        out: dict[str, Any] = jsonable({
            "verdict": self.verdict.value,
            "privacy_gate": self.privacy_gate.to_dict(),
            "causal": self.causal.to_dict(),
            "fidelity": section(self.fidelity),
            "privacy": section(self.privacy),
            "utility": section(self.utility),
            "meta": self.meta,
            **({"structure": self.structure} if self.structure else {}),
        })
        return out

    def to_json(self, path: str | Path | None = None) -> str:
        """The report as JSON text; written whole to ``path`` when given."""
        return json_text(self.to_dict(), path)

    def to_html(self, path: str | Path | None = None) -> str:
        """A self-contained HTML page (aggregates only, no real rows); written to ``path``."""
        from causalsynth.render.html import render_report

        html = render_report(self.to_dict())
        if path is not None:
            write_text_atomic(path, html)
        return html

    def _repr_html_(self) -> str:
        from causalsynth.render.html import render_report

        return render_report(self.to_dict(), fragment=True)

    def __repr__(self) -> str:
        why = "; ".join(self.reasons[:3])
        return f"Report(verdict={self.verdict.value!r}{', ' + why if why else ''})"


def read_report(path: str | Path) -> Report:
    """Read a report written by ``Report.to_json(path)``."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read a report from {str(path)!r}: {exc}") from None
    return Report.from_dict(data, source=repr(str(path)))


#: sections of a report that are mappings (None allowed), and the figures of its causal tables
_MAPPINGS = ("fidelity", "privacy", "utility", "meta", "privacy_gate", "structure")
_FIGURES = {"ici": ("real_share", "synthetic_share"), "effects": ("real", "synthetic")}
_TABLES = ("ici", "effects", "independences")
_FIX = "write reports with Report.to_json and do not edit them"


def schema_problems(d: dict[str, Any]) -> list[str]:
    """Every way a report dict departs from the schema ``Report.to_dict`` writes (one
    sentence each, ending with the fix; empty when it follows it)."""
    problems: list[str] = []
    causal = d.get("causal")
    if not isinstance(causal, dict):
        problems.append(f"its 'causal' section is a {_kind(causal)}, not a mapping")
        causal = {}
    for key in _MAPPINGS:
        value = d.get(key)
        if value is not None and not isinstance(value, dict):
            problems.append(f"its {key!r} section is a {_kind(value)}, not a mapping")
        elif key in ("fidelity", "privacy", "utility") and value:
            bad = [k for k, v in value.items() if not isinstance(v, dict)]
            if bad:
                problems.append(f"its {key!r} section holds {bad[:3]} that are not metric "
                                f"mappings")
    for table in _TABLES:
        rows = causal.get(table)
        if rows is not None and (not isinstance(rows, list)
                                 or not all(isinstance(r, dict) for r in rows)):
            problems.append(f"causal[{table!r}] is not a list of rows (mappings)")
    for key in ("treatment_ranking", "mmm", "method"):
        if causal.get(key) is not None and not isinstance(causal[key], dict):
            problems.append(f"causal[{key!r}] is a {_kind(causal[key])}, not a mapping")
    figures = []
    for table, columns in _FIGURES.items():
        rows = causal.get(table)
        for row in rows if isinstance(rows, list) else []:
            for col in columns:
                value = row.get(col) if isinstance(row, dict) else None
                if value is not None and (isinstance(value, bool)
                                          or not isinstance(value, (int, float))):
                    problems.append(f"causal[{table!r}] has {col}={excerpt(value)}, not a "
                                    f"number")
                    continue
                figures.append(value)
    meta = d.get("meta")
    guarantee = meta.get("guarantee") if isinstance(meta, dict) else None
    if guarantee is not None:  # what Report.guarantee reads
        try:
            PrivacyGuarantee.from_dict(guarantee)
        except InvalidParameterError as exc:
            problems.append(f"its meta['guarantee'] is {str(exc).rstrip('.')}")
    shaped = [f"{p}; {_FIX}" for p in problems]
    if figures and not any(v is not None and math.isfinite(v) for v in figures):
        shaped.append(f"every figure of its causal comparison ({len(figures)} ICI shares and "
                      f"effects) is NaN or missing, so there is nothing to judge: the report "
                      f"is corrupt; run validate again")
    return shaped


def _margins(margins: Any) -> Margins | None:
    """``margins`` as a :class:`Margins`: None, a Margins, or a dict of them by name."""
    if margins is None or isinstance(margins, Margins):
        return margins
    if isinstance(margins, Mapping):
        known = [f.name for f in fields(Margins)]
        unknown = [str(k) for k in margins if k not in known]
        if unknown:
            raise InvalidParameterError(
                f"The 'margins' parameter of judge has unknown names {unknown}; known: "
                f"{', '.join(known)}. Got {excerpt(dict(margins))} instead.")
        return Margins(**dict(margins))
    raise InvalidParameterError(
        f"The 'margins' parameter of judge must be a Margins, a dict of margins by name (such "
        f"as {{'ici_points': 10}}) or None. Got {excerpt(margins)} ({_kind(margins)}) "
        f"instead.")


def _kind(value: Any) -> str:
    return type(value).__name__


def judge(report: Report | dict[str, Any] | str | Path,
          margins: Margins | Mapping[str, Any] | None = None) -> Report:
    """Re-judge a report (object, dict or JSON path) under other ``margins``, without refitting.

    The stored comparison holds every difference and its noise, so the result equals what
    ``validate(..., margins=margins)`` would give on the same tables and seed. ``margins`` may
    be a dict by name (``{"ici_points": 10}``). The privacy gate is derived again from the
    stored copy figures, as the verdict is; a stored ``privacy_gate`` is not trusted. A report
    that fails its schema (see :func:`schema_problems`) is one
    :class:`~causalsynth.errors.DataError`.

    Examples
    --------
    >>> import causalsynth as cs
    >>> report = cs.read_report("report.json")                    # doctest: +SKIP
    >>> cs.judge(report, cs.Margins(ici_points=10)).verdict       # doctest: +SKIP
    'preserved'
    """
    from causalsynth.evaluate.causal import causal_section

    margins = _margins(margins)
    if isinstance(report, (str, Path)):
        report = read_report(report)
    elif isinstance(report, dict):
        report = Report.from_dict(report)
    elif not isinstance(report, Report):
        raise InvalidParameterError(
            f"The 'report' parameter of judge must be a Report, a report dict or the path of "
            f"a JSON report. Got {excerpt(report)} ({_kind(report)}) instead.")
    else:
        problems = schema_problems(report.to_dict())
        if problems:
            raise DataError([f"not a causalsynth report: {p}" for p in problems])
    try:
        comparison = CausalComparison.from_dict(report.causal.to_dict())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"not a causalsynth report: its causal comparison cannot be read "
                        f"back ({exc}); write reports with Report.to_json and do not edit "
                        f"them") from None
    causal = CausalSection.from_dict(causal_section(comparison, judge_causal(comparison,
                                                                             margins)))
    if report.causal.reference is not None:
        causal.reference = report.causal.reference
    # the gate, like the verdict, is derived again from the stored figures (a stored flag
    # is never trusted: an edited 'flagged': false must not hide copied rows)
    copies = report.privacy.get("exact_copies")
    gate = privacy_gate(None if copies is None else copies.to_dict())
    return Report(verdict=causal["verdict"], causal=causal,
                  fidelity=dict(report.fidelity), utility=dict(report.utility),
                  privacy=dict(report.privacy), meta=dict(report.meta), privacy_gate=gate,
                  structure=dict(report.structure))
