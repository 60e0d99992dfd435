"""`agentrt serve`: the engine behind an OpenAI-compatible HTTP API (Starlette on uvicorn).

An application on top of the engine (nothing in the engine or graph layers imports it): `create_app` builds the
ASGI app for a `ServeContext` (an engine, `ServeSettings`, an event bus); `serve` runs the whole server.
"""

from agentrt.serve.settings import ServeSettings

__all__ = ["ServeSettings"]
