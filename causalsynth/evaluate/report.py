"""The Report: one object holding every evaluation of a synthetic table, and its verdict.

A Report only holds results; rendering (HTML, notebook, terminal) lives in
``causalsynth.render`` and works from ``to_dict()``, so a JSON file renders the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causalsynth._io import json_text, write_text_atomic
from causalsynth.errors import DataError
from causalsynth.evaluate.metric import MetricResult, jsonable
from causalsynth.evaluate.verdict import (
    INCONCLUSIVE,
    NOT_PRESERVED,
    PRESERVED,
    VERDICTS,
    CausalComparison,
    Margins,
    judge_causal,
)

__all__ = ["INCONCLUSIVE", "NOT_PRESERVED", "PRESERVED", "Report", "judge", "read_report"]


@dataclass
class Report:
    """Result of :func:`causalsynth.validate`.

    Attributes
    ----------
    verdict : str
        ``"preserved"``, ``"not preserved"`` or ``"inconclusive"`` (the real table is too
        small to tell at these margins): does attribution hold on the synthetic table?
    causal : dict
        ICI, effects and independence tables, the verdict's reasons and margins.
    fidelity, utility, privacy : dict of MetricResult
        Standard figures, each with a direction, a reference and a breakdown.
    meta : dict
        Versions, seed, timings, table sizes; ``guarantee``, the synthesizer's differential
        privacy guarantee, only when :func:`~causalsynth.validate` was given one.
    privacy_gate : dict
        Does the synthetic table copy real rows? ``flagged``, ``assessed``, ``reason`` (see
        :mod:`causalsynth.evaluate.gate`); shown beside the verdict, exit code 4 when flagged.
    """

    verdict: str
    causal: dict[str, Any]
    fidelity: dict[str, MetricResult] = field(default_factory=dict)
    utility: dict[str, MetricResult] = field(default_factory=dict)
    privacy: dict[str, MetricResult] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    privacy_gate: dict[str, Any] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        return list(self.causal.get("reasons", []))

    @property
    def preserved(self) -> bool:
        return self.verdict == PRESERVED

    @property
    def copies_real_rows(self) -> bool:
        """The privacy gate: does the synthetic table copy real rows beyond chance?"""
        return bool(self.privacy_gate.get("flagged"))

    @property
    def inconclusive(self) -> bool:
        return self.verdict == INCONCLUSIVE

    @property
    def guarantee(self) -> dict[str, Any] | None:
        """The synthesizer's differential-privacy guarantee (``epsilon``, ``delta``, ...), or
        None when the report was made without one.

        >>> Report("preserved", {}, meta={"guarantee": {"epsilon": 1.0}}).guarantee
        {'epsilon': 1.0}
        >>> Report("preserved", {}).guarantee is None
        True
        """
        return self.meta.get("guarantee")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        """A Report from ``to_dict()`` output (or a JSON report read back)."""
        if not isinstance(d, dict) or d.get("verdict") not in VERDICTS or "causal" not in d:
            raise DataError("not a causalsynth report: expected a mapping with 'verdict' (one "
                            f"of {', '.join(VERDICTS)}) and 'causal'")
        section = lambda key: {k: MetricResult.from_dict(v)  # noqa: E731
                               for k, v in (d.get(key) or {}).items()}
        return cls(verdict=d["verdict"], causal=dict(d["causal"]),
                   fidelity=section("fidelity"), utility=section("utility"),
                   privacy=section("privacy"), meta=dict(d.get("meta") or {}),
                   privacy_gate=dict(d.get("privacy_gate") or {}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: verdict, privacy_gate, causal, fidelity, privacy, utility, meta."""
        section = lambda d: {k: v.to_dict() for k, v in d.items()}  # noqa: E731
        return jsonable({
            "verdict": self.verdict,
            "privacy_gate": self.privacy_gate,
            "causal": self.causal,
            "fidelity": section(self.fidelity),
            "privacy": section(self.privacy),
            "utility": section(self.utility),
            "meta": self.meta,
        })

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
        return f"Report(verdict={self.verdict!r}{', ' + why if why else ''})"


def read_report(path: str | Path) -> Report:
    """Read a report written by ``Report.to_json(path)``."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read a report from {str(path)!r}: {exc}") from None
    return Report.from_dict(data)


def judge(report: Report | dict[str, Any] | str | Path, margins: Margins | None = None
          ) -> Report:
    """Re-judge a report (object, dict or JSON path) under other ``margins``, without refitting.

    The stored comparison holds every difference and its noise, so the result equals what
    ``validate(..., margins=margins)`` would give on the same tables and seed.

    Examples
    --------
    >>> import causalsynth as cs
    >>> report = cs.read_report("report.json")                    # doctest: +SKIP
    >>> cs.judge(report, cs.Margins(ici_points=10)).verdict       # doctest: +SKIP
    'preserved'
    """
    from causalsynth.evaluate.causal import causal_section

    if isinstance(report, (str, Path)):
        report = read_report(report)
    elif isinstance(report, dict):
        report = Report.from_dict(report)
    comparison = CausalComparison.from_dict(report.causal)
    causal = causal_section(comparison, judge_causal(comparison, margins))
    for key in ("reference",):
        if key in report.causal:
            causal[key] = report.causal[key]
    return Report(verdict=causal["verdict"], causal=causal, fidelity=dict(report.fidelity),
                  utility=dict(report.utility), privacy=dict(report.privacy),
                  meta=dict(report.meta), privacy_gate=dict(report.privacy_gate))
