"""`ServeContext`: what every route of one server shares — the engine, the settings, admission, metrics, events."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from agentrt.engine import Engine
from agentrt.events import EventBus
from agentrt.serve.generation import Admission
from agentrt.serve.metrics import ServeMetrics
from agentrt.serve.prepare import Preparer
from agentrt.serve.settings import ServeSettings

if TYPE_CHECKING:
    from agentrt.serve.generation import GenerationResponse


class ServeContext:
    def __init__(self, engine: Engine, settings: ServeSettings, events: EventBus) -> None:
        self.engine = engine
        self.settings = settings
        self.events = events
        self.model_id = settings.served_name
        self.n_ctx = engine.config.n_ctx
        self.preparer = Preparer(engine, self.n_ctx)
        self.admission = Admission(engine.pool_size, settings.max_queue)
        self.metrics = ServeMetrics()
        self.metrics.bind_pool(engine.pool_size)
        self._ids = itertools.count(1)
        self.closing = False
        self._unsubscribe = events.subscribe(self.metrics.on_step, kinds={"engine.step"})

    def next_id(self) -> int:
        return next(self._ids)

    def answered(self, path: str, status: int, request_id: int, *, seconds: float, error: str | None = None,
                 **fields: object) -> None:
        """Count an HTTP answer and log it as a `serve.request` event."""
        self.metrics.http[(path, str(status))] += 1
        event = {"request_id": request_id, "path": path, "status": status, "ms": round(seconds * 1e3, 2), **fields}
        if error:
            event["error"] = error[:300]
        self.events.emit("serve.request", **event)

    def finished(self, response: GenerationResponse, seconds: float) -> None:
        """A generation response ended (answered, refused by the engine, or left by its client)."""
        result = response.result
        if result is not None:
            self.metrics.on_result(result)
        fields: dict[str, object] = {"owner": response.owner, "stream": response.prepared.stream}
        if response.disconnected:
            fields["disconnected"] = True
        if result is not None:
            fields.update(prompt_tokens=result.prompt_tokens, cached_tokens=result.cached_tokens,
                          completion_tokens=result.completion_tokens, finish_reason=result.finish_reason)
        # A client that left before anything was sent never got a status: logged as 499 (nginx's "client closed").
        status = response.status or 499
        self.answered(response.path, status, response.request_id, seconds=seconds, error=response.error, **fields)

    def stop_accepting(self) -> None:
        """Shutting down: new requests get 503, /health says so."""
        self.closing = True

    def close(self) -> None:
        self.closing = True
        self._unsubscribe()
