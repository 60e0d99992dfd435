"""`GET /metrics`: Prometheus text for the server and its engine, read at scrape time.

The engine's own totals (tokens generated and prefilled, prompt tokens reused from a sequence's own cache or
copied from another's, steps) come from `Engine.stats()`; batch occupancy from its `engine.step` events; HTTP
requests, the queue and prefix-cache hits per request are counted here. A registry per server (no global state).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from agentrt.engine import GenerationResult
from agentrt.events import Event

if TYPE_CHECKING:
    from agentrt.serve.context import ServeContext

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServeMetrics:
    """Counters the HTTP side keeps; `render` adds the engine's figures at scrape time."""

    def __init__(self) -> None:
        self.http: Counter[tuple[str, str]] = Counter()  # (path, status) → requests
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cache_hits = 0  # requests that reused at least one prompt token from a KV cache
        self.disconnects = 0
        # From engine.step events (the engine's thread writes, scrapes read: plain ints).
        self.batch_sequences = 0  # sum over steps of the sequences in the batch
        self.last_occupancy = 0.0
        self._pool_size = 1

    def bind_pool(self, size: int) -> None:
        self._pool_size = max(1, size)

    def on_step(self, event: Event) -> None:
        active = int(event.get("active") or 0)
        self.batch_sequences += active
        self.last_occupancy = active / self._pool_size

    def on_result(self, result: GenerationResult) -> None:
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        if result.cached_tokens > 0:
            self.cache_hits += 1

    def render(self, context: ServeContext) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self, context))
        return generate_latest(registry)


class _Collector:
    def __init__(self, metrics: ServeMetrics, context: ServeContext) -> None:
        self.metrics = metrics
        self.context = context

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        stats = self.context.engine.stats()
        admission = self.context.admission

        http = CounterMetricFamily("agentrt_http_requests", "HTTP requests answered", labels=["path", "status"])
        for (path, status), count in sorted(m.http.items()):
            http.add_metric([path, status], count)
        yield http
        yield _counter("agentrt_http_disconnects", "requests whose client left before the answer ended",
                       m.disconnects)
        yield _counter("agentrt_prompt_tokens", "prompt tokens of answered requests", m.prompt_tokens)
        yield _counter("agentrt_completion_tokens", "tokens generated for answered requests", m.completion_tokens)
        yield _counter("agentrt_prefix_cache_hits", "requests that reused part of their prompt from a KV cache",
                       m.cache_hits)

        yield _gauge("agentrt_queue_depth", "requests waiting for a free sequence", admission.waiting)
        yield _gauge("agentrt_queue_limit", "most requests that may wait (more get 429)", admission.max_queue)
        yield _gauge("agentrt_requests_running", "requests holding a sequence", admission.holding)

        yield _counter("agentrt_engine_steps", "engine steps (one llama_decode each)", stats.steps)
        yield _counter("agentrt_generated_tokens", "tokens the engine generated", stats.generated_tokens)
        yield _counter("agentrt_prefill_tokens", "prompt tokens the engine computed (prefilled)", stats.prefill_tokens)
        reused = CounterMetricFamily("agentrt_prefix_cache_tokens", "prompt tokens not prefilled again: kept in "
                                     "the sequence's own KV cache, or copied from another sequence's",
                                     labels=["source"])
        reused.add_metric(["own"], stats.cached_tokens)
        reused.add_metric(["copied"], stats.shared_tokens)
        yield reused
        yield _counter("agentrt_batch_sequences", "sum over steps of the sequences in the batch (divided by "
                       "agentrt_engine_steps: the mean batch size)", m.batch_sequences)
        yield _gauge("agentrt_batch_occupancy", "share of the sequences in the last step's batch", m.last_occupancy)

        kv_used = sum(s.kv_cells for s in stats.sequences)
        yield _gauge("agentrt_kv_cells_used", "KV cache cells holding tokens, all sequences", kv_used)
        yield _gauge("agentrt_kv_cells_capacity", "KV cache cells, all sequences",
                     self.context.n_ctx * len(stats.sequences))
        states = GaugeMetricFamily("agentrt_sequences", "sequences by state", labels=["state"])
        counts = Counter(s.state for s in stats.sequences)
        for state in ("free", "idle", "waiting", "prefill", "decode"):
            states.add_metric([state], counts.get(state, 0))
        yield states


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)
