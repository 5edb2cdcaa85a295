"""Edges of a discovered graph, their bootstrap stability, and its distance to a DAG.

Edges are rows ``source``, ``target``, ``kind`` (``"->"`` directed, ``"--"`` adjacent but not
oriented, ``"<->"`` conflicting orientations), read from causal-learn's endpoint matrix.
Recovery against a DAG (:func:`compare_to_dag`): skeleton precision and recall (adjacencies),
orientation accuracy (of the DAG's edges found, the share pointing the DAG's way; an edge left
unoriented counts as not oriented right) and the structural Hamming distance of causal-learn
(``causallearn.graph.SHD``: node pairs whose endpoints differ).

Examples
--------
>>> import numpy as np
>>> m = np.array([[0, -1, 0], [1, 0, -1], [0, -1, 0]])     # a -> b -- c
>>> edges_from_matrix(m, ("a", "b", "c"))
[('a', 'b', '->'), ('b', 'c', '--')]
>>> compare_to_dag(edges_from_matrix(m, ("a", "b", "c")), ("a", "b", "c"),
...                [("a", "b"), ("b", "c")])["orientation_accuracy"]
0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["compare_graphs", "compare_to_dag", "edges_from_matrix", "pair_counts",
           "stability_rows"]

Edge = tuple[str, str, str]


def edges_from_matrix(m: np.ndarray, nodes: Sequence[str]) -> list[Edge]:
    """(source, target, kind) of every adjacency, in node order."""
    out = []
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            if m[i, j] == 0 and m[j, i] == 0:
                continue
            if m[j, i] == 1 and m[i, j] == -1:
                out.append((nodes[i], nodes[j], "->"))
            elif m[i, j] == 1 and m[j, i] == -1:
                out.append((nodes[j], nodes[i], "->"))
            elif m[i, j] == 1 and m[j, i] == 1:
                out.append((nodes[i], nodes[j], "<->"))
            else:
                out.append((nodes[i], nodes[j], "--"))
    return out


def pair_counts(runs: Iterable[list[Edge]]) -> dict[frozenset, dict[str, int]]:
    """Per node pair, over several runs: how often adjacent and oriented each way."""
    counts: dict[frozenset, dict[str, int]] = {}
    for edges in runs:
        for a, b, kind in edges:
            c = counts.setdefault(frozenset((a, b)), {"adjacent": 0})
            c["adjacent"] += 1
            key = f"{a}->{b}" if kind == "->" else kind
            c[key] = c.get(key, 0) + 1
    return counts


def stability_rows(edges: list[Edge], counts: dict[frozenset, dict[str, int]],
                   n_runs: int, min_share: float = 0.2) -> list[dict]:
    """One row per edge of the graph, then per pair kept in at least ``min_share`` of the
    resamples without being in the graph (``found`` False). ``stability``: share of resamples
    adjacent; ``same_direction``: share oriented as in the row (source -> target)."""
    rows, seen = [], set()

    def row(a, b, kind, found):
        c = counts.get(frozenset((a, b)), {})
        share = (lambda k: c.get(k, 0) / n_runs) if n_runs else (lambda k: None)
        return {"source": a, "target": b, "kind": kind, "found": found,
                "stability": share("adjacent"),
                "same_direction": share(f"{a}->{b}"), "reverse_direction": share(f"{b}->{a}")}

    for a, b, kind in edges:
        seen.add(frozenset((a, b)))
        rows.append(row(a, b, kind, True))
    for pair, c in sorted(counts.items(), key=lambda kv: -kv[1]["adjacent"]):
        if pair in seen or not n_runs or c["adjacent"] / n_runs < min_share:
            continue
        a, b = sorted(pair)
        if c.get(f"{b}->{a}", 0) > c.get(f"{a}->{b}", 0):
            a, b = b, a
        rows.append(row(a, b, "--", False))
    return rows


def _general_graph(nodes: Sequence[str], edges: Iterable[Edge]):
    from causallearn.graph.Edge import Edge as ClEdge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    node = {n: GraphNode(n) for n in nodes}
    g = GeneralGraph(list(node.values()))
    ends = {"->": (Endpoint.TAIL, Endpoint.ARROW), "--": (Endpoint.TAIL, Endpoint.TAIL),
            "<->": (Endpoint.ARROW, Endpoint.ARROW)}
    for a, b, kind in edges:
        g.add_edge(ClEdge(node[a], node[b], *ends[kind]))
    return g


def compare_to_dag(edges: list[Edge], nodes: Sequence[str],
                   dag_edges: Iterable[tuple[str, str]]) -> dict:
    """Skeleton precision / recall / F1, orientation accuracy, SHD, and the disagreements.

    ``missing``: DAG edges not found; ``extra``: found adjacencies the DAG lacks;
    ``reversed``: DAG edges found pointing the other way; ``unoriented``: DAG edges found
    without a direction.
    """
    from causallearn.graph.SHD import SHD

    true = [tuple(e) for e in dag_edges]
    true_pairs = {frozenset(e) for e in true}
    found = {frozenset((a, b)): (a, b, k) for a, b, k in edges}
    hits = [e for e in true if frozenset(e) in found]
    right = [e for e in hits if found[frozenset(e)][2] == "->" and found[frozenset(e)][:2] == e]
    wrong = [e for e in hits if found[frozenset(e)][2] == "->" and found[frozenset(e)][:2] != e]
    precision = len(hits) / len(found) if found else None
    recall = len(hits) / len(true) if true else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision and recall else (0.0 if found and true else None))
    shd = SHD(_general_graph(nodes, ((a, b, "->") for a, b in true)),
              _general_graph(nodes, edges)).get_shd()
    return {
        "skeleton_precision": precision, "skeleton_recall": recall, "skeleton_f1": f1,
        "orientation_accuracy": len(right) / len(hits) if hits else None,
        "oriented_right": len(right), "true_edges": len(true), "found_edges": len(found),
        "shd": int(shd),
        "missing": [list(e) for e in true if frozenset(e) not in found],
        "extra": [[a, b, k] for p, (a, b, k) in found.items() if p not in true_pairs],
        "reversed": [list(e) for e in wrong],
        "unoriented": [list(e) for e in hits if found[frozenset(e)][2] != "->"],
    }


def _mark(edge: Edge) -> tuple[str, str, str]:
    """An edge in one spelling: ``a -> b`` as is, an unoriented or conflicting one sorted."""
    a, b, kind = edge
    return (a, b, kind) if kind == "->" else (*sorted((a, b)), kind)


def compare_graphs(first: list[Edge], second: list[Edge], nodes: Sequence[str]) -> dict:
    """How ``second`` differs from ``first`` (two discovered graphs on the same nodes).

    ``lost``: adjacencies of ``first`` that ``second`` lacks; ``gained``: the reverse;
    ``reoriented``: pairs adjacent in both with other marks (``[a, b, kind in first, kind
    in second]`` as ``first`` spells the pair); ``shd``: causal-learn's structural Hamming
    distance, node pairs whose endpoints differ (the three lists' lengths summed).

    >>> d = compare_graphs([("a", "b", "->"), ("b", "c", "--")],
    ...                    [("b", "a", "->"), ("a", "c", "->")], ("a", "b", "c"))
    >>> d["shd"], d["lost"], d["gained"], d["reoriented"]
    (3, [['b', 'c', '--']], [['a', 'c', '->']], [['a', 'b', '->', 'b -> a']])
    """
    from causallearn.graph.SHD import SHD

    one = {frozenset(e[:2]): _mark(e) for e in first}
    two = {frozenset(e[:2]): _mark(e) for e in second}
    flip = [[*one[p], f"{two[p][0]} {two[p][2]} {two[p][1]}"] for p in one
            if p in two and one[p] != two[p]]
    shd = SHD(_general_graph(nodes, first), _general_graph(nodes, second)).get_shd()
    return {"shd": int(shd), "lost": [list(e) for p, e in one.items() if p not in two],
            "gained": [list(e) for p, e in two.items() if p not in one], "reoriented": flip}
