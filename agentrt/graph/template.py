"""Input templates: ``{{ inputs.task }}``, ``{{ nodes.plan.output }}``, ``{{ item }}`` in map nodes.

Templates are Jinja expressions rendered in a bounded sandbox (`agentrt.graph.bounded_jinja`: no attribute access
to Python internals, no arbitrary calls, nothing evaluated while compiling, a step, size and time budget per
render), with `StrictUndefined` so a missing key fails loudly instead of rendering nothing. At load time a
template is parsed once and its references (which inputs, which nodes) are extracted: they become DAG edges and
are checked against the graph, so a typo is an error with a line number, not a surprise mid-run. Model output is
never rendered as a template (it only ever appears as a value).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import meta
from jinja2 import nodes as jnodes
from jinja2.environment import TemplateExpression

from agentrt.graph.bounded_jinja import (
    BUDGET_VAR,
    BoundedEnvironment,
    RenderBudget,
    add_bounds,
    refused_node,
)
from agentrt.graph.limits import MAX_TEMPLATE_CHARS

# Names a template may use. `item` and `index` only exist inside map nodes.
CONTEXT_NAMES = frozenset({"inputs", "nodes"})
MAP_NAMES = frozenset({"item", "index"})

_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)


class TemplateError(ValueError):
    """A template that does not parse, or uses a name it may not. The caller adds the file and line."""


@dataclass(frozen=True)
class Template:
    """One parsed template and what it refers to."""

    source: str
    input_refs: frozenset[str] = field(default_factory=frozenset)
    node_refs: frozenset[str] = field(default_factory=frozenset)
    uses_item: bool = False
    # A template that is exactly one ``{{ expression }}`` evaluates to that expression's native value.
    _expression: Any = None
    _template: Any = None
    _static: bool = True

    def value(self, context: dict[str, Any]) -> Any:
        """The template's value: native for a single ``{{ expression }}``, else the rendered string.

        Raises `TemplateLimitError` when the render goes past its budget (`agentrt.graph.limits`)."""
        if self._static:
            return self.source
        bounded = {**context, BUDGET_VAR: RenderBudget()}
        if self._expression is not None:
            return self._expression(**bounded)
        return self._template.render(**bounded)

    def text(self, context: dict[str, Any]) -> str:
        """The template rendered as text for an agent's task (non-string values become JSON)."""
        value = self.value(context)
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, default=str)


class TemplateCompiler:
    """Parses and compiles templates in one bounded sandbox (one per graph). Compiling evaluates nothing."""

    def __init__(self) -> None:
        self._env = BoundedEnvironment()

    def compile(self, source: str, *, allow_item: bool = False) -> Template:
        if "{{" not in source and "{%" not in source and "{#" not in source:
            return Template(source=source)  # plain text: nothing to render, no references
        if len(source) > MAX_TEMPLATE_CHARS:
            raise TemplateError(f"the template is longer than {MAX_TEMPLATE_CHARS} characters")
        ast = self._parse(source)
        refused = refused_node(ast)
        if refused is not None:
            raise TemplateError(refused)
        names = self._names(ast)
        allowed = CONTEXT_NAMES | (MAP_NAMES if allow_item else frozenset()) | set(self._env.globals)
        unknown = sorted(names - allowed)
        if unknown:
            hint = "" if allow_item or not set(unknown) & MAP_NAMES else " (`item`/`index` exist only in map nodes)"
            raise TemplateError(f"unknown name(s) in template: {', '.join(unknown)}{hint}; use inputs.* or nodes.*")
        input_refs = _references(ast, "inputs")
        node_refs = _references(ast, "nodes")
        single = _single_expression(source, ast)
        try:
            if single is not None:  # as jinja2's compile_expression does, from the AST already parsed
                body = [jnodes.Assign(jnodes.Name("result", "store"), single, lineno=1)]
                compiled = self._env.from_string(add_bounds(jnodes.Template(body, lineno=1)))
                expression, template = TemplateExpression(compiled, undefined_to_none=False), None
            else:
                expression, template = None, self._env.from_string(add_bounds(ast))
        except RecursionError:
            raise TemplateError("the template is nested too deeply to compile") from None
        except Exception as exc:  # Python's compiler on generated code: "too many nested parentheses" and such
            raise TemplateError(f"the template cannot be compiled: {type(exc).__name__}: {exc}") from None
        return Template(
            source=source,
            input_refs=input_refs,
            node_refs=node_refs,
            uses_item=bool(names & MAP_NAMES),
            _expression=expression,
            _template=template,
            _static=False,
        )

    def _names(self, ast: jnodes.Template) -> set[str]:
        """The names the template reads from its context. (This runs Jinja's code generator over the template,
        which is where an unknown filter or test is found.)"""
        try:
            return meta.find_undeclared_variables(ast)
        except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError: "No filter named 'x'."
            raise TemplateError(f"template error (template line {exc.lineno}): {exc.message}") from None
        except RecursionError:
            raise TemplateError("the template is nested too deeply to compile") from None

    def _parse(self, source: str) -> jnodes.Template:
        try:
            return self._env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template syntax error (template line {exc.lineno}): {exc.message}") from None
        except RecursionError:
            raise TemplateError("the template is nested too deeply to parse") from None
        except Exception as exc:  # e.g. an integer literal of 5,000 digits (Python refuses to convert it)
            raise TemplateError(f"the template cannot be parsed: {type(exc).__name__}: {exc}") from None


def _single_expression(source: str, ast: jnodes.Template) -> jnodes.Expr | None:
    """The expression of a template that is exactly one ``{{ expression }}`` (its value is native), else None."""
    single = _SINGLE_EXPRESSION.match(source)
    if not single or "}}" in single.group(1) or "{{" in single.group(1):
        return None
    if len(ast.body) != 1 or not isinstance(ast.body[0], jnodes.Output):
        return None
    parts = [n for n in ast.body[0].nodes if not (isinstance(n, jnodes.TemplateData) and not n.data.strip())]
    return parts[0] if len(parts) == 1 and not isinstance(parts[0], jnodes.TemplateData) else None


def _references(ast: jnodes.Template, root: str) -> frozenset[str]:
    """Keys used as ``root.key`` or ``root["key"]``; a computed key (``nodes[x]``) cannot be checked: refuse it."""
    found: set[str] = set()
    subscripted: set[int] = set()
    for node in ast.find_all((jnodes.Getattr, jnodes.Getitem)):
        target = node.node
        if not (isinstance(target, jnodes.Name) and target.name == root):
            continue
        subscripted.add(id(target))
        if isinstance(node, jnodes.Getattr):
            found.add(node.attr)
        elif isinstance(node.arg, jnodes.Const) and isinstance(node.arg.value, str):
            found.add(node.arg.value)
        else:
            raise TemplateError(f"`{root}[...]` needs a literal key so the reference can be checked")
    for name in ast.find_all(jnodes.Name):
        if name.name == root and name.ctx == "load" and id(name) not in subscripted:
            raise TemplateError(f"use `{root}.<key>`, not `{root}` on its own")
    return frozenset(found)
