"""One hierarchy for every error agentrt raises on purpose. Each message names the place it is about."""

from __future__ import annotations

from collections.abc import Callable


class AgentrtError(Exception):
    """Base of every error agentrt raises on purpose."""


# --- configuration and models -------------------------------------------------------------------------------


class ConfigError(AgentrtError, ValueError):
    """A setting has a value that cannot work (names the setting and the value)."""


class ModelNotFoundError(ConfigError):
    """A model name or path that does not resolve to a GGUF file."""


class ModelFormatError(ConfigError):
    """A file that exists but is not a GGUF model llama.cpp can load."""


class MemoryPlanError(ConfigError):
    """The requested model + KV cache would not fit in the memory this machine has."""


# --- engine -------------------------------------------------------------------------------------------------


class EngineError(AgentrtError):
    """The engine failed, or was used after it was closed."""


class EngineClosedError(EngineError):
    """A request reached an engine that is closed or closing."""


class ContextOverflowError(EngineError):
    """A request does not fit in its sequence's context window. Other sequences are unaffected."""


class GrammarError(EngineError, ValueError):
    """A GBNF grammar or JSON schema that llama.cpp cannot compile."""


# --- graphs, agents, tools ----------------------------------------------------------------------------------


class GraphSpecError(AgentrtError, ValueError):
    """A graph definition is invalid. The message names the file, line and field."""


class TemplateLimitError(AgentrtError):
    """A template render went past a limit (steps, size, time): an error for that node, never a hang."""


class GraphRunError(AgentrtError):
    """A graph run could not proceed (e.g. a corrupt run directory)."""


class NodeFailedError(AgentrtError):
    """Work built on graph nodes failed after its retries (a GAIA task's graph run, a task on a Ray actor); the
    message names the node or task, and subclasses may say more (e.g. the failing node's error class)."""


class ToolError(AgentrtError):
    """A tool call failed: bad arguments, a refused path, a timeout. Agents turn it into an observation."""


class OutputParseError(AgentrtError, ValueError):
    """Model output that should have been structured (JSON) did not parse or validate."""


class SchemaViolationError(OutputParseError):
    """A request's finished output does not conform to its JSON schema (a keyword the grammar cannot enforce,
    or a schema no output can satisfy). ``text`` is the output."""

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text


def describe_validation_error(
    exc: Exception, where: str | Callable[[tuple[str | int, ...]], str] = "", *, separator: str = "; "
) -> str:
    """A pydantic ValidationError as text, one ``place: field.path: message (got value)`` per problem.

    ``where`` is a prefix (``"engine config"``; empty for none), or a function from a field path to its place,
    e.g. a graph's `SourceMap.where`, which gives ``file:line: field.path``. Every ValidationError agentrt shows
    goes through here, so they all read alike: an unknown field says so, a bad value is shown (shortened).
    """
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return f"{where}: {exc}" if isinstance(where, str) and where else str(exc)
    parts = []
    for err in errors():
        # pydantic names its validator functions in the location ("function-after[...]"): not a field
        path = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        value = err.get("input")
        if err["type"] not in ("missing", "extra_forbidden") and isinstance(value, (str, int, float, bool)):
            shown = repr(value)
            message += f" (got {shown[:60] + '...' if len(shown) > 63 else shown})"
        if callable(where):
            parts.append(f"{where(path)}: {message}")
        else:
            field = ".".join(str(p) for p in path) or "(value)"
            parts.append(f"{where}: {field}: {message}" if where else f"{field}: {message}")
    return separator.join(parts)
