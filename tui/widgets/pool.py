"""The sequence pool panel: one row per sequence: owner, state, tokens, KV cells used (bar) and tokens/s."""

from __future__ import annotations

from tui.state import RunView, SequenceView
from tui.widgets.lines import Line
from tui.widgets.rowtable import Column, Row, RowTable
from tui.widgets.style import SEQ_STYLE, bar, fmt_count
from tui.widgets.throttle import StateWatch

KV_BAR_WIDTH = 8
# Longer owners (``summaries[12]/summariser``) end in "…", so that the table fits the 64 columns the wide layout
# gives the pool.
OWNER_WIDTH = 20

COLUMNS = [
    Column("seq", "#", justify="right"),
    Column("owner", "owner", max_width=OWNER_WIDTH),
    Column("state", "state"),
    Column("tok", "tok", justify="right"),
    Column("kv", "KV"),
    Column("rate", "tok/s", justify="right"),
]


def _kv_cell(seq: SequenceView, n_ctx: int) -> Line:
    if n_ctx <= 0:
        return ((fmt_count(seq.kv_cells), ""),)
    fraction = seq.kv_cells / n_ctx
    return (*bar(fraction, KV_BAR_WIDTH), (f"{fraction * 100:4.0f}%", ""))


class PoolPanel(RowTable):
    """The engine's sequences. Up/down selects one; its token stream shows in the stream panel."""

    DEFAULT_CSS = """
    PoolPanel { border: round $panel-lighten-2; }
    PoolPanel:focus { border: round $accent; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.border_title = "sequences"
        self._watch = StateWatch()

    @property
    def selected_sequence(self) -> int | None:
        key = self.cursor_key
        return int(key) if key is not None else None

    def update_view(self, view: RunView, now: float, *, counters: bool = True) -> None:
        sequences = view.ordered_sequences()
        # Redrawn at once when a sequence changes hands; its state (prefill / decode, often shorter than a
        # refresh), tokens, KV and rate when the counters are due.
        if not self._watch.due(tuple((s.seq, s.owner, s.leased) for s in sequences), counters=counters):
            return
        rows: list[Row] = []
        busy = 0
        for seq in sequences:
            busy += seq.state != "idle"
            rate = seq.rate(now)
            rows.append(
                (
                    str(seq.seq),
                    (
                        ((str(seq.seq), ""),),
                        ((seq.owner or "-", "" if seq.leased else "grey42"),),
                        ((seq.state, SEQ_STYLE.get(seq.state, "")),),
                        ((fmt_count(seq.generated), ""),),
                        _kv_cell(seq, view.n_ctx),
                        ((f"{rate:.0f}" if rate else "-", ""),),
                    ),
                )
            )
        self.set_rows(rows)
        subtitle = f"{busy}/{len(rows)} busy"
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
