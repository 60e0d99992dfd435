"""Code actions: the Executor acts by writing Python, run in the sandboxed python tool (smolagents' CodeAgent way).

Each reply is ``Thought: <one line>`` and one fenced Python block, held to that shape by a small GBNF grammar
(no length bounds in it: generation is bounded by tokens). The block runs in a fresh sandboxed process, but
with the blocks that ran before it replayed silently first, so variables carry over from step to step as in
a notebook. A prelude gives the code:

- ``final_answer(answer)``: ends the run; the answer travels back as one JSON line after a marker that is
  random per run, so printed text cannot pass for it;
- the agent's other tools as functions (``search(query=...)``): calling one stops the block, the Executor runs
  the tool outside the sandbox, and its result comes back as the observation;
- ``read_file(path)`` and ``list_files(path)`` as plain Python inside the sandbox, when the agent has them.

As in a notebook, a block that ends with an expression shows its value; one that prints nothing and ends by
setting a variable shows that too.

What the code prints, or the error it raised (a traceback of the model's own lines only), comes back as
"Observation:", bounded in length.
"""

from __future__ import annotations

import ast
import configparser
import difflib
import inspect
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrt.errors import OutputParseError, ToolError

from agents import table_reader
from agents.conversation import CUT_OFF_NOTE
from agents.file_shapes import key_paths
from agents.tools import FINAL_ANSWER, ToolRegistry, run_python
from agents.tools.workspace import files_in

PYTHON_TOOL = "python"
_RAISED_IN_CODE = "Your code raised "  # starts the prelude's error report: the model's code raised (not a timeout)
# Tools the sandbox does itself (as plain Python in the workspace), so calling them does not end a block.
IN_SANDBOX_TOOLS = {"read_file", "list_files", "calculator"}

# A code line holds no backtick, so a fence can only close the block from the start of a line: a model that
# writes `final_answer(8)```` on one line believes the block closed, and with backticks allowed there it went on
# writing until max_tokens (512 tokens, minutes of decoding, in a GAIA pass). At most two blank lines in a row,
# and a line of only spaces is not code: both were endless loops the grammar used to allow.
CODE_GRAMMAR = r'''
root ::= "Thought: " thought "\n```python\n" code "```"
thought ::= [^\n]+
code ::= text (blank? blank? text)*
text ::= [ \t]* [^`\n \t] [^`\n]* "\n"
blank ::= [ \t]* "\n"
'''

# The last turn at the step limit: one literal answer, no more code to run.
FINAL_GRAMMAR = r'''
root ::= "Thought: " thought "\n```python\nfinal_answer(" value ")\n```"
thought ::= [^\n]+
value ::= string | number
string ::= "\"" ([^"\\\n] | "\\" ["\\/bfnrt])* "\""
number ::= "-"? [0-9]+ ("." [0-9]+)?
'''

# Without a grammar (servers that take none): stop where a model would start inventing the observation.
CODE_STOPS = ("\nObservation:", "\n```\n")

_REPLY = re.compile(
    r"\A\s*(?:Thought:\s*(?P<thought>.*?)\s*)?```(?:python|py)?[ \t]*\n(?P<code>.*?)(?P<end>```|\Z)", re.DOTALL
)

_PRELUDE = r'''
import ast as _ast, contextlib as _contextlib, io as _io, json as _json, linecache as _linecache, os as _os, sys as _sys
import traceback as _traceback

_PREIMPORTED = ("collections", "csv", "datetime", "itertools", "json", "math", "re", "statistics", "string")

class _FinalAnswer(BaseException):
    pass

class _HostCall(BaseException):
    pass

def _answer_text(value):
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # numpy and pandas values: a Python number or list (np.float64(13.5) -> 13.5)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_answer_text(item) for item in value)
    if isinstance(value, float):
        value = round(value, 10)  # float noise (0.1 * 3 = 0.30000000000000004) is not part of an answer
        return str(int(value)) if value.is_integer() else repr(float(value))
    return str(value)

def final_answer(answer):
    """Give the final answer to the task and stop."""
    raise _FinalAnswer(_answer_text(answer))

def read_file(path):
    """The text of a file in the workspace."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()

def list_files(path="."):
    """The names in a workspace folder."""
    return "\n".join(sorted(name + ("/" if _os.path.isdir(_os.path.join(path, name)) else "") for name in _os.listdir(path)))

def calculator(expression):
    """Evaluate an arithmetic expression."""
    return eval(str(expression).replace("^", "**"), {"__builtins__": {}}, {})

_SHOWN_CHARS = 600

def _prints(tree):
    return any(isinstance(node, _ast.Call) and getattr(node.func, "id", None) == "print" for node in _ast.walk(tree))

def _host_tool(name, params):
    def call(*args, **kwargs):
        if len(args) > len(params):
            raise TypeError(f"{name}() takes at most {len(params)} positional arguments")
        kwargs.update(zip(params, args))
        raise _HostCall(name, kwargs)
    call.__name__ = name
    return call

def _run(source, name, namespace, show_last=False):
    _linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    tree = _ast.parse(source, name)
    last = tree.body[-1] if tree.body else None
    if show_last and isinstance(last, (_ast.Assign, _ast.AnnAssign, _ast.AugAssign)) and not _prints(tree):
        # A block that prints nothing and ends by setting a variable shows it, as smolagents shows a snippet's
        # last value: small models compute a total in one block and print it in none (six silent steps, then a
        # guessed answer).
        exec(compile(tree, name, "exec"), namespace)
        for target in (last.targets if isinstance(last, _ast.Assign) else [last.target]):
            if isinstance(target, _ast.Name) and target.id in namespace:
                shown = repr(namespace[target.id])
                print(f"{target.id} = {shown[:_SHOWN_CHARS]}{' ...' if len(shown) > _SHOWN_CHARS else ''}")
        return
    if not (show_last and isinstance(last, _ast.Expr)):
        exec(compile(tree, name, "exec"), namespace)
        return
    # As in a notebook, a block that ends with an expression shows its value.
    tree.body.pop()
    exec(compile(tree, name, "exec"), namespace)
    value = eval(compile(_ast.Expression(last.value), name, "eval"), namespace)
    if value is not None:
        print(repr(value))

def _main(mark, earlier, code, host_tools, own_tools):
    namespace = {"__name__": "__main__", "final_answer": final_answer, "read_table": read_table}
    # Modules small models use without importing them (a NameError for `csv` cost a step, or the task).
    namespace.update({name: __import__(name) for name in _PREIMPORTED})
    namespace.update({name: globals()[name] for name in own_tools})
    namespace.update({name: _host_tool(name, params) for name, params in host_tools.items()})
    # The earlier blocks run again first, silently and up to where each stopped (an error, a tool call), so
    # the model's variables are as it left them: state as in a notebook, from a sandbox that keeps none.
    with _contextlib.redirect_stdout(_io.StringIO()), _contextlib.redirect_stderr(_io.StringIO()):
        for index, source in enumerate(earlier):
            try:
                _run(source, f"<earlier block {index + 1}>", namespace)
            except (Exception, _HostCall, _FinalAnswer, SystemExit):
                pass
    try:
        _run(code, "<code>", namespace, show_last=True)
    except _FinalAnswer as answer:
        print("\n" + mark + _json.dumps({"answer": answer.args[0]}))
    except _HostCall as call:
        print("\n" + mark + _json.dumps({"tool": call.args[0], "arguments": call.args[1]}, default=str))
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(f"SystemExit: {exc.code}", file=_sys.stderr)
            _sys.exit(1)
    except BaseException as exc:
        # Short: the error and the model's own line that raised it (a full traceback with its ^^^ marks fills
        # the observation, and a small model reads only its start).
        frames = [f for f in _traceback.extract_tb(exc.__traceback__) if f.filename == "<code>"]
        if isinstance(exc, SyntaxError) and exc.filename == "<code>":
            where = f"line {exc.lineno}: {(exc.text or '').strip()}"
        elif frames:
            where = f"line {frames[-1].lineno}: {(frames[-1].line or '').strip()}"
        else:
            where = "in the code"
        _sys.stdout.flush()
        print(f"Your code raised {type(exc).__name__}: {exc} ({where})", file=_sys.stderr)
        _sys.exit(1)
'''


# read_table runs in the sandbox as the agents' own module: its source, stdlib only, follows the prelude.
_TABLE_READER = "\n" + inspect.getsource(table_reader) + "\n"


@dataclass
class CodeAction:
    thought: str
    code: str


@dataclass
class CodeRun:
    """What running one block gave: printed output, and a final answer or a host-tool call if it made one."""

    output: str
    answer: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] | None = None


def parse_code_reply(text: str, *, where: str, truncated: bool = False) -> CodeAction:
    match = _REPLY.search(text)
    # No closing fence is fine when a stop string ended the reply, not when max_tokens cut it off.
    if match is None or not match.group("code").strip() or (truncated and not match.group("end")):
        cut = CUT_OFF_NOTE if truncated else ""
        raise OutputParseError(f"{where}: reply has no complete ```python code block{cut}: {text[:200]!r}")
    return CodeAction(thought=(match.group("thought") or "").strip(), code=match.group("code"))


def parse_final_literal(text: str) -> str | None:
    """The answer in a last-turn reply ``final_answer(<literal>)``, or None when there is none."""
    match = re.search(r"final_answer\((.*)\)\s*\n?```", text, re.DOTALL)
    if match is None:
        return None
    return _literal_text(match.group(1))


def bare_literal(code: str) -> str | None:
    """The value of a block that is nothing but a literal (``1748``, ``"Tom, Ann"``), as answer text; else None.

    Such a block computes nothing: a model that writes one is stating its answer (small models do this instead
    of calling final_answer), so the Executor takes it as one.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    return _literal_text(ast.unparse(tree.body[0].value))


def _literal_text(source: str) -> str | None:
    try:
        value = ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class CodeRunner:
    """Runs an agent's code blocks in the python tool with the prelude; one per Executor run (holds the history)."""

    def __init__(self, tools: ToolRegistry, workspace: Path) -> None:
        self.workspace = workspace
        self.mark = f"<<agentrt-result-{secrets.token_hex(8)}>>"
        self.earlier: list[str] = []  # blocks that ran to the end, replayed (silently) before the next one
        self.own_tools = sorted(name for name in tools.names() if name in IN_SANDBOX_TOOLS)
        self.host_tools = {
            item.name: list(item.arguments_schema().get("properties", {}))
            for item in tools
            if item.name not in IN_SANDBOX_TOOLS | {PYTHON_TOOL, FINAL_ANSWER}
        }

    def script(self, code: str) -> str:
        call = f"_main({self.mark!r}, {self.earlier!r}, {code!r}, {self.host_tools!r}, {self.own_tools!r})\n"
        return _PRELUDE + _TABLE_READER + call

    async def run(self, code: str) -> CodeRun:
        """Run one block; a `ToolError` (the code raised, timed out, ran out of memory) carries its output."""
        try:
            output = await run_python(self.script(code), self.workspace)
        except ToolError as exc:
            if _RAISED_IN_CODE in str(exc):
                self.earlier.append(code)  # replayed up to its error; a block that hung or blew up is not
            raise
        # A block that ran is state, up to where it stopped: a tool call, or an answer the Executor refuses.
        self.earlier.append(code)
        head, found, tail = output.rpartition(self.mark)
        if not found:
            return CodeRun(output=output)
        printed = head.removesuffix("\n")
        result = json.loads(tail.strip().splitlines()[0])
        if "answer" in result:
            return CodeRun(output=printed, answer=result["answer"])
        return CodeRun(output=printed, tool=result["tool"], arguments=result["arguments"])


def describe_tools(tools: ToolRegistry) -> str:
    """The functions code can call, one line each, besides plain Python."""
    lines = [
        f"- {FINAL_ANSWER}(answer): give the final answer to the task and stop.",
        "- read_table(path): the rows of a table file (CSV, TSV, markdown, HTML, a report aligned with spaces, JSON "
        "Lines) as a list of dicts, numbers converted (returns a list).",
    ]
    for item in tools:
        if item.name in (PYTHON_TOOL, FINAL_ANSWER, "calculator"):
            continue  # plain Python does arithmetic better than a calculator function
        props = item.arguments_schema().get("properties", {})
        args = ", ".join(props)
        how = "returns a string" if item.name in IN_SANDBOX_TOOLS else "its result comes back as the observation"
        lines.append(f"- {item.name}({args}): {item.description} ({how}).")
    return "\n".join(lines)


def code_prompt(role: str, tools: ToolRegistry, *, example: bool) -> str:
    parts = [
        role,
        "",
        "You solve the task by writing Python code. Each turn, reply with one line of thought and one code block:",
        "Thought: <what the task asks for, with every condition in it, and what you do now>",
        "```python",
        "<code>",
        "```",
        "The code runs in the workspace folder, where the task's files are. Variables stay defined from one "
        "block to the next. Use print() to see values: what the code prints comes back to you as "
        '"Observation:". When you know the answer, call final_answer(answer) in your code.',
        "Functions you can call besides plain Python:",
        describe_tools(tools),
        "Rules: let the code do every calculation, never work one out in your head (final_answer(17 * 3), not "
        "final_answer(51)). Use the names the files really have (their start is shown with the task). Apply "
        "every condition of the task, and give the answer in the form it asks for (rounded, if it says so). If "
        "code fails, change it; do not send the same code again.",
    ]
    if example:
        parts += ["", "Examples:", EXAMPLE]
    return "\n".join(parts)


EXAMPLE = '''Task: What is 125 divided by 4?
Thought: I divide 125 by 4 in the code and answer.
```python
final_answer(125 / 4)
```

Task: What is the total weight of the parcels sent to Oslo, according to parcels.csv?
Thought: I need the parcels whose destination is Oslo, and the sum of their weight. First I look at the columns.
```python
rows = read_table("parcels.csv")
print(len(rows), rows[:2])
```
Observation: 8 [{'id': 'P1', 'destination': 'Oslo', 'weight': 2.5}, {'id': 'P2', 'destination': 'Rome', 'weight': 4}]
Thought: I keep only the rows whose destination is Oslo, add up their weight and answer.
```python
total = sum(row["weight"] for row in rows if row["destination"] == "Oslo")
final_answer(total)
```'''


# What the usual beginner's errors mean, in the words a small model needs to fix its code instead of sending it
# again (as compilers add a "help:" line). Keyed by a pattern of the error line; general Python, no task in mind.
_ERROR_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"NameError: name '(?P<name>\w+)' is not defined"),
     "`{name}` does not exist yet: a block sees only what earlier blocks of this task defined. Define it first "
     "(for data from a file: open and read the file in this block)."),
    (re.compile(r"not supported between instances of 'str'|unsupported operand type\(s\).*'str'|"
                r"can only concatenate str|must be str, not|'str' object cannot be interpreted as an integer|"
                r"type str doesn't define __round__"),
     "values read from a file are text (str): convert them with int() or float() before comparing or adding them."),
    (re.compile(r"string indices must be integers"),
     "that value is a string, not a dict or a list: print it (or a first item of the data) to see the data's real "
     "structure, then index what is really there."),
    (re.compile(r"'NoneType' object has no attribute '(?:text|attrib|tag|get|find|findall|iter)'"),
     "an XML .find() found no such child there: the element may sit deeper (.find('.//name') or .iter('name')) or "
     "be an attribute (element.get('name')); print(ET.tostring(element, encoding='unicode')) of one element to see "
     "its real shape."),
    (re.compile(r"'dict' object has no attribute '(?P<name>\w+)'"),
     "that value is a dict (a row of csv.DictReader or read_table, a JSON object), not text: index it by key "
     "(row['name']) instead of calling .{name}(); print one to see its keys."),
    (re.compile(r"'NoneType' object has no attribute"),
     "a call returned None (re.search finds no match on some lines; dict.get of a missing key): print a few of "
     "the inputs to see their real format, and skip or handle the ones without a match."),
    (re.compile(r"No module named '(?P<module>[\w.]+)'"),
     "`{module}` is not installed where the code runs, and nothing can be installed: use Python's standard "
     "library instead (csv, json, statistics, collections, re, datetime), or pandas, numpy and bs4 "
     "(BeautifulSoup), which are there."),
    (re.compile(r"SyntaxError.*\(line \d+: [!%]|SyntaxError.*\(line \d+: pip "),
     "only Python runs here: shell commands (!pip, %magic) do not, and nothing can be installed."),
    (re.compile(r"arg is an empty sequence|mean requires at least one data point"),
     "the data your code collected is empty: its filter, search or regex matched nothing. Print a few of the lines or "
     "values it looks at to see their real format, then fix the match."),
    (re.compile(r"IndexError|KeyError"),
     "print a few of the items (and their keys or length) to see their real shape before indexing them; "
     "a file that is not comma-separated needs the reader named under it in the task."),
]


# Output that runs without an error can still show a file read with the wrong reader: the printed rows of a
# tab-separated file read as CSV hold one field with tabs in it, those of a markdown table start with a pipe.
# Keyed by a pattern of the printed text (the repr of a row, a dict or a list); general, no task in mind.
_OUTPUT_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"'[^'\n]*\\t[^'\n]*'\s*[:,\]}]"),
     "the printed values hold tab characters (\\t): the file is tab-separated; read it with "
     "csv.DictReader(f, delimiter='\\t')."),
    (re.compile(r"'\s*\|[^'\n]*\|\s*'"),
     "the printed values are lines of a markdown table ('| a | b |'), not CSV: read it with rows = "
     "read_table(path), a list of dicts (one per row, numbers converted)."),
]


def output_hint(output: str) -> str | None:
    """A one-line hint when a block's printed output shows a file read with the wrong reader, or None."""
    for pattern, hint in _OUTPUT_HINTS:
        if pattern.search(output):
            return hint
    return None


# float('3:42:19') or int('1,250'): the text a conversion failed on says what it is and how to read it.
_NOT_A_NUMBER = re.compile(
    r"could not convert string to float: '(?P<value>[^'\n]*)'|invalid literal for int\(\) with base 10: '(?P<int>[^'\n]*)'"
)
_TIME_TEXT = re.compile(r"\s*-?\d{1,3}:\d{2}(?::\d{2})?(?:\.\d+)?\s*")
_DATE_TEXT = re.compile(r"\s*\d{4}-\d{2}-\d{2}")
_GROUPED_TEXT = re.compile(r"\s*-?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*")
_NUMBER_INSIDE = re.compile(r"-?\d+(?:[.,]\d+)?")


def _conversion_hint(value: str) -> str:
    """How to read ``value``, a text that float() or int() refused."""
    if _TIME_TEXT.fullmatch(value):
        return (f"'{value}' is a time (h:mm:ss or mm:ss), not a number: split it on ':' and add up h*3600 + m*60 + s "
                "as seconds; write a total back with h, rest = divmod(seconds, 3600); m, s = divmod(rest, 60) and "
                "f\"{h}:{m:02d}:{s:02d}\".")
    if _DATE_TEXT.match(value):
        return (f"'{value}' is a date, not a number: parse it with datetime.datetime.fromisoformat(value) (or "
                "datetime.date.fromisoformat(value[:10])) and subtract dates to count days.")
    if _GROUPED_TEXT.fullmatch(value):
        return f"'{value}' has commas between its digit groups: convert it with float(value.replace(',', ''))."
    if not value.strip():
        return ("an empty cell: leave out the rows whose value is empty (if value.strip()) before converting, or "
                "count them as the task says.")
    if _NUMBER_INSIDE.search(value):
        return (f"'{value}' holds more than a number (a unit, a sign, a word): take the number out with "
                "float(re.search(r'-?\\d+(?:\\.\\d+)?', value.replace(',', '')).group()).")
    return (f"'{value}' is not a number: leave out the rows whose value is not a number (or treat them as the task "
            "says) before converting.")


READ_KEYS_UP_TO_BYTES = 1_000_000  # larger files are not parsed for a hint
_MISSING_KEY = re.compile(r"KeyError: '(?P<key>[^'\n]+)'")
_MISSING_OPTION = re.compile(r"NoOptionError: No option '(?P<key>[^'\n]+)' in section")  # configparser's own
KEYS_LISTED = 30


def _missing_key_hint(key: str, workspace: Path) -> str | None:
    """Where ``key`` really is in the workspace's data files (the code indexed the wrong level), or the names
    closest to it and all the names there are (it is spelled differently); None when no data file says."""
    texts = {
        path: path.read_text(encoding="utf-8", errors="replace")
        for path in files_in(workspace) if path.stat().st_size <= READ_KEYS_UP_TO_BYTES
    }  # each file read once, for the INI check and the key paths both
    ini = _ini_option_hint(key, texts)
    if ini is not None:
        return ini
    paths = {path.name: found for path, text in texts.items() if (found := key_paths(path, text))}
    if not paths:
        return None
    for name, found in paths.items():
        if key in found and found[key].startswith("read_table("):
            call = found[key].partition("[i]")[0]  # read_table('f.html') or, of a file with several, its table=k
            where = f"table {call.partition('table=')[2].rstrip(')')} of {name}" if "table=" in call else (
                f"the table in {name}, which is not CSV (csv.DictReader cannot read it)")
            return f"'{key}' is a column of {where}: read it with rows = {call}, then index each row['{key}']."
        if key in found:
            return (f"'{key}' is a key of {name}, but not of the object your code indexed: it sits at "
                    f"{found[key]}. Go down each level on the way (a for loop over each list), then index it; if "
                    f"some items lack it, use item.get('{key}').")
    names = {known: where for found in paths.values() for known, where in found.items()}
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    closest = f" The closest: {', '.join(f'{names[c]}' for c in close)}." if close else ""
    listed = "; ".join(
        f"{name}: {', '.join(list(found)[:KEYS_LISTED])}{', ...' if len(found) > KEYS_LISTED else ''}"
        for name, found in paths.items()
    )
    return (f"there is no key or column '{key}' in the data.{closest} The names there are ({listed}); use the one "
            "that holds what you need, spelled exactly so.")


def _ini_option_hint(option: str, texts: dict[Path, str]) -> str | None:
    """Which sections of the INI files among ``texts`` set ``option`` and which do not (or the closest option),
    or None when there is no INI file."""
    for path, text in texts.items():
        if path.suffix.lower() not in (".ini", ".cfg", ".conf"):
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        having = [name for name in parser.sections() if parser.has_option(name, option)]
        if not having:
            options = list(dict.fromkeys(key for name in parser.sections() for key in parser[name]))
            if not options:
                continue
            close = difflib.get_close_matches(option, options, n=3, cutoff=0.5)
            closest = f" The closest: {', '.join(close)}." if close else ""
            return (f"no section of {path.name} sets '{option}'.{closest} Its options are: "
                    f"{', '.join(options[:KEYS_LISTED])}; use the one that holds what you need, spelled exactly so.")
        lacking = [name for name in parser.sections() if name not in having]
        return (f"in {path.name}, the sections {', '.join(having)} set '{option}'; {', '.join(lacking)} do not. "
                f"Skip the sections you do not need, and for one without it use config[section].get('{option}', "
                "<the value the file says it takes>) (print(dict(config[section])) shows a section's keys).")
    return None


def error_hint(error_text: str, workspace: Path | None = None) -> str | None:
    """A one-line hint for a common Python error in the model's code, or None."""
    if "FileNotFoundError" in error_text and workspace is not None:
        names = sorted(p.name for p in workspace.iterdir() if not p.name.startswith("."))
        return "the files in the folder are: " + (", ".join(names[:30]) if names else "none")
    if (refused := _NOT_A_NUMBER.search(error_text)) is not None:
        return _conversion_hint(refused.group("value") if refused.group("value") is not None else refused.group("int"))
    if (missing := _MISSING_KEY.search(error_text) or _MISSING_OPTION.search(error_text)) and workspace is not None:
        hint = _missing_key_hint(missing.group("key"), workspace)
        if hint is not None:
            return hint
    for pattern, hint in _ERROR_HINTS:
        match = pattern.search(error_text)
        if match is not None:
            return hint.format(**match.groupdict())
    return None


def code_observation(run: CodeRun | None, error: ToolError | None, limit: int) -> str:
    """The observation text: the printed output (head and tail kept when long), or the error."""
    if error is not None:
        text = str(error)
        if _RAISED_IN_CODE in text and text.startswith(f"tool {PYTHON_TOOL}:"):
            text = text.split("\n", 1)[-1]  # the printed output and the error; the tool's "exited with status 1" is noise
        text = text.strip()
        return "Error: " + (text if len(text) <= limit else "[... cut]\n" + text[-limit:])
    assert run is not None
    text = run.output.strip() or "(the code printed nothing; print() the values you want to see)"
    if len(text) > limit:
        keep = limit // 2
        text = f"{text[:keep]}\n[... {len(text) - 2 * keep} characters cut ...]\n{text[-keep:]}"
    return text
