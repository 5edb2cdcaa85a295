"""Rendering of reports: HTML pages, inline SVG plots, terminal summaries.

Everything here is a pure function of a report dict (``Report.to_dict()`` or its saved JSON)
or a comparison dict: rendering never recomputes a figure and never sees a table row.

Modules: :mod:`~causalsynth.render.format` (numbers and text, for every renderer),
:mod:`~causalsynth.render.markup` (HTML building blocks), :mod:`~causalsynth.render.html` (the
report page), :mod:`~causalsynth.render.comparison_html` (the comparison page),
:mod:`~causalsynth.render.plots` (SVG plots), :mod:`~causalsynth.render.terminal` (rich).
"""

from causalsynth.render.comparison_html import render_comparison
from causalsynth.render.html import render_report
from causalsynth.render.terminal import print_leaderboard, print_summary

__all__ = ["print_leaderboard", "print_summary", "render_comparison", "render_report"]
