"""`Endpoint`: one OpenAI-compatible server as the remote engine sees it — its HTTP client, how many requests
are in flight on it, how many sequences are pinned to it, and whether it is up.

Every HTTP failure becomes an `EndpointError` that says whether to retry (429, 5xx, a timeout, a lost
connection) and whether the server itself is gone (connection refused or dropped: route elsewhere for a while).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from agentrt.errors import ContextOverflowError, EngineError
from agentrt.events import EventBus
from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.engine.remote.errors import EndpointError
from agentrt.engine.remote.sse import SSEFormatError, iter_sse_json
from agentrt.engine.remote.wire import ResolvedKind, detect_kind, first_model

EndpointState = Literal["up", "down"]
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_CONTEXT_WORDS = ("context", "n_ctx", "too long", "maximum context")


class EndpointStats(BaseModel):
    url: str
    kind: str
    model: str | None
    state: EndpointState
    limit: int
    in_flight: int
    pinned: int  # leased sequences whose requests go here (affinity)
    requests: int  # requests that got an answer here
    failures: int  # attempts that failed here (each retried or reported)


class Endpoint:
    def __init__(self, config: EndpointConfig, engine_config: RemoteEngineConfig, events: EventBus) -> None:
        self.config = config
        self.url = config.url
        self.limit = engine_config.limit_of(config)
        self._engine_config = engine_config
        self._events = events
        self.kind: ResolvedKind | None = None if config.kind == "auto" else config.kind
        self.model: str | None = config.model
        self.in_flight = 0
        self.pinned = 0
        self.requests = 0
        self.failures = 0
        self.state: EndpointState = "up"
        self._down_until = 0.0
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(engine_config.read_timeout_s, connect=engine_config.connect_timeout_s),
            # One connection per request in flight; no keep-alive pool larger than the limit.
            limits=httpx.Limits(max_connections=self.limit + 1, max_keepalive_connections=self.limit),
        )

    # --- state ----------------------------------------------------------------------------------------------

    def usable(self, now: float | None = None) -> bool:
        """Up, or down long enough ago that it is worth trying again."""
        return self.state == "up" or (now if now is not None else time.monotonic()) >= self._down_until

    @property
    def retry_at(self) -> float:
        return self._down_until

    @property
    def has_room(self) -> bool:
        return self.in_flight < self.limit

    @property
    def load(self) -> tuple[float, float]:
        """Least-loaded ordering: pinned sequences per slot first, then requests in flight per slot."""
        return (self.pinned / self.limit, self.in_flight / self.limit)

    def mark_down(self, error: BaseException) -> None:
        self._down_until = time.monotonic() + self._engine_config.down_s
        if self.state != "down":
            self.state = "down"
            self._events.emit("endpoint.state", url=self.url, state="down", error=str(error)[:300],
                              in_flight=self.in_flight)

    def mark_up(self) -> None:
        if self.state != "up":
            self.state = "up"
            self._events.emit("endpoint.state", url=self.url, state="up", in_flight=self.in_flight)

    def stats(self) -> EndpointStats:
        return EndpointStats(
            url=self.url, kind=self.kind or "auto", model=self.model, state=self.state, limit=self.limit,
            in_flight=self.in_flight, pinned=self.pinned, requests=self.requests, failures=self.failures,
        )

    # --- HTTP -----------------------------------------------------------------------------------------------

    async def probe(self) -> None:
        """GET /v1/models: learn the server's kind and model name. Raises `EndpointError` if it does not answer."""
        body = await self._get_json("/v1/models")
        if self.kind is None:
            self.kind = detect_kind(body)
        if self.model is None:
            self.model = first_model(body)
        self.mark_up()

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, path) from exc
        if response.status_code >= 400:
            raise self._status_error(response.status_code, response.text, response.headers, path)
        return self._json(response.text, path)

    async def post_stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The stream's JSON events. An error status before the stream starts raises like `post_json`."""
        try:
            async with self._client.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise self._status_error(response.status_code, text, response.headers, path)
                async for event in iter_sse_json(response.aiter_lines()):
                    if isinstance(event.get("error"), (dict, str)):  # an error reported inside the stream
                        raise self._status_error(500, json.dumps(event["error"]), {}, path)
                    yield event
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, path) from exc
        except SSEFormatError as exc:
            raise EndpointError(f"{self.url}{path}: {exc}", url=self.url, retryable=True) from exc

    async def close(self) -> None:
        await self._client.aclose()

    async def _get_json(self, path: str) -> dict[str, Any]:
        try:
            response = await self._client.get(path)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, path) from exc
        if response.status_code >= 400:
            raise self._status_error(response.status_code, response.text, response.headers, path)
        return self._json(response.text, path)

    def _json(self, text: str, path: str) -> dict[str, Any]:
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EndpointError(f"{self.url}{path}: the answer is not JSON: {text[:200]!r}", url=self.url,
                                retryable=True) from exc
        if not isinstance(body, dict):
            raise EndpointError(f"{self.url}{path}: the answer is not a JSON object", url=self.url, retryable=True)
        return body

    def _transport_error(self, exc: httpx.HTTPError, path: str) -> EndpointError:
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            # The server is there but slow: retry, without routing everyone else away from it.
            return EndpointError(f"{self.url}{path}: timed out ({type(exc).__name__})", url=self.url,
                                 retryable=True)
        return EndpointError(
            f"{self.url}{path}: server unreachable or connection lost ({type(exc).__name__}: {exc})",
            url=self.url, retryable=True, endpoint_down=True,
        )

    def _status_error(self, status: int, text: str, headers: Any, path: str) -> EngineError:
        message = _error_message(text)
        where = f"{self.url}{path}: HTTP {status}: {message}"
        if status == 400 and any(word in message.lower() for word in _CONTEXT_WORDS):
            return ContextOverflowError(f"{where} (the conversation does not fit in the server's context)")
        retry_after = _retry_after(headers.get("retry-after") if headers else None)
        return EndpointError(where, url=self.url, retryable=status in RETRYABLE_STATUS, status=status,
                             retry_after_s=retry_after)


def _error_message(text: str) -> str:
    """The server's own words: OpenAI-style ``{"error": {"message": ...}}``, FastAPI's ``detail``, or the text."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return text.strip()[:500] or "(empty body)"
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])[:500]
        if isinstance(error, str):
            return error[:500]
        return json.dumps(error)[:500]
    return str(body)[:500]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
