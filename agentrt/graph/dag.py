"""The graph's dependency DAG (a networkx `DiGraph`; an edge ``a -> b`` means b needs a) and cycle checks."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import NamedTuple

import networkx as nx


class BadNeed(NamedTuple):
    node: str
    index: int  # the need's position in the node's list
    need: str
    unknown: bool  # True: no such node; False: the node needs itself


def bad_needs(needs: Mapping[str, Sequence[str]], known: Container[str]) -> list[BadNeed]:
    """The needs that name no node in ``known``, or the node itself: graph nodes (`checks.compile_graph`) and
    the steps of a returned plan (`expansion.plan_problem`) follow the same rule."""
    bad = []
    for node, required in needs.items():
        for index, need in enumerate(required):
            if need not in known or need == node:
                bad.append(BadNeed(node, index, need, unknown=need not in known))
    return bad


def build_dag(needs: Mapping[str, Iterable[str]]) -> nx.DiGraph:
    """``needs[node]`` lists the nodes it waits for. Unknown names must have been rejected before."""
    dag = nx.DiGraph()
    dag.add_nodes_from(needs)
    for node, required in needs.items():
        dag.add_edges_from((need, node) for need in required)
    return dag


def find_cycle(dag: nx.DiGraph) -> list[str] | None:
    """One cycle as a closed path ``[a, b, c, a]``, or None when the graph is acyclic."""
    if nx.is_directed_acyclic_graph(dag):  # linear; find_cycle's edge DFS is much slower on big DAGs
        return None
    try:
        edges = nx.find_cycle(dag)
    except nx.NetworkXNoCycle:
        return None
    return [edges[0][0], *(v for _, v in edges)]


def format_cycle(cycle: list[str]) -> str:
    return " -> ".join(cycle)


def render_text(dag: nx.DiGraph, kinds: Mapping[str, str], agents: Mapping[str, str]) -> str:
    """The DAG in topological layers, one node per line: ``id (agent, kind) <- needs``."""
    lines = []
    for depth, layer in enumerate(nx.topological_generations(dag)):
        lines.append(f"layer {depth}:")
        for node in sorted(layer):
            needs = sorted(dag.predecessors(node))
            tail = f"  <- {', '.join(needs)}" if needs else ""
            kind = "" if kinds.get(node, "node") == "node" else f", {kinds[node]}"
            lines.append(f"  {node} ({agents.get(node, '?')}{kind}){tail}")
    return "\n".join(lines)


def render_mermaid(dag: nx.DiGraph, kinds: Mapping[str, str], agents: Mapping[str, str]) -> str:
    """A mermaid ``flowchart`` (map nodes drawn as stacked shapes)."""
    ids = {node: f"n{i}" for i, node in enumerate(nx.topological_sort(dag))}
    lines = ["flowchart TD"]
    for node, key in ids.items():
        label = f"{node}<br/>{agents.get(node, '?')}".replace('"', "'")
        lines.append(f'    {key}[["{label}"]]' if kinds.get(node) == "map" else f'    {key}["{label}"]')
    for a, b in dag.edges:
        lines.append(f"    {ids[a]} --> {ids[b]}")
    return "\n".join(lines)
