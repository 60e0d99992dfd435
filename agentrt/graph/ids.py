"""The names of things in a graph run, each built and read in this one place.

* A node id (a graph's node, or a step of a plan a node returned) is letters, digits, ``_`` and ``-``, starting
  with a letter or ``_``: `ID_PATTERN`. Graph files and plans follow the same rule.
* A plan step becomes the node ``<node>.<step>`` (`step_node_id`), so a dot never appears in an id of its own.
* A map item is shown as ``<node>[<index>]`` (`item_label`).
* A sequence owner is ``<node>/<agent>`` or ``<node>[<index>]/<agent>`` (`owner`); `parse_owner` reads one back
  (the dashboard does, to put a sequence's tokens under its node).
"""

from __future__ import annotations

import re
from typing import NamedTuple

ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
ID_RULE = "letters, digits, _ and -, starting with a letter or _"
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_ITEM_SUFFIX = re.compile(r"^(?P<node>.+)\[(?P<index>\d+)\]$")


def id_problem(value: object) -> str | None:
    """Why ``value`` is not a valid id, or None when it is."""
    if isinstance(value, str) and ID_PATTERN.match(value):
        return None
    return f"{value!r} is not a valid id ({ID_RULE})"


def make_id(text: str, fallback: str, *, max_chars: int = 24) -> str:
    """``text`` turned into a valid id (runs of other characters become ``_``), or ``fallback`` when nothing is
    left; a leading digit or ``-`` gets an ``s`` in front."""
    base = _NOT_ID_CHARS.sub("_", text.strip()).strip("_")[:max_chars] or fallback
    return base if ID_PATTERN.match(base) else f"s{base}"


def step_node_id(parent: str, step: str) -> str:
    """The node id of plan step ``step`` inserted under node ``parent``."""
    return f"{parent}.{step}"


def step_of(node_id: str) -> str:
    """The step id of an inserted step's node id (the node id itself for a graph node)."""
    return node_id.rsplit(".", 1)[-1]


def item_label(node: str, index: int | None) -> str:
    """``node``, or ``node[3]`` for item 3 of a map node."""
    return node if index is None else f"{node}[{index}]"


def owner(node: str, agent: str, index: int | None = None) -> str:
    """The sequence owner of a node's (or a map item's) agent: ``node/agent``, ``node[3]/agent``."""
    return f"{item_label(node, index)}/{agent}"


class Owner(NamedTuple):
    node: str | None  # None: the owner is not a graph node's (a script, a benchmark)
    index: int | None
    agent: str | None


def parse_owner(text: str | None) -> Owner:
    """``"node[3]/agent"`` → ``Owner("node", 3, "agent")``; an owner that is not ``node/agent`` gives
    ``Owner(None, None, text)``."""
    if not text:
        return Owner(None, None, None)
    node, sep, agent = text.partition("/")  # node ids hold no "/"; agent names may
    if not sep or not node:
        return Owner(None, None, text)
    match = _ITEM_SUFFIX.match(node)
    if match:
        return Owner(match["node"], int(match["index"]), agent)
    return Owner(node, None, agent)
