"""How much a graph file, and a template in it, may cost: the loader refuses anything beyond these limits with a
``file:line`` error instead of hanging or eating memory (README "Loader limits", docs/architecture.md).

Graph files are written by people (or by tools for people): each limit is far above what a real graph needs and
far below what would hurt the machine. They are constants on purpose: a graph cannot raise them.
"""

from __future__ import annotations

# --- the YAML file -----------------------------------------------------------------------------------------

MAX_FILE_BYTES = 256 * 1024
"""A graph file's size. The repository's largest graph is under 3 KiB."""

MAX_DEPTH = 64
"""Levels of nesting from the root to the deepest value, counted after aliases are expanded."""

MAX_ALIASES = 1_000
"""``*alias`` references in one file."""

MAX_VALUES = 100_000
"""Values (mappings, lists, scalars) in the file once every alias is expanded: a YAML alias bomb is refused
while it is being composed, before any object is built."""

MAX_GRAPH_NODES = 1_000
"""Nodes declared in one graph file (plans a planner returns at run time are not counted)."""

# --- templates ---------------------------------------------------------------------------------------------

MAX_TEMPLATE_CHARS = 64 * 1024
"""One template's source."""

RENDER_MAX_STEPS = 100_000
"""Loop iterations, calls and filter applications in one render."""

RENDER_MAX_CHARS = 4_000_000
"""The size of any value a render builds (strings, lists after ``*``, ``+``, ``~``, filters) and of all the text
it outputs together. Values that come in (inputs, node outputs) are not limited; what a template makes of them is."""

RENDER_MAX_SECONDS = 2.0
"""Wall-clock bound of one render, a backstop behind the step and size limits (checked at every step)."""

RENDER_MAX_INT_BITS = 64 * 1024
"""The size of an integer ``**`` or ``*`` may produce."""

RENDER_MAX_RANGE = 100_000
"""Items of one ``range(...)``."""
