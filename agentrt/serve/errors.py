"""`ApiError`: every refusal the server gives, as an OpenAI-style error body that names the field.

``{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`` is what OpenAI's API returns and what its
SDKs, LangChain and agentrt's own `RemoteEngine` read (`message`, and the status code to decide on a retry).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


class ApiError(Exception):
    """An HTTP error answer. ``param`` names the request field it is about (``messages[1].content``)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic error location as the request field it names: ``("messages", 0, "content")`` →
    ``messages[0].content``. Union branch names (``str``, ``list[TextPart]``, tagged model names) are dropped."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _is_branch_name(str(part)):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _is_branch_name(part: str) -> bool:
    # pydantic names union members in the location: "str", "list[TextPart]", "function-after[...]", "literal[...]"
    return part in ("str", "int", "float", "bool", "dict", "list", "none") or "[" in part or part[:1].isupper()


def from_validation(exc: ValidationError, *, where: str = "") -> ApiError:
    """A pydantic error on the request body as a 400 naming the first bad field (every problem in the message;
    the alternatives of a union field in one line: "Input should be a valid string, or a valid list")."""
    by_param: dict[str, tuple[list[str], list[str]]] = {}  # param → (messages, what was sent)
    for err in exc.errors(include_url=False):
        param = field_path((where,) + tuple(err["loc"]) if where else tuple(err["loc"])) or "(body)"
        messages, got = by_param.setdefault(param, ([], []))
        text, value = _message(err)
        if text not in messages:
            messages.append(text)
        if value and value not in got:
            got.append(value)
    problems = [
        f"{param}: {_join(messages)}" + (f" (got {', '.join(got)})" if got else "")
        for param, (messages, got) in by_param.items()
    ]
    message = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
    return ApiError(400, message, param=next(iter(by_param), None), code="invalid_value")


def _join(messages: list[str]) -> str:
    first, rest = messages[0], messages[1:]
    lead = "Input should be "
    return ", or ".join([first, *(m[len(lead):] if m.startswith(lead) else m for m in rest)])


def _message(err: dict[str, Any]) -> tuple[str, str | None]:
    """The problem, and (for a wrong type or value) what was sent instead."""
    if err["type"] == "missing":
        return "this field is required", None
    if err["type"].endswith("_type") or err["type"] in ("literal_error", "enum"):
        return str(err["msg"]), _describe(err.get("input"))
    return str(err["msg"]), None


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
