"""Starting a `RemoteEngine` from what graphs and the CLI say: a list of URLs (or endpoint mappings) and the
per-endpoint concurrency to use where an endpoint names none."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from agentrt.errors import ConfigError
from agentrt.events import EventBus
from agentrt.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.remote.engine import RemoteEngine


def remote_config(endpoints: Sequence[str | EndpointConfig], *, concurrency: int, where: str) -> RemoteEngineConfig:
    """A validated config; bad URLs raise `ConfigError` naming ``where`` (``--remote``, ``engine.remote``)."""
    try:
        return RemoteEngineConfig(
            endpoints=[e if isinstance(e, EndpointConfig) else EndpointConfig(url=e) for e in endpoints],
            concurrency=concurrency,
        )
    except ValidationError as exc:
        details = "; ".join(err["msg"] for err in exc.errors())
        raise ConfigError(f"{where}: {details}") from exc


async def start_remote_engine(
    endpoints: Sequence[str | EndpointConfig], *, concurrency: int, events: EventBus, where: str = "remote"
) -> RemoteEngine:
    return await RemoteEngine.start(remote_config(endpoints, concurrency=concurrency, where=where), events=events)
