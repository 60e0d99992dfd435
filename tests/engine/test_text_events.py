"""`TextEvents` coalesces a request's text into `request.text` events on a clock; `EventBus` subscriptions with
``exclude`` take everything else."""

from __future__ import annotations

from agentrt.engine.text_events import TEXT_INTERVAL_S, TextEvents
from agentrt.events import TEXT_EVENT, TOKEN_EVENT, EventBus


def test_text_is_sent_at_most_once_per_interval_and_the_rest_on_flush() -> None:
    bus = EventBus(forward_to_logging=False)
    sent: list[dict] = []
    bus.subscribe(sent.append, kinds={TEXT_EVENT})
    text = TextEvents(bus, request=7, seq=2, owner="n/a", now=0.0)
    step = TEXT_INTERVAL_S / 4
    for i, piece in enumerate(["a", "b", "", "c", "d", "e"]):
        text.add(piece, now=(i + 1) * step)
    assert [(e["text"], e["tokens"], e["index"]) for e in sent] == [("abc", 4, 0)]  # the 4th token was due
    text.add("!", now=6 * step, tokens=0)  # a stop string's held-back tail: text, no token
    text.flush(now=6 * step)
    assert [(e["text"], e["tokens"], e["index"]) for e in sent[1:]] == [("de!", 2, 4)]
    assert {(e["request"], e["seq"], e["owner"]) for e in sent} == {(7, 2, "n/a")}
    text.flush(now=1.0)
    assert len(sent) == 2  # nothing new: no empty event


def test_exclude_takes_every_event_but_those() -> None:
    bus = EventBus(forward_to_logging=False)
    seen: list[str] = []
    unsubscribe = bus.subscribe(lambda e: seen.append(e["event"]), exclude={TOKEN_EVENT})
    assert bus.wants(TEXT_EVENT) and bus.wants("node.state") and not bus.wants(TOKEN_EVENT)
    for name in (TOKEN_EVENT, TEXT_EVENT, "node.state"):
        bus.emit(name)
    assert seen == [TEXT_EVENT, "node.state"]
    unsubscribe()
    assert not bus.wants(TEXT_EVENT)
