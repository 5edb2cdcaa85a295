"""The Report: one object holding every evaluation of a synthetic table, and its verdict.

A Report only holds results; rendering (HTML, notebook, terminal) lives in
``causalsynth.report`` and works from ``to_dict()``, so a JSON file renders the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causalsynth._io import json_text, write_text_atomic
from causalsynth.evaluate.metric import MetricResult, jsonable

__all__ = ["NOT_PRESERVED", "PRESERVED", "Report"]

PRESERVED = "preserved"
NOT_PRESERVED = "not preserved"


@dataclass
class Report:
    """Result of :func:`causalsynth.validate`.

    Attributes
    ----------
    verdict : str
        ``"preserved"`` or ``"not preserved"``: does attribution hold on the synthetic table?
    causal : dict
        ICI, effects and independence tables, the verdict's reasons and margins.
    fidelity, utility, privacy : dict of MetricResult
        Standard figures, each with a direction, a reference and a breakdown.
    meta : dict
        Versions, seed, timings, table sizes.
    """

    verdict: str
    causal: dict[str, Any]
    fidelity: dict[str, MetricResult] = field(default_factory=dict)
    utility: dict[str, MetricResult] = field(default_factory=dict)
    privacy: dict[str, MetricResult] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        return list(self.causal.get("reasons", []))

    @property
    def preserved(self) -> bool:
        return self.verdict == PRESERVED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with top-level keys verdict, causal, fidelity, privacy, utility, meta."""
        section = lambda d: {k: v.to_dict() for k, v in d.items()}  # noqa: E731
        return jsonable({
            "verdict": self.verdict,
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
        from causalsynth.report.html import render_report

        html = render_report(self.to_dict())
        if path is not None:
            write_text_atomic(path, html)
        return html

    def _repr_html_(self) -> str:
        from causalsynth.report.html import render_report

        return render_report(self.to_dict(), fragment=True)

    def __repr__(self) -> str:
        why = "; ".join(self.reasons[:3])
        return f"Report(verdict={self.verdict!r}{', ' + why if why else ''})"
