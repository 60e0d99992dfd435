"""Settings of a `RemoteEngine`: which OpenAI-compatible servers, how many requests each, how hard to retry.

These are plain pydantic models with no HTTP import, so engine settings (`agentrt.engine.settings`, a graph's
``engine: {remote: [...]}``) validate them without loading the client.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agentrt.retry import RetryPolicy

# What answers at the other end. "auto" asks the server (`owned_by` in GET /v1/models) when the engine starts.
ServerKind = Literal["auto", "llama.cpp", "llama-cpp-python", "vllm", "openai"]


class EndpointConfig(BaseModel):
    """One server. A bare URL string is accepted wherever an endpoint is expected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="base URL of the server, e.g. http://10.0.0.5:8080 (a trailing /v1 is fine)")
    kind: ServerKind = "auto"
    concurrency: int | None = Field(
        None, ge=1, le=1024, description="most requests in flight on this server (default: the engine's)"
    )
    model: str | None = Field(None, description="model name sent in requests (default: the server's first model)")
    api_key: str | None = Field(None, repr=False, description="sent as a Bearer token when set")

    @model_validator(mode="before")
    @classmethod
    def _url_shorthand(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL with a host (e.g. http://127.0.0.1:8080)")
        base = url.strip().rstrip("/")
        # The OpenAI API lives under /v1; accept the URL with or without it and keep the server's root.
        return base[: -len("/v1")] if base.endswith("/v1") else base


class RemoteEngineConfig(BaseModel):
    """The whole remote engine: its endpoints and the client's limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: list[EndpointConfig] = Field(min_length=1)
    concurrency: int = Field(4, ge=1, le=1024, description="per-endpoint limit for endpoints that name none")
    connect_timeout_s: float = Field(5.0, gt=0)
    read_timeout_s: float = Field(600.0, gt=0, description="longest silence while waiting for a response")
    retries: int = Field(4, ge=0, le=50, description="extra attempts after a 429, a 5xx or a lost endpoint")
    backoff_s: float = Field(0.25, ge=0, description="first wait before a retry; doubles per attempt")
    backoff_max_s: float = Field(8.0, ge=0)
    down_s: float = Field(2.0, gt=0, description="how long an unreachable endpoint is left alone before a retry")
    max_lost_endpoints: int = Field(
        2, ge=1, description="a request whose endpoint went down this many times fails instead of moving on"
    )

    @classmethod
    def from_urls(cls, urls: list[str] | list[EndpointConfig], **settings: Any) -> RemoteEngineConfig:
        return cls(endpoints=[u if isinstance(u, EndpointConfig) else EndpointConfig(url=u) for u in urls], **settings)

    def limit_of(self, endpoint: EndpointConfig) -> int:
        return endpoint.concurrency if endpoint.concurrency is not None else self.concurrency

    @property
    def retry_policy(self) -> RetryPolicy:
        """``retries``, ``backoff_s`` and ``backoff_max_s`` as the runtime's one backoff formula."""
        return RetryPolicy(retries=self.retries, backoff_s=self.backoff_s, max_backoff_s=self.backoff_max_s)

    @property
    def pool_size(self) -> int:
        """Logical sequences the engine leases: every endpoint's limit added up."""
        return sum(self.limit_of(e) for e in self.endpoints)
