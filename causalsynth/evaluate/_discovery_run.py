"""One run of a causal-learn discovery algorithm on a prepared table, knowledge applied.

Each runner returns causal-learn's endpoint matrix ``G`` (``G[j, i] = 1`` and ``G[i, j] = -1``:
``i -> j``; both -1: ``i -- j``; both 1: ``i <-> j``), nodes in the prepared table's order.

* PC (``causallearn.search.ConstraintBased.PC.pc``) with ``check_dag``'s test
  (:class:`~causalsynth.evaluate._discovery_data.GCMTest`) and the roles as
  ``BackgroundKnowledge``;
* GES (``causallearn.search.ScoreBased.GES.ges``, BIC) on the time-adjusted matrix; causal-learn's
  GES takes no knowledge, so it is applied to GES's equivalence class afterwards;
* DirectLiNGAM (``causallearn.search.FCMBased.lingam``) with the tiers as its prior knowledge.

After each, :func:`enforce` makes the graph agree with the knowledge the way causal-learn's PC
does (``orient_by_background_knowledge`` then Meek's rules), and also where the algorithm
cannot take knowledge: an edge forbidden both ways is removed, one oriented against the tiers
is reversed, a required edge that the data dropped is put back.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
from causallearn.graph.Edge import Edge
from causallearn.graph.Endpoint import Endpoint
from causallearn.graph.GraphClass import CausalGraph
from causallearn.search.ConstraintBased.PC import pc
from causallearn.search.FCMBased.lingam import DirectLiNGAM
from causallearn.search.ScoreBased.GES import ges
from causallearn.utils.PCUtils import Meek
from causallearn.utils.PCUtils.BackgroundKnowledgeOrientUtils import (
    orient_by_background_knowledge,
)

from causalsynth.evaluate._discovery_data import CIT_NAME, Prepared, score_matrix
from causalsynth.evaluate._discovery_knowledge import Knowledge

__all__ = ["METHODS", "baseline", "run"]

METHODS = ("pc", "ges", "lingam")
_END = {-1: Endpoint.TAIL, 1: Endpoint.ARROW}


@contextlib.contextmanager
def _quiet():
    """causal-learn prints and warns freely; keep its chatter off the user's terminal."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _graph(matrix: np.ndarray, nodes) -> CausalGraph:
    """A causal-learn ``CausalGraph`` holding the edges of an endpoint matrix."""
    cg = CausalGraph(len(nodes), list(nodes))
    g = cg.G
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            g.remove_edge(g.get_edge(g.nodes[i], g.nodes[j]))
            if matrix[i, j] != 0 or matrix[j, i] != 0:  # [i, j]: the endpoint at i
                g.add_edge(Edge(g.nodes[i], g.nodes[j], _END[int(matrix[i, j])],
                                _END[int(matrix[j, i])]))
    return cg


def enforce(matrix: np.ndarray, knowledge: Knowledge) -> np.ndarray:
    """``matrix`` made to agree with ``knowledge`` (see the module notes)."""
    if knowledge.empty:
        return matrix
    nodes = knowledge.nodes
    m = np.array(matrix, dtype=int)
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i >= j or m[i, j] == 0:
                continue
            ab, ba = knowledge.allows(a, b), knowledge.allows(b, a)
            if not ab and not ba:
                m[i, j] = m[j, i] = 0
            elif ab and not ba and not (m[j, i] == 1 and m[i, j] == -1):
                m[j, i], m[i, j] = 1, -1
            elif ba and not ab and not (m[i, j] == 1 and m[j, i] == -1):
                m[i, j], m[j, i] = 1, -1
    for a, b in knowledge.required:
        i, j = nodes.index(a), nodes.index(b)
        m[j, i], m[i, j] = 1, -1
    cg = _graph(m, nodes)
    bk = knowledge.to_causallearn()
    orient_by_background_knowledge(cg, bk)
    return np.array(Meek.meek(cg, background_knowledge=bk).G.graph, dtype=int)


def run(method: str, prep: Prepared, knowledge: Knowledge, alpha: float, threshold: float,
        max_depth: int | None, seed: int) -> tuple[np.ndarray, int]:
    """(endpoint matrix, number of conditional-independence tests run) of one ``method``."""
    with _quiet():
        if method == "pc":
            bk = None if knowledge.empty else knowledge.to_causallearn()
            cg = pc(prep.matrix, alpha=alpha, indep_test=CIT_NAME, background_knowledge=bk,
                    show_progress=False, node_names=list(prep.nodes), max_k=max_depth,
                    prepared=prep, threshold=threshold,
                    tiers=None if knowledge.tiers is None else
                    [knowledge.tiers[n] for n in prep.nodes])
            return enforce(cg.G.graph, knowledge), len(cg.test.results)
        if method == "ges":
            record = ges(score_matrix(prep), node_names=list(prep.nodes))
            return enforce(record["G"].graph, knowledge), 0
        model = DirectLiNGAM(random_state=seed, prior_knowledge=(
            None if knowledge.empty else knowledge.lingam_prior()))
        model.fit(score_matrix(prep))
        return enforce(_from_adjacency(model.adjacency_matrix_), knowledge), 0


def _from_adjacency(b: np.ndarray) -> np.ndarray:
    """LiNGAM's ``B[target, cause] != 0`` as an endpoint matrix of directed edges."""
    m = np.zeros(b.shape, dtype=int)
    for target, cause in zip(*np.nonzero(np.abs(b) > 0), strict=True):
        if target != cause:
            m[target, cause], m[cause, target] = 1, -1
    return m


def baseline(method: str, matrix: np.ndarray, nodes) -> np.ndarray:
    """causal-learn's PC (Fisher z, alpha 0.05) or GES (BIC) at its defaults, on the codes."""
    with _quiet():
        if method == "pc":
            return np.array(pc(matrix, show_progress=False, node_names=list(nodes)).G.graph)
        return np.array(ges(matrix, node_names=list(nodes))["G"].graph)
