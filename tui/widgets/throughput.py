"""Throughput over time (aggregate tokens/s sparkline), batch occupancy per engine step, queue depth."""

from __future__ import annotations

from collections.abc import Sequence

from rich.color import Color, blend_rgb

from agentrt.graph.states import RunStatus
from tui.state import RunView
from tui.widgets.lines import Line, LinePanel, Span
from tui.widgets.style import fmt_count
from tui.widgets.throttle import StateWatch

BARS = " ▁▂▃▄▅▆▇█"
LEVELS = len(BARS) - 1


def _ramp(low: str, high: str) -> list[str]:
    """A style per bar height, from ``low`` for the lowest bars to ``high`` for full ones."""
    a, b = Color.parse(low).get_truecolor(), Color.parse(high).get_truecolor()
    return [blend_rgb(a, b, i / LEVELS).hex for i in range(LEVELS + 1)]


TPS_COLORS = _ramp("#1b4f72", "#5dade2")
OCCUPANCY_COLORS = _ramp("#1e5631", "#4caf50")


def sparkline(values: Sequence[float], width: int, rows: int, colors: list[str], top: float | None = None) -> list[Line]:
    """``values`` as bars ``rows`` lines tall (top line first), scaled to ``top`` (default: the largest value).

    One cell per value while they fit; beyond that, each cell shows the largest of the values it covers.
    """
    if width <= 0 or rows <= 0:
        return []
    if len(values) > width:
        step = len(values) / width
        values = [max(values[int(i * step) : max(int(i * step) + 1, int((i + 1) * step))]) for i in range(width)]
    peak = top if top is not None else max(values, default=0.0)
    heights = [round(v / peak * LEVELS * rows) if peak > 0 else 0 for v in values]
    heights = [max(h, 1) if v > 0 else h for h, v in zip(heights, values, strict=True)]  # non-zero stays visible
    lines: list[Line] = []
    for row in reversed(range(rows)):
        spans: list[Span] = []
        for h in heights:
            fill = max(0, min(LEVELS, h - row * LEVELS))
            spans.append((BARS[fill], colors[min(LEVELS, h // rows)]))  # the taller the bar, the brighter
        lines.append(tuple(spans))
    return lines


class ThroughputPanel(LinePanel):
    """A label and a sparkline for tokens/s (as tall as the panel allows), a label and one line for occupancy."""

    DEFAULT_CSS = """
    ThroughputPanel { border: round $panel-lighten-2; height: auto; padding: 0 1; }
    """
    # Two labels, two rows of tokens/s and one of occupancy; with less height (max-height) one row of tokens/s.
    LINES = 5

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.border_title = "throughput"
        self._watch = StateWatch()

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return self.LINES

    def update_view(self, view: RunView, now: float, *, counters: bool = True) -> None:
        # Everything here is a counter or a series: redrawn when the counters are due (or the run's state moved).
        if not self._watch.due(view.status, counters=counters):
            return
        series = list(view.throughput)
        occupancy = list(view.occupancy)
        width = max(1, self.size.width or 40)
        spark_rows = max(1, (self.size.height or 4) - 3)
        # The newest bucket is still filling while the run goes on: show the last complete second.
        current = series[-2] if view.status == RunStatus.RUNNING and len(series) > 1 else (series[-1] if series else 0.0)
        elapsed = view.elapsed_s(now)
        average = view.generated_tokens / elapsed if elapsed > 0 else 0.0
        peak = max(series, default=0.0)
        tps: Line = (
            (f"{current:.0f}", "bold"),
            (f" tok/s  avg {average:.0f}  peak {peak:.0f}  total {fmt_count(view.generated_tokens)}", "grey70"),
        )
        occ_now = occupancy[-1] if occupancy else 0.0
        occ: list[Span] = [(f"batch {occ_now * 100:.0f}%", "bold"), (f"  queue {view.queue_depth}  step {view.steps}", "grey70")]
        if view.batch_tokens:
            occ.append((f"  {view.batch_tokens[-1]} tok/batch", "grey70"))
        self.set_lines(
            [
                tps,
                *sparkline(series or [0.0], width, spark_rows, TPS_COLORS),
                tuple(occ),
                *sparkline(occupancy or [0.0], width, 1, OCCUPANCY_COLORS, top=1.0),
            ]
        )
