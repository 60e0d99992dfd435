"""Argument types the commands share, so a bad number is refused by argparse with the flag named."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number of at least 1 (``--sequences 0`` or ``--tokens -5`` would only fail later, less clearly)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_int_list(text: str) -> list[int]:
    """Comma-separated counts of at least 1 (``--sequences 1,2,4,8``), sorted, each once."""
    counts = sorted({positive_int(part.strip()) for part in text.split(",") if part.strip()})
    if not counts:
        raise argparse.ArgumentTypeError(f"expected counts like 1,4,8, got {text!r}")
    return counts
