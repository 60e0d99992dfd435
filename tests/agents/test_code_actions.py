"""Code actions on the scripted fake engine and the real python tool: how code runs, answers and fails.

The model's replies are scripted; the code really runs in the sandboxed python tool, so what is tested is the
prelude (final_answer, tools as functions, state from earlier blocks), the observations and the loop's control
flow. Whether a real model writes good code is tested in test_agents_qwen.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrt.engine.request import GenerationRequest
from agentrt.engine.sampling import Sampling
from agentrt.errors import ConfigError, OutputParseError
from agentrt.graph.contract import AgentOutcome
from agentrt.testing.fake_engine import FakeEngine

from agents import Executor, default_registry, standalone_context
from agents.code_actions import CodeRunner, bare_literal, parse_code_reply, parse_final_literal


def block(code: str, thought: str = "t") -> str:
    return f"Thought: {thought}\n```python\n{code.strip()}\n```"


async def test_code_runs_in_the_workspace_and_final_answer_ends_the_run(tmp_path: Path) -> None:
    (tmp_path / "pay.csv").write_text("name,amount\nAnn,12.5\nBob,7\n")
    script = [
        block("import csv\nrows = list(csv.DictReader(open('pay.csv')))\nprint(rows[0])"),
        # `rows` is still defined: the earlier block ran again first, silently.
        block("final_answer(sum(float(r['amount']) for r in rows))"),
    ]
    engine = FakeEngine(1, reply=script)
    events: list[dict] = []
    engine.events.subscribe(events.append, kinds=["agent.step", "tool.called"])
    executor = Executor.create(tools=["python"], max_steps=4)
    assert executor.action_format == "code"
    result = await executor.run("Total amount?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.status, result.outcome, result.steps) == ("19.5", "answered", AgentOutcome.ANSWERED, 2)
    second_turn = engine.requests[1][1]
    assert second_turn[-1].content == "Observation:\n{'name': 'Ann', 'amount': '12.5'}\nIf this answers the task, call final_answer with it."
    steps = [e for e in events if e["event"] == "agent.step"]
    assert [s["action"] for s in steps] == ["python", "final_answer"] and "code" in steps[0]


async def test_model_code_can_use_pandas_on_a_table(tmp_path: Path) -> None:
    # Code models write pandas first for a table; the sandbox's Python has it (a dependency of agentrt).
    (tmp_path / "pay.csv").write_text("name,amount\nAnn,12.5\nBob,7\nAnn,1\n")
    code = "import pandas as pd\ndf = pd.read_csv('pay.csv')\nfinal_answer(df[df['name'] == 'Ann']['amount'].sum())"
    engine = FakeEngine(1, reply=[block(code)])
    result = await Executor.create(tools=["python"]).run("Ann's total?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.outcome) == ("13.5", AgentOutcome.ANSWERED)


async def test_model_code_can_use_beautifulsoup_on_a_page(tmp_path: Path) -> None:
    # On an HTML page the 1.5B writes BeautifulSoup code (3-4 of 12 such tasks); the sandbox's Python has it.
    (tmp_path / "p.html").write_text("<table><tr><td>Ann</td><td>12</td></tr><tr><td>Bob</td><td>7</td></tr></table>")
    code = ("from bs4 import BeautifulSoup\nsoup = BeautifulSoup(open('p.html').read(), 'html.parser')\n"
            "final_answer(sum(int(tr.find_all('td')[1].text) for tr in soup.find_all('tr')))")
    engine = FakeEngine(1, reply=[block(code)])
    result = await Executor.create(tools=["python"]).run("Total?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.outcome) == ("19", AgentOutcome.ANSWERED)


async def test_errors_come_back_short_naming_the_models_own_line(tmp_path: Path) -> None:
    script = [block("x = 1\ny = x / 0"), block("final_answer(x + 1)")]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("x?", standalone_context(engine, workspace=tmp_path))
    observation = result.trace[0]["observation"]
    assert observation == "Error: Your code raised ZeroDivisionError: division by zero (line 2: y = x / 0)"
    assert result.output == "2"  # the failed block's state up to its error carries over


async def test_a_repeated_block_is_not_run_again(tmp_path: Path) -> None:
    code = "total = 6 * 7\nprint(total)"
    engine = FakeEngine(1, reply=[block(code), block(code + "  "), block("final_answer(total)")])
    calls: list[dict] = []
    engine.events.subscribe(calls.append, kinds=["tool.called"])
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    assert result.trace[1]["observation"] == "You already did exactly this at step 1, so it was not run again. Its result was:\n42"
    assert len(calls) == 2  # the first block and the answer; the repeat ran nothing
    assert "give your final answer now" in engine.requests[2][1][-1].content
    assert result.output == "42"


class OptionsRecordingEngine(FakeEngine):
    """Keeps every request as the engine received it, options included."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[GenerationRequest] = []

    @property
    def samplings(self) -> list[Sampling]:
        return [request.sampling for request in self.received]

    async def _generate(self, seq: Any, request: GenerationRequest) -> Any:
        self.received.append(request)
        return await super()._generate(seq, request)


async def test_a_repeated_block_that_failed_is_not_forced_to_an_answer_but_sampled_away_from(tmp_path: Path) -> None:
    engine = OptionsRecordingEngine(1, reply=[block("1/0"), block("1/0"), block("final_answer(0 + 1)")])
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    assert "try something different" in result.trace[1]["observation"]
    assert "give your final answer now" not in engine.requests[2][1][-1].content
    # Greedy decoding would write the same failing block again: the next turn samples (seeded: repeatable).
    assert [sampling.temperature for sampling in engine.samplings] == [0.0, 0.0, 0.7]
    assert engine.samplings[2].seed == 3
    # ... from the conversation as it was before the repeat: the repeat is taken back out, not left in view.
    assert [m.content for m in engine.requests[2][1]] == [m.content for m in engine.requests[1][1]]


class FirstReplyLoopsEngine(OptionsRecordingEngine):
    """The first reply ends in a loop, as the in-process engine reports one (finish_reason 'loop')."""

    async def _generate(self, seq: Any, request: GenerationRequest) -> Any:
        result = await super()._generate(seq, request)
        return result.model_copy(update={"finish_reason": "loop"}) if len(self.received) == 1 else result


async def test_a_reply_cut_off_in_a_loop_is_removed_and_the_model_told_why(tmp_path: Path) -> None:
    looping = "Thought: The code prints 51. The final answer is 51. The code prints 51. The final answer is 51."
    engine = FirstReplyLoopsEngine(1, reply=[looping, block("final_answer(50 + 1)")])
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    # Every agent turn asks for the loop guard.
    assert result.output == "51" and [request.stop_on_loop for request in engine.received] == [True, True]
    second_turn = engine.requests[1][1]
    assert "kept repeating itself and was cut off" in second_turn[-1].content
    assert "The code prints 51" not in second_turn[-2].content  # the loop is not shown back to the model


async def test_common_errors_come_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "books.csv").write_text("title,year\nA,1949\n")
    script = [
        block("rows = [{'year': '1949'}]\nprint(sum(1 for r in rows if r['year'] < 1950))"),
        block("open('parcels.csv')"),
        block("print(undefined_rows)"),
        block("import pandas_not_here"),
        block("!pip install pandas"),
        block("print(max(x for x in [3, 5] if x > 9))"),
        block("final_answer(0 + 1)"),
    ]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    hints = [step["observation"].rsplit("\nHint: ", 1)[-1] for step in result.trace[:6]]
    assert hints[0].startswith("values read from a file are text (str): convert them with int() or float()")
    assert hints[1] == "the files in the folder are: books.csv"
    assert hints[2].startswith("`undefined_rows` does not exist yet")
    assert hints[3].startswith("`pandas_not_here` is not installed where the code runs")
    assert hints[4].startswith("only Python runs here: shell commands (!pip, %magic) do not")
    assert hints[5].startswith("the data your code collected is empty: its filter, search or regex matched nothing")


async def test_an_empty_final_answer_is_refused_and_the_run_goes_on(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=[block("final_answer(None)"), block("final_answer([])"), block("final_answer(1 + 2)")])
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    assert "final_answer got 'None', which answers nothing" in result.trace[0]["observation"]
    assert "final_answer got an empty string" in result.trace[1]["observation"]  # [] joins to ''
    assert (result.output, result.outcome, result.steps) == ("3", AgentOutcome.ANSWERED, 3)


async def test_the_step_limit_ends_with_a_literal_answer(tmp_path: Path) -> None:
    script = [block("print(6 * 7)"), 'Thought: the code printed 42.\n```python\nfinal_answer("42")\n```']
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"], max_steps=1).run("6*7?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.status, result.outcome) == ("42", "step_limit", AgentOutcome.STEP_LIMIT)
    assert "Do not run more code" in engine.requests[1][1][-1].content


async def test_other_tools_are_functions_whose_call_ends_the_block(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("The meeting is on Tuesday.\n\nLunch is at noon.")
    script = [block("print('looking')\nhits = search('meeting')\nprint('not reached')"), block("final_answer('Tuesday')")]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python", "search"]).run("When?", standalone_context(engine, workspace=tmp_path))
    observation = result.trace[0]["observation"]
    assert observation.startswith("looking\nsearch(query='meeting') returned:\n[notes.txt] The meeting is on Tuesday.")
    assert "not reached" not in observation and "the lines after it did not run" in observation
    assert result.output == "Tuesday"


async def test_a_malformed_reply_is_replaced_and_explained(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=["I think the answer is 4.", block("final_answer(2 + 2)")])
    result = await Executor.create(tools=["python"]).run("2+2?", standalone_context(engine, workspace=tmp_path))
    assert result.output == "4" and "no complete ```python code block" in result.trace[0]["observation"]
    history = engine.requests[1][1]
    assert history[2].content.startswith("Thought: (removed)") and "not in the required format" in history[3].content


def test_the_action_format_follows_the_tools() -> None:
    assert Executor.create(tools=["calculator"]).action_format == "json"
    assert Executor.create(tools=["calculator", "python"]).action_format == "code"
    assert Executor.create(tools=["python"], action_format="json").action_format == "json"
    with pytest.raises(ConfigError, match="action_format 'code' needs the 'python' tool"):
        Executor.create(tools=["calculator"], action_format="code")
    prompt = Executor.create(tools=["python", "read_file"]).system_prompt(None)  # type: ignore[arg-type]
    assert "final_answer(answer)" in prompt and "read_file(path)" in prompt and "Examples:" in prompt
    assert "Examples:" not in Executor.create(tools=["python"], worked_example=False).system_prompt(None)  # type: ignore[arg-type]


def test_replies_and_last_turn_literals_parse() -> None:
    action = parse_code_reply("Thought: add\n```python\nprint(1 + 1)\n```", where="w")
    assert (action.thought, action.code) == ("add", "print(1 + 1)\n")
    with pytest.raises(OutputParseError, match="cut off before it ended"):
        parse_code_reply("Thought: add\n```python\nprint(1 +", where="w", truncated=True)
    assert parse_code_reply("Thought: a\n```python\nx = 1\n", where="w").code == "x = 1\n"  # ended by a stop string
    assert parse_final_literal('Thought: t\n```python\nfinal_answer("Tom, Ann")\n```') == "Tom, Ann"
    assert parse_final_literal("Thought: t\n```python\nfinal_answer(12.0)\n```") == "12"
    assert parse_final_literal("Thought: t\n```python\nfinal_answer(total)\n```") is None
    assert [bare_literal(c) for c in ("1748", "'Tom, Ann'", "-2.0", "x", "print(1)", "1\n2", "[1]", "True")] == [
        "1748", "Tom, Ann", "-2", None, None, None, None, None
    ]


async def test_a_block_that_only_states_a_value_is_the_answer(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=[block("46 * 38"), block("1748", thought="The answer is 1748.")])
    result = await Executor.create(tools=["python"]).run("46*38?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.outcome, result.steps) == ("1748", AgentOutcome.ANSWERED, 2)
    assert result.trace[0]["observation"] == "1748" and result.trace[1]["stated"] is True


async def test_answers_are_plain_text_whatever_their_type(tmp_path: Path) -> None:
    runner = CodeRunner(default_registry().subset(["python", "final_answer"]), tmp_path)
    assert (await runner.run("x = 46\nx * 38")).output.strip() == "1748"  # a last expression shows its value
    assert (await runner.run("print('a')\nNone")).output.strip() == "a"
    # A block that prints nothing and ends by setting variables shows them (cut when long); one that prints does not.
    assert (await runner.run("q = 17\ntotal = q * 75.0 + 0.5")).output.strip() == "total = 1275.5"
    assert (await runner.run("a = b = 'x' * 700")).output.strip() == f"a = '{'x' * 599} ...\nb = '{'x' * 599} ..."
    assert (await runner.run("print('seen')\nc = 1")).output.strip() == "seen"
    assert (await runner.run("rows = [1]\nrows[0] = 2")).output.startswith("(no output")  # not a variable
    assert (await runner.run("final_answer(['b', 2, 3.0])")).answer == "b, 2, 3"
    assert (await runner.run("print('FINAL')\nfinal_answer(0.5)")).answer == "0.5"


async def test_the_task_comes_with_the_start_of_the_workspace_files(tmp_path: Path) -> None:
    (tmp_path / "rain.csv").write_text("month,city,rain_mm\n" + "".join(f"M{i},Oslo,{i}\n" for i in range(20)))
    (tmp_path / "tiny.json").write_text('{"a": 1}')
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2")
    engine = FakeEngine(1, reply=[block("final_answer(len('a'))")])
    await Executor.create(tools=["python"]).run("Sum?", standalone_context(engine, workspace=tmp_path))
    first = engine.requests[0][1][1].content
    assert first.startswith("Task: Sum?\n\nFiles in the working folder (3), with the start of each:\n")
    assert "--- rain.csv (21 lines)\nmonth,city,rain_mm\nM0,Oslo,0\n" in first and "M5,Oslo,5" not in first
    assert "--- tiny.json (1 lines)\n{\"a\": 1}" in first and "--- blob.bin (3 bytes, binary)" in first
    engine = FakeEngine(1, reply=[block("final_answer(len('a'))")])
    await Executor.create(tools=["python"], preview_files=0).run("Sum?", standalone_context(engine, workspace=tmp_path))
    assert engine.requests[0][1][1].content == "Task: Sum?"


async def test_a_typed_number_no_output_shows_is_refused_once(tmp_path: Path) -> None:
    (tmp_path / "stock.csv").write_text("item,units\nbolt,40\nnut,25\nwasher,13\n")
    script = [
        block("import csv\nrows = list(csv.DictReader(open('stock.csv')))\ntotal = sum(int(r['units']) for r in rows)"),
        block("final_answer(65)", thought="The total is 65."),  # worked out by hand (wrong: 78), never printed
        block("print(total)"),
        block("final_answer(78)", thought="The code printed 78."),
    ]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("Total units?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.outcome, result.steps) == ("78", AgentOutcome.ANSWERED, 4)
    assert result.trace[1]["refused"] is True and "65 is not in any output of your code" in result.trace[1]["observation"]
    # Refused once only: a second hand-typed number is taken (the agent must be able to end), and numbers the
    # task or an output shows, rounded to the answer's precision, are taken at once.
    engine = FakeEngine(1, reply=[block("final_answer(65)"), block("final_answer(66)")])
    result = await Executor.create(tools=["python"]).run("Total?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("66", 2)
    engine = FakeEngine(1, reply=[block("print(200 / 6)"), block("final_answer(33.3)")])
    assert (await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))).steps == 2
    engine = FakeEngine(1, reply=[block("final_answer(65)")])
    result = await Executor.create(tools=["python"], check_typed_numbers=False).run("x", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("65", 1)


def test_numbers_count_as_seen_when_they_round_to_the_answer() -> None:
    from agents.answer_checks import is_seen, typed_literal

    assert is_seen("32.4", ["share 32.3943661972"]) and not is_seen("32.5", ["share 32.3943661972"])
    assert is_seen("1312", ["total: 1,312.0"]) and is_seen("-7", ["delta -7"]) and is_seen("Oslo", [])
    assert not is_seen("1200", ["(the code printed nothing)", "Task: sum the rows of 3 files"])
    assert [typed_literal(c) for c in ("final_answer(1200)", "final_answer(-2.5)", "final_answer(x)",
                                       "final_answer('a')", "final_answer(6 + 6)")] == ["1200", "-2.5", None, "'a'", None]


async def test_an_answer_not_rounded_as_asked_comes_back_once(tmp_path: Path) -> None:
    script = [block("final_answer(200 / 81)"), block("final_answer(round(200 / 81, 2))")]
    engine = FakeEngine(1, reply=script)
    task = "What is the mean, rounded to two decimal places? Answer with the number."
    result = await Executor.create(tools=["python"]).run(task, standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("2.47", 2)
    assert result.trace[0]["observation"] == (
        'Error: 2.4691358025 is not rounded as the task asks ("rounded to two decimal places"). Round it so in code: '
        "final_answer(round(value, 2))."
    )
    engine = FakeEngine(1, reply=[block("final_answer(31633 / 10)"), block("final_answer(round(31633 / 10))")])
    result = await Executor.create(tools=["python"]).run("How many dollars, rounded to the nearest whole dollar?",
                                                         standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("3163", 2)  # one decimal is no float noise, but not what was asked
    assert "final_answer(round(value))" in result.trace[0]["observation"]
    # A task silent on rounding: only float noise comes back, and the same value again is taken.
    engine = FakeEngine(1, reply=[block("final_answer(200 / 81)")] * 2)
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    assert result.steps == 2 and "has 10 decimal places" in result.trace[0]["observation"]
    engine = FakeEngine(1, reply=[block("final_answer(1 / 8)")])  # 0.125: three decimals pass
    assert (await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))).steps == 1


def test_the_rounding_a_task_asks_for_is_read_from_its_words() -> None:
    from agents.answer_checks import asked_rounding

    assert asked_rounding("What share, rounded to one decimal place and as a number?") == ("rounded to one decimal place", 1)
    assert asked_rounding("Round your answer to 2 decimal places.") == ("Round your answer to 2 decimal places", 2)
    assert asked_rounding("Give it rounded to the nearest cent.") == ("rounded to the nearest cent", 2)
    assert asked_rounding("rounded to the nearest whole dollar?")[1] == 0  # type: ignore[index]
    assert asked_rounding("rounded to the nearest ten") is None and asked_rounding("How many?") is None


async def test_a_number_where_the_task_asks_for_a_name_comes_back_once(tmp_path: Path) -> None:
    (tmp_path / "scores.csv").write_text("name,score\nAnn,81\nLea,95\n")
    best = "import csv\nrows = list(csv.DictReader(open('scores.csv')))\nbest = max(rows, key=lambda r: int(r['score']))\n"
    script = [block(best + "final_answer(best['score'])"), block("final_answer(best['name'])")]
    engine = FakeEngine(1, reply=script)
    task = "Who scored highest? Answer with just the name."
    result = await Executor.create(tools=["python"]).run(task, standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("Lea", 2)
    assert result.trace[0]["observation"].startswith('Error: the task says "Answer with just the name", and 95 is a number.')
    engine = FakeEngine(1, reply=[block("final_answer('many')"), block("final_answer(1 + 1)")])
    result = await Executor.create(tools=["python"]).run("How many rows?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("2", 2)


async def test_a_typed_number_before_any_block_worked_is_refused_even_when_the_file_shows_it(tmp_path: Path) -> None:
    # The first lines of the report (shown with the task) hold a 0; the reading failed, and the agent gives up.
    (tmp_path / "report.txt").write_text("DAY  CLASS  PUPILS\nMON  Art       0\nTUE  Chess    12\n")
    reading = "import csv\nrows = list(csv.DictReader(open('report.txt')))\nprint(rows[0]['PUPILS'])"
    script = [block(reading), block("final_answer(0)"), block("final_answer(12)")]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("Pupils in total?", standalone_context(engine, workspace=tmp_path))
    assert result.trace[0]["ok"] is False  # KeyError: the report is not CSV
    assert result.trace[1]["refused"] is True
    assert "none of your code has worked yet, so 0 was not computed" in result.trace[1]["observation"]
    assert (result.output, result.steps) == ("12", 3)  # refused once only
    # Once a block has worked, a number the outputs or the task show is taken as before.
    engine = FakeEngine(1, reply=[block("print(len(open('report.txt').read().splitlines()))"), block("final_answer(3)")])
    result = await Executor.create(tools=["python"]).run("Lines?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("3", 2)


async def test_a_typed_name_after_failed_blocks_is_refused_but_not_one_typed_with_no_code_tried(tmp_path: Path) -> None:
    (tmp_path / "meter.log").write_text("Nov 10 00:00:04 hub em204: import 18234.7 kWh\nNov 10 00:00:06 hub em207: 9.5\n")
    reading = "import csv\nrows = list(csv.DictReader(open('meter.log')))\nprint(rows[0]['meter'])"
    script = [block(reading), block("final_answer('em204')"), block("final_answer('em207')")]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("Which meter?", standalone_context(engine, workspace=tmp_path))
    assert result.trace[0]["ok"] is False and result.trace[1]["refused"] is True
    assert "none of your code has worked yet, so em204 was not computed" in result.trace[1]["observation"]
    assert (result.output, result.steps) == ("em207", 3)  # refused once only
    # A name typed at once, with no code tried, may simply be known: it is taken.
    engine = FakeEngine(1, reply=[block("final_answer('Paris')")])
    result = await Executor.create(tools=["python"]).run("Capital of France?", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("Paris", 1)


async def test_an_answer_that_says_there_is_none_comes_back_once(tmp_path: Path) -> None:
    script = [block('final_answer("No answer provided")'), block('final_answer("No answer provided")')]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("Who won?", standalone_context(engine, workspace=tmp_path))
    assert "says you found no answer, but the task has one" in result.trace[0]["observation"]
    assert (result.output, result.outcome, result.steps) == ("No answer provided", AgentOutcome.ANSWERED, 2)
    from agents.answer_checks import AnswerChecks

    for words in ("unknown", "N/A", "Not found.", "cannot be determined", "No data", "No service found in the log",
                  "Accession not found", "Team HV-12 does not exist."):
        assert AnswerChecks().no_answer_refusal(words) is not None, words
    for name in ("Nora", "Unknown Pleasures", "none of them", "Noah", "Lost and Not Found Office"):
        assert AnswerChecks().no_answer_refusal(name) is None, name


async def test_a_computed_zero_comes_back_once(tmp_path: Path) -> None:
    (tmp_path / "visits.csv").write_text("date,visitors\n2025-03-02,4\n2025-03-09,6\n2025-04-01,5\n")
    read = "import csv\nrows = list(csv.DictReader(open('visits.csv')))\n"
    script = [
        block(read + "final_answer(sum(int(r['visitors']) for r in rows if r['date'] == '2025-03'))"),  # matches nothing
        block(read + "final_answer(sum(int(r['visitors']) for r in rows if r['date'].startswith('2025-03')))"),
    ]
    engine = FakeEngine(1, reply=script)
    # Without the value-test check, which would name the failed test first (tests/agents/test_value_tests.py).
    executor = Executor.create(tools=["python"], check_value_tests=False)
    result = await executor.run("Visitors in March 2025?", standalone_context(engine, workspace=tmp_path))
    assert "your code's answer is 0, which is what a filter" in result.trace[0]["observation"]
    assert (result.output, result.steps) == ("10", 2)
    engine = FakeEngine(1, reply=[block("final_answer(5 - 5)"), block("final_answer(5 - 5)")])
    result = await Executor.create(tools=["python"]).run("x", standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("0", 2)  # the same 0 again is taken


def test_an_answer_not_in_the_form_the_task_spells_comes_back_once() -> None:
    from agents.answer_checks import AnswerChecks, asked_form

    checks = AnswerChecks(task="On what date was it made? The file writes month/day/year. Answer as YYYY-MM-DD.")
    assert checks.form_refusal("04/09/2026") == (
        "Error: the task asks for the answer in the form YYYY-MM-DD, and '04/09/2026' is not written so. Write it in "
        "exactly that form, then answer."
    )
    assert checks.form_refusal("04/09/2026") is None  # once: the same answer again is taken
    assert AnswerChecks(task="When? Answer as HH:MM on the 24-hour clock.").refusal("9:05", typed=False)
    assert not AnswerChecks(task="When? Answer as HH:MM on the 24-hour clock.").refusal("09:05", typed=False)
    assert not AnswerChecks(task="How long? Give it as h:mm:ss.").refusal("4:06:15", typed=False)
    list_task = "Which days? List them as YYYY-MM-DD, separated by commas."
    assert not AnswerChecks(task=list_task).refusal("2026-01-02, 2026-01-05", typed=False)
    assert AnswerChecks(task=list_task).refusal("2026-01-02, 5 Jan", typed=False)
    # A form that describes the file, not the answer, is no rule for the answer.
    assert asked_form("Dates are written DD-MM-YYYY. How many loans were late?") is None
    assert asked_form("When was it collected? Answer as YYYY-MM-DD HH:MM.") == "YYYY-MM-DD HH:MM"


def test_only_the_words_that_ask_for_a_name_or_a_number_count() -> None:
    from agents.answer_checks import AnswerChecks

    def refused(task: str, answer: str) -> bool:
        return AnswerChecks(task=task).refusal(answer, typed=False) is not None

    assert refused("Which city is largest? Answer with the city name only.", "120000")
    assert not refused("Give the number of names in the file.", "12")
    assert not refused("Which year was it built?", "1987") and not refused("Who wrote it?", "Ann Lee")
    assert refused("How many rows are there?", "many") and not refused("What is its name?", "7")


async def test_an_answer_whose_code_leaves_out_a_value_the_task_names_comes_back_once(tmp_path: Path) -> None:
    (tmp_path / "books.csv").write_text("title,genre,pages\nDune,Sci-Fi,412\nEragon,Fantasy,503\nHobbit,Fantasy,310\n")
    read = "import csv\nrows = list(csv.DictReader(open('books.csv')))\n"
    script = [
        block(read + "final_answer(sum(int(r['pages']) for r in rows))"),  # every book: the genre left out
        block("final_answer(sum(int(r['pages']) for r in rows if r['genre'] == 'Fantasy'))"),
    ]
    engine = FakeEngine(1, reply=script)
    task = "What is the total number of pages of the fantasy books? Answer with just the number."
    result = await Executor.create(tools=["python"]).run(task, standalone_context(engine, workspace=tmp_path))
    assert (result.output, result.steps) == ("813", 2)
    assert result.trace[0]["observation"] == (
        'Error: the task names "Fantasy" (the genre column of books.csv), but your code never uses it: 1225 ignores '
        'that condition. The task says "What is the total number of pages of the fantasy books": keep only the rows '
        'whose genre is "Fantasy", then answer.'
    )
    # Values are whole cells matched as whole words, not numbers or parts of words; a task naming none passes.
    from agents.answer_checks import named_values

    assert [v.value for v in named_values("Pages of Dune, of the Hobbits and of fantasies, over 412?", tmp_path)] == ["Dune"]
    assert named_values("Fantasy", tmp_path / "missing") == []


def test_a_value_named_only_inside_a_longer_one_is_no_condition(tmp_path: Path) -> None:
    from agents.answer_checks import named_values

    recipes = [
        {"name": "Saltmarsh Mushroom Risotto", "ingredients": [{"item": "mushroom"}, {"item": "rice"}]},
        {"name": "Plain Rice", "ingredients": [{"item": "rice"}]},
    ]
    (tmp_path / "recipes.json").write_text(json.dumps(recipes))
    named = named_values("How many servings does the Saltmarsh Mushroom Risotto make?", tmp_path)
    assert [v.value for v in named] == ["Saltmarsh Mushroom Risotto"]
    # Named on its own as well, it stays a condition.
    named = named_values("Which recipes with mushroom, apart from the Saltmarsh Mushroom Risotto, use rice?", tmp_path)
    assert [v.value for v in named] == ["mushroom", "Saltmarsh Mushroom Risotto", "rice"]


def test_a_value_shown_as_an_example_of_the_answers_form_is_no_condition(tmp_path: Path) -> None:
    from agents.answer_checks import named_values

    (tmp_path / "stages.csv").write_text("stage,rider,time\n1,Ann Lee,3:42:10\n2,Ann Lee,4:06:15\n")
    task = "What was Ann Lee's time on stage 2? Answer in the form h:mm:ss, exactly as a time like 3:42:10."
    assert [v.value for v in named_values(task, tmp_path)] == ["Ann Lee"]
    for example in ("for example 3:42:10", "e.g. 3:42:10", "such as '3:42:10'"):
        assert [v.value for v in named_values(f"Ann Lee's time, {example}?", tmp_path)] == ["Ann Lee"]
    # Named as what to look for, the same value is a condition.
    assert [v.value for v in named_values("Who rode a stage in 3:42:10?", tmp_path)] == ["3:42:10"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3:42:19", "is a time (h:mm:ss or mm:ss)"),
        ("2025-10-13", "is a date"),
        ("1,250", "value.replace(',', '')"),
        ("", "an empty cell"),
        ("12 kg", "holds more than a number"),
        ("abs", "is not a number: leave out the rows"),
    ],
)
def test_a_text_that_is_not_a_number_gets_told_how_to_read_it(value: str, expected: str) -> None:
    from agents.code_actions import error_hint

    hint = error_hint(f"ValueError: could not convert string to float: '{value}' (line 3: t = float(row['time']))")
    assert hint is not None and expected in hint
    hint = error_hint(f"ValueError: invalid literal for int() with base 10: '{value}' (line 1: int(x))")
    assert hint is not None and expected in hint


def test_a_key_the_data_does_not_have_gets_the_real_names(tmp_path: Path) -> None:
    from agents.code_actions import error_hint

    (tmp_path / "manifest.yaml").write_text("containers:\n  - id: C1\n    tare_kg: 3000\n    cargo:\n      - {goods: fish, kg: 900}\n")
    (tmp_path / "loans.csv").write_text("id,member\nL1,Ann\n")
    hint = error_hint("KeyError: 'weight' (line 6: item['weight'])", tmp_path)
    assert hint is not None and "no key or column 'weight'" in hint
    assert "manifest.yaml: containers, id, tare_kg, cargo, goods, kg" in hint and "loans.csv: id, member" in hint
    assert "The closest" not in hint  # nothing is spelled like it
    # A key that the data has is indexed at the wrong level: the hint says where it sits.
    hint = error_hint("KeyError: 'kg' (line 6: c['kg'])", tmp_path)
    assert hint is not None and "it sits at data['containers'][i]['cargo'][j]['kg']" in hint
    # Where no data file says (a key of the model's own dict), the general hint: print the items.
    hint = error_hint("KeyError: 'kg' (line 6: c['kg'])", tmp_path / "missing")
    assert hint is not None and hint.startswith("print a few of the items")


async def test_rows_read_with_the_wrong_reader_get_a_hint(tmp_path: Path) -> None:
    (tmp_path / "loans.tsv").write_text("id\tdays\nL1\t3\nL2\t5\n")
    script = [
        block("import csv\nrows = list(csv.DictReader(open('loans.tsv')))\nprint(rows[:1])"),
        block("import csv\nrows = list(csv.DictReader(open('loans.tsv'), delimiter='\\t'))\nprint(rows[:1])"),
        block("final_answer(sum(int(r['days']) for r in rows))"),
    ]
    engine = FakeEngine(1, reply=script)
    result = await Executor.create(tools=["python"]).run("Total days?", standalone_context(engine, workspace=tmp_path))
    assert result.output == "8"
    wrong, right = result.trace[0]["observation"], result.trace[1]["observation"]
    assert wrong.startswith("[{'id\\tdays': 'L1\\t3'}]\nHint: the printed values hold tab characters")
    assert right == "[{'id': 'L1', 'days': '3'}]"  # read right: no hint
    from agents.code_actions import output_hint

    assert output_hint(str([{"# Huts": "| Hut | Beds |"}])).startswith("the printed values are lines of a markdown")
    assert output_hint(str([["Alba", "28"], "a | b"])) is None and output_hint("12\nx | y |") is None


def test_a_key_at_another_level_is_shown_where_it_sits(tmp_path: Path) -> None:
    from agents.code_actions import error_hint

    shows = {"productions": [{"title": "Orchard", "performances": [{"date": "2025-10-01", "status": "played"}]}]}
    (tmp_path / "shows.json").write_text(json.dumps(shows))
    hint = error_hint("KeyError: 'status' (line 3: p['status'])", tmp_path)
    assert hint is not None and "it sits at data['productions'][i]['performances'][j]['status']" in hint
    hint = error_hint("KeyError: 'performance' (line 3: p['performance'])", tmp_path)
    assert hint is not None and "The closest: data['productions'][i]['performances']." in hint


def test_an_ini_option_says_which_sections_set_it_or_what_is_closest(tmp_path: Path) -> None:
    from agents.code_actions import error_hint

    (tmp_path / "lifts.ini").write_text("[defaults]\nstatus = open\n\n[lift.A]\nvertical_m = 412\n\n[lift.B]\nstatus = closed\n")
    hint = error_hint("KeyError: 'status' (line 4: config[s]['status'])", tmp_path)
    assert hint is not None and "the sections defaults, lift.B set 'status'; lift.A do not" in hint
    hint = error_hint("NoOptionError: No option 'vertical_rise' in section: 'lift.A' (line 2: x)", tmp_path)
    assert hint is not None and "no section of lifts.ini sets 'vertical_rise'. The closest: vertical_m." in hint


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("AttributeError: 'NoneType' object has no attribute 'text' (line 6: o.find('price').text)", "XML .find()"),
        ("AttributeError: 'dict' object has no attribute 'split' (line 1: row.split('|'))", "instead of calling .split()"),
        ("AttributeError: 'NoneType' object has no attribute 'group' (line 3: m.group(1))", "re.search finds no match"),
    ],
)
def test_attribute_errors_name_what_the_value_really_is(error: str, expected: str) -> None:
    from agents.code_actions import error_hint

    hint = error_hint(error)
    assert hint is not None and expected in hint


def test_a_column_of_a_table_csv_cannot_read_points_to_read_table(tmp_path: Path) -> None:
    from agents.code_actions import error_hint

    (tmp_path / "backers.html").write_text(
        "<!DOCTYPE html><html><body><table><tr><th>Backer</th><th>Tier</th></tr>"
        "<tr><td>Ann</td><td>Mug</td></tr></table></body></html>"
    )
    hint = error_hint("KeyError: 'Backer' (line 5: if row['Backer'] == 'Ann':)", tmp_path)
    assert hint is not None and "read it with rows = read_table('backers.html'), then index each row['Backer']" in hint
    hint = error_hint("KeyError: 'backer' (line 5: row['backer'])", tmp_path)
    assert hint is not None and "The closest: read_table('backers.html')[i]['Backer']." in hint
    # With a price list above it, the column is found at its own table.
    (tmp_path / "backers.html").write_text(
        "<table><tr><th>Tier</th><th>Price</th></tr><tr><td>Mug</td><td>10</td></tr></table>"
        "<table><tr><th>Backer</th><th>Tier</th></tr><tr><td>Ann</td><td>Mug</td></tr></table>"
    )
    hint = error_hint("KeyError: 'Backer' (line 5: if row['Backer'] == 'Ann':)", tmp_path)
    assert hint is not None and ("'Backer' is a column of table 1 of backers.html: read it with rows = "
                                 "read_table('backers.html', table=1), then index each row['Backer']") in hint


def test_values_of_every_table_format_and_of_yaml_are_conditions_too(tmp_path: Path) -> None:
    from agents.answer_checks import named_values

    (tmp_path / "loans.tsv").write_text("id\tbranch\tdays\nL1\tNorth Hill\t3\nL2\tRiverside\t5\n")
    (tmp_path / "rota.md").write_text("# Rota\n\n| day | nurse |\n|---|---|\n| Mon | Ida Berg |\n| Tue | Ola Sand |\n")
    (tmp_path / "stock.yaml").write_text("plants:\n  - name: Fern\n    pots: 4\n  - name: Ivy\n    pots: 2\n")
    (tmp_path / "notes.txt").write_text("Riverside is closed on Sundays.\nOla Sand starts in May.\n")  # prose: no values
    named = named_values("Days lent by Riverside, shifts of Ola Sand, and pots of Ivy?", tmp_path)
    assert [(v.value, v.file, v.field) for v in named] == [
        ("Riverside", "loans.tsv", "branch"), ("Ola Sand", "rota.md", "nurse"), ("Ivy", "stock.yaml", "name"),
    ]
    # A table's value is kept by its rows, a YAML value by its items.
    assert [v.keep() for v in named] == [
        'the rows whose branch is "Riverside"', 'the rows whose nurse is "Ola Sand"', 'the items whose name is "Ivy"',
    ]


def test_a_value_the_task_leaves_out_is_a_filter_that_leaves_its_rows_out(tmp_path: Path) -> None:
    from agents.answer_checks import AnswerChecks, named_values

    # "... do not count" asked to *keep only* the lost and refunded parcels turned a right total into the opposite.
    (tmp_path / "parcels.csv").write_text("id,town,kg,state\nP1,Oslo,2,Sent\nP2,Oslo,3,Lost\nP3,Bergen,4,Refunded\n")
    task = "What weight went to Oslo on 01.03.2026, in kg? Count every parcel; lost and refunded ones do not count."
    named = named_values(task, tmp_path)
    assert [(v.value, v.clause, v.direction) for v in named] == [
        ("Oslo", "What weight went to Oslo on 01.03.2026, in kg", "keep only"),  # a date's dots end no clause
        ("Lost", "lost and refunded ones do not count", "leave out"),
        ("Refunded", "lost and refunded ones do not count", "leave out"),
    ]
    checks = AnswerChecks(task=task, named=named, code=["rows = read_table('parcels.csv')"])
    assert checks.condition_refusal("9") == (
        'Error: the task names "Oslo" (the town column of parcels.csv) and "Lost" (the state column of '
        'parcels.csv) and "Refunded" (the state column of parcels.csv), but your code never uses them: 9 ignores '
        'that condition. The task says "What weight went to Oslo on 01.03.2026, in kg" and "lost and refunded ones do not '
        'count": '
        'keep only the rows whose town is "Oslo"; leave out the rows whose state is "Lost" and the rows whose '
        'state is "Refunded", then answer.'
    )
    # An exclusion right before the value leaves it out; another negation in the clause leaves it to the words.
    (tmp_path / "climbers.csv").write_text("name,state\nAda,Ranked\nBo,Disqualified\nCy,Pending\n")
    (tmp_path / "parcels.csv").unlink()
    named = named_values("Who won? Disqualified climbers are not ranked. Count Ranked ones, not Pending.", tmp_path)
    assert [(v.value, v.direction) for v in named] == [
        ("Disqualified", "unsure"), ("Ranked", "unsure"), ("Pending", "leave out"),
    ]
    left = named_values("How many climbed? Leave out pending ones; disqualified and ranked climbers don't count.", tmp_path)
    assert [(v.value, v.direction) for v in left] == [("Pending", "leave out"), ("Disqualified", "leave out"),
                                                      ("Ranked", "leave out")]
    assert AnswerChecks(task="x", named=named[:1]).condition_refusal("Ada") == (
        'Error: the task names "Disqualified" (the state column of climbers.csv), but your code never uses it: Ada '
        'ignores that condition. The task says "Disqualified climbers are not ranked": keep or leave out the rows '
        'whose state is "Disqualified", as those words say, then answer.'
    )


def test_a_value_held_in_several_letter_cases_is_one_condition(tmp_path: Path) -> None:
    from agents.answer_checks import named_values

    (tmp_path / "visits.csv").write_text("pet,species\nOtto,Dog\nRolo,dog\nMiso,Cat\n")
    named = named_values("What did the dog Otto weigh?", tmp_path)
    assert [(v.value, v.any_case) for v in named] == [("Dog", True), ("Otto", False)]
    assert named[0].keep() == 'the rows whose species is "Dog" in any letter case'
