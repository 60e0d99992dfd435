"""`LinePanel`: a panel drawn line by line (Textual's line API) that repaints only the lines that changed.

Why the dashboard does not use `Static` and `DataTable`: a `Static.update` re-renders the whole widget through
Rich, and a `DataTable` cell update drops every cached line of the table. Redrawing the panels that way ~10 times
a second took 7.8% of a core, and on a 2-core machine every cycle the dashboard takes is one llama.cpp's two
compute threads lose (the engine ran 6-11% slower with it). Here a panel is handed its lines as plain data
(tuples of ``(text, style)`` spans), compares them with what it shows, marks only the changed lines dirty, and
turns a line into a `Strip` (segments cut to the panel's width) only when it changed or the panel resized.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Self

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

Span = tuple[str, str]  # (text, Rich style: "" for the panel's own)
Line = tuple[Span, ...]
BLANK: Line = ()


@lru_cache(maxsize=512)
def parse_style(style: str) -> Style:
    return Style.parse(style) if style else Style.null()


def line_text(line: Line) -> str:
    return "".join(text for text, _ in line)


def line_width(line: Line) -> int:
    return sum(cell_len(text) for text, _ in line)


def fit(line: Line, width: int, *, justify: str = "left", ellipsis: bool = False) -> Line:
    """``line`` cut or padded to exactly ``width`` cells; cut lines end in "…" with ``ellipsis``."""
    used = line_width(line)
    if used == width:
        return line
    if used < width:
        pad = (" " * (width - used), "")
        return (pad, *line) if justify == "right" else (*line, pad)
    out: list[Span] = []
    room = width - 1 if ellipsis and width > 0 else width
    for text, style in line:
        size = cell_len(text)
        if size >= room:
            if room > 0:
                out.append((set_cell_size(text, room), style))
            break
        out.append((text, style))
        room -= size
    if ellipsis and width > 0:
        out.append(("…", line[-1][1] if line else ""))
    return tuple(out)


def to_strip(line: Line, width: int, base: Style, over: Style | None = None) -> Strip:
    """One line as a `Strip` of exactly ``width`` cells: every span's style laid over the panel's ``base``, and
    ``over`` (a cursor row's style) over both."""
    segments: list[Segment] = []
    room = width
    for text, style in line:
        if room <= 0:
            break
        size = cell_len(text)
        if size > room:
            text, size = set_cell_size(text, room), room
        segment_style = base + parse_style(style) if style else base
        segments.append(Segment(text, segment_style + over if over is not None else segment_style))
        room -= size
    if room > 0:
        segments.append(Segment(" " * room, base + over if over is not None else base))
    return Strip(segments, width)


class LinePanel(Widget):
    """A widget whose content is a list of `Line`s, one per row of the panel, top first.

    `set_lines` replaces the content and repaints just the rows whose line (or line style) changed; rows past
    the end are blank. With ``height: auto`` the panel is as tall as its lines (a new layout only when their
    number changes).
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: list[Line] = []
        # Rows drawn with a component class's style over their spans (a table's header and cursor), by row. The
        # class is resolved when the row is drawn: its style depends on focus, which CSS applies later.
        self._line_classes: dict[int, str] = {}
        self._strips: dict[int, tuple[tuple[Line, Style, int, Style | None], Strip]] = {}
        # `Widget.rich_style` walks the ancestors' styles and Textual drops its cache at every refresh, even of
        # one line; the panel's own style only changes with a refresh of the whole panel (focus, theme, CSS).
        self._base_style: Style | None = None

    @property
    def lines(self) -> list[Line]:
        return self._lines

    def set_lines(self, lines: Sequence[Line], line_classes: dict[int, str] | None = None) -> None:
        new, old = list(lines), self._lines
        new_classes, old_classes = line_classes or {}, self._line_classes
        self._lines, self._line_classes = new, new_classes
        if not self.is_mounted:
            return
        if len(new) != len(old) and self.styles.height is not None and self.styles.height.is_auto:
            self.refresh(layout=True)
            return
        width = self.size.width
        changed = [
            y
            for y in range(max(len(new), len(old)))
            if (new[y] if y < len(new) else None) != (old[y] if y < len(old) else None)
            or new_classes.get(y) != old_classes.get(y)
        ]
        regions: list[Region] = []
        for y in changed:  # runs of consecutive lines as one region
            last = regions[-1] if regions else None
            if last is not None and last.bottom == y:
                regions[-1] = Region(0, last.y, width, last.height + 1)
            else:
                regions.append(Region(0, y, width, 1))
        if regions:
            self.refresh(*regions)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines)

    def refresh(self, *regions: Region, **options: Any) -> Self:
        if not regions:
            self._base_style = None
        return super().refresh(*regions, **options)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._base_style is None:
            self._base_style = self.rich_style
        base = self._base_style
        line = self._lines[y] if y < len(self._lines) else BLANK
        component = self._line_classes.get(y)
        # Not partial: a partial style drops the alpha of colours such as a blurred cursor's background.
        extra = self.get_component_rich_style(component) if component else None
        key = (line, base, width, extra)
        cached = self._strips.get(y)
        if cached is not None and cached[0] == key:
            return cached[1]
        strip = to_strip(line, width, base, extra)
        self._strips[y] = (key, strip)
        return strip

    class Resized(Message):
        """The panel changed size: what it shows was cut to the old one (the app redraws every panel)."""

    def on_resize(self) -> None:
        self._strips.clear()
        self.post_message(self.Resized())
