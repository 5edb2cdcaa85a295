"""What to change in a DAG the data contradict: edges to add (or remove), ranked by evidence.

``check_dag(..., suggest=True)`` and :func:`suggest_edges` try, for every failed implied
independence ``x ⊥ y | given``, the edge ``x -> y`` and the edge ``y -> x`` (each only where
the roles allow it, the DAG's ``discovery.forbidden`` does not forbid it and no cycle follows),
re-test the independences that the DAG with that one edge added implies (the same test, rows
and claim budget as the check), and rank the candidates by how many of the failures they
resolve less the new failures they bring, then by the failures left, then by the strength of
the dependence they explain. A declared edge is suggested for *removal* when the DAG without
it implies no failing independence the DAG with it does not and the claim it adds, ``parent ⊥
child | other parents``, has an effect below the threshold: the data show no dependence that
needs the edge. Additions come first: they resolve failures; removals only simplify.

Examples
--------
>>> import causalsynth as cs
>>> dag = cs.load_dag("acquisition")
>>> spec = dag.to_dict(); spec["nodes"][3]["parents"] = ["demand", "social_spend"]
>>> check = cs.check_dag(dag.simulate(3000, seed=0), spec, seed=0, suggest=True,
...                      n_permutations=2)                              # doctest: +SKIP
>>> check.suggestions.iloc[0]["edge"]                                  # doctest: +SKIP
'tv_spend -> organic_clicks'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from causalsynth.dag import DAG, load_dag
from causalsynth.evaluate._discovery_knowledge import knowledge_from_dag
from causalsynth.evaluate.independence import DAGCheck, independence_tests

__all__ = ["SUGGESTION_COLUMNS", "SuggestedCheck", "suggest_edges", "with_suggestions"]

SUGGESTION_COLUMNS = ["action", "edge", "source", "target", "resolves", "new_failures",
                      "violations_after", "effect", "p_value", "evidence"]
#: most declared edges tried for removal (each costs one pass of the tests)
MAX_REMOVALS = 40


def _variant(dag: DAG, add: tuple[str, str] | None = None,
             drop: tuple[str, str] | None = None) -> DAG:
    """The DAG with one edge added or removed (no simulation block: it would not fit)."""
    spec = dag.to_dict()
    spec.pop("simulation", None)
    spec.pop("discovery", None)
    for node in spec["nodes"]:
        parents = list(node.get("parents", []))
        if add is not None and node["name"] == add[1]:
            parents.append(add[0])
        if drop is not None and node["name"] == drop[1]:
            parents.remove(drop[0])
        node["parents"] = parents
    return load_dag(spec)


def _key(row) -> tuple[str, str, tuple[str, ...]]:
    return (row.x, row.y, tuple(row.given))


def _failures(table: pd.DataFrame) -> dict:
    return {_key(r): r for r in table.itertuples() if not r.holds}


def suggest_edges(check: DAGCheck, data: pd.DataFrame, dag, seed: int = 0,
                  max_claims: int | None = 200, time_aware: bool = False,
                  removals: bool = True) -> pd.DataFrame:
    """Edges whose addition (or removal) resolves the failed independences of ``check``.

    Returns one row per candidate (columns ``action`` "add" / "remove", ``edge``, ``source``,
    ``target``, ``resolves``: failed claims that hold with the change, ``new_failures``,
    ``violations_after``, ``effect`` and ``p_value`` of the evidence, ``evidence`` in words),
    best first. ``seed`` must be the integer seed the tests use, so that every variant is
    tested on the same rows.
    """
    dag = load_dag(dag)
    known = knowledge_from_dag(dag)
    graph = dag.to_networkx()
    rows: list[dict[str, Any]] = []

    def retest(variant: DAG) -> pd.DataFrame:
        return independence_tests(data, variant, threshold=check.threshold, seed=seed,
                                  max_claims=max_claims, progress=False,
                                  time_aware=time_aware)

    failed = _failures(retest(dag))  # the check's failures, on the rows every variant uses

    tried = set()
    for (x, y, _), r in failed.items():
        for a, b in ((x, y), (y, x)):
            if (a, b) in tried or graph.has_edge(a, b) or not known.allows(a, b) or (
                    nx.has_path(graph, b, a)):
                continue
            tried.add((a, b))
            after = _failures(retest(_variant(dag, add=(a, b))))
            resolved = [k for k in failed if k not in after]
            new = [k for k in after if k not in failed]
            explained = [failed[k] for k in resolved]
            rows.append({
                "action": "add", "edge": f"{a} -> {b}", "source": a, "target": b,
                "resolves": len(resolved), "new_failures": len(new),
                "violations_after": len(after), "effect": max(
                    (f.effect for f in explained), default=r.effect),
                "p_value": min((f.p_value for f in explained), default=r.p_value),
                "evidence": (f"resolves {len(resolved)} of {len(failed)} failed "
                             f"independences (" + "; ".join(
                                 _claim(k, failed[k]) for k in resolved[:3])
                             + (f"; +{len(resolved) - 3} more" if len(resolved) > 3 else "")
                             + f"), {len(new)} new failure(s)")})
    if removals and len(dag.edges) <= MAX_REMOVALS:
        rows += _removals(dag, failed, retest, check.threshold)
    out = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)
    if out.empty:
        return out
    out["_net"] = out["resolves"] - out["new_failures"]
    out["_add"] = out["action"] == "add"
    out = out.sort_values(["_add", "_net", "violations_after", "effect"],
                          ascending=[False, False, True, False], kind="stable")
    return out.drop(columns=["_net", "_add"]).reset_index(drop=True)


def _claim(key, row) -> str:
    x, y, given = key
    cond = f" | {', '.join(given)}" if given else ""
    return f"{x} ⊥ {y}{cond}: effect {row.effect:.2f}, p = {row.p_value:.2g}"


def _removals(dag: DAG, failed: dict, retest, threshold: float) -> list[dict[str, Any]]:
    """Declared edges the data do not need: dropping one adds no failed independence, and
    the claim it adds shows a negligible effect (below ``threshold``, whatever its p-value:
    a large effect that is merely not significant is no evidence of absence)."""
    rows = []
    for a, b in dag.edges:
        table = retest(_variant(dag, drop=(a, b)))
        after = _failures(table)
        if [k for k in after if k not in failed]:
            continue
        new = table[((table["x"] == a) & (table["y"] == b)) | ((table["x"] == b)
                                                                & (table["y"] == a))]
        if new.empty:
            continue
        r = next(new.itertuples())
        if r.effect >= threshold:
            continue
        rows.append({"action": "remove", "edge": f"{a} -> {b}", "source": a, "target": b,
                     "resolves": len(failed) - len(after), "new_failures": 0,
                     "violations_after": len(after), "effect": r.effect, "p_value": r.p_value,
                     "evidence": f"without it the DAG claims {_claim(_key(r), r)}: no "
                                 f"dependence as large as {threshold} in the data"})
    return rows


@dataclass(repr=False)
class SuggestedCheck(DAGCheck):
    """A :class:`~causalsynth.evaluate.independence.DAGCheck` with ranked edge suggestions
    (``suggestions``: see :func:`suggest_edges`)."""

    suggestions: pd.DataFrame | None = None

    def summary(self) -> str:
        text = super().summary()
        s = self.suggestions
        if s is None:
            return text
        if s.empty:
            return text + "\nsuggestions: no single edge to add or remove changes the result"
        lines = ["suggestions (best first):"]
        for i, r in enumerate(s.head(10).itertuples(), 1):
            lines.append(f"  {i}. {r.action} {r.edge}: {r.evidence}")
        return text + "\n" + "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        from causalsynth.evaluate.metric import jsonable

        return {**super().to_dict(), "suggestions": jsonable(self.suggestions),
                "summary": self.summary()}


def with_suggestions(check: DAGCheck, data: pd.DataFrame, dag, seed: int,
                     max_claims: int | None, time_aware: bool) -> SuggestedCheck:
    """``check`` with its ranked suggestions (none are searched when it passed)."""
    suggestions = (pd.DataFrame(columns=SUGGESTION_COLUMNS) if check.violations.empty else
                   suggest_edges(check, data, dag, seed=seed, max_claims=max_claims,
                                 time_aware=time_aware))
    return SuggestedCheck(**{f: getattr(check, f) for f in check.__dataclass_fields__},
                          suggestions=suggestions)
