"""What a run ran, as hashes: the graph file, the inputs, and each node.

A run directory records the sha256 of its graph copy and of its inputs (`RunState.graph_sha256`,
`inputs_sha256`); a resume compares them and refuses a changed graph or changed inputs unless forced
(`check_unchanged`). Each node's record carries its own fingerprint: its definition, its agent's, the values of
the inputs its templates read and the fingerprints of the nodes it needs. A forced resume keeps a finished
node's result only when the fingerprint still matches (`matching_records`), so the results of two graphs are
never mixed: a changed node runs again, and so does everything downstream of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx
from pydantic_core import to_jsonable_python

from agentrt.errors import GraphRunError

if TYPE_CHECKING:
    from agentrt.graph.checks import CompiledGraph
    from agentrt.graph.result import NodeRecord, RunState


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_text(text: str) -> str:
    return sha256_hex(text.encode("ascii"))  # `_canonical` text is ASCII


def _canonical(value: Any) -> str:
    # As state.json stores it (pydantic's JSON form), so a value hashes the same before and after a round trip.
    plain = to_jsonable_python(value, fallback=repr)
    return json.dumps(plain, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def inputs_sha256(inputs: Mapping[str, Any]) -> str:
    return _sha256_text(_canonical(dict(inputs)))


def node_fingerprints(graph: CompiledGraph, inputs: Mapping[str, Any]) -> dict[str, str]:
    """Every graph node's fingerprint (see the module docstring)."""
    agents: dict[str, Any] = {}  # each agent's part, made once
    for name, agent in graph.spec.agents.items():
        cls = graph.agent_classes.get(name)
        agents[name] = {
            "spec": agent.model_dump(mode="json", by_alias=True),
            "class": f"{cls.__module__}:{cls.__qualname__}" if cls is not None else None,
        }
    prints: dict[str, str] = {}
    for node_id in nx.topological_sort(graph.dag):
        node = graph.nodes[node_id]
        read = set(node.input.input_refs) | (set(node.map.input_refs) if node.map is not None else set())
        prints[node_id] = _sha256_text(
            _canonical(
                {
                    "node": node.spec.model_dump(mode="json"),
                    "agent": agents.get(node.spec.agent),
                    "inputs": {name: inputs.get(name) for name in sorted(read)},
                    "needs": [prints[need] for need in sorted(node.needs)],
                }
            )
        )
    return prints


def check_unchanged(state: RunState, *, graph_sha256: str, inputs_sha256: str, where: str, force: bool) -> None:
    """Refuse to resume ``state`` with another graph or other inputs than it started with, unless ``force``."""
    changed = []
    if state.graph_sha256 is not None and state.graph_sha256 != graph_sha256:
        changed.append(f"the graph (sha256 {state.graph_sha256[:12]} when the run started, {graph_sha256[:12]} now)")
    if state.inputs_sha256 is not None and state.inputs_sha256 != inputs_sha256:
        changed.append("the inputs")
    if changed and not force:
        raise GraphRunError(
            f"{where}: {' and '.join(changed)} changed since the run started; resuming would mix the results of "
            "two different runs. Start a new run, or resume with --force (force=True): nodes whose definition "
            "or inputs changed then run again, with everything that needs them"
        )


def matching_records(stored: Mapping[str, NodeRecord], fingerprints: Mapping[str, str]) -> dict[str, NodeRecord]:
    """The stored records a resume may keep: those of graph nodes whose fingerprint is unchanged (or unknown,
    in run directories from before fingerprints), and the plan steps of nodes kept."""
    kept: dict[str, NodeRecord] = {}
    for node_id, record in stored.items():
        if record.parent is not None:
            continue
        now = fingerprints.get(node_id)
        if now is not None and record.fingerprint in (None, now):
            kept[node_id] = record
    # Plan steps (parents first: a step's parent was inserted before it).
    for node_id, record in stored.items():
        if record.parent is not None and record.parent in kept:
            kept[node_id] = record
    return kept
