"""Rendering of reports: HTML pages, inline SVG plots, terminal summaries.

Everything here is a pure function of a report dict (``Report.to_dict()`` or its saved JSON):
rendering never recomputes a figure and never sees a table row.
"""

from causalsynth.render.html import render_report
from causalsynth.render.terminal import print_leaderboard, print_summary

__all__ = ["print_leaderboard", "print_summary", "render_report"]
