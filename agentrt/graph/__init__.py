"""The graph runtime: YAML/pydantic graph definitions → a networkx DAG → a concurrent scheduler with resume."""

from agentrt.graph.graph import Graph, GraphBuilder
from agentrt.graph.handle import NodeCancellation, RunHandle
from agentrt.graph.launch import RunLaunch, launch_run
from agentrt.graph.result import ItemRecord, NodeRecord, RunResult, RunState
from agentrt.graph.rundir import RunDir
from agentrt.graph.spec import GraphSpec, NodeSpec, load_graph_spec
from agentrt.graph.states import RUN_EXIT_CODES, ItemStatus, NodeState, RunStatus

__all__ = [
    "Graph",
    "GraphBuilder",
    "GraphSpec",
    "ItemRecord",
    "ItemStatus",
    "NodeCancellation",
    "NodeRecord",
    "NodeSpec",
    "NodeState",
    "RunDir",
    "RunLaunch",
    "RunHandle",
    "RunResult",
    "RunState",
    "RunStatus",
    "RUN_EXIT_CODES",
    "launch_run",
    "load_graph_spec",
]
