"""The line-drawn widgets the panels are built on: what they show, and that they repaint only what changed."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.geometry import Region

from tui.widgets.eventlog import LogLines
from tui.widgets.lines import LinePanel, fit, line_text
from tui.widgets.rowtable import Column, RowTable
from tui.widgets.stream import blocks, tail
from tui.widgets.throughput import BARS, sparkline


def cells(*texts: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(((text, ""),) for text in texts)


class Recording:
    """Wraps a widget's `refresh` to remember the regions each call marked dirty (() for the whole widget)."""

    def __init__(self, widget: Any) -> None:
        self.calls: list[tuple[Region, ...]] = []
        original = widget.refresh

        def refresh(*regions: Region, **options: Any) -> Any:
            self.calls.append(regions)
            return original(*regions, **options)

        widget.refresh = refresh


class TableApp(App[None]):
    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.widget = widget
        self.highlighted: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        self.highlighted.append(message.key)


def test_fit_pads_cuts_and_ends_in_an_ellipsis() -> None:
    assert line_text(fit((("ab", "red"),), 4)) == "ab  "
    assert line_text(fit((("ab", ""),), 4, justify="right")) == "  ab"
    assert line_text(fit((("abc", ""), ("def", "bold")), 4)) == "abcd"
    cut = fit((("abc", ""), ("def", "bold")), 4, ellipsis=True)
    assert line_text(cut) == "abc…"
    assert line_text(fit((("日本語", ""),), 4)) == "日本"  # wide characters count two cells


def test_sparkline_scales_to_the_peak_and_stacks_rows() -> None:
    one = sparkline([0.0, 4.0, 8.0], 10, 1, ["c"] * 9)
    assert line_text(one[0]) == " " + BARS[4] + BARS[8]
    two = sparkline([0.0, 4.0, 8.0], 10, 2, ["c"] * 9)
    assert [line_text(line) for line in two] == ["  " + BARS[8], " " + BARS[8] + BARS[8]]
    assert line_text(sparkline([0.1, 8.0], 10, 1, ["c"] * 9)[0])[0] == BARS[1]  # small but not zero: visible
    squeezed = sparkline([float(i) for i in range(100)], 10, 1, ["c"] * 9)
    assert len(line_text(squeezed[0])) == 10 and line_text(squeezed[0])[-1] == BARS[8]


def test_stream_tail_and_blocks_per_owner() -> None:
    assert tail("abcdefgh\nij", 3, 3) == ["def", "gh", "ij"]
    lines = blocks([("fetch[0]/executor", "first item text"), ("fetch[1]/executor", "second")], 12, 4)
    texts = [line_text(line) for line in lines]
    assert texts[0].startswith("[0] ") and texts[2].startswith("[1] ")
    assert texts[1].startswith("    ") and texts[1].strip().endswith("text")  # the newest text of item 0
    many = blocks([(f"map[{i}]/a", f"text {i}") for i in range(10)], 20, 4)
    assert [line_text(line)[:3] for line in many if line_text(line).startswith("[")] == ["[8]", "[9]"]


async def test_row_table_keeps_the_cursor_on_its_key_and_repaints_only_changed_rows() -> None:
    table = RowTable([Column("id", "id"), Column("tok", "tok", justify="right")])
    app = TableApp(table)
    async with app.run_test(size=(40, 10)) as pilot:
        table.set_rows([("a", cells("a", "1")), ("b", cells("b", "2")), ("c", cells("c", "3"))])
        await pilot.pause()
        assert app.highlighted == ["a"]
        table.focus()
        await pilot.press("down")
        assert table.cursor_key == "b" and app.highlighted[-1] == "b"

        recording = Recording(table)
        table.set_rows([("a", cells("a", "1")), ("b", cells("b", "20")), ("c", cells("c", "3"))])
        assert recording.calls == [(Region(0, 2, table.size.width, 1),)]  # row "b" is line 2, under the header
        assert table.get_row("b") == ["b", "20"]

        table.set_rows([("z", cells("z", "0")), ("b", cells("b", "20"))])  # a row before it: the cursor follows
        assert table.cursor_key == "b" and table.cursor_row == 1
        await pilot.pause()
        assert "z" in line_text(table.lines[1]) and "20" in line_text(table.lines[2])

        await pilot.click(table, offset=(2, 1))  # the row under the header
        assert table.cursor_key == "z"


async def test_row_table_scrolls_to_keep_the_cursor_in_view() -> None:
    table = RowTable([Column("n", "n")])
    app = TableApp(table)
    async with app.run_test(size=(20, 6)) as pilot:  # header + 5 rows
        table.set_rows([(str(i), cells(f"row {i}")) for i in range(20)])
        table.focus()
        await pilot.pause()
        await pilot.press("end")
        assert table.cursor_key == "19" and line_text(table.lines[-1]).strip() == "row 19"
        await pilot.press("home")
        assert line_text(table.lines[1]).strip() == "row 0"


async def test_log_lines_follow_the_end_and_hold_their_place_when_scrolled_back() -> None:
    log = LogLines(100)
    app = TableApp(log)
    async with app.run_test(size=(30, 5)) as pilot:
        log.write([((f"line {i}", ""),) for i in range(20)])
        await pilot.pause()
        assert [line_text(line) for line in log.lines] == [f"line {i}" for i in range(15, 20)]
        log.focus()
        await pilot.press("up", "up")
        assert log.back == 2 and line_text(log.lines[-1]) == "line 17"
        log.write([(("line 20", ""),)])
        assert log.back == 3 and line_text(log.lines[-1]) == "line 17"  # new lines do not move the view
        await pilot.press("end")
        assert log.back == 0 and line_text(log.lines[-1]) == "line 20"
        log.write([((f"more {i}", ""),) for i in range(200)])
        assert len(log.texts) == 100 and log.texts[-1] == "more 199"  # capped at max_lines


async def test_line_panel_repaints_runs_of_changed_lines_as_one_region() -> None:
    panel = LinePanel()
    app = TableApp(panel)
    async with app.run_test(size=(20, 8)) as pilot:
        panel.set_lines([((str(i), ""),) for i in range(6)])
        await pilot.pause()
        recording = Recording(panel)
        panel.set_lines([(("0", ""),), (("X", ""),), (("Y", ""),), (("3", ""),), (("4", ""),), (("Z", ""),)])
        assert recording.calls == [(Region(0, 1, 20, 2), Region(0, 5, 20, 1))]
        panel.set_lines(panel.lines)
        assert recording.calls[1:] == []  # nothing changed: nothing repainted
