"""The run header: graph, model, elapsed time, nodes done / failed / total, run status and the last error."""

from __future__ import annotations

from pathlib import PurePath

from agentrt.graph.states import NodeState, RunStatus
from tui.state import RunView
from tui.widgets.lines import Line, LinePanel, Span, fit, line_width
from tui.widgets.style import RUN_STYLE, UNANSWERED_STYLE, fmt_seconds


class RunHeader(LinePanel):
    DEFAULT_CSS = """
    RunHeader { height: auto; max-height: 2; background: $panel; padding: 0 1; }
    """

    def update_view(self, view: RunView, now: float) -> None:
        counts = view.counts()
        graph = PurePath(view.graph).name if view.graph else (view.run_id or "no run yet")
        spans: list[Span] = [("agentrt ", "bold"), (graph, "bold cyan")]
        model_at = len(spans)
        # While the run goes on the clock shows whole seconds: the line is repainted once a second, not at every
        # refresh.
        spans.append((f" · {fmt_seconds(view.elapsed_s(now), tenths=view.finished_ts is not None)}", ""))
        unanswered = sum(1 for node in view.nodes.values() if node.unanswered)
        spans += [(" · nodes ", ""), (f"{counts.get(NodeState.SUCCEEDED, 0) - unanswered}✔", "green"), (" ", "")]
        if unanswered:
            spans.append((f"{unanswered}{UNANSWERED_STYLE[0]} ", UNANSWERED_STYLE[1]))
        failed = counts.get(NodeState.FAILED, 0)
        spans.append((f"{failed}✘", "bold red" if failed else "grey50"))
        running = counts.get(NodeState.RUNNING, 0)
        if running:
            spans.append((f" {running}▶", "yellow"))
        status = view.status_text + (" (resumed)" if view.resumed and view.status == RunStatus.RUNNING else "")
        spans += [(f" /{counts['total']}", ""), (" · ", ""), (status, RUN_STYLE.get(view.status, ""))]
        if view.model:
            # The model's name gives way (ends in "…") when the line does not fit: the counts and status stay.
            room = (self.size.width or 10_000) - line_width(tuple(spans))
            model: Line = ((f" · {view.model}", "grey70"),)
            if line_width(model) > room:
                model = fit(model, room, ellipsis=True) if room > 4 else ()
            spans[model_at:model_at] = model
        lines: list[Line] = [tuple(spans)]
        if view.errors:
            last = view.errors[-1]
            plural = "s" if len(view.errors) > 1 else ""
            lines.append(((f"✘ {len(view.errors)} error{plural}, last: ", "bold red"), (last.text, "red")))
        self.set_lines(lines)

    def say(self, text: str) -> None:
        """Replace the header with one line of text (e.g. while the run stops)."""
        self.set_lines([((text, ""),)])
