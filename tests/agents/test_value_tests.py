"""Tests in a code action that no value of the attached data passes (agents/value_tests.py): read off the code,
checked against every field of the workspace's data, said once as a note, and an answer built on one sent back
once."""

from __future__ import annotations

from pathlib import Path

from agentrt.testing.fake_engine import FakeEngine

from agents import Executor, standalone_context
from agents.value_tests import DataFields, ValueTest, value_tests

BADGES = (
    "scout\tbadge\ttype\tstatus\tstage\tawarded\n"
    "Ann Lee\tNavigator\tStaged\tAwarded\t3\t09/18/2025\n"
    "Bo Ek\tCamper\tActivity\tAwarded\t\t01/15/2026\n"
    "ann lee\tHiker\tActivity\tPending\t\t02/05/2026\n"
)


def block(code: str, thought: str = "t") -> str:
    return f"Thought: {thought}\n```python\n{code.strip()}\n```"


def test_the_tests_of_a_field_against_literal_text_are_read_off_the_code() -> None:
    code = (
        "for row in rows:\n"
        "    if row['badge'] == 'Activity' and 'Pending' != row.get('status'):\n"
        "        pass\n"
        "    if str(row['type']).strip().lower() in ('activity', 'challenge'):\n"
        "        pass\n"
        "    if row['awarded'].endswith('2026') or 'Lee' in row['scout']:\n"
        "        pass\n"
        "    if row['stage'] == 3 or name == 'Ann' or row[col] == 'x':\n"  # a number, no field, no literal field
        "        pass\n"
    )
    assert value_tests(code) == [
        ValueTest("badge", "Activity", "=="),
        ValueTest("status", "Pending", "=="),
        ValueTest("type", "activity", "==", ("strip", "lower")),
        ValueTest("type", "challenge", "==", ("strip", "lower")),
        ValueTest("awarded", "2026", "endswith"),
        ValueTest("scout", "Lee", "contains"),
    ]
    assert value_tests("if x ==") == []  # code that does not parse has none


def test_a_test_no_value_passes_says_what_the_data_holds_instead(tmp_path: Path) -> None:
    (tmp_path / "badges.tsv").write_text(BADGES)
    data = DataFields(tmp_path)

    def notes(test: str) -> list[str]:
        return data.failed_tests(f"rows = read_table('badges.tsv')\nkept = [r for r in rows if {test}]")

    # The value is in another column.
    assert notes("r['badge'] == 'Activity'") == [
        'the test badge == "Activity" is never true in badges.tsv: "Activity" is a value of the type field, not of '
        "badge."
    ]
    # Another letter case, also after the code's own string methods.
    assert notes("r['status'] == 'awarded'") == [
        'the test status == "awarded" is never true in badges.tsv: the data writes it "Awarded" (letter case or '
        "spaces differ)."
    ]
    assert notes("r['type'].lower() == 'Activity'")[0].startswith('the test type.lower() == "Activity" is never')
    # Nowhere: the field's values, which show their form (dates month/day/year here).
    assert notes("r['awarded'].startswith('2026')") == [
        'the test awarded.startswith("2026") is never true in badges.tsv; the values of awarded are "09/18/2025", '
        '"01/15/2026", "02/05/2026".'
    ]
    # Tests some value passes, numbers against a field of numbers, and fields the data lacks say nothing.
    for test in ("r['type'] == 'Activity'", "r['status'].lower() != 'pending'", "'Lee' in r['scout']",
                 "r['awarded'].endswith('2026')", "r['stage'] == '4'", "r['colour'] == 'red'", "r['badge'] != ''"):
        assert notes(test) == [], test


def test_only_the_files_the_code_names_count_and_every_table_of_a_page(tmp_path: Path) -> None:
    (tmp_path / "badges.tsv").write_text(BADGES)
    (tmp_path / "tanks.yaml").write_text("tanks:\n  - id: T1\n    status: Quarantine\n")
    (tmp_path / "kiln.html").write_text(
        "<table><tr><th>No</th><th>Member</th></tr><tr><td>K1</td><td>Ann</td></tr></table>"
        "<table><tr><th>Kiln</th><th>Rate</th></tr><tr><td>Big Bertha</td><td>4.50</td></tr></table>"
    )
    data = DataFields(tmp_path)
    # status is a field of both files; the code reads the YAML, where "Awarded" is not a status.
    note = data.failed_tests("t = yaml.safe_load(open('tanks.yaml'))\nx = [a for a in t if a['status'] == 'Awarded']")
    assert note == ['the test status == "Awarded" is never true in tanks.yaml; the values of status are "Quarantine".']
    # A block that names no file is judged on the files the run's earlier blocks named.
    assert data.failed_tests("x = [a for a in t if a['status'] == 'Awarded']", ["open('badges.tsv')"]) == []
    # The page's second table is data too.
    assert data.failed_tests("rows = read_table('kiln.html', table=1)\nb = [r for r in rows if r['Kiln'] == 'Bertha']")


async def test_a_note_goes_with_the_output_and_an_answer_built_on_a_failed_test_comes_back_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "badges.tsv").write_text(BADGES)
    wrong = "rows = read_table('badges.tsv')\nn = len({r['scout'].lower() for r in rows if r['badge'] == 'Activity'})\n"
    right = wrong.replace("r['badge']", "r['type']")
    script = [block(wrong + "print(n)"), block(wrong + "final_answer(n)"), block(right + "final_answer(n)")]
    engine = FakeEngine(1, reply=script)
    task = "How many different scouts got an Activity badge? Answer with a number."
    result = await Executor.create(tools=["python"]).run(task, standalone_context(engine, workspace=tmp_path))
    note = ('the test badge == "Activity" is never true in badges.tsv: "Activity" is a value of the type field, not '
            "of badge.")
    assert result.trace[0]["observation"] == f"0\nNote: {note}"
    # Said once: the same test in the next block does not refuse its answer (0 is refused for being 0 instead).
    assert note not in result.trace[1]["observation"]
    assert (result.output, result.steps) == ("2", 3)

    engine = FakeEngine(1, reply=[block(wrong + "final_answer(n)"), block(right + "final_answer(n)")])
    result = await Executor.create(tools=["python"]).run(task, standalone_context(engine, workspace=tmp_path))
    assert result.trace[0]["observation"] == (
        f"Error: 0 comes from a test that the data never passes. T{note[1:]} Fix the test so it matches the data as "
        "the task means it, then answer."
    )
    assert (result.output, result.steps) == ("2", 2)
