"""Errors of the remote engine, under `EngineError` so code above the engine catches them as engine failures."""

from __future__ import annotations

from agentrt.errors import EngineError


class EndpointError(EngineError):
    """A server answered with an error, or could not be reached. The message names the endpoint."""

    def __init__(self, message: str, *, url: str, retryable: bool, status: int | None = None,
                 endpoint_down: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.retryable = retryable
        self.status = status
        self.endpoint_down = endpoint_down  # the server is unreachable: route elsewhere for a while
        self.retry_after_s = retry_after_s


class UnsupportedByServerError(EngineError, ValueError):
    """A request asks for something (a grammar, ignore_eos, ...) that this kind of server cannot do."""
