"""A discovered graph drawn and written as HTML: pure functions of ``DiscoveredGraph.to_dict()``.

Nodes stand in columns by tier (context, spend, mediator, outcome) when the roles were known,
else on a circle. Each edge found is drawn as an arrow (a plain line when unoriented), as thick
as it is stable across resamples; green when the declared DAG has it, orange when it does not;
the DAG's edges that discovery did not find are dashed grey.

Examples
--------
>>> d = {"method": "pc", "nodes": ["a", "b"], "rows": 100, "n_bootstrap": 0,
...      "edges": [{"source": "a", "target": "b", "kind": "->", "found": True,
...                 "stability": None}], "knowledge": {"tiers": None}, "summary": "a -> b"}
>>> graph_svg(d).startswith("<svg"), "a -&gt; b" in render_discovery(d)
(True, True)

:func:`structure_body` draws a report's discovered-structure section (the graph of the real
table against the synthetic one's) the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from causalsynth.render.format import esc, fmt
from causalsynth.render.markup import note, page, plot, table
from causalsynth.render.plots import REAL_COLOR, SYNTH_COLOR, figure, to_svg

__all__ = ["discovery_body", "graph_svg", "render_discovery", "structure_body"]

_TIER_NAMES = ("context", "spend", "mediator", "outcome")
_MISSING = "#9a9a9a"


def _positions(nodes: Sequence[str], tiers: Mapping[str, int] | None
               ) -> dict[str, tuple[float, float]]:
    if not tiers:
        k = max(len(nodes), 1)
        return {n: (math.cos(2 * math.pi * i / k), math.sin(2 * math.pi * i / k))
                for i, n in enumerate(nodes)}
    pos = {}
    for t in sorted(set(tiers.values())):
        col = [n for n in nodes if tiers.get(n) == t]
        for i, n in enumerate(col):
            pos[n] = (float(t), (len(col) - 1) / 2 - i)
    return pos


def graph_svg(d: Mapping[str, Any], key: str = "discovered") -> str:
    """The graph of a ``DiscoveredGraph.to_dict()`` as inline SVG."""
    nodes = [str(n) for n in d.get("nodes") or []]
    tiers = (d.get("knowledge") or {}).get("tiers")
    pos = _positions(nodes, tiers)
    declared = {tuple(e) for e in ((d.get("dag") or {}).get("edges") or [])}
    height = max(2.6, 0.55 * max(sum(1 for n in nodes if (tiers or {}).get(n) == t)
                                 for t in range(4)) + 1.0) if tiers else 5.0
    fig = figure(7.2, height)
    ax = fig.subplots()
    found = set()
    for e in d.get("edges") or []:
        if not e.get("found"):
            continue
        a, b, kind = str(e["source"]), str(e["target"]), e.get("kind", "->")
        found.add(frozenset((a, b)))
        known = (a, b) in declared or (b, a) in declared
        color = REAL_COLOR if known or not declared else SYNTH_COLOR
        stab = e.get("stability")
        width = 0.8 + 2.6 * (stab if isinstance(stab, (int, float)) else 0.5)
        _arrow(ax, pos[a], pos[b], kind, color, width)
        if isinstance(stab, (int, float)):
            ax.annotate(f"{stab:.0%}", xy=_mid(pos[a], pos[b]), fontsize=7, color=color,
                        ha="center", va="bottom")
    for a, b in declared:
        if frozenset((a, b)) not in found and a in pos and b in pos:
            _arrow(ax, pos[a], pos[b], "->", _MISSING, 1.0, dashed=True)
    for n, (x, y) in pos.items():
        ax.annotate(n, xy=(x, y), ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#555"})
    if tiers:
        for t in sorted(set(tiers.values())):
            ax.annotate(_TIER_NAMES[t] if t < len(_TIER_NAMES) else f"tier {t}",
                        xy=(t, max(y for _, y in pos.values()) + 0.8), ha="center",
                        fontsize=8, color="#666")
    xs, ys = [p[0] for p in pos.values()] or [0], [p[1] for p in pos.values()] or [0]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 1.1)
    ax.axis("off")
    return to_svg(fig, key)


def _mid(p, q) -> tuple[float, float]:
    return (p[0] + q[0]) / 2, (p[1] + q[1]) / 2


def _arrow(ax, p, q, kind: str, color: str, width: float, dashed: bool = False) -> None:
    style = {"->": "-|>", "--": "-", "<->": "<|-|>"}.get(kind, "-")
    ax.annotate("", xy=q, xytext=p, arrowprops={
        "arrowstyle": style, "color": color, "lw": width, "shrinkA": 14, "shrinkB": 14,
        "linestyle": "--" if dashed else "-", "connectionstyle": "arc3,rad=0.08"})


def discovery_body(d: Mapping[str, Any], key: str = "discovered") -> str:
    """The HTML of a discovered graph: heading, settings, plot, edges, comparison."""
    boot = d.get("n_bootstrap") or 0
    out = [f"<h2>Discovered structure ({esc(str(d.get('method', '')).upper())})</h2>",
           note(f"{esc(d.get('rows'))} rows; "
                + (f"stability: share of {boot} resamples that keep each edge"
                   if boot else "no bootstrap (stability not measured)")
                + (f"; time context: {esc(d.get('time_context'))}"
                   if d.get("time_context") else "")),
           plot(graph_svg, d, key=key)]
    rows = [[esc(e.get("source")), esc(e.get("kind")), esc(e.get("target")),
             "yes" if e.get("found") else "resamples only", fmt(e.get("stability")),
             fmt(e.get("same_direction")), fmt(e.get("reverse_direction"))]
            for e in d.get("edges") or []]
    out.append(table(["source", "", "target", "in graph", "stability", "this way",
                      "reversed"], rows, left=4))
    c = d.get("comparison")
    if c:
        out.append(f"<h3>Against the declared DAG {esc((d.get('dag') or {}).get('name'))}"
                   f"</h3>")
        out.append(table(["skeleton precision", "recall", "orientation accuracy", "SHD"],
                         [[fmt(c.get("skeleton_precision")), fmt(c.get("skeleton_recall")),
                           fmt(c.get("orientation_accuracy")), fmt(c.get("shd"))]]))
        for k, what in (("missing", "Declared, not found"), ("extra", "Found, not declared"),
                        ("reversed", "Found reversed")):
            if c.get(k):
                out.append(f"<p>{what}: " + ", ".join(esc(" ".join(map(str, e)))
                                                       for e in c[k]) + "</p>")
    out.append(f"<pre>{esc(d.get('summary', ''))}</pre>")
    return "".join(out)


def render_discovery(d: Mapping[str, Any]) -> str:
    """A whole HTML page for a ``DiscoveredGraph.to_dict()``."""
    return page(discovery_body(d), f"causalsynth discovery: {d.get('method', '')}")


def structure_body(section: Mapping[str, Any] | None, key: str = "structure") -> str:
    """The HTML of a report's ``structure`` section ("" when the report has none).

    >>> html = structure_body({"judged": False, "skipped": "too few rows"})
    >>> "not part of the verdict" in html, "too few rows" in html
    (True, True)
    """
    if not section:
        return ""
    out = ["<h2 id='structure'>Discovered structure (informational)</h2>", note(
        f"The graph {esc(str(section.get('method') or '').upper())} discovers on the real "
        "table against the one it discovers on the synthetic table, with the DAG's roles as "
        "knowledge: edges the synthetic table lost, gained or reoriented, each with its "
        "stability (share of half tables whose graph keeps it). The split-half reference "
        "shows what sampling noise alone does. This section is not part of the verdict.")]
    if section.get("error"):
        return "".join(out) + (f"<p class='err'>structure discovery failed: "
                               f"{esc(section['error'])}</p>")
    if section.get("skipped"):
        return "".join(out) + note(f"skipped: {esc(section['skipped'])}")
    ref = section.get("reference") or {}
    rows_n = section.get("rows") or {}
    lines = [["real vs synthetic graph", f"{fmt(rows_n.get('real'))} / "
              f"{fmt(rows_n.get('synthetic'))}", fmt(section.get("shd")),
              *(fmt(len(section.get(k) or [])) for k in ("lost", "gained", "reoriented"))]]
    halves = f"{fmt(ref.get('rows'))} / {fmt(ref.get('rows'))}"
    for what, k in (("real half vs real half", "shd"), ("synthetic half vs synthetic half",
                    "synthetic_shd"), ("real half vs synthetic half", "cross_shd")):
        if ref.get(k):
            lines.append([f"{what} ({fmt(len(ref[k]))} pairs)", halves,
                          f"{fmt(min(ref[k]))} to {fmt(max(ref[k]))}", "", "", ""])
    out.append(table(["comparison", "rows", "SHD", "lost", "gained", "reoriented"], lines))
    within = section.get("within_reference")
    out.append(note(f"split-half reference skipped: {esc(ref['skipped'])}" if ref.get("skipped")
                    else "within the split-half reference (every difference also appears "
                    "between the two halves of one split, of either table: noise alone moves "
                    "it): " + ("yes" if within else "no")))
    graph = {"nodes": section.get("nodes") or [], "knowledge": {"tiers": section.get("tiers")},
             "dag": {"edges": [[e["source"], e["target"]]
                               for e in section.get("real_edges") or []]},
             "edges": [{**e, "found": True} for e in section.get("synthetic_edges") or []]}
    out.append(plot(graph_svg, graph, key=key))
    out.append(note("Blue: found on both tables; orange: found on the synthetic table only; "
                    "dashed grey: found on the real table only. Numbers: stability on the "
                    "synthetic table."))
    diffs, classes = [], []
    for kind in ("lost", "gained", "reoriented"):
        for e in section.get(kind) or []:
            seen = e.get("between_halves")
            diffs.append([esc(kind), esc(e.get("real") or "–"), esc(e.get("synthetic") or "–"),
                          fmt(e.get("real_stability"), pct=True),
                          fmt(e.get("synthetic_stability"), pct=True),
                          "–" if seen is None else "yes" if seen else "no"])
            classes.append("bad" if seen is False else "")
    if diffs:
        out.append(table(["change", "real table", "synthetic table", "stability (real)",
                          "stability (synthetic)", "also between halves"], diffs, left=3,
                         row_classes=classes))
    return "".join(out)
