"""calculator: arithmetic on numbers, parsed with `ast` and evaluated by a whitelist (never `eval`).

Every operation's cost is bounded before it runs: big-integer arithmetic holds the GIL, so one
``(10**10000)**10000`` or ``round(1, -10**8)`` would freeze every agent's event loop for minutes. Integers stay
below `MAX_INT_BITS` (about 3,900 digits, under Python's 4,300-digit printing limit), so each step is at most a
few microseconds of work; floats are fixed-size and overflow cheaply.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from agentrt.errors import ToolError

from agents.tools.registry import tool

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., float | int]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "min": min,
    "max": max,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
# Big powers are how arithmetic becomes a denial of service: 9**9**9 would run for hours.
MAX_EXPONENT = 10_000
MAX_INT_BITS = 13_000
MAX_EXPRESSION_CHARS = 500


def evaluate(expression: str) -> int | float:
    """Evaluate arithmetic; anything but numbers, + - * / // % **, unary +/-, and a few math functions is refused."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"tool calculator: expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip().replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"tool calculator: cannot parse {expression!r}: {exc.msg}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, lone surrogates, deep nesting
        raise ToolError(f"tool calculator: cannot parse {expression!r}: {exc}") from exc
    try:
        return _eval(tree.body)
    except ZeroDivisionError as exc:
        raise ToolError(f"tool calculator: division by zero in {expression!r}") from exc
    except (OverflowError, ValueError, TypeError) as exc:
        raise ToolError(f"tool calculator: {expression!r}: {exc}") from exc
    except RecursionError as exc:
        raise ToolError(f"tool calculator: {expression!r} is nested too deeply") from exc


def _eval(node: ast.expr) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        _check_cost(node.op, left, right)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        args = [_eval(arg) for arg in node.args]
        if node.func.id == "round" and len(args) == 2 and isinstance(args[0], int) and abs(args[1]) > _MAX_DIGITS:
            # round(int, -n) computes 10**n: refuse before it does.
            raise ToolError(f"tool calculator: round() to {args[1]} digits; at most {_MAX_DIGITS} are supported")
        return _FUNCTIONS[node.func.id](*args)
    shown = ast.unparse(node) if hasattr(ast, "unparse") else type(node).__name__
    raise ToolError(
        f"tool calculator: {shown!r} is not allowed; use numbers, + - * / // % **, parentheses and "
        f"{', '.join(sorted(_FUNCTIONS))}"
    )


_MAX_DIGITS = int(MAX_INT_BITS * math.log10(2))


def _check_cost(op: ast.operator, left: int | float, right: int | float) -> None:
    """Refuse an operation whose integer result would exceed `MAX_INT_BITS` (before computing it)."""
    if isinstance(op, ast.Pow):
        if abs(right) > MAX_EXPONENT:
            raise ToolError(f"tool calculator: exponent {right} is larger than {MAX_EXPONENT}")
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            bits = max(left.bit_length() - 1, 0) * right  # a lower bound on the result's size
            if bits > MAX_INT_BITS:
                raise _too_big(f"{left.bit_length()}-bit number to the power {right}")
    elif isinstance(op, ast.Mult) and isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise _too_big(f"product of {left.bit_length()}-bit and {right.bit_length()}-bit numbers")


def _too_big(what: str) -> ToolError:
    return ToolError(f"tool calculator: the result would be too large ({what}); integers are limited to about "
                     f"{_MAX_DIGITS} digits")


def _format(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as "6+6" or "sqrt(2)*3"."""
    return _format(evaluate(expression))
