"""The token stream of the selected node (all its sequences, map items included) or of the selected sequence."""

from __future__ import annotations

from tui.state import RunView, split_owner
from tui.widgets.lines import Line, LinePanel

# A node with several sequences at once (map items, retries) gets one block of lines per sequence, newest last,
# each at least this tall: every running item stays in view, and a token repaints its own block's last line
# instead of shifting everything above it.
MIN_BLOCK_LINES = 2


def tail(text: str, width: int, height: int) -> list[str]:
    """The last ``height`` lines of ``text`` cut to ``width`` cells, so that the newest tokens are in view."""
    width = max(1, width)
    lines: list[str] = []
    for raw in reversed(text.splitlines() or [""]):
        lines[:0] = [raw[i : i + width] for i in range(0, len(raw), width)] or [""]
        if len(lines) >= height:
            break
    return lines[-height:] if height > 0 else []


def blocks(streams: list[tuple[str, str]], width: int, height: int) -> list[Line]:
    """One block per owner's text, the newest owners last, as many as fit; a gutter on the left names the item."""
    shown = streams[-max(1, height // MIN_BLOCK_LINES) :]
    labels = []
    for owner, _ in shown:
        _, item, agent = split_owner(owner)
        labels.append(f"[{item}]" if item is not None else (agent or owner))
    gutter = max(len(label) for label in labels) + 1
    lines: list[Line] = []
    for i, ((_, text), label) in enumerate(zip(shown, labels, strict=True)):
        rows = height // len(shown) + (height % len(shown) if i == len(shown) - 1 else 0)
        for j, piece in enumerate(tail(text, width - gutter, rows)):
            lines.append(((label.ljust(gutter) if j == 0 else " " * gutter, "cyan"), (piece, "")))
    return lines


class StreamPanel(LinePanel):
    """The newest tokens at the bottom: the tail of the text, cut into lines of the panel's width."""

    DEFAULT_CSS = """
    StreamPanel { border: round $panel-lighten-2; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.border_title = "stream"
        self.selection: tuple[str, str] | None = None  # ("node", id) or ("seq", number)

    def update_view(self, view: RunView, now: float) -> None:
        width, height = max(10, self.size.width or 40), max(1, self.size.height or 5)
        lines: list[Line] = []
        if self.selection is None:
            title = "stream"
            lines.append((("select a node or a sequence", "grey50"),))
        elif self.selection[0] == "node":
            node_id = self.selection[1]
            node = view.nodes.get(node_id)
            title = f"stream · {node_id}"
            if node is not None and node.error:
                lines.append(((f"✘ {node.error}", "bold red"),))
            streams = view.streams_for_node(node_id)
            room = height - len(lines)
            if len(streams) > 1 and room >= 2 * MIN_BLOCK_LINES:
                lines += blocks(streams, width, room)
            elif streams:
                lines += [((text, ""),) for text in tail("\n".join(text for _, text in streams), width, room)]
            elif node is not None and node.output:
                lines.append(((f"output: {node.output}", "grey70"),))
            else:
                lines.append((("no tokens yet", "grey50"),))
        else:
            seq = view.sequences.get(int(self.selection[1]))
            owner = seq.owner if seq else None
            title = f"stream · seq {self.selection[1]}" + (f" · {owner}" if owner else "")
            stream = view.stream_for_owner(owner).lstrip()
            if stream:
                lines += [((text, ""),) for text in tail(stream, width, height)]
            else:
                lines.append((("no tokens yet", "grey50"),))
        if title != self.border_title:  # setting it repaints the panel, even to the same text
            self.border_title = title
        self.set_lines(lines)
