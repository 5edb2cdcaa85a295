"""The declared marketing DAG: load and validate YAML, node types and roles, graph views.

A DAG file names every node with its type and role, and lists each node's parents::

    name: acquisition
    description: Brand TV and social spend drive clicks, clicks drive revenue.
    nodes:
      - name: demand
        type: continuous          # continuous | count | binary | categorical
        role: context             # spend | treatment | outcome | mediator | context
      - name: tv_spend
        type: continuous
        role: spend
      - name: revenue
        type: continuous
        role: outcome
        parents: [demand, tv_spend]
    simulation:                   # optional: how to generate data with known truth
      ...                         # see causalsynth.simulation
    time: {index: week, period: 52}   # optional: rows are weekly (causalsynth._time_block)

YAML text is data: it is parsed by a restricted ``yaml.SafeLoader`` and never evaluated;
repeated keys, alias bombs, deep nesting and huge files are refused, and names and labels are
read as the text written (a category ``NO`` stays ``'NO'``). See :mod:`causalsynth._yaml`.

The built-in DAGs are the files in ``dags/`` (shipped as the package ``causalsynth.dags``);
:func:`builtin_dags` lists them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import yaml

from causalsynth._discovery_block import DiscoveryBlock, parse_discovery
from causalsynth._simulation_block import check_simulation
from causalsynth._time_block import TimeAxis, parse_time
from causalsynth._yaml import read_dag_source
from causalsynth.errors import DAGError, excerpt

if TYPE_CHECKING:  # annotations only: simulation is imported when a method runs
    import numpy as np
    import pandas as pd

    from causalsynth.simulation import GroundTruth

__all__ = ["DAG", "NODE_TYPES", "ROLES", "Node", "builtin_dags", "load_dag"]

NODE_TYPES = ("continuous", "count", "binary", "categorical")
ROLES = ("spend", "treatment", "outcome", "mediator", "context")
TREATMENT_ROLES = ("spend", "treatment")
_TOP_KEYS = {"name", "description", "nodes", "simulation", "time", "discovery"}
_NODE_KEYS = {"name", "type", "role", "parents", "categories", "description", "unit", "range"}


@dataclass(frozen=True)
class Node:
    """One declared node: its name, type, role, parents and (for categorical) categories."""

    name: str
    type: str
    role: str = "context"
    parents: tuple[str, ...] = ()
    categories: tuple[str, ...] | None = None
    description: str = ""
    unit: str = ""
    #: declared bounds of a numeric node's values (lowest, highest), used by differentially
    #: private fits only (``causal`` with ``epsilon=``): they clip into it and report the share
    #: of rows outside; non-private fits and ``simulate`` ignore it. None when not declared
    range: tuple[float, float] | None = None

    @property
    def is_numeric(self) -> bool:
        """Continuous and count nodes hold numbers; binary and categorical hold labels."""
        return self.type in ("continuous", "count")

    def to_dict(self) -> dict[str, Any]:
        """The node as written in a DAG file (keys left at their default are omitted)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "role": self.role}
        if self.parents:
            out["parents"] = list(self.parents)
        if self.categories is not None:
            out["categories"] = list(self.categories)
        if self.description:
            out["description"] = self.description
        if self.unit:
            out["unit"] = self.unit
        if self.range is not None:
            out["range"] = list(self.range)
        return out


@dataclass(frozen=True, eq=False)
class DAG:
    """A validated marketing DAG. Build one with :func:`load_dag`.

    Examples
    --------
    >>> dag = load_dag("acquisition")
    >>> dag.outcome, dag.treatments
    ('revenue', ['tv_spend', 'social_spend'])
    >>> dag.parents("organic_clicks")
    ['demand', 'tv_spend', 'social_spend']
    """

    name: str
    description: str
    node_specs: tuple[Node, ...]
    simulation: Mapping[str, Any] | None = field(default=None, repr=False)
    #: rows as consecutive periods (``time: {index, period}``, see causalsynth._time_block); None
    #: when the rows are independent
    time: TimeAxis | None = None
    #: edges forbidden or required in causal discovery (``discovery:`` block); None if absent
    discovery: DiscoveryBlock | None = None

    # ---- graph views -------------------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        """Node names in a topological order (parents before children; ties in declared order)."""
        return list(self._order)

    @property
    def edges(self) -> list[tuple[str, str]]:
        """(parent, child) pairs."""
        return [(p, n.name) for n in self.node_specs for p in n.parents]

    def node(self, name: str) -> Node:
        """The declared :class:`Node` called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise DAGError(
                f"node {name!r} is not in the DAG {self.name!r}; nodes: {', '.join(self.nodes)}"
            ) from None

    def parents(self, node: str) -> list[str]:
        """The declared parents of ``node``, in declared order."""
        return list(self.node(node).parents)

    def children(self, node: str) -> list[str]:
        """The nodes that list ``node`` as a parent, in topological order."""
        self.node(node)
        return [c for c in self.nodes if node in self._by_name[c].parents]

    def ancestors(self, node: str) -> list[str]:
        """Ancestors of ``node`` in topological order (``node`` itself excluded)."""
        self.node(node)
        anc = nx.ancestors(self._graph, node)
        return [n for n in self.nodes if n in anc]

    def node_type(self, node: str) -> str:
        """``continuous``, ``count``, ``binary`` or ``categorical``."""
        return self.node(node).type

    @property
    def roots(self) -> list[str]:
        """Nodes without parents, in topological order."""
        return [n for n in self.nodes if not self._by_name[n].parents]

    @property
    def outcome(self) -> str:
        """The node with role ``outcome`` (e.g. revenue)."""
        return next(n.name for n in self.node_specs if n.role == "outcome")

    @property
    def treatments(self) -> list[str]:
        """Nodes with role ``spend`` or ``treatment``, in declared order."""
        return [n.name for n in self.node_specs if n.role in TREATMENT_ROLES]

    def to_networkx(self) -> nx.DiGraph:
        """A copy of the graph as a ``networkx.DiGraph`` with node attributes type and role."""
        return self._graph.copy()

    # ---- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The DAG as the mapping a DAG file holds; ``load_dag`` accepts it back."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if self.time is not None:
            out["time"] = self.time.to_dict()
        out["nodes"] = [n.to_dict() for n in self.node_specs]
        if self.simulation is not None:
            out["simulation"] = copy.deepcopy(dict(self.simulation))
        if self.discovery is not None:
            out["discovery"] = self.discovery.to_dict()
        return out

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The DAG as YAML text; also written to ``path`` when given. ``load_dag`` reads it back."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            from causalsynth._io import write_text_atomic

            write_text_atomic(Path(path), text)
        return text

    # ---- simulation and truth (see causalsynth.simulation) -----------------------------
    def simulate(self, n: int, seed: int | np.random.Generator | None = None,
                 interventions: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Draw ``n`` rows from the declared ``simulation`` block; same seed, same frame.

        ``interventions`` maps a node to a value (``{"tv_spend": 120000}``) or a shift
        (``"+10%"``, ``"+1000"``), replacing its mechanism.
        """
        from causalsynth.simulation import simulate

        return simulate(self, n, seed=seed, interventions=interventions)

    def ground_truth(self, **kwargs: Any) -> GroundTruth:
        """True ICI shares and treatment effects (see causalsynth.simulation.ground_truth;
        computed once per machine, then read from the disk cache)."""
        from causalsynth.simulation import ground_truth

        return ground_truth(self, **kwargs)

    # ---- internals ------------------------------------------------------------------
    @cached_property
    def _by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.node_specs}

    @cached_property
    def _graph(self) -> nx.DiGraph:
        g = nx.DiGraph(name=self.name)
        for n in self.node_specs:
            g.add_node(n.name, type=n.type, role=n.role)
        g.add_edges_from(self.edges)
        return g

    @cached_property
    def _order(self) -> tuple[str, ...]:
        declared = {n.name: i for i, n in enumerate(self.node_specs)}
        return tuple(nx.lexicographical_topological_sort(self._graph, key=declared.__getitem__))

    def __repr__(self) -> str:
        return (
            f"DAG({self.name!r}, {len(self.node_specs)} nodes, {len(self.edges)} edges, "
            f"outcome={self.outcome!r}, treatments={self.treatments})"
        )


# ---------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------
def builtin_dags() -> dict[str, Path]:
    """Built-in DAG names and their files: every ``*.yaml`` file in ``dags/``, by name.

    The names are the files' stems, sorted; :func:`load_dag` accepts each of them.

    Examples
    --------
    >>> names = builtin_dags()
    >>> {"acquisition", "robyn_weekly"} <= set(names), names["acquisition"].name
    (True, 'acquisition.yaml')
    """
    return {p.stem: p for p in sorted(_dag_dir().glob("*.yaml"))}


def _dag_dir() -> Path:
    # Installed: the ``dags/`` folder is shipped as the package ``causalsynth.dags``.
    try:
        return Path(str(resources.files("causalsynth.dags")))
    except ModuleNotFoundError:  # running from a source tree without installing
        return Path(__file__).resolve().parent.parent / "dags"


def load_dag(source: str | Path | Mapping[str, Any] | DAG) -> DAG:
    """Load and validate a DAG from a YAML file, a built-in name, a YAML string or a dict.

    Every problem is collected and reported together in one :class:`DAGError`.

    Examples
    --------
    >>> load_dag("acquisition").nodes[:2]       # a built-in name, or a path to a YAML file
    ['demand', 'tv_spend']
    >>> load_dag("nodes: [{name: y, type: count, role: outcome}]").node_type("y")
    'count'
    >>> load_dag({"nodes": [{"name": "x", "type": "continuous", "role": "outcome"}]}).outcome
    'x'
    """
    if isinstance(source, DAG):
        return source
    origin = None
    if isinstance(source, Mapping):
        spec: Any = source
    elif isinstance(source, (str, Path)):
        spec, origin = read_dag_source(source, builtin_dags())
    else:
        raise DAGError(
            f"load_dag expects a file path, a built-in name, YAML text or a dict; "
            f"got {type(source).__name__}"
        )
    return _from_spec(spec, origin)


def _from_spec(spec: Any, origin: str | None) -> DAG:
    if not isinstance(spec, Mapping):
        raise DAGError(
            f"the DAG must be a mapping with a 'nodes' list; got {type(spec).__name__}",
            source=origin,
        )
    problems: list[str] = []
    for key in spec:
        if key not in _TOP_KEYS:
            problems.append(
                f"unknown top-level key {excerpt(key)}; allowed keys: "
                f"{', '.join(sorted(_TOP_KEYS))}"
            )
    name = spec.get("name", Path(origin).stem if origin else "dag")
    description = spec.get("description", "") or ""
    if not isinstance(name, str):
        problems.append(f"'name' must be text; got {excerpt(name)}")
        name = str(name)
    if not isinstance(description, str):
        problems.append("'description' must be text")
        description = str(description)

    nodes = _parse_nodes(spec.get("nodes"), problems)
    _check_graph(nodes, problems)
    time = parse_time(spec.get("time"), {n.name for n in nodes}, problems)
    discovery = parse_discovery(spec.get("discovery"), {n.name: n.parents for n in nodes},
                                problems)

    simulation = spec.get("simulation")
    if simulation is not None and not isinstance(simulation, Mapping):
        problems.append("'simulation' must be a mapping from node name to mechanism")
        simulation = None
    if problems:
        raise DAGError(problems, source=origin)

    dag = DAG(name=name, description=description.strip(), node_specs=tuple(nodes),
              simulation=copy.deepcopy(dict(simulation)) if simulation is not None else None,
              time=time, discovery=discovery)
    sim_problems = check_simulation(dag) if simulation is not None else []
    if sim_problems:
        raise DAGError(sim_problems, source=origin)
    return dag


def _parse_nodes(raw: Any, problems: list[str]) -> list[Node]:
    if raw is None:
        problems.append(
            "'nodes' is missing; declare a list like '- {name: tv_spend, type: continuous}'")
        return []
    if not isinstance(raw, list) or not raw:
        problems.append("'nodes' must be a non-empty list of mappings with at least name and type")
        return []
    nodes: list[Node] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"node #{i + 1}"
        if not isinstance(item, Mapping):
            problems.append(f"{where} must be a mapping with name and type; got {excerpt(item)}")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where} needs a 'name' that is non-empty text; got {excerpt(name)}")
            continue
        where = f"node {excerpt(name)}"
        if name in seen:
            problems.append(f"{where} is declared twice; node names must be unique")
            continue
        seen.add(name)
        for key in item:
            if key not in _NODE_KEYS:
                problems.append(
                    f"{where} has unknown key {excerpt(key)}; allowed: "
                    f"{', '.join(sorted(_NODE_KEYS))}"
                )
        ntype = item.get("type")
        if ntype not in NODE_TYPES:
            problems.append(
                f"{where} has unknown type {excerpt(ntype)}; use one of {', '.join(NODE_TYPES)}"
            )
        role = item.get("role", "context")
        if role not in ROLES:
            problems.append(f"{where} has unknown role {excerpt(role)}; use one of "
                            f"{', '.join(ROLES)}")
        parents = item.get("parents", []) or []
        if isinstance(parents, str):
            parents = [parents]
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            problems.append(f"{where}: 'parents' must be a list of node names; got "
                            f"{excerpt(parents)}")
            parents = []
        if len(set(parents)) != len(parents):
            problems.append(f"{where} lists a parent twice: {parents}")
            parents = list(dict.fromkeys(parents))
        categories = item.get("categories")
        if ntype == "categorical":
            if (
                not isinstance(categories, list)
                or len(categories) < 2
                or not all(isinstance(c, (str, int, bool)) for c in categories)
                or len({str(c) for c in categories}) != len(categories)
            ):
                problems.append(
                    f"{where} is categorical and needs 'categories': a list of at least two "
                    f"distinct labels; got {excerpt(categories)}"
                )
                categories = None
            else:
                categories = tuple(str(c) for c in categories)
        elif categories is not None:
            problems.append(f"{where} has 'categories' but is not categorical (type "
                            f"{excerpt(ntype)})")
            categories = None
        for text_key in ("description", "unit"):
            if not isinstance(item.get(text_key, ""), str):
                problems.append(f"{where}: {text_key!r} must be text")
        bounds = _declared_range(item.get("range"), ntype, where, problems)
        nodes.append(
            Node(
                name=name,
                type=ntype if ntype in NODE_TYPES else "continuous",
                role=role if role in ROLES else "context",
                parents=tuple(parents),
                categories=categories,
                description=str(item.get("description", "") or "").strip(),
                unit=str(item.get("unit", "") or ""),
                range=bounds,
            )
        )
    return nodes


def _declared_range(value: Any, ntype: Any, where: str, problems: list[str]
                    ) -> tuple[float, float] | None:
    """A node's ``range: [lowest, highest]``: two finite numbers, lowest < highest, numeric
    nodes only (counts: lowest >= 0)."""
    if value is None:
        return None
    if ntype not in ("continuous", "count"):
        problems.append(f"{where} has a 'range' but is {excerpt(ntype)}; only continuous and "
                        f"count nodes take one")
        return None
    ok = (isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        for v in value))
    if not ok or not value[0] < value[1]:
        problems.append(f"{where}: 'range' must be [lowest, highest], two finite numbers with "
                        f"lowest < highest; got {excerpt(value)}")
        return None
    if ntype == "count" and value[0] < 0:
        problems.append(f"{where}: a count node's range cannot start below 0; got {value[0]}")
        return None
    return float(value[0]), float(value[1])


def _check_graph(nodes: list[Node], problems: list[str]) -> None:
    names = {n.name for n in nodes}
    for n in nodes:
        for p in n.parents:
            if p == n.name:
                problems.append(f"node {excerpt(n.name)} lists itself as a parent (a self-loop)")
            elif p not in names:
                problems.append(
                    f"edge {excerpt(p)} -> {excerpt(n.name)}: {excerpt(p)} is not a declared "
                    f"node; declare it or "
                    f"remove it from the parents of {excerpt(n.name)}"
                )
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((p, n.name) for n in nodes for p in n.parents if p in names and p != n.name)
    for cycle in _some_cycles(g):
        path = " -> ".join([*cycle, cycle[0]])
        problems.append(f"cycle {path}: a DAG cannot have cycles; remove one of these edges")
    outcomes = [n.name for n in nodes if n.role == "outcome"]
    if nodes and not outcomes:
        problems.append("no node has role 'outcome'; mark the node to explain (e.g. revenue)")
    elif len(outcomes) > 1:
        problems.append(f"several nodes have role 'outcome' ({', '.join(outcomes)}); keep one")


def _some_cycles(g: nx.DiGraph, limit: int = 5) -> list[list[str]]:
    """Up to ``limit`` distinct cycles, each in a canonical rotation."""
    cycles = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) < 2:
            continue
        cycle = [u for u, _ in nx.find_cycle(g.subgraph(comp))]
        k = cycle.index(min(cycle))
        cycles.append(cycle[k:] + cycle[:k])
        if len(cycles) >= limit:
            break
    return sorted(cycles)
