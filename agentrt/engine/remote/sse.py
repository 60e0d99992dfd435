"""Server-sent events, as OpenAI-compatible servers stream them: ``data: {json}`` lines, ``data: [DONE]`` last."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

DONE = "[DONE]"


class SSEFormatError(ValueError):
    """A ``data:`` payload that is not JSON."""


async def iter_sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """The ``data`` of each event (multi-line data joined with newlines); comments and other fields skipped."""
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:  # a blank line ends the event
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):  # a comment (servers send these as keep-alive pings)
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:  # a stream that ends without the final blank line
        yield "\n".join(data)


async def iter_sse_json(lines: AsyncIterable[str]) -> AsyncIterator[dict[str, Any]]:
    """Each event's JSON object, until ``[DONE]`` or the end of the stream."""
    async for data in iter_sse_data(lines):
        if data.strip() == DONE:
            return
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            raise SSEFormatError(f"stream event is not JSON at char {exc.pos}: {data[:200]!r}") from exc
        if not isinstance(payload, dict):
            raise SSEFormatError(f"stream event is not a JSON object: {data[:200]!r}")
        yield payload
