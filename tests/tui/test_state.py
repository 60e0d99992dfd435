"""The RunView reducer, folded from the recorded research run and from hand-made events."""

from __future__ import annotations

from typing import Any

from dashboard_helpers import events_until

from tui.state import RunView, split_owner


def folded(events: list[dict[str, Any]]) -> RunView:
    view = RunView()
    view.apply_all(events)
    return view


def test_split_owner() -> None:
    assert split_owner("fetch[3]/executor") == ("fetch", 3, "executor")
    assert split_owner("plan/planner") == ("plan", None, "planner")
    assert split_owner("bench") == (None, None, "bench")
    assert split_owner(None) == (None, None, None)


def test_finished_run_states_and_counts(research_events: list[dict[str, Any]]) -> None:
    view = folded(research_events)
    assert view.status == "failed"
    assert view.graph == "graphs/research.yaml" and view.model == "smollm2"
    assert view.counts() == {"total": 5, "succeeded": 3, "failed": 1, "skipped": 1}
    assert [(n.id, n.depth) for n in view.ordered_nodes()] == [
        ("plan", 0), ("fetch", 1), ("summarize", 2), ("critique", 3), ("report", 4)
    ]
    fetch = view.nodes["fetch"]
    assert (fetch.map_total, fetch.map_done, fetch.map_failed, fetch.map_running) == (4, 3, 1, 0)
    critique = view.nodes["critique"]
    assert critique.attempt == 2 and critique.error is not None and "OutputParseError" in critique.error
    assert view.elapsed_s() == research_events[-2]["elapsed_s"]


def test_tokens_are_counted_once(research_events: list[dict[str, Any]]) -> None:
    view = folded(research_events)
    closed = research_events[-1]
    assert view.generated_tokens == closed["generated_tokens"]
    assert sum(view.throughput) == closed["generated_tokens"]
    # live counts (token events + finished requests) agree with what the graph runtime reported
    for node in view.nodes.values():
        assert node.live_tokens == (node.reported_tokens or 0), node.id
    assert sum(seq.total_generated for seq in view.sequences.values()) == closed["generated_tokens"]


def test_mid_run_pool_and_map(research_events: list[dict[str, Any]]) -> None:
    # Caught while the three fetch items decode side by side.
    events = events_until(research_events, lambda e: e["event"] == "request.token" and e["owner"] == "fetch[2]/executor")
    view = folded(events)
    assert view.status == "running"
    assert view.nodes["fetch"].state == "running" and view.nodes["fetch"].map_running == 4
    owners = {seq.seq: (seq.owner, seq.state, seq.leased) for seq in view.ordered_sequences()}
    assert owners == {
        0: ("fetch[0]/executor", "decode", True),
        1: ("fetch[1]/executor", "decode", True),
        2: ("fetch[2]/executor", "decode", True),
    }
    assert all(seq.kv_cells > 0 for seq in view.sequences.values())
    assert view.sequences[0].rate(view.now()) > 0
    assert view.occupancy[-1] == 1.0
    assert view.streams_for_node("fetch")  # owners with text only


def test_errors_are_collected_with_their_message(research_events: list[dict[str, Any]]) -> None:
    view = folded(research_events)
    texts = [entry.text for entry in view.errors]
    assert any("bear.md does not exist" in t for t in texts)  # the failed map item and its tool call
    assert any(t.startswith("critique → failed") and "not valid JSON" in t for t in texts)
    assert not any("report" in t for t in texts)  # a skip is not an error of its own


def test_unknown_and_dynamic_nodes() -> None:
    view = RunView()
    view.apply({"ts": 1.0, "event": "run.started", "run_id": "r", "graph": "g.yaml",
                "nodes": [{"id": "plan", "agent": "planner", "needs": [], "kind": "task"}]})
    view.apply({"ts": 2.0, "event": "graph.expanded", "node": "plan",
                "added": [{"id": "step1", "agent": "executor", "needs": ["plan"]},
                          {"id": "step2", "agent": "executor", "needs": ["step1"]}]})
    view.apply({"ts": 3.0, "event": "node.state", "node": "ghost", "agent": "x", "state": "running"})
    view.apply({"ts": 4.0, "event": "something.new", "value": 1})
    assert [(n.id, n.depth, n.dynamic) for n in view.ordered_nodes()] == [
        ("plan", 0, False), ("ghost", 0, True), ("step1", 1, True), ("step2", 2, True)
    ]
    assert view.nodes["ghost"].elapsed_s(10.0) == 7.0
    assert view.log[-1].event == "something.new"


def test_text_events_feed_the_stream_and_counters_like_tokens() -> None:
    owner = "fetch[1]/executor"
    events: list[dict[str, Any]] = [
        {"ts": 1.0, "event": "run.started", "graph": "g.yaml", "nodes": [{"id": "fetch", "agent": "executor", "needs": [], "kind": "map"}]},
        {"ts": 1.0, "event": "seq.acquired", "seq": 0, "owner": owner},
        {"ts": 1.1, "event": "request.started", "request": 3, "seq": 0, "owner": owner, "prompt_tokens": 5},
        {"ts": 1.2, "event": "request.text", "request": 3, "seq": 0, "owner": owner, "text": "Hello", "tokens": 2, "index": 0},
        {"ts": 1.3, "event": "request.text", "request": 3, "seq": 0, "owner": owner, "text": " world", "tokens": 3, "index": 2},
        {"ts": 1.4, "event": "request.finished", "request": 3, "seq": 0, "owner": owner, "completion_tokens": 5, "decode_ms": 200.0},
    ]
    view = folded(events)
    assert view.stream_for_owner(owner) == "Hello world"
    assert view.sequences[0].generated == 5  # counted from the text events, not again at request.finished
    assert view.nodes["fetch"].tokens == 5
    assert not [entry for entry in view.log if entry.event == "request.text"]  # the stream panel's, not the log's


def test_a_node_without_an_answer_looks_different_from_one_that_answered() -> None:
    from tui.widgets.dag import _items_cell, _node_cell

    view = RunView()
    view.apply_all([
        {"ts": 1.0, "event": "run.started", "run_id": "r", "nodes": [
            {"id": "ok", "agent": "x", "needs": [], "kind": "node"},
            {"id": "stuck", "agent": "x", "needs": [], "kind": "node"},
            {"id": "each", "agent": "x", "needs": [], "kind": "map"},
        ]},
        {"ts": 2.0, "event": "node.state", "node": "ok", "agent": "x", "state": "succeeded", "outcome": "answered"},
        {"ts": 2.0, "event": "node.state", "node": "stuck", "agent": "x", "state": "succeeded", "outcome": "step_limit"},
        {"ts": 2.0, "event": "map.item", "node": "each", "index": 0, "total": 2, "status": "completed",
         "outcome": "answered"},
        {"ts": 2.0, "event": "map.item", "node": "each", "index": 1, "total": 2, "status": "completed",
         "outcome": "rejected"},
        {"ts": 3.0, "event": "run.finished", "run_id": "r", "status": "incomplete", "outputs": {},
         "unanswered": {"stuck": "step_limit"}},
    ])
    ok, stuck = view.nodes["ok"], view.nodes["stuck"]
    assert not ok.unanswered and stuck.unanswered and stuck.outcome == "step_limit"
    assert view.status == "incomplete" and not view.live
    ok_text = "".join(text for text, _ in _node_cell(ok))
    stuck_text = "".join(text for text, _ in _node_cell(stuck))
    assert "✔" in ok_text and "⚠" not in ok_text
    assert "⚠" in stuck_text and "step limit" in stuck_text and "✔" not in stuck_text
    assert "1⚠" in "".join(text for text, _ in _items_cell(view.nodes["each"]))
    assert "without an answer: stuck (step_limit)" in view.log[-1].text
