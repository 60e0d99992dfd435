"""`RunView`: a pure reducer that folds agentrt events (docs/events.md) into what the dashboard shows.

It never touches Textual, threads or the clock: `apply(event)` updates it, and every time it needs ("how long
has this node been running") is measured against the newest event timestamp it has seen, or against ``now``
when the caller passes one. That keeps replays of a recorded ``events.jsonl`` deterministic and lets the
tests check states, counts and series without an app.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from agentrt.graph.contract import AgentOutcome
from agentrt.graph.ids import parse_owner
from agentrt.graph.states import FINISHED_NODE_STATES, ItemStatus, NodeState, RunStatus

Event = dict[str, Any]
# How many seconds of history the throughput and occupancy series keep (one bucket per second).
SERIES_SECONDS = 120
# How many engine steps of batch occupancy are kept.
STEP_HISTORY = 240
# Window for a sequence's live tokens/s, from its request.token / request.text events.
RATE_WINDOW_S = 2.0
LOG_LIMIT = 2000
STREAM_CHARS = 4000
STREAM_EVENTS = frozenset({"request.token", "request.text"})

_E = TypeVar("_E", bound=StrEnum)


def split_owner(owner: str | None) -> tuple[str | None, int | None, str | None]:
    """``"node[3]/agent"`` → ``("node", 3, "agent")``; owners that are not ``node/agent`` give ``(None, None, owner)``
    (`agentrt.graph.ids.parse_owner`)."""
    return parse_owner(owner)


def _member(kind: type[_E], value: Any, default: _E) -> _E:
    """``value`` as a member of ``kind``; ``default`` for a value this version does not know (a watched file
    written by another one)."""
    try:
        return kind(value)
    except ValueError:
        return default


@dataclass
class NodeView:
    id: str
    agent: str
    needs: list[str] = field(default_factory=list)
    kind: str = "task"
    state: NodeState = NodeState.PENDING
    outcome: AgentOutcome | None = None  # how its agent ended, once it succeeded (answered, step_limit, rejected)
    depth: int = 0
    attempt: int | None = None
    error: str | None = None
    elapsed_ms: float | None = None  # as the graph runtime reported it; None while it has not said
    reported_tokens: int | None = None
    live_tokens: int = 0  # counted from the engine's request events for this node's sequences
    started_ts: float | None = None
    finished_ts: float | None = None
    output: str | None = None
    dynamic: bool = False  # added by graph.expanded
    map_total: int | None = None
    map_done: int = 0
    map_failed: int = 0
    map_unanswered: int = 0  # items that completed without a clean answer
    map_running: int = 0

    @property
    def tokens(self) -> int:
        return self.reported_tokens if self.reported_tokens is not None else self.live_tokens

    @property
    def is_map(self) -> bool:
        return self.kind == "map" or self.map_total is not None

    @property
    def unanswered(self) -> bool:
        """Succeeded without a clean answer: its agent ran out of steps, or its critic rejected the answer."""
        return self.state == NodeState.SUCCEEDED and self.outcome not in (None, AgentOutcome.ANSWERED)

    def elapsed_s(self, now: float) -> float | None:
        if self.elapsed_ms is not None and (self.state in FINISHED_NODE_STATES or self.started_ts is None):
            return self.elapsed_ms / 1000.0
        if self.started_ts is None:
            return None
        end = self.finished_ts if self.finished_ts is not None else now
        return max(0.0, end - self.started_ts)


@dataclass
class SequenceView:
    seq: int
    owner: str | None = None
    state: str = "idle"
    kv_cells: int = 0
    leased: bool = False
    generated: int = 0  # tokens generated for the current owner (since the lease)
    total_generated: int = 0
    request: str | None = None
    streamed: int = 0  # tokens of the current request already counted from request.token / request.text events
    token_times: deque[float] = field(default_factory=lambda: deque(maxlen=512))
    last_rate: float = 0.0  # tokens/s of the last finished request (used when no token events come)
    last_activity_ts: float | None = None

    @property
    def node(self) -> str | None:
        return split_owner(self.owner)[0]

    @property
    def agent(self) -> str | None:
        return split_owner(self.owner)[2]

    def rate(self, now: float) -> float:
        """Tokens/s over the last `RATE_WINDOW_S` seconds, or the last request's rate when tokens are not streamed."""
        recent = [t for t in self.token_times if now - t <= RATE_WINDOW_S]
        if len(recent) >= 2:
            span = max(now - recent[0], recent[-1] - recent[0], 1e-3)
            return len(recent) / max(span, 0.25)
        if self.state == "decode" or (self.last_activity_ts is not None and now - self.last_activity_ts <= RATE_WINDOW_S):
            return self.last_rate
        return 0.0


@dataclass(frozen=True)
class LogEntry:
    ts: float
    event: str
    text: str
    is_error: bool


@dataclass
class RunView:
    """Everything the dashboard shows, folded from events. Build one, `apply` events, read attributes."""

    run_id: str | None = None
    run_dir: str | None = None
    graph: str | None = None
    model: str | None = None
    status: RunStatus | None = None  # None: no run.started yet
    resumed: bool = False
    started_ts: float | None = None
    finished_ts: float | None = None
    reported_elapsed_s: float | None = None
    last_ts: float | None = None
    pool_size: int = 0
    n_ctx: int = 0
    nodes: dict[str, NodeView] = field(default_factory=dict)
    sequences: dict[int, SequenceView] = field(default_factory=dict)
    # Throughput: generated tokens per wall-clock second (bucketed by event ts), oldest first.
    throughput: deque[float] = field(default_factory=lambda: deque(maxlen=SERIES_SECONDS))
    throughput_bucket: int | None = None
    # Batch occupancy per engine step: active (decoding + prefilling) sequences / pool size, 0..1.
    occupancy: deque[float] = field(default_factory=lambda: deque(maxlen=STEP_HISTORY))
    batch_tokens: deque[int] = field(default_factory=lambda: deque(maxlen=STEP_HISTORY))
    queue_depth: int = 0
    steps: int = 0
    generated_tokens: int = 0
    log: deque[LogEntry] = field(default_factory=lambda: deque(maxlen=LOG_LIMIT))
    log_count: int = 0  # entries ever appended to `log` (it drops the oldest), so readers can find new ones
    errors: list[LogEntry] = field(default_factory=list)
    streams: dict[str, str] = field(default_factory=dict)  # owner → the tail of its generated text
    events_seen: int = 0

    # --- reading ---------------------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """Whether the run has not ended yet (or not started: no run.started seen)."""
        return self.status is None or self.status == RunStatus.RUNNING

    @property
    def status_text(self) -> str:
        return "waiting" if self.status is None else self.status.value

    def now(self) -> float:
        return self.last_ts if self.last_ts is not None else 0.0

    def elapsed_s(self, now: float | None = None) -> float:
        if self.started_ts is None:
            return 0.0
        if self.finished_ts is not None:
            if self.reported_elapsed_s is not None:
                return self.reported_elapsed_s
            return max(0.0, self.finished_ts - self.started_ts)
        return max(0.0, (now if now is not None else self.now()) - self.started_ts)

    def counts(self) -> dict[str, int]:
        """Node counts by state, plus ``total``."""
        result: dict[str, int] = {"total": len(self.nodes)}
        for node in self.nodes.values():
            result[node.state] = result.get(node.state, 0) + 1
        return result

    def ordered_nodes(self) -> list[NodeView]:
        """Nodes by dependency depth, then in the order the run declared them."""
        order = {node_id: i for i, node_id in enumerate(self.nodes)}
        return sorted(self.nodes.values(), key=lambda n: (n.depth, order[n.id]))

    def ordered_sequences(self) -> list[SequenceView]:
        return [self.sequences[k] for k in sorted(self.sequences)]

    def streams_for_node(self, node_id: str) -> list[tuple[str, str]]:
        """``(owner, text)`` of every sequence owner that belongs to ``node_id`` and generated text (map items
        included), in the order they started."""
        out = []
        for owner, text in self.streams.items():
            if split_owner(owner)[0] == node_id and (text := text.strip()):
                out.append((owner, text))
        return out

    def stream_for_owner(self, owner: str | None) -> str:
        return self.streams.get(owner or "", "")

    # --- folding ---------------------------------------------------------------------------------------------

    def apply_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        name = str(event.get("event", ""))
        ts = event.get("ts")
        if isinstance(ts, (int, float)):
            self.last_ts = float(ts) if self.last_ts is None else max(self.last_ts, float(ts))
        self.events_seen += 1
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, event)
        if name not in STREAM_EVENTS:  # generated text goes to the stream panel, not the log
            self._log(event, name)

    def _ts(self, event: Event) -> float:
        ts = event.get("ts")
        return float(ts) if isinstance(ts, (int, float)) else self.now()

    def note(self, name: str, text: str, *, is_error: bool = False) -> None:
        """Add a line to the log that is not an event of the run (e.g. the dashboard's own trouble)."""
        self._append_log(LogEntry(ts=self.now(), event=name, text=text, is_error=is_error))

    def _log(self, event: Event, name: str) -> None:
        text, is_error = describe(event)
        self._append_log(LogEntry(ts=self._ts(event), event=name, text=text, is_error=is_error))

    def _append_log(self, entry: LogEntry) -> None:
        self.log.append(entry)
        self.log_count += 1
        if entry.is_error:
            self.errors.append(entry)

    def _sequence(self, event: Event) -> SequenceView | None:
        seq = event.get("seq")
        if not isinstance(seq, int):
            return None
        view = self.sequences.get(seq)
        if view is None:
            view = self.sequences[seq] = SequenceView(seq=seq)
            self.pool_size = max(self.pool_size, seq + 1)
        return view

    def _node(self, node_id: Any, agent: Any = None) -> NodeView | None:
        if not isinstance(node_id, str):
            return None
        node = self.nodes.get(node_id)
        if node is None:  # an event about a node run.started did not list (e.g. from a dynamic plan)
            node = self.nodes[node_id] = NodeView(id=node_id, agent=str(agent or "?"), dynamic=True)
            self._recompute_depths()
        return node

    def _count_tokens(self, owner: str | None, count: int) -> None:
        node_id = split_owner(owner)[0]
        if node_id is not None and node_id in self.nodes:
            self.nodes[node_id].live_tokens += count

    def _add_throughput(self, ts: float, tokens: int) -> None:
        bucket = int(ts)
        if self.throughput_bucket is None:
            self.throughput_bucket = bucket
            self.throughput.append(0.0)
        elif bucket > self.throughput_bucket:
            gap = min(bucket - self.throughput_bucket, SERIES_SECONDS)
            self.throughput.extend([0.0] * gap)
            self.throughput_bucket = bucket
        # Tokens stamped earlier than the current bucket (events from another thread, slightly out of order)
        # count into the current one.
        self.throughput[-1] += tokens

    def _recompute_depths(self) -> None:
        """Depth = length of the longest chain of `needs` above a node (unknown needs count as roots)."""
        depth: dict[str, int] = {}
        visiting: set[str] = set()

        def visit(node_id: str) -> int:
            if node_id in depth:
                return depth[node_id]
            node = self.nodes.get(node_id)
            if node is None or node_id in visiting:  # a missing or cyclic need: treat as a root
                return -1
            visiting.add(node_id)
            value = 1 + max((visit(need) for need in node.needs), default=-1)
            visiting.discard(node_id)
            depth[node_id] = value
            return value

        for node_id, node in self.nodes.items():
            node.depth = max(0, visit(node_id))


# --- event handlers (module functions so RunView stays a plain dataclass) -------------------------------------


def _on_run_started(view: RunView, event: Event) -> None:
    view.run_id = event.get("run_id", view.run_id)
    view.run_dir = event.get("run_dir", view.run_dir)
    graph = event.get("graph")
    view.graph = str(graph) if graph is not None else view.graph
    view.status = RunStatus.RUNNING
    view.resumed = bool(event.get("resumed", False))
    view.started_ts = view._ts(event)
    view.finished_ts = None
    view.reported_elapsed_s = None
    for spec in event.get("nodes") or []:
        if not isinstance(spec, dict) or "id" not in spec:
            continue
        node_id = str(spec["id"])
        existing = view.nodes.get(node_id)
        node = existing or NodeView(id=node_id, agent=str(spec.get("agent", "?")))
        node.agent = str(spec.get("agent", node.agent))
        node.needs = [str(n) for n in spec.get("needs") or []]
        node.kind = str(spec.get("kind") or "task")
        view.nodes[node_id] = node
    view._recompute_depths()


def _on_node_state(view: RunView, event: Event) -> None:
    node = view._node(event.get("node"), event.get("agent"))
    if node is None:
        return
    state = _member(NodeState, event.get("state"), node.state)
    ts = view._ts(event)
    if state == NodeState.RUNNING and node.state != NodeState.RUNNING:
        node.started_ts = ts
        node.finished_ts = None
        node.error = None
        node.outcome = None
    if state in FINISHED_NODE_STATES:
        node.finished_ts = ts
    node.state = state
    if event.get("outcome") is not None:
        node.outcome = _member(AgentOutcome, event["outcome"], AgentOutcome.ANSWERED)
    if event.get("agent"):
        node.agent = str(event["agent"])
    if "attempt" in event:
        node.attempt = event["attempt"]
    if event.get("error"):
        node.error = str(event["error"])
    if isinstance(event.get("elapsed_ms"), (int, float)):
        node.elapsed_ms = float(event["elapsed_ms"])
    if isinstance(event.get("tokens"), int):
        node.reported_tokens = event["tokens"]


def _on_node_output(view: RunView, event: Event) -> None:
    node = view._node(event.get("node"))
    if node is not None:
        output = event.get("output")
        node.output = output if isinstance(output, str) else repr(output)


def _on_map_item(view: RunView, event: Event) -> None:
    node = view._node(event.get("node"))
    if node is None:
        return
    if isinstance(event.get("total"), int):
        node.map_total = event["total"]
    status = _member(ItemStatus, event.get("status"), ItemStatus.PENDING)
    if status == ItemStatus.RUNNING:
        node.map_running += 1
    elif status in (ItemStatus.COMPLETED, ItemStatus.FAILED):
        node.map_running = max(0, node.map_running - 1)
        if status == ItemStatus.COMPLETED:
            node.map_done += 1
            outcome = event.get("outcome")
            if outcome is not None and outcome != AgentOutcome.ANSWERED:
                node.map_unanswered += 1
        else:
            node.map_failed += 1


def _on_graph_expanded(view: RunView, event: Event) -> None:
    for spec in event.get("added") or []:
        if not isinstance(spec, dict) or "id" not in spec:
            continue
        node_id = str(spec["id"])
        node = view.nodes.get(node_id) or NodeView(id=node_id, agent=str(spec.get("agent", "?")), dynamic=True)
        node.needs = [str(n) for n in spec.get("needs") or []]
        view.nodes[node_id] = node
    view._recompute_depths()


def _on_run_finished(view: RunView, event: Event) -> None:
    view.status = _member(RunStatus, event.get("status"), RunStatus.FAILED)
    view.finished_ts = view._ts(event)
    if isinstance(event.get("elapsed_s"), (int, float)):
        view.reported_elapsed_s = float(event["elapsed_s"])
    for seq in view.sequences.values():
        seq.state = "idle"


def _on_engine_loading(view: RunView, event: Event) -> None:
    view.model = str(event.get("model", view.model))
    if isinstance(event.get("sequences"), int):
        view.pool_size = event["sequences"]
        for i in range(view.pool_size):
            view.sequences.setdefault(i, SequenceView(seq=i))
    if isinstance(event.get("n_ctx"), int):
        view.n_ctx = event["n_ctx"]


def _on_engine_ready(view: RunView, event: Event) -> None:
    _on_engine_loading(view, event)


def _on_engine_step(view: RunView, event: Event) -> None:
    view.steps += 1
    n_decode = int(event.get("n_decode") or 0)
    view.generated_tokens += n_decode
    view._add_throughput(view._ts(event), n_decode)
    active = event.get("active")
    if not isinstance(active, int):
        active = n_decode + int(event.get("n_seqs_prefill") or 0)
    view.occupancy.append(min(1.0, active / view.pool_size) if view.pool_size else 0.0)
    view.batch_tokens.append(int(event.get("batch_tokens") or 0))
    view.queue_depth = int(event.get("queue_depth") or 0)


def _on_seq_acquired(view: RunView, event: Event) -> None:
    seq = view._sequence(event)
    if seq is None:
        return
    seq.owner = event.get("owner")
    seq.leased = True
    seq.generated = 0
    seq.state = "idle"
    seq.last_activity_ts = view._ts(event)


def _on_seq_released(view: RunView, event: Event) -> None:
    seq = view._sequence(event)
    if seq is None:
        return
    seq.leased = False
    seq.state = "idle"
    seq.request = None


def _on_seq_state(view: RunView, event: Event) -> None:
    seq = view._sequence(event)
    if seq is None:
        return
    seq.state = str(event.get("state", seq.state))
    if event.get("owner") is not None:
        seq.owner = event["owner"]
    if isinstance(event.get("kv_cells"), int):
        seq.kv_cells = event["kv_cells"]
    seq.last_activity_ts = view._ts(event)


def _on_request_started(view: RunView, event: Event) -> None:
    seq = view._sequence(event)
    if seq is None:
        return
    seq.request = event.get("request")
    if event.get("owner") is not None:
        seq.owner = event["owner"]
    seq.token_times.clear()
    seq.streamed = 0
    seq.last_activity_ts = view._ts(event)


def _on_request_token(view: RunView, event: Event) -> None:
    _on_generated(view, event, 1)


def _on_request_text(view: RunView, event: Event) -> None:
    """The text of several tokens at once (what a run directory's events.jsonl carries instead of tokens)."""
    tokens = event.get("tokens")
    _on_generated(view, event, tokens if isinstance(tokens, int) and tokens >= 0 else 0)


def _on_generated(view: RunView, event: Event, tokens: int) -> None:
    seq = view._sequence(event)
    owner = event.get("owner") or (seq.owner if seq else None)
    ts = view._ts(event)
    if seq is not None:
        seq.generated += tokens
        seq.total_generated += tokens
        seq.token_times.extend([ts] * tokens)
        seq.last_activity_ts = ts
        seq.streamed += tokens
    text = event.get("text")
    if isinstance(text, str) and owner:
        view.streams[owner] = (view.streams.get(owner, "") + text)[-STREAM_CHARS:]
    view._count_tokens(owner, tokens)


def _on_request_finished(view: RunView, event: Event) -> None:
    seq = view._sequence(event)
    owner = event.get("owner") or (seq.owner if seq else None)
    completion = int(event.get("completion_tokens") or 0)
    streamed = 0
    if seq is not None:
        # Tokens already counted from request.token / request.text events are not counted twice.
        streamed, seq.streamed = seq.streamed, 0
        extra = max(0, completion - streamed)
        seq.generated += extra
        seq.total_generated += extra
        decode_ms = event.get("decode_ms")
        if isinstance(decode_ms, (int, float)) and decode_ms > 0 and completion:
            seq.last_rate = completion / (decode_ms / 1000.0)
        seq.request = None
        seq.last_activity_ts = view._ts(event)
    view._count_tokens(owner, max(0, completion - streamed))


def _on_request_failed(view: RunView, event: Event) -> None:
    seq = view._sequence(event)
    if seq is not None:
        seq.request = None
        seq.streamed = 0


def _on_engine_closed(view: RunView, event: Event) -> None:
    for seq in view.sequences.values():
        seq.state = "idle"
        seq.leased = False


_HANDLERS = {
    "run.started": _on_run_started,
    "run.finished": _on_run_finished,
    "node.state": _on_node_state,
    "node.output": _on_node_output,
    "map.item": _on_map_item,
    "graph.expanded": _on_graph_expanded,
    "engine.loading": _on_engine_loading,
    "engine.ready": _on_engine_ready,
    "engine.step": _on_engine_step,
    "engine.closed": _on_engine_closed,
    "seq.acquired": _on_seq_acquired,
    "seq.released": _on_seq_released,
    "seq.state": _on_seq_state,
    "request.started": _on_request_started,
    "request.token": _on_request_token,
    "request.text": _on_request_text,
    "request.finished": _on_request_finished,
    "request.failed": _on_request_failed,
}


# --- one line per event for the log ----------------------------------------------------------------------------


def describe(event: Event) -> tuple[str, bool]:
    """A short human line for the event log, and whether the event reports an error."""
    name = str(event.get("event", "?"))
    error = event.get("error")
    # A skipped node carries its reason in `error`, but the error is its need's, already reported.
    is_error = (bool(error) and event.get("state") != NodeState.SKIPPED) or name.endswith(".failed") or (
        name == "node.state" and event.get("state") == NodeState.FAILED
    )
    outcome = event.get("outcome")
    unanswered = f" without an answer ({outcome})" if outcome not in (None, AgentOutcome.ANSWERED) else ""
    if name == "node.state":
        text = f"{event.get('node')} → {event.get('state')}{unanswered}"
        if event.get("attempt") not in (None, 1, 0):
            text += f" (attempt {event.get('attempt')})"
    elif name == "map.item":
        text = f"{event.get('node')}[{event.get('index')}/{event.get('total')}] {event.get('status')}{unanswered}"
    elif name == "run.started":
        text = f"run {event.get('run_id')} started: {len(event.get('nodes') or [])} nodes"
        if event.get("resumed"):
            text += " (resumed)"
    elif name == "run.finished":
        text = f"run {event.get('run_id')} {event.get('status')}"
        if isinstance(event.get("elapsed_s"), (int, float)):
            text += f" in {event['elapsed_s']:.1f}s"
        if event.get("unanswered"):
            text += f"; without an answer: {', '.join(f'{n} ({o})' for n, o in dict(event['unanswered']).items())}"
    elif name == "engine.step":
        text = (
            f"step {event.get('step')}: {event.get('n_decode')} decode + {event.get('n_prefill')} prefill, "
            f"{event.get('step_ms')} ms, queue {event.get('queue_depth')}"
        )
    elif name in ("seq.acquired", "seq.released"):
        text = f"seq {event.get('seq')} {name.split('.')[1]} by {event.get('owner')}"
    elif name == "seq.state":
        text = f"seq {event.get('seq')} {event.get('state')}" + (f" ({event['owner']})" if event.get("owner") else "")
    elif name == "request.started":
        text = f"{event.get('owner')}: request {event.get('request')} on seq {event.get('seq')}, {event.get('prompt_tokens')} prompt tokens ({event.get('cached_tokens')} cached)"
    elif name == "request.finished":
        text = f"{event.get('owner')}: {event.get('completion_tokens')} tokens, {event.get('finish_reason')}"
    elif name == "request.failed":
        text = f"{event.get('owner')}: {event.get('error_type')}"
    elif name == "node.output":
        text = f"{event.get('node')} output: {event.get('output')}"
    elif name == "graph.expanded":
        added = [a.get("id") for a in event.get("added") or [] if isinstance(a, dict)]
        text = f"{event.get('node')} added {', '.join(str(a) for a in added)}"
    elif name == "agent.step":
        text = f"{event.get('node')}/{event.get('agent')} step {event.get('step')}: {event.get('action') or event.get('thought') or ''}"
    elif name == "tool.called":
        text = f"{event.get('node')}/{event.get('agent')} called {event.get('tool')}{'' if event.get('ok', True) else ' (failed)'}"
    elif name.startswith("engine."):
        fields = {k: v for k, v in event.items() if k not in ("event", "ts")}
        text = " ".join(f"{k}={v}" for k, v in list(fields.items())[:5])
    else:
        fields = {k: v for k, v in event.items() if k not in ("event", "ts")}
        text = " ".join(f"{k}={v}" for k, v in list(fields.items())[:4])
    if error:
        text += f": {error}"
    return " ".join(text.split())[:300], is_error
