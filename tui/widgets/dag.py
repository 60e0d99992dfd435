"""The DAG panel: one row per node, ordered and indented by dependency depth, with state, time and tokens."""

from __future__ import annotations

from agentrt.graph.states import NodeState
from tui.state import NodeView, RunView
from tui.widgets.lines import Line, Span
from tui.widgets.rowtable import Column, Row, RowTable
from tui.widgets.style import NODE_STYLE, OUTCOME_LABEL, UNANSWERED_STYLE, fmt_count, fmt_seconds
from tui.widgets.throttle import StateWatch

COLUMNS = [
    Column("node", "node"),
    Column("agent", "agent"),
    Column("time", "time", justify="right"),
    Column("tok", "tok", justify="right"),
    Column("items", "items"),
]


def _node_cell(node: NodeView) -> Line:
    symbol, style = UNANSWERED_STYLE if node.unanswered else NODE_STYLE.get(node.state, ("?", "white"))
    spans: list[Span] = [("  " * node.depth, "")]
    if node.depth:
        spans.append(("└", "grey42"))
    spans += [(symbol, style), (" ", ""), (node.id, "bold" if node.state == NodeState.RUNNING else "")]
    if node.dynamic:
        spans.append(("+", "cyan"))
    if node.attempt and node.attempt > 1:
        spans.append((f" #{node.attempt}", "yellow"))
    if node.unanswered and node.outcome is not None:
        spans.append((f" {OUTCOME_LABEL.get(node.outcome, node.outcome)}", UNANSWERED_STYLE[1]))
    return tuple(spans)


def _items_cell(node: NodeView) -> Line:
    if not node.is_map:
        return ()
    spans: list[Span] = [(f"{node.map_done}✔", "green")]
    if node.map_unanswered:
        spans.append((f" {node.map_unanswered}{UNANSWERED_STYLE[0]}", UNANSWERED_STYLE[1]))
    if node.map_failed:
        spans.append((f" {node.map_failed}✘", "bold red"))
    spans.append((f"/{node.map_total if node.map_total is not None else '?'}", ""))
    return tuple(spans)


class DagPanel(RowTable):
    """The graph's nodes. Up/down selects a node; its token stream shows in the stream panel."""

    DEFAULT_CSS = """
    DagPanel { border: round $panel-lighten-2; }
    DagPanel:focus { border: round $accent; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.border_title = "graph"
        self._watch = StateWatch()

    @property
    def selected_node(self) -> str | None:
        return self.cursor_key

    def update_view(self, view: RunView, now: float, *, counters: bool = True) -> None:
        nodes = view.ordered_nodes()
        # Redrawn at once when a node is added or changes state; its counters (time, tokens, map items done)
        # when the counters are due.
        shape = tuple((n.id, n.state, n.outcome, n.attempt, n.error) for n in nodes)
        if not self._watch.due(shape, counters=counters):
            return
        rows: list[Row] = []
        for node in nodes:
            elapsed = node.elapsed_s(now)
            style = NODE_STYLE.get(node.state, ("", ""))[1] if node.state in (NodeState.FAILED, NodeState.RUNNING) else ""
            rows.append(
                (
                    node.id,
                    (
                        _node_cell(node),
                        ((node.agent, "grey70"),),
                        ((fmt_seconds(elapsed), style),),
                        ((fmt_count(node.tokens) if node.tokens else "-", ""),),
                        _items_cell(node),
                    ),
                )
            )
        self.set_rows(rows)
        counts = view.counts()
        subtitle = f"{counts.get(NodeState.SUCCEEDED, 0)}/{counts['total']}"
        if subtitle != self.border_subtitle:  # setting it repaints the whole panel, even to the same text
            self.border_subtitle = subtitle
