"""Background knowledge for causal discovery, from the declared roles and the DAG's
``discovery`` block, as causal-learn's ``BackgroundKnowledge``.

Roles give tiers: context (0) → spend and treatment (1) → mediator (2) → outcome (3). An edge
may point up the tiers or within one, never down: spend does not cause market demand, and
the outcome causes nothing (it sits alone in the top tier, where edges within the tier are
forbidden). The DAG file adds explicit forbidden and required edges
(:mod:`causalsynth._discovery_block`). The declared edges themselves are *not* knowledge:
discovery must find them in the data.

Examples
--------
>>> from causalsynth import load_dag
>>> k = knowledge_from_dag(load_dag("acquisition"))
>>> k.allows("demand", "revenue"), k.allows("revenue", "demand"), k.allows("tv_spend", "demand")
(True, False, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from causalsynth.errors import DAGError

__all__ = ["TIERS", "Knowledge", "knowledge_from_dag"]

#: tier of each role: edges go from a lower tier to a higher one, or within a tier
TIERS = {"context": 0, "spend": 1, "treatment": 1, "mediator": 2, "outcome": 3}


@dataclass(frozen=True)
class Knowledge:
    """Tiers (node -> tier; None: no roles), forbidden and required ``(cause, effect)`` edges."""

    nodes: tuple[str, ...]
    tiers: dict[str, int] | None = None
    forbidden: tuple[tuple[str, str], ...] = ()
    required: tuple[tuple[str, str], ...] = ()
    #: tiers in which an edge between two nodes of the tier is forbidden (the outcome's)
    closed_tiers: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return self.tiers is None and not self.forbidden and not self.required

    def allows(self, a: str, b: str) -> bool:
        """May the edge ``a -> b`` exist?"""
        if (a, b) in self.forbidden:
            return False
        if self.tiers is not None:
            ta, tb = self.tiers[a], self.tiers[b]
            if ta > tb or (ta == tb and ta in self.closed_tiers):
                return False
        return True

    def to_causallearn(self):
        """The same knowledge as a causal-learn ``BackgroundKnowledge`` (nodes by name)."""
        from causallearn.graph.GraphNode import GraphNode
        from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

        bk = BackgroundKnowledge()
        node = {n: GraphNode(n) for n in self.nodes}
        if self.tiers is not None:
            for n, t in self.tiers.items():
                bk.add_node_to_tier(node[n], t)
            bk.forbidden_within_tiers.update(self.closed_tiers)
        for a, b in self.forbidden:
            bk.add_forbidden_by_node(node[a], node[b])
        for a, b in self.required:
            bk.add_required_by_node(node[a], node[b])
        return bk

    def lingam_prior(self) -> np.ndarray:
        """DirectLiNGAM's prior-knowledge matrix: ``pk[i, j] = 0`` when ``j`` can have no
        directed path to ``i`` (a lower tier), 1 for a required edge ``j -> i``, -1 unknown.
        Explicit forbidden edges are not paths and are removed after the fit instead."""
        index = {n: i for i, n in enumerate(self.nodes)}
        pk = -np.ones((len(self.nodes), len(self.nodes)))
        if self.tiers is not None:
            for a in self.nodes:
                for b in self.nodes:
                    if a != b and self.tiers[a] > self.tiers[b]:
                        pk[index[b], index[a]] = 0
        for a, b in self.required:
            pk[index[b], index[a]] = 1
        return pk


def knowledge_from_dag(dag, nodes: list[str] | None = None, roles: bool = True,
                       exogenous: frozenset[str] = frozenset()) -> Knowledge:
    """The background knowledge of a DAG's roles (``roles``) and ``discovery`` block;
    ``exogenous`` nodes (time nodes: functions of the calendar) get no parents.

    Raises :class:`~causalsynth.errors.DAGError` when a required edge points down the tiers
    (e.g. from the outcome), which the roles forbid.
    """
    nodes = list(dag.nodes if nodes is None else nodes)
    tiers = {n: TIERS[dag.node(n).role] for n in nodes} if roles else None
    block = getattr(dag, "discovery", None)
    forbidden = tuple(block.forbidden) if block is not None else ()
    forbidden += tuple((a, b) for b in nodes if b in exogenous for a in nodes
                       if a != b and (a, b) not in forbidden)
    required = tuple(block.required) if block is not None else ()
    closed = frozenset({TIERS["outcome"]}) if roles else frozenset()
    out = Knowledge(tuple(nodes), tiers, forbidden, required, closed)
    bad = [(a, b) for a, b in required if not Knowledge(tuple(nodes), tiers, (), (), closed
                                                        ).allows(a, b)]
    if bad:
        a, b = bad[0]
        raise DAGError(f"discovery.required edge {a} -> {b} goes against the roles "
                       f"({a} is {dag.node(a).role}, {b} is {dag.node(b).role}; edges go "
                       f"context -> spend -> mediator -> outcome and the outcome causes "
                       f"nothing): reverse it, drop it, or change a role")
    graph = nx.DiGraph(required)
    if not nx.is_directed_acyclic_graph(graph):  # load_dag refuses these; dicts built by hand
        cycle = " -> ".join(u for u, _ in nx.find_cycle(graph))
        raise DAGError(f"discovery.required edges form a cycle ({cycle}); drop one")
    return out
