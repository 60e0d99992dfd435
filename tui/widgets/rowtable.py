"""`RowTable`: a keyed table with a header, a row cursor and scrolling, repainting only the rows that changed.

What the graph and pool panels need from a table and no more: rows replaced wholesale from a `RunView` at every
refresh (`set_rows`), the cursor kept on the same row key when rows come and go, up/down/page/home/end and the
mouse to move it, and a `Highlighted` message when it moves. Column widths grow with their contents and never
shrink, so numbers do not jump left and right as they tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message

from tui.widgets.lines import Line, LinePanel, fit, line_text, line_width

Cell = Line
Row = tuple[str, Sequence[Cell]]  # (row key, cells)
CELL_PADDING = 1  # blank cells either side of a cell's text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    justify: Literal["left", "right"] = "left"
    max_width: int | None = None  # longer cells end in "…"


class RowTable(LinePanel, can_focus=True):
    """Row 0 is the header; below it ``rows[top:]``, as many as fit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "up", show=False),
        Binding("down", "cursor_down", "down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rowtable--header", "rowtable--cursor"}
    DEFAULT_CSS = """
    RowTable { background: $surface; color: $foreground; height: auto; max-height: 100%; }
    RowTable > .rowtable--header { text-style: bold; background: $panel; color: $foreground; }
    RowTable > .rowtable--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    RowTable:focus { background-tint: $foreground 5%; }
    RowTable:focus > .rowtable--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """

    class Highlighted(Message):
        """The cursor moved to another row (or the table got its first rows)."""

        def __init__(self, table: RowTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(self, columns: Sequence[Column], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.columns = list(columns)
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._widths = [line_width(((c.label, ""),)) for c in self.columns]
        self.cursor_row = 0
        self._top = 0  # index of the first row shown

    # --- what it holds --------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_key(self) -> str | None:
        return self._rows[self.cursor_row][0] if 0 <= self.cursor_row < len(self._rows) else None

    def get_row(self, key: str) -> list[str]:
        """The plain text of the row's cells (as given, before fitting them to the columns)."""
        return [line_text(cell) for cell in self._rows[self._index[key]][1]]

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows``; the cursor stays on the row with the same key (or at the same place, if it is gone)."""
        selected = self.cursor_key
        self._rows = list(rows)
        self._index = {key: i for i, (key, _) in enumerate(self._rows)}
        for cells in (cells for _, cells in self._rows):
            for i, (column, cell) in enumerate(zip(self.columns, cells, strict=False)):
                width = line_width(cell)
                if column.max_width is not None:
                    width = min(width, column.max_width)
                self._widths[i] = max(self._widths[i], width)
        if selected is not None and selected in self._index:
            self.cursor_row = self._index[selected]
        self.cursor_row = max(0, min(self.cursor_row, len(self._rows) - 1))
        self._show()
        if selected is None and self._rows:
            self.post_message(self.Highlighted(self, self.cursor_key))

    # --- drawing --------------------------------------------------------------------------------------------

    def _page(self) -> int:
        """Rows that fit under the header."""
        return max(1, (self.size.height or len(self._rows) + 1) - 1)

    def _format(self, cells: Sequence[Cell]) -> Line:
        spans: list[tuple[str, str]] = []
        pad = (" " * CELL_PADDING, "")
        for column, width, cell in zip(self.columns, self._widths, cells, strict=False):
            spans.append(pad)
            spans.extend(fit(cell, width, justify=column.justify, ellipsis=column.max_width is not None))
            spans.append(pad)
        return tuple(spans)

    def _show(self) -> None:
        page = self._page()
        # Keep the cursor in view, and no blank rows at the bottom while there are rows above.
        self._top = min(self._top, self.cursor_row)
        self._top = max(self._top, self.cursor_row - page + 1)
        self._top = max(0, min(self._top, len(self._rows) - page))
        header = self._format([((column.label, ""),) for column in self.columns])
        lines = [header] + [self._format(cells) for _, cells in self._rows[self._top : self._top + page]]
        classes = {0: "rowtable--header"}
        if self._rows:
            classes[1 + self.cursor_row - self._top] = "rowtable--cursor"
        self.set_lines(lines, classes)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1 + len(self._rows)

    def on_resize(self) -> None:
        super().on_resize()
        self._show()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.refresh()  # the cursor's style depends on focus

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self.refresh()

    # --- moving the cursor ----------------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row == self.cursor_row:
            return
        self.cursor_row = row
        self._show()
        self.post_message(self.Highlighted(self, self.cursor_key))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self._page())

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self.move_cursor(self._top + offset.y - 1)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.move_cursor(self.cursor_row + 1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.move_cursor(self.cursor_row - 1)
