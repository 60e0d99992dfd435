"""`agentrt bench scheduler`: the graph scheduler's own cost per node, on a scripted fake engine.

Graphs of N no-op nodes in three shapes: ``wide`` (N independent nodes, all ready at once), ``deep`` (one
chain of N) and ``layered`` (√N layers of √N, each node needing two of the layer before), and ``map`` (one map
node of N items). The agent does nothing but (with ``--agent chat``) one zero-delay request on the fake engine,
so the wall time per node (or item) is the runtime's overhead: building ticks, tasks, state changes and their
events. Graph construction and checking is timed separately. ``--persist`` adds the run directory (events.jsonl,
the state file rewritten after every tick, a progress line per map item), which is I/O, not scheduling. Goal:
under 200 µs per node.

``--shape map --persist`` also prints what persisting the map's progress costs: the run with its run directory
minus the same run without one, next to what rewriting (and fsyncing) the state file after every item, as the
runtime did before its progress log, costs for the same map (measured here, in the same run: N rewrites of a
state holding the N items, completed one more each time).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from agentrt.events import EventBus
from agentrt.graph.checks import compile_graph
from agentrt.graph.contract import AgentSpec, NodeContext
from agentrt.graph.graph import Graph
from agentrt.graph.result import ItemRecord, NodeRecord, RunState
from agentrt.graph.rundir import RunDir
from agentrt.graph.scheduler import Scheduler
from agentrt.graph.spec import GraphSpec
from agentrt.graph.states import ItemStatus, NodeState
from agentrt.testing import FakeEngine

GOAL_US = 200.0
SHAPES = ("wide", "deep", "layered", "map")


class NoopAgent:
    """Returns at once: what is left of a node's time is the scheduler's."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> str:
        return task


class FakeChatAgent(NoopAgent):
    """One zero-delay request on the fake engine (a leased sequence, as a real agent does)."""

    async def run(self, task: str, ctx: NodeContext) -> str:
        result = await ctx.engine.chat([{"role": "user", "content": task}], owner=ctx.owner, max_tokens=4)
        return result.text


def shape_needs(shape: str, n: int) -> dict[str, list[str]]:
    if shape == "wide":
        return {f"n{i}": [] for i in range(n)}
    if shape == "deep":
        return {f"n{i}": ([f"n{i - 1}"] if i else []) for i in range(n)}
    width = max(2, int(math.sqrt(n)))
    needs: dict[str, list[str]] = {}
    for i in range(n):
        layer, pos = divmod(i, width)
        if layer == 0:
            needs[f"n{i}"] = []
        else:
            prev = (layer - 1) * width
            needs[f"n{i}"] = [f"n{prev + pos}", f"n{prev + (pos + 1) % width}"]
    return needs


def build_graph(shape: str, n: int, agent_cls: type) -> Any:
    if shape == "map":
        nodes: dict[str, Any] = {"each": {"agent": "noop", "map": "inputs.items", "input": "{{ item }}"}}
    else:
        nodes = {node: {"agent": "noop", "needs": needs} for node, needs in shape_needs(shape, n).items()}
    spec = GraphSpec.model_validate(
        {
            "name": f"bench-{shape}",
            "inputs": {"items": {"type": "list", "default": []}},
            "agents": {"noop": {"name": "noop", "class": f"{agent_cls.__module__}.{agent_cls.__qualname__}"}},
            "nodes": nodes,
        }
    )
    return compile_graph(spec, agent_classes={"noop": agent_cls})


async def run_once(shape: str, n: int, *, sequences: int, agent_cls: type, persist: bool) -> dict[str, float]:
    started = time.perf_counter()
    compiled = build_graph(shape, n, agent_cls)
    build_s = time.perf_counter() - started
    engine = FakeEngine(sequences, events=EventBus(forward_to_logging=False))
    inputs = {"items": [f"item {i}" for i in range(n)] if shape == "map" else []}
    with tempfile.TemporaryDirectory(prefix="agentrt-bench-") as tmp:
        started = time.perf_counter()
        if persist:
            result = await Graph(compiled).run(inputs, engine=engine, run_dir=Path(tmp) / "run")
        else:
            scheduler = Scheduler(
                compiled, engine=engine, events=engine.events, inputs=inputs, run_id="bench", run_path=Path(tmp),
                workspace=Path(tmp),
            )
            result = await scheduler.run()
        run_s = time.perf_counter() - started
    if result.status != "succeeded":
        raise RuntimeError(f"bench graph {shape} did not succeed: {result.failed_nodes[:5]}")
    return {"build_s": build_s, "run_s": run_s, "us_per_node": run_s / n * 1e6}


def per_item_rewrites_s(n: int) -> float:
    """Seconds to rewrite (and fsync) the state file once per finished item of an ``n``-item map, the state
    holding the items done so far: what the runtime paid before its progress log."""
    items = [ItemRecord(index=i) for i in range(n)]
    state = RunState(run_id="bench", graph_file="-", graph_source="-",
                     nodes={"each": NodeRecord(state=NodeState.RUNNING, items=items)})
    with tempfile.TemporaryDirectory(prefix="agentrt-bench-") as tmp:
        rundir = RunDir(Path(tmp)).create()
        started = time.perf_counter()
        for item in items:
            item.status, item.output, item.attempts = ItemStatus.COMPLETED, f"ITEM {item.index}", 1
            rundir.save_state(state)
        return time.perf_counter() - started


async def map_persistence(n: int, *, sequences: int, agent_cls: type) -> dict[str, float]:
    """What persisting an ``n``-item map's progress costs now (the run with a run directory minus without),
    and before (`per_item_rewrites_s`), measured in the same process."""
    with_dir = await run_once("map", n, sequences=sequences, agent_cls=agent_cls, persist=True)
    without = await run_once("map", n, sequences=sequences, agent_cls=agent_cls, persist=False)
    return {"now_s": max(0.0, with_dir["run_s"] - without["run_s"]), "before_s": per_item_rewrites_s(n)}


def _main(args: argparse.Namespace) -> int:
    shapes = SHAPES if args.shape == "all" else (args.shape,)
    agent_cls = FakeChatAgent if args.agent == "chat" else NoopAgent
    print(
        f"scheduler overhead: {args.nodes} nodes per graph, pool {args.sequences}, agent={args.agent}, "
        f"persist={'yes' if args.persist else 'no'}, best of {args.repeat}"
    )
    print(f"{'shape':<9} {'build+check s':>13} {'run s':>8} {'µs/node':>9}  goal <{GOAL_US:.0f} µs")
    worst = 0.0
    for shape in shapes:
        runs = [
            asyncio.run(run_once(shape, args.nodes, sequences=args.sequences, agent_cls=agent_cls, persist=args.persist))
            for _ in range(args.repeat)
        ]
        best = min(runs, key=lambda r: r["run_s"])
        worst = max(worst, best["us_per_node"])
        verdict = "ok" if best["us_per_node"] < GOAL_US else "over"
        print(f"{shape:<9} {best['build_s']:>13.2f} {best['run_s']:>8.2f} {best['us_per_node']:>9.1f}  {verdict}")
    if args.persist and "map" in shapes:
        cost = asyncio.run(map_persistence(args.nodes, sequences=args.sequences, agent_cls=agent_cls))
        ratio = f"{cost['before_s'] / cost['now_s']:.0f}x less" if cost["now_s"] > 0 else "no measurable cost now"
        print(
            f"map of {args.nodes} items, persisting its progress: {cost['now_s']:.2f} s now (a progress line per "
            f"item) vs {cost['before_s']:.2f} s rewriting state.json per item (before): {ratio}"
        )
    return 0


def register(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser("scheduler", help="graph scheduler overhead per node (fake engine)")
    p.add_argument("--nodes", type=int, default=10_000)
    p.add_argument("--shape", choices=[*SHAPES, "all"], default="all")
    p.add_argument("--sequences", type=int, default=8, help="fake engine pool size")
    p.add_argument("--agent", choices=["noop", "chat"], default="noop", help="chat: one fake request per node")
    p.add_argument("--persist", action="store_true", help="also write events.jsonl and the state file")
    p.add_argument("--repeat", type=int, default=1)
    p.set_defaults(func=_main)
