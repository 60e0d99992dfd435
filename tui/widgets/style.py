"""Colours and symbols for states, shared by the panels so a state looks the same everywhere."""

from __future__ import annotations

from agentrt.graph.contract import AgentOutcome
from agentrt.graph.states import NodeState, RunStatus

NODE_STYLE: dict[NodeState, tuple[str, str]] = {
    NodeState.PENDING: ("·", "grey50"),
    NodeState.READY: ("○", "cyan"),
    NodeState.RUNNING: ("▶", "bold yellow"),
    NodeState.SUCCEEDED: ("✔", "green"),
    NodeState.FAILED: ("✘", "bold red"),
    NodeState.SKIPPED: ("⊘", "grey50"),
    NodeState.CANCELLED: ("■", "magenta"),
}
# A node that succeeded without a clean answer (its agent ran out of steps, or its critic rejected the answer)
# does not look like one that answered: its symbol, and the outcome named after its id.
UNANSWERED_STYLE: tuple[str, str] = ("⚠", "bold yellow")
OUTCOME_LABEL: dict[AgentOutcome, str] = {AgentOutcome.STEP_LIMIT: "step limit", AgentOutcome.REJECTED: "rejected"}

SEQ_STYLE: dict[str, str] = {
    "idle": "grey50",
    "prefill": "cyan",
    "decode": "bold green",
}

RUN_STYLE: dict[RunStatus | None, str] = {
    None: "grey50",  # waiting for the run to start
    RunStatus.RUNNING: "bold yellow",
    RunStatus.SUCCEEDED: "bold green",
    RunStatus.INCOMPLETE: "bold yellow",
    RunStatus.FAILED: "bold red",
    RunStatus.CANCELLED: "bold magenta",
}


def fmt_seconds(seconds: float | None, *, tenths: bool = True) -> str:
    """``12.3s``, ``4m05s``, ``1h02m``; without ``tenths`` whole seconds (``12s``), for clocks that tick."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s" if tenths else f"{int(seconds)}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_count(n: float) -> str:
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return f"{n:.0f}"


def bar(fraction: float, width: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """A horizontal bar of ``width`` cells, filled to ``fraction`` (0..1), green → yellow → red as it fills:
    two ``(text, style)`` spans, the filled part and the rest."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    filled = "█" * full + partial
    style = "green" if fraction < 0.6 else "yellow" if fraction < 0.85 else "red"
    return (filled, style), (" " * (width - len(filled)), "on grey23")
