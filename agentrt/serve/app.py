"""The ASGI application: OpenAI-compatible routes over one engine (Starlette).

    POST /v1/chat/completions   chat, streamed (SSE) or not; tools, response_format, llama.cpp's extensions
    POST /v1/completions        raw-prompt completions
    GET  /v1/models             the one model served (and /v1/models/{id})
    GET  /health                200 while serving, 503 while shutting down
    GET  /metrics               Prometheus text

Every refusal is an OpenAI-style error body naming the field (`agentrt.serve.errors`). A request body is read
with a size limit, parsed as JSON, validated (strict types), prepared (template, grammar, token budget) and only
then admitted to wait for a sequence, so a bad request never holds one.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentrt.serve.context import ServeContext
from agentrt.serve.errors import SERVER_ERROR, ApiError, from_validation
from agentrt.serve.generation import GenerationResponse
from agentrt.serve.metrics import CONTENT_TYPE
from agentrt.serve.prepare import Prepared
from agentrt.serve.wire import ChatCompletionRequest, CompletionRequest, GenerationFields

PRIORITY_HEADER = "x-priority"
PRIORITY_RANGE = (-1000, 1000)

Body = TypeVar("Body", bound=GenerationFields)


def create_app(context: ServeContext) -> Starlette:
    started = int(time.time())

    async def chat_completions(request: Request) -> Any:
        return await _generate(context, request, ChatCompletionRequest, context.preparer.chat)

    async def completions(request: Request) -> Any:
        return await _generate(context, request, CompletionRequest, context.preparer.completion)

    async def models(request: Request) -> Response:
        _check_key(context, request)
        return JSONResponse({"object": "list", "data": [_model_card(context, started)]})

    async def model(request: Request) -> Response:
        _check_key(context, request)
        name = request.path_params["name"]
        if name != context.model_id:
            raise _unknown_model(name, context)
        return JSONResponse(_model_card(context, started))

    async def health(request: Request) -> Response:
        stats = context.engine.stats()
        free = sum(1 for s in stats.sequences if s.state == "free")
        body = {
            "status": "closing" if context.closing else "ok", "model": context.model_id,
            "sequences": len(stats.sequences), "free": free, "queue_depth": context.admission.waiting,
        }
        return JSONResponse(body, status_code=503 if context.closing else 200)

    async def metrics(request: Request) -> Response:
        return Response(context.metrics.render(context), media_type=CONTENT_TYPE)

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return ApiError(exc.status_code, message, code=code).response()

    async def on_crash(request: Request, exc: Exception) -> Response:
        return ApiError(500, f"internal error: {type(exc).__name__}: {exc}", type=SERVER_ERROR).response()

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{name:path}", model, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_crash},
    )


async def _generate(
    context: ServeContext, request: Request, body_type: type[Body], prepare: Callable[[Body], Prepared]
) -> Any:
    started = time.perf_counter()
    request_id = context.next_id()
    path = request.url.path
    try:
        _check_key(context, request)
        body = _validate(body_type, await _read_json(request, context.settings.max_body_bytes))
        if body.model != context.model_id:
            raise _unknown_model(body.model, context)
        priority = _priority(request)
        # On the event loop, in arrival order: requests take free sequences in the order they came (a worker
        # thread here reordered two clients' follow-up turns, which then missed their own cached prefix). A large
        # client grammar's checks can take tenths of a second here (see the README).
        prepared = prepare(body)
        if context.closing:
            raise ApiError(503, "the server is shutting down", type=SERVER_ERROR, code="unavailable",
                           headers={"Retry-After": "5"})
        context.admission.admit()
    except ApiError as error:
        context.answered(path, error.status, request_id, seconds=time.perf_counter() - started, error=error.message)
        return error.response()
    return GenerationResponse(context, prepared, request_id=request_id, priority=priority, path=path)


async def _read_json(request: Request, limit: int) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise _too_large(len(data), limit)
    if not data:
        raise ApiError(400, "the request body is empty; send a JSON object", code="invalid_json")
    try:
        body = json.loads(data)
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the request body is not UTF-8 text (byte {exc.start})", code="invalid_json") from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            code="invalid_json",
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the request body must be a JSON object, not {type(body).__name__}",
                       code="invalid_json")
    return body


def _validate(body_type: type[Body], body: dict[str, Any]) -> Body:
    try:
        return body_type.model_validate(body)
    except ValidationError as exc:
        raise from_validation(exc) from None
    except RecursionError:
        raise ApiError(400, "the request body is nested too deeply", code="invalid_value") from None


def _check_key(context: ServeContext, request: Request) -> None:
    key = context.settings.api_key
    if key is None:
        return
    sent = request.headers.get("authorization", "")
    scheme, _, token = sent.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), key.encode()):
        raise ApiError(401, "missing or incorrect API key: send `Authorization: Bearer <key>`",
                       code="invalid_api_key")


def _priority(request: Request) -> int:
    raw = request.headers.get(PRIORITY_HEADER)
    if raw is None:
        return 0
    low, high = PRIORITY_RANGE
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(400, f"header X-Priority: {raw!r} is not a whole number from {low} to {high}",
                       param="X-Priority", code="invalid_value")
    return value


def _unknown_model(name: str, context: ServeContext) -> ApiError:
    return ApiError(404, f"The model {name!r} does not exist here; this server serves {context.model_id!r}",
                    param="model", code="model_not_found")


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(413, f"the request body is {size} bytes or more; the most this server takes is {limit}",
                    code="request_too_large")


def _model_card(context: ServeContext, created: int) -> dict[str, Any]:
    engine = context.engine
    return {
        "id": context.model_id, "object": "model", "created": created, "owned_by": "agentrt",
        "meta": {"n_ctx": context.n_ctx, "sequences": engine.pool_size, "model": str(engine.model_path),
                 "chat_template_tools": context.preparer.hermes},
    }
