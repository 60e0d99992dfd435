"""One hierarchy for every error agentrt raises on purpose. Each message names the place it is about."""

from __future__ import annotations


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


def describe_validation_error(exc: Exception, where: str) -> str:
    """A pydantic ValidationError as one line per problem: ``where: field.path: message (got value)``."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return f"{where}: {exc}"
    parts = []
    for err in errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(value)"
        value = f" (got {err['input']!r})" if "input" in err and not isinstance(err["input"], dict) else ""
        parts.append(f"{where}: {loc}: {err['msg']}{value}")
    return "; ".join(parts)
