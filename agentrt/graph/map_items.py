"""Map nodes: the node's agent runs once per item of a list, items in parallel up to the node's
``max_concurrency``, results kept in input order, every item with its own status (``map.item`` events).

A resumed map runs only the items that did not complete. Each finished item is recorded at once (`save_item`:
one line in the run directory's progress log), so it survives a crash while its siblings run. The node
succeeds with the list of outputs (a failed item's is None) unless items failed and the node does not allow
that (``allow_item_failures: false``), or every item failed; its outcome rolls up the items' (agentrt.graph.outcomes).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from agentrt.events import EventBus
from agentrt.graph.attempt import Attempts
from agentrt.graph.nodes import NodeResult, RunNode
from agentrt.graph.outcomes import roll_up
from agentrt.graph.result import ItemRecord
from agentrt.graph.states import ItemStatus

ItemTask = Callable[[Any, int], str]  # (item, index) -> the item's task text
ItemAttempts = Callable[[str, int], Awaitable[Attempts]]  # (task, index) -> the item's attempts
SaveItem = Callable[[RunNode, int, ItemRecord], None]  # (node, total, finished item)


async def run_map_items(
    node: RunNode,
    values: list[Any] | tuple[Any, ...],
    *,
    task_text: ItemTask,
    attempts: ItemAttempts,
    events: EventBus,
    save_item: SaveItem,
) -> NodeResult:
    """Run the items of ``values`` that have not completed yet; the node's result once all have finished."""
    total = len(values)
    items = node.record.items
    if items is None or len(items) != total:
        items = node.record.items = [ItemRecord(index=i) for i in range(total)]
    limit = asyncio.Semaphore(node.spec.max_concurrency or max(1, total))

    async def run_item(record: ItemRecord, value: Any) -> None:
        async with limit:
            record.status = ItemStatus.RUNNING
            events.emit("map.item", node=node.id, index=record.index, total=total, status=record.status)
            started = time.perf_counter()
            try:
                task = task_text(value, record.index)
            except Exception as exc:
                done = Attempts.failed(f"input template failed: {exc}")
            else:
                done = await attempts(task, record.index)
            record.status = ItemStatus.COMPLETED if done.ok else ItemStatus.FAILED
            record.output, record.error, record.outcome = done.output, done.error, done.outcome
            record.tokens, record.attempts = done.tokens, done.attempts
            record.elapsed_ms = (time.perf_counter() - started) * 1000
            node.record.tokens += done.tokens
            fields = {"error": done.error} if done.error else {"outcome": done.outcome}
            events.emit("map.item", node=node.id, index=record.index, total=total, status=record.status, **fields)
            save_item(node, total, record)

    await asyncio.gather(
        *(run_item(r, v) for r, v in zip(items, values, strict=True) if r.status != ItemStatus.COMPLETED)
    )
    node.record.attempts = max((r.attempts for r in items), default=0)
    failed = [r for r in items if r.status != ItemStatus.COMPLETED]
    if failed and (not node.spec.allow_item_failures or len(failed) == len(items)):
        first = failed[0]
        return NodeResult.failed(f"{len(failed)} of {total} items failed; item {first.index}: {first.error}")
    outcome = roll_up(r.outcome for r in items if r.status == ItemStatus.COMPLETED)
    return NodeResult(ok=True, output=[r.output for r in items], outcome=outcome)
