"""Request bodies per server kind, server detection and the SSE parser (no server needed)."""

from __future__ import annotations

import pytest

from agentrt.engine.request import ChatMessage, GenerationRequest
from agentrt.engine.sampling import Sampling
from agentrt.errors import ConfigError
from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.engine.remote.errors import UnsupportedByServerError
from agentrt.engine.remote.sse import SSEFormatError, iter_sse_json
from agentrt.engine.remote.wire import Usage, build_body, detect_kind

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
CHAT = [ChatMessage(role="user", content="hi")]


def _body(kind: str, **fields: object) -> tuple[str, dict]:
    return build_body(GenerationRequest(**fields), kind=kind, model="m", stream=False, where="http://x")  # type: ignore[arg-type]


def test_json_schema_goes_where_each_server_takes_it() -> None:
    path, body = _body("llama-cpp-python", messages=CHAT, json_schema=SCHEMA)
    assert path == "/v1/chat/completions" and body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    _, body = _body("vllm", messages=CHAT, json_schema=SCHEMA)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    path, body = _body("llama.cpp", prompt="p", json_schema=SCHEMA)
    assert path == "/v1/completions" and body["json_schema"] == SCHEMA and body["cache_prompt"] is True
    # llama-cpp-python's /v1/completions takes no response_format: the schema travels as a grammar.
    _, body = _body("llama-cpp-python", prompt="p", json_schema=SCHEMA)
    assert "root" in body["grammar"] and "response_format" not in body and "cache_prompt" not in body


def test_unsupported_features_name_the_endpoint() -> None:
    with pytest.raises(UnsupportedByServerError, match=r"http://x: a vllm server takes no GBNF grammar"):
        _body("vllm", messages=CHAT, grammar='root ::= "a"')
    with pytest.raises(UnsupportedByServerError, match="ignore_eos"):
        _body("openai", messages=CHAT, ignore_eos=True)
    with pytest.raises(UnsupportedByServerError, match="repeat_penalty"):
        _body("openai", messages=CHAT, sampling=Sampling(repeat_penalty=1.1))
    _, body = _body("llama-cpp-python", messages=CHAT, ignore_eos=True, max_tokens=7)
    assert body["min_tokens"] == 7  # its stand-in for ignore_eos
    _, body = _body("vllm", messages=CHAT, sampling=Sampling(repeat_penalty=1.2))
    assert body["repetition_penalty"] == 1.2 and "repeat_penalty" not in body


def test_server_kind_and_usage_are_read_from_answers() -> None:
    assert detect_kind({"data": [{"id": "x", "owned_by": "me"}]}) == "llama-cpp-python"
    assert detect_kind({"data": [{"id": "x", "owned_by": "llamacpp"}]}) == "llama.cpp"
    assert detect_kind({"data": [{"id": "x", "owned_by": "vllm"}]}) == "vllm"
    assert detect_kind({"data": [{"id": "x", "owned_by": "agentrt"}]}) == "llama.cpp"  # agentrt serve
    assert detect_kind({"data": []}) == "openai"
    usage = Usage()
    usage.update({"usage": {"prompt_tokens": 30, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 16}}})
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (30, 5, 16)
    usage.update({"timings": {"cache_n": 20, "prompt_ms": 1.5, "predicted_ms": 9.0}})
    assert (usage.cached_tokens, usage.prefill_ms, usage.decode_ms) == (20, 1.5, 9.0)


def test_endpoint_urls_are_checked_and_normalised() -> None:
    assert EndpointConfig.model_validate("http://127.0.0.1:8080/v1/").url == "http://127.0.0.1:8080"
    with pytest.raises(ValueError, match="not an http"):
        EndpointConfig(url="127.0.0.1:8080")
    config = RemoteEngineConfig.from_urls(["http://a:1", "http://b:2"], concurrency=3)
    assert config.pool_size == 6


async def _lines(*lines: str):
    for line in lines:
        yield line


async def test_sse_events_comments_multiline_and_done() -> None:
    events = [
        e async for e in iter_sse_json(_lines(
            ": ping", "", 'data: {"a": 1}', "", "event: x", 'data: {"b":', "data: 2}", "", "data: [DONE]", "",
            'data: {"never": 1}', "",
        ))
    ]
    assert events == [{"a": 1}, {"b": 2}]
    with pytest.raises(SSEFormatError, match="not JSON"):
        _ = [e async for e in iter_sse_json(_lines("data: {oops", ""))]


async def test_remote_engine_rejects_an_empty_endpoint_list() -> None:
    from agentrt.engine.remote.engine import RemoteEngine

    with pytest.raises(ConfigError, match="at least one endpoint"):
        await RemoteEngine.start(urls=[])
