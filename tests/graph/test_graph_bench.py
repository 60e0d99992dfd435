"""The scheduler benchmark's graphs run correctly (its timings are printed, never asserted)."""

from __future__ import annotations

import pytest

from agentrt.bench.scheduler import FakeChatAgent, NoopAgent, run_once, shape_needs


@pytest.mark.parametrize("shape", ["wide", "deep", "layered"])
async def test_bench_shapes_run_to_success(shape: str) -> None:
    needs = shape_needs(shape, 64)
    assert len(needs) == 64
    figures = await run_once(shape, 64, sequences=4, agent_cls=NoopAgent, persist=False)
    assert figures["us_per_node"] > 0


async def test_bench_with_fake_requests_and_persistence() -> None:
    figures = await run_once("layered", 36, sequences=2, agent_cls=FakeChatAgent, persist=True)
    assert figures["run_s"] > 0


async def test_bench_map_shape_and_its_persistence_figure() -> None:
    from agentrt.bench.scheduler import map_persistence

    figures = await run_once("map", 20, sequences=2, agent_cls=FakeChatAgent, persist=True)
    assert figures["run_s"] > 0
    cost = await map_persistence(10, sequences=2, agent_cls=NoopAgent)
    assert cost["before_s"] > 0 and cost["now_s"] >= 0
