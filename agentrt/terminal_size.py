"""`parse_terminal_size`: ``WIDTHxHEIGHT`` as given on a command line or in the environment (``160x45``)."""

from __future__ import annotations

from agentrt.errors import ConfigError

# The smallest terminal the dashboard is drawn in.
MIN_WIDTH, MIN_HEIGHT = 20, 5


def parse_terminal_size(text: str, where: str, *, expected: str = "WIDTHxHEIGHT, e.g. 120x36") -> tuple[int, int]:
    """``(width, height)``; a `ConfigError` naming ``where`` (the option or variable) when it is not one."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"{where}: expected {expected}") from None
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ConfigError(f"{where}: the terminal must be at least {MIN_WIDTH}x{MIN_HEIGHT}")
    return width, height
