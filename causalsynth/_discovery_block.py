"""The ``discovery`` block of a DAG file: edges the analyst forbids or requires in discovery.

Causal discovery (:func:`causalsynth.discover`) takes background knowledge from the nodes'
roles; a DAG file may add edges it knows to be absent or present::

    discovery:
      forbidden: [[revenue, tv_spend], [print_S, search_S]]   # never a -> b
      required: [[newsletter, search_S]]                       # always a -> b

Each pair is ``[cause, effect]`` of declared nodes. The block must agree with the DAG it sits
in: a forbidden edge that the DAG declares, or required edges that close a cycle (with each
other or with the declared edges), are refused with the other problems of the file.

Examples
--------
>>> problems = []
>>> block = parse_discovery({"required": [["a", "b"]]}, {"a": (), "b": ()}, problems)
>>> block.required, problems
((('a', 'b'),), [])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from causalsynth.errors import excerpt

__all__ = ["DiscoveryBlock", "parse_discovery"]

_KEYS = ("forbidden", "required")


@dataclass(frozen=True)
class DiscoveryBlock:
    """Edges forbidden and required in discovery, each a ``(cause, effect)`` pair."""

    forbidden: tuple[tuple[str, str], ...] = ()
    required: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, list[list[str]]]:
        """The block as written in a DAG file (empty lists left out)."""
        return {k: [list(p) for p in getattr(self, k)] for k in _KEYS if getattr(self, k)}


def _pairs(raw: Any, key: str, names: set[str], problems: list[str]) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"discovery.{key} must be a list of [cause, effect] pairs; got "
                        f"{excerpt(raw)}")
        return []
    out = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2
                and all(isinstance(v, str) for v in item)):
            problems.append(f"discovery.{key}: each item must be a [cause, effect] pair of node "
                            f"names, e.g. [tv_spend, revenue]; got {excerpt(item)}")
            continue
        unknown = [v for v in item if v not in names]
        if unknown:
            problems.append(f"discovery.{key}: {excerpt(unknown[0])} in {excerpt(item)} is not a "
                            f"declared node; use one of {', '.join(sorted(names))}")
        elif item[0] == item[1]:
            problems.append(f"discovery.{key}: {excerpt(item)} joins a node to itself; give "
                            f"two different nodes")
        else:
            out.append((item[0], item[1]))
    return list(dict.fromkeys(out))


def parse_discovery(raw: Any, parents: Mapping[str, tuple[str, ...]], problems: list[str]
                    ) -> DiscoveryBlock | None:
    """The ``discovery`` block checked against the declared nodes and their ``parents``
    (node -> parents); every problem is appended to ``problems``. None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"'discovery' must be a mapping with 'forbidden' and/or 'required' "
                        f"lists of [cause, effect] pairs; got {excerpt(raw)}")
        return None
    for key in raw:
        if key not in _KEYS:
            problems.append(f"discovery has unknown key {excerpt(key)}; allowed: "
                            f"{', '.join(_KEYS)}")
    names = set(parents)
    forbidden = _pairs(raw.get("forbidden"), "forbidden", names, problems)
    required = _pairs(raw.get("required"), "required", names, problems)
    declared = {(p, n) for n, ps in parents.items() for p in ps}
    for a, b in forbidden:
        if (a, b) in declared:
            problems.append(f"discovery.forbidden lists {a} -> {b}, an edge the DAG declares "
                            f"({b} has parent {a}); remove it from the parents of {b} or from "
                            f"discovery.forbidden")
        if (a, b) in required:
            problems.append(f"{a} -> {b} is both forbidden and required in 'discovery'; keep "
                            f"it in one list")
    graph = nx.DiGraph(list(declared | set(required)))
    for a, b in required:
        if graph.has_edge(b, a) or (graph.has_node(b) and nx.has_path(graph, b, a)):
            path = nx.shortest_path(graph, b, a)
            problems.append(f"discovery.required edge {a} -> {b} closes the cycle "
                            f"{' -> '.join([a, *path])} with the declared and required edges; "
                            f"a DAG cannot have cycles: drop the required edge or reverse it")
    return DiscoveryBlock(tuple(forbidden), tuple(required))
