"""A Jinja environment whose templates cost a bounded amount: nothing runs at compile time, and a render stops
with `TemplateLimitError` once it goes past a limit (`agentrt.graph.limits`), instead of hanging the event loop.

Jinja's sandbox already refuses Python internals (attributes starting with ``_``, unsafe callables) and ranges
over 100,000 items. It does not bound cost: ``{{ 7 ** 99999999 }}`` and ``{{ 'a' * 4000000000 }}`` are folded
into constants while the template compiles (so while a graph is *validated*), and three nested loops over
``range(1000)`` run for ever. Here:

- **Compile time evaluates nothing.** The optimizer is off, and the code generator never turns an output into a
  constant (Jinja would call filters, operators and ``as_const`` on literals). Autoescape blocks (whose options
  Jinja evaluates while compiling) and include/import/extends (there is nothing to include) are refused.
- **Every render has a budget** (`RenderBudget`, handed in through the render's context, so nothing is global):
  each loop iteration, call and filter is a step; every value a render outputs counts towards its output size;
  a wall-clock bound backs both up.
- **Operations that grow values are checked before they run**: ``*``, ``+``, ``**``, ``%`` and ``~``, the string
  methods that pad, replace or join, and the filters that take a width or a count. Values a template only reads
  (inputs, node outputs) are not limited; what it builds out of them is.
- **Mutation is refused** (Jinja's immutable sandbox: no ``list.append``), ``lipsum`` is gone, and of string
  methods only those whose result is at most as large as their input, plus the checked ones, are allowed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes as jnodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace, pass_context
from jinja2.visitor import NodeTransformer

from agentrt.errors import TemplateLimitError
from agentrt.graph.limits import (
    RENDER_MAX_CHARS,
    RENDER_MAX_INT_BITS,
    RENDER_MAX_RANGE,
    RENDER_MAX_SECONDS,
    RENDER_MAX_STEPS,
)

BUDGET_VAR = "_agentrt_render_budget"  # a context variable templates cannot name (names are checked at load)
ITERATE_FILTER = "_agentrt_iterate"  # wraps every for-loop's iterable: one step per item
CONCAT_FILTER = "_agentrt_concat"  # replaces ``a ~ b``: checks the size before joining

# Unsafe at compile time, or meaningless here (there are no other templates to include).
REFUSED_NODES: dict[type[jnodes.Node], str] = {
    jnodes.EvalContextModifier: "autoescape blocks are not supported",
    jnodes.ScopedEvalContextModifier: "autoescape blocks are not supported",
    jnodes.Extends: "templates cannot extend other templates",
    jnodes.Include: "templates cannot include other templates",
    jnodes.Import: "templates cannot import other templates",
    jnodes.FromImport: "templates cannot import other templates",
}

# String methods whose result is never larger than the string (or is not a string).
_LINEAR_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii", "isdecimal",
    "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "lower",
    "lstrip", "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip",
    "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper",
})
# String methods that can grow the string: allowed, with their result size checked before they run.
_CHECKED_STR_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join"})

# A printf-style conversion: %[(key)][flags][width][.precision][length]type
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)


class RenderBudget:
    """What one render may still spend. Created per render; every check raises `TemplateLimitError`."""

    __slots__ = ("chars", "deadline", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.chars = 0
        self.deadline = time.monotonic() + RENDER_MAX_SECONDS

    def step(self) -> None:
        self.steps += 1
        if self.steps > RENDER_MAX_STEPS:
            raise TemplateLimitError(
                f"the template took more than {RENDER_MAX_STEPS} steps (loop iterations, calls, filters)"
            )
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"the template took longer than {RENDER_MAX_SECONDS:g}s to render")

    def output(self, value: Any) -> None:
        self.chars += check_size(value, "the template's output")
        if self.chars > RENDER_MAX_CHARS:
            raise TemplateLimitError(f"the template's output is larger than {RENDER_MAX_CHARS} characters")


def budget_of(context: Any) -> RenderBudget:
    budget = context.get(BUDGET_VAR)
    if not isinstance(budget, RenderBudget):
        raise TemplateLimitError("a template was rendered without a budget (render through Template.value)")
    return budget


# --- sizes -------------------------------------------------------------------------------------------------


def weight(value: Any, limit: int = RENDER_MAX_CHARS) -> int:
    """About how many characters ``str(value)`` has, counting no further than just past ``limit``.

    Iterative (deeply nested node outputs do not recurse), and a shared element counts each time it appears,
    as it would when printed.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:  # floats, None, ranges, objects: their text is short
            total += 8
        if total > limit:
            break
    return total


def check_size(value: Any, what: str, limit: int = RENDER_MAX_CHARS) -> int:
    size = weight(value, limit)
    if size > limit:
        raise TemplateLimitError(f"{what} would be larger than {limit} characters")
    return size


def check_chars(count: int, what: str) -> None:
    """``count``, an estimated number of characters, is within the size limit."""
    if count > RENDER_MAX_CHARS:
        raise TemplateLimitError(f"{what} would be larger than {RENDER_MAX_CHARS} characters")


def _check_int_bits(bits: int, what: str) -> None:
    if bits > RENDER_MAX_INT_BITS:
        raise TemplateLimitError(f"{what} would be an integer of more than {RENDER_MAX_INT_BITS} bits")


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``left <operator> right`` when its result would be past a limit (before computing it)."""
    if operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            _check_int_bits(left.bit_length() * right, f"{left.bit_length()}-bit ** {right}")
    elif operator == "*":
        if _is_int(left) and _is_int(right):
            _check_int_bits(left.bit_length() + right.bit_length(), "the product")
        for seq, times in ((left, right), (right, left)):
            if _is_sequence(seq) and isinstance(times, int) and times > 0 and (
                times > RENDER_MAX_CHARS or weight(seq) * times > RENDER_MAX_CHARS
            ):
                raise TemplateLimitError(f"repeating a value {times} times would be larger than "
                                             f"{RENDER_MAX_CHARS} characters")
    elif operator == "+" and _is_sequence(left) and _is_sequence(right):
        check_chars(weight(left) + weight(right), "the sum")
    elif operator == "%" and isinstance(left, (str, bytes)):
        check_percent_format(left, right)


def check_percent_format(template: str | bytes, args: Any) -> None:
    """``template % args`` stays within the size limit: widths and precisions are counted, ``*`` is refused."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    total = len(text) + weight(args)
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.group(1, 2):
            if number == "*":
                raise TemplateLimitError("a '*' width or precision in a % format is not supported")
            if number:
                if len(number) > 9:
                    raise TemplateLimitError(f"a % format width of {len(number)} digits")
                total += int(number)
    check_chars(total, "the formatted text")


def check_str_method(name: str, text: str | bytes, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The string methods that can grow a string: refuse a call whose result would be past the size limit."""
    values = list(args) + list(kwargs.values())
    if name in ("center", "ljust", "rjust", "zfill"):
        width = values[0] if values else 0
        if isinstance(width, int) and width > RENDER_MAX_CHARS:
            raise TemplateLimitError(f"padding to width {width} would be larger than {RENDER_MAX_CHARS} characters")
    elif name == "expandtabs":
        tabsize = values[0] if values else 8
        if isinstance(tabsize, int) and tabsize > 0:
            check_chars(text.count("\t" if isinstance(text, str) else b"\t") * tabsize + len(text), "the text")
    elif name == "replace":
        new = values[1] if len(values) > 1 else ""
        count = values[2] if len(values) > 2 else -1
        at_most = len(text) + 1 if not isinstance(count, int) or count < 0 else min(count, len(text) + 1)
        check_chars(len(text) + at_most * weight(new), "the replaced text")
    elif name == "join":
        parts = values[0] if values else ()
        if isinstance(parts, (list, tuple, str)):
            check_chars(weight(parts) + len(text) * len(parts), "the joined text")
        else:
            raise TemplateLimitError("join() takes a list here (use the join filter on other iterables)")


# --- the environment ---------------------------------------------------------------------------------------


class _NoFoldingCodeGenerator(CodeGenerator):
    """Jinja's code generator, minus evaluating outputs at compile time (it would call filters and operators
    on constant arguments: ``{{ 'x' | center(10**9) }}`` would run while validating)."""

    def _output_child_to_const(self, node: jnodes.Expr, frame: Any, finalize: Any) -> str:
        raise jnodes.Impossible()


def bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > RENDER_MAX_RANGE:
        raise TemplateLimitError(f"range of {len(result)} items; at most {RENDER_MAX_RANGE}")
    return result


@pass_context
def _finalize(context: Any, value: Any) -> Any:
    budget_of(context).output(value)
    return value


@pass_context
def _iterate(context: Any, iterable: Iterable[Any]) -> Iterator[Any]:
    budget = budget_of(context)
    for item in iterable:
        budget.step()
        yield item


@pass_context
def _concat(context: Any, parts: list[Any]) -> str:
    budget_of(context).step()
    check_chars(sum(weight(part) for part in parts), "the text joined with ~")
    return "".join(str(part) for part in parts)


# Filters that take a width, a count or an indent: check before they run. (value, args, kwargs) -> None
def _filter_args(args: tuple[Any, ...], kwargs: dict[str, Any], *names: str) -> list[Any]:
    return [args[i] if i < len(args) else kwargs.get(name) for i, name in enumerate(names)]


def _check_center(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    (width,) = _filter_args(args, kwargs, "width")
    if isinstance(width, int) and width > RENDER_MAX_CHARS:
        raise TemplateLimitError(f"center width {width} is past the size limit ({RENDER_MAX_CHARS})")


def _check_indent(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    (width,) = _filter_args(args, kwargs, "width")
    per_line = width if isinstance(width, int) else weight(width)
    check_chars(weight(value) + (str(value).count("\n") + 1) * max(per_line, 0), "the indented text")


def _check_wordwrap(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _, _, wrapstring = _filter_args(args, kwargs, "width", "break_long_words", "wrapstring")
    check_chars(weight(value) * (1 + weight(wrapstring or "\n")), "the wrapped text")


def _check_format(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if isinstance(value, str):
        check_percent_format(value, [args, kwargs])


def _check_replace(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    old, new, count = _filter_args(args, kwargs, "old", "new", "count")
    check_str_method("replace", str(value), (old, new, -1 if count is None else count), {})


def _check_join(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    (separator,) = _filter_args(args, kwargs, "d")
    if isinstance(value, (list, tuple, str, dict)):
        check_chars(weight(value) + weight(separator or "") * len(value), "the joined text")


def _check_count_arg(name: str) -> Callable[[Any, tuple[Any, ...], dict[str, Any]], None]:
    def check(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        (count,) = _filter_args(args, kwargs, name)
        if isinstance(count, int) and count > RENDER_MAX_RANGE:
            raise TemplateLimitError(f"{name}={count}; at most {RENDER_MAX_RANGE}")

    return check


def _check_tojson(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    (indent,) = _filter_args(args, kwargs, "indent")
    if (isinstance(indent, int) and indent > 64) or (isinstance(indent, str) and len(indent) > 64):
        raise TemplateLimitError("tojson indent is limited to 64")


def _check_round(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    (precision,) = _filter_args(args, kwargs, "precision")
    if isinstance(precision, int) and abs(precision) > 1000:
        raise TemplateLimitError("round precision is limited to 1000 digits")


def _check_sum(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _, start = _filter_args(args, kwargs, "attribute", "start")
    if start is not None and not isinstance(start, (int, float)):
        raise TemplateLimitError("sum adds numbers only (start must be a number)")


_FILTER_CHECKS: dict[str, Callable[[Any, tuple[Any, ...], dict[str, Any]], None]] = {
    "center": _check_center,
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "format": _check_format,
    "replace": _check_replace,
    "join": _check_join,
    "batch": _check_count_arg("linecount"),
    "slice": _check_count_arg("slices"),
    "tojson": _check_tojson,
    "round": _check_round,
    "sum": _check_sum,
}


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as a filter that takes a step, checks its arguments and checks the size of what it returns."""
    pass_arg = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    check = _FILTER_CHECKS.get(name)

    @pass_context
    def bounded(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget_of(context).step()
        check_size(value, f"the input of the {name} filter")
        if check is not None:
            check(value, args, kwargs)
        if pass_arg == "context":
            result = func(context, value, *args, **kwargs)
        elif pass_arg == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif pass_arg == "environment":
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        check_size(result, f"the result of the {name} filter")
        return result

    bounded.__name__ = f"bounded_{name}"
    return bounded


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox every graph template compiles and renders in. Render only with a `RenderBudget` in the
    context under ``BUDGET_VAR`` (`agentrt.graph.template.Template.value` does)."""

    code_generator_class = _NoFoldingCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})  # never folded at compile time, checked at run time

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, optimized=False,
            finalize=_finalize,
        )
        self.globals = {"range": bounded_range, "dict": dict, "cycler": Cycler, "joiner": Joiner,
                        "namespace": Namespace}
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}
        self.filters[ITERATE_FILTER] = _iterate
        self.filters[CONCAT_FILTER] = _concat

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget_of(context).step()
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, (str, bytes)) and getattr(obj, "__name__", "") in _CHECKED_STR_METHODS:
            check_str_method(obj.__name__, owner, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        check_size(result, "the call's result")
        return result

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, (str, bytes)) and callable(value) and attr not in _LINEAR_STR_METHODS | _CHECKED_STR_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format is not on the allowed list; Jinja would otherwise hand out a wrapper first


class _BoundingTransformer(NodeTransformer):
    """Routes every for-loop's iterable (and what a recursive loop's ``loop(...)`` iterates) through
    ``ITERATE_FILTER``, and every ``~`` through ``CONCAT_FILTER``."""

    def visit_For(self, node: jnodes.For) -> jnodes.For:
        node = self.generic_visit(node)
        node.iter = jnodes.Filter(node.iter, ITERATE_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Call(self, node: jnodes.Call) -> jnodes.Call:
        # `loop(items)` in a recursive for-loop iterates `items` in Jinja's own code: charge those items too
        node = self.generic_visit(node)
        if isinstance(node.node, jnodes.Name) and node.node.name == "loop":
            node.args = [jnodes.Filter(arg, ITERATE_FILTER, [], [], None, None, lineno=node.lineno) for arg in node.args]
        return node

    def visit_Concat(self, node: jnodes.Concat) -> jnodes.Filter:
        node = self.generic_visit(node)
        return jnodes.Filter(jnodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, [], [], None, None,
                             lineno=node.lineno)


def add_bounds(ast: jnodes.Template) -> jnodes.Template:
    """``ast`` with its loops and concatenations routed through the render budget (changed in place)."""
    return _BoundingTransformer().visit(ast)


def refused_node(ast: jnodes.Template) -> str | None:
    """Why ``ast`` cannot be used (a node type `REFUSED_NODES` lists), or None."""
    for node in ast.find_all(tuple(REFUSED_NODES)):
        return REFUSED_NODES[type(node)]
    return None
