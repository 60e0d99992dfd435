"""read_table: every table format the agents meet read into the same list of dicts, in process and in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.testing.fake_engine import FakeEngine

from agents import Executor, standalone_context
from agents.table_reader import read_table

ROWS = [{"day": "Mon", "item": "tea", "qty": 3, "price": 2.5}, {"day": "Tue", "item": "cake, lemon", "qty": 12, "price": 4.0}]

TABLES = {
    "t.csv": 'day,item,qty,price\nMon,tea,3,2.5\nTue,"cake, lemon",12,4.0\n',
    "t.tsv": "day\titem\tqty\tprice\nMon\ttea\t3\t2.5\nTue\tcake, lemon\t12\t4.0\n",
    "t.md": "# Sales\n\nSome notes, with a comma.\n\n| day | item | qty | price |\n|---|---|---:|---:|\n"
            "| Mon | tea | 3 | 2.5 |\n| Tue | cake, lemon | 12 | 4.0 |\n\nA closing line.\n",
    "t.html": "<!DOCTYPE html><html><body><h1>Sales</h1><table><tr><th>day</th><th>item</th><th>qty</th>"
              "<th>price</th></tr><tr><td>Mon</td><td>tea</td><td>3</td><td>2.5</td></tr><tr><td>Tue</td>"
              "<td>cake, <b>lemon</b></td><td>12</td><td>4.0</td></tr></table></body></html>",
    # A title in three parts two spaces apart, a line of details, then the table with right-aligned numbers.
    "t.txt": "CORNER CAFE        WEEKLY SALES        WEEK 12\nTill: 2    Staff: 3    Manager: A. Lee\n\n"
             "day   item            qty   price\n----------------------------------\n"
             "Mon   tea               3     2.5\nTue   cake, lemon      12     4.0\n"
             "----------------------------------\nPrices in pounds, as sold on the day.\n",
    # semicolon- and pipe-separated exports, the second under a .txt name (file_shapes calls both tables)
    "t_semicolon.csv": 'day;item;qty;price\nMon;tea;3;2.5\nTue;cake, lemon;12;4.0\n',
    "t_pipe.txt": "day|item|qty|price\nMon|tea|3|2.5\nTue|cake, lemon|12|4.0\n",
    "t.jsonl": '{"day": "Mon", "item": "tea", "qty": 3, "price": 2.5}\n{"day": "Tue", "item": "cake, lemon", "qty": 12, '
               '"price": 4.0}\n',
    "t.json": '{"shop": "Corner", "sales": [{"day": "Mon", "item": "tea", "qty": 3, "price": 2.5}, {"day": "Tue", '
              '"item": "cake, lemon", "qty": 12, "price": 4.0}]}',
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_format_reads_into_the_same_rows(name: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(TABLES[name])
    assert read_table(tmp_path / name) == ROWS


def test_an_empty_cell_under_a_spaced_header_stays_in_its_column(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("name      team     time\nAnn       Red      3:42\nBo                 3:50\nCy        Blue     4:01\n")
    assert read_table(tmp_path / "r.txt")[1] == {"name": "Bo", "team": "", "time": "3:50"}


def test_numbers_are_converted_but_codes_and_padded_numbers_are_not(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text('code,zip,n,x,fee,big\nA-1,0042,7,-0.5,"1,250","12,400.50"\n')
    assert read_table(tmp_path / "c.csv") == [
        {"code": "A-1", "zip": "0042", "n": 7, "x": -0.5, "fee": 1250, "big": 12400.5}
    ]


def test_amounts_with_a_fraction_sign_are_numbers(tmp_path: Path) -> None:
    # HTML writes &frac12; and a report types ½: both half a unit, which int() and float() cannot read.
    (tmp_path / "f.html").write_text("<table><tr><th>job</th><th>shelves</th></tr><tr><td>a</td><td>1&frac12;</td>"
                                     "</tr><tr><td>b</td><td>&frac34;</td></tr><tr><td>c</td><td>2 ⅓ left</td></tr>"
                                     "</table>")
    assert [row["shelves"] for row in read_table(tmp_path / "f.html")] == [1.5, 0.75, "2 ⅓ left"]


def test_a_file_with_several_tables_must_be_told_which(tmp_path: Path) -> None:
    page = ("<h1>Studio</h1><table><tr><th>Firing</th><th>Per shelf</th></tr><tr><td>Bisque</td><td>7.50</td></tr>"
            "</table><table><tr><th>No.</th><th>Shelves</th></tr><tr><td>K1</td><td>2</td></tr><tr><td>K2</td>"
            "<td>1</td></tr></table>")
    (tmp_path / "s.html").write_text(page)
    with pytest.raises(ValueError) as refused:
        read_table(tmp_path / "s.html")
    assert "holds 2 tables; say which one with read_table(" in str(refused.value)
    assert "table=0: 1 rows, columns Firing, Per shelf; table=1: 2 rows, columns No., Shelves" in str(refused.value)
    assert read_table(tmp_path / "s.html", table=1) == [{"No.": "K1", "Shelves": 2}, {"No.": "K2", "Shelves": 1}]
    assert read_table(tmp_path / "s.html", table=-1) == read_table(tmp_path / "s.html", table=1)
    with pytest.raises(ValueError, match="table=0 to table=1; table=2 is none of them"):
        read_table(tmp_path / "s.html", table=2)
    (tmp_path / "two.json").write_text('{"prices": [{"a": 1}], "orders": [{"id": 7}, {"id": 8}]}')
    with pytest.raises(ValueError, match="table=0: the list 'prices', 1 records; table=1: the list 'orders', 2"):
        read_table(tmp_path / "two.json")
    assert read_table(tmp_path / "two.json", table=1) == [{"id": 7}, {"id": 8}]


def test_a_file_without_a_table_says_how_to_read_it(tmp_path: Path) -> None:
    (tmp_path / "poem.txt").write_text("The sea is calm tonight.\nThe tide is full, the moon lies fair.\n")
    with pytest.raises(ValueError, match="no table found; read its lines"):
        read_table(tmp_path / "poem.txt")
    (tmp_path / "cfg.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="a JSON object, not a table"):
        read_table(tmp_path / "cfg.json")


async def test_model_code_calls_read_table_in_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "sales.md").write_text(TABLES["t.md"])
    code = "rows = read_table('sales.md')\nfinal_answer(sum(row['qty'] for row in rows if row['item'] != 'tea'))"
    engine = FakeEngine(1, reply=[f"Thought: t\n```python\n{code}\n```"])
    result = await Executor.create(tools=["python"]).run("Units of cake?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("12", 1)


def test_one_short_line_among_aligned_rows_does_not_end_the_table(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text(
        "TOWN MUSEUM\nDaily visitors\n\nDate        Day    Maritime   Print Room   Total\n"
        "--------------------------------------------------\n2026-03-02  Mon    MUSEUM CLOSED\n"
        "2026-03-03  Tue         612       closed     612\n2026-03-04  Wed         587          40     627\n"
    )
    rows = read_table(tmp_path / "v.txt")
    assert [row["Day"] for row in rows] == ["Mon", "Tue", "Wed"] and rows[2]["Print Room"] == 40
    # Two short lines in a row end the rows under a header: a title with a line of details is no table.
    from agents.table_reader import aligned_header

    assert aligned_header(["North   South   East", "note one", "note two", "1   2   3", "4   5   6"]) is None
