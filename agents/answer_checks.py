"""Checks a code agent's answer must pass before it ends the run (as smolagents' ``final_answer_checks``).

Each refuses at most once per run, so an agent can always end: the refusal is an observation that says what to do.

A number typed by hand. A small code agent that has the right program often still types its answer by hand:
its code printed nothing (or something else) and it writes ``final_answer(1200)``, a number that no output of its
code and nothing in the task shows. Such an answer was worked out in the model's head, which is where 1.5B models
go wrong (a sum of the two rows it printed, a total it never computed): it comes back once, asking for the code
to compute it.

Only numbers are checked: a name or a word cannot be told apart from one the model read. A number counts as
seen when some number in the texts rounds to it at the answer's own precision (32.4 from 32.394366). Before any
block of the run has worked (every one so far failed), a typed number comes back even when it is seen: it was
copied from the task or the file's first lines, most often a ``final_answer(0)`` that gives up; after failed
blocks, a typed name comes back too (the first name in the file's preview, given up on the data).

A zero. A count or a total of 0 is what a filter that matches nothing gives ("2025-03-01" looked for where the
task asks for March; a name looked for on the wrong line), and a task rarely asks for one: a 0 the code computed,
or printed and the model then typed, comes back once, asking for the compared values to be printed; the same 0
given again is taken.

An answer that says there is none. "No answer provided", "unknown", "not found": a code agent whose reading of
the file failed gives up in words. A task of this kind always has an answer, so it comes back once, asking for
the file to be read as it really is; the same words given again are taken.

A number not rounded as asked. ``final_answer(total / n)`` hands over 2.4658436214 when the task said "rounded to
two decimal places"; small models forget the rounding more often than anything else, and an exact-match scorer
(or a reader) takes it for a wrong 2.47. When the task says how to round ("to two decimal places", "to the
nearest whole dollar", "nearest tenth") and the answer has more decimals, it comes back once with the task's
words and the call that rounds so; when the task says nothing, only float noise (more than
``MAX_PLAIN_DECIMALS`` decimals) comes back, and the same value given again is taken. The example in the
refusal is the task's own precision: a small model copies whatever precision it is shown.

An answer not written in the form the task gives. "Answer as YYYY-MM-DD" answered 04/09/2026 (the file's own
form), "HH:MM" answered 9:05: when a sentence that asks for the answer spells its form with the usual letters
(YYYY, MM, DD, HH, hh, mm, ss, h; joined by - / . : or a space) and the answer, or an item of a list answer, does
not have that many digits in that order, it comes back once, naming the form.

An answer of the wrong kind. "Which student scored highest? Answer with just the name." answered with the score
(95), or "How many ... ? Answer with just the number." answered with words: when the task's words say the answer
is a name or a number and it is not, it comes back once, quoting them.

A condition the code never applies. "What is the total number of pages of all the Fantasy books?" answered by
code that sums every book: small models leave out a filter more often than they get one wrong. When the task
names a value of the attached data (a whole table cell or JSON/YAML string, "Fantasy", "Bergen"; not one shown as
an example of the answer's form, "a time like 3:42:10") that none of the code written so far mentions, the answer
comes back once, naming each value, the column or field it sits in, the task's own words around it and the filter
to write ("keep only the rows whose genre is "Fantasy""; a small model acts on a concrete line, not on "apply every
condition"). When those words say the value does not count ("cancelled and void orders do not count", "Awarded,
not Pending"), the filter leaves its rows out: telling the model to keep only them turned a right total into the
opposite; when they negate in some other way, the words decide ("Disqualified climbers are not ranked"). Only values of
the workspace's tables (every format read_table reads), JSON, JSON Lines and YAML files count, of two characters
at least and not numbers, matched as whole words; a value the task names for another reason costs one step, a
missing filter costs the answer.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from agents.data_values import data_files, data_values

if TYPE_CHECKING:
    from agents.value_tests import DataFields

MAX_PLAIN_DECIMALS = 3  # 2.475 may be meant; 2.4658 almost never is
_ROUNDING = re.compile(r"\bround(?:ed|ing)?\b(?P<how>[^.?!;]{0,60})", re.IGNORECASE)
_DECIMAL_PLACES = re.compile(r"\b(?P<n>\d|one|two|three|four|five|six)\s+decimals?(?:\s+places?|\s+digits?)?",
                             re.IGNORECASE)
_NEAREST = re.compile(
    r"\bnearest\s+(?P<unit>tenth|hundredth|thousandth|cent|whole|integer|dollar|euro|unit|year|day|percent|kg|km|"
    r"meter|metre|minute|second)(?:\s+(?:number|dollar|euro|unit))?",
    re.IGNORECASE,
)
# "Answer with just the name", "give their full names"; not "give the number of names".
_ASKS_NAME = re.compile(r"\b(?:answer with|give|list|return)\b(?:(?!\b(?:number|count|how many)\b)[^.?!]){0,30}?"
                        r"\bnames?\b", re.IGNORECASE)
_ASKS_NUMBER = re.compile(r"\b(?:just|only) the number\b|\bhow (?:many|much)\b", re.IGNORECASE)
_WORD_DIGITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_UNIT_DECIMALS = {"tenth": 1, "hundredth": 2, "thousandth": 3, "cent": 2}  # every other unit named: a whole one
# Answers that say no answer was found ("No answer provided", "N/A", "cannot be determined"), as a whole answer.
_NO_ANSWER = re.compile(
    r"(?:no\s+(?:answer|data|result|results|information|match|matches|value)\b.*|n/?a|unknown|none\s+found|"
    r"no\b.{0,40}?\b(?:found|available|provided|matched|recorded)\b.*|"
    r"not\s+(?:found|available|provided|applicable|enough|determined|possible)\b.*|"
    # "Accession not found", "Team does not exist": a few words, then that they are not there.
    r"[\w'-]+(?:\s+[\w'-]+){0,3}\s+(?:not\s+found|not\s+available|does\s+not\s+exist|is\s+missing)|"
    r"(?:it\s+)?(?:cannot|can't|could\s+not|couldn't|unable\s+to)\b.*|i\s+(?:do\s+not|don't)\s+know\b.*)[.!]?",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# What a task says before a value it shows as an example of the answer's form ("in the form h:mm:ss, exactly as a
# time like 3:42:10"), not as a condition: the text just before the value ends with one of these.
_EXAMPLE_BEFORE = re.compile(
    r"(?:\blike|\bsuch as|\be\.g\.,?|\bfor example,?|\bfor instance,?|\bas in|\bin the form(?: of)?|\bformatted as|"
    r"\bwritten as|\bformat)\s*[\"'“‘(]?$"
)
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}\b)")  # 1,234,567 as one number
# A form spelled with placeholder letters: YYYY-MM-DD, DD/MM/YYYY, HH:MM, h:mm:ss, YYYY-MM-DD HH:MM.
_FORM_PART = r"(?:YYYY|YY|MM|DD|HH|hh|mm|ss|SS|M|D|H|h)"
_FORM = re.compile(rf"(?<![\w/.:-]){_FORM_PART}(?:[-/.: ]{_FORM_PART})+(?![\w/:-]|\.\w)")
# The sentence must ask for the answer ("Answer as ...", "give it as ...", "in the form ..."), not describe the
# file ("Dates are written DD-MM-YYYY").
_ASKS_ANSWER = re.compile(r"\b(?:answer|give|name|list|reply|report)\b|\bin the form\b", re.IGNORECASE)
# Where a clause of a task ends: a sentence's end or a semicolon followed by a space (not the dots of 10.11.2026).
_CLAUSE_END = re.compile(r"[.;!?](?=\s|$)")
# Whether the task's words keep a value's rows or leave them out. Only two shapes are read as leaving out: an
# exclusion right before the value ("excluding Cancelled", "Awarded, not Pending") and a verb that says its rows do
# not count right after its noun ("cancelled and void orders do not count"). Any other negation in the clause
# ("Disqualified climbers are not ranked", where Ranked is the status to keep) leaves the direction to the task's
# quoted words: a wrong "keep only" or "leave out" turns a right filter into the opposite.
_LEAVE_BEFORE = re.compile(
    r"(?:\bexcluding|\bexcept(?:\s+for)?|\bother\s+than|\bapart\s+from|\baside\s+from|\bwithout|\bignoring|,\s*not|"
    r"\bbut\s+not|\bnor|\bleav(?:e|ing)\s+out|\bskip(?:ping)?|\bdrop(?:ping)?)\s+(?:the\s+|any\s+|all\s+)?$",
    re.IGNORECASE,
)
_LEAVE_AFTER = re.compile(
    r"(?:\s+[\w'-]+){0,4}?\s+(?:(?:do|does|did|should|must|will)(?:\s+not|n't)\s+(?:count|be\s+counted|be\s+included)|"
    r"(?:are|is)\s+(?:not\s+counted|excluded|ignored|left\s+out))\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|never|no|except|excluding|without|ignor(?:e|ing))\b|n't\b", re.IGNORECASE)


def typed_literal(code: str) -> str | None:
    """The source of a literal the block gives ``final_answer`` (``final_answer(1200)``, ``final_answer('em204')``),
    else None."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "final_answer"
            and len(node.args) == 1
            and (_is_number_literal(node.args[0]) or _is_text_literal(node.args[0]))
        ):
            return ast.unparse(node.args[0])
    return None


def _is_number_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _is_text_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def asked_form(task: str) -> str | None:
    """The answer's form that the task spells with placeholder letters ("Answer as YYYY-MM-DD" -> "YYYY-MM-DD"),
    or None."""
    for sentence in re.split(r"(?<=[.!?])\s+", task):
        match = _FORM.search(sentence)
        if match is not None and _ASKS_ANSWER.search(sentence):
            return match.group(0)
    return None


def asked_rounding(task: str) -> tuple[str, int] | None:
    """The task's words on rounding and the decimals they ask for ("rounded to two decimal places" -> 2), or None
    when the task says nothing this understands (to the nearest ten, to three significant figures)."""
    match = _ROUNDING.search(task)
    if match is None:
        return None
    how, start = match.group("how"), match.start("how") - match.start()

    def said(until: int) -> str:  # the task's words, from "round" to the end of the precision
        return match.group(0)[: start + until].strip()

    places = _DECIMAL_PLACES.search(how)
    if places is not None:
        n = places.group("n").lower()
        return said(places.end()), int(n) if n.isdigit() else _WORD_DIGITS[n]
    nearest = _NEAREST.search(how)
    if nearest is not None:
        return said(nearest.end()), _UNIT_DECIMALS.get(nearest.group("unit").lower(), 0)
    whole = re.search(r"\b(?:whole number|integer)\b", how, re.IGNORECASE)
    if whole is not None:
        return said(whole.end()), 0
    return None


@dataclass(frozen=True)
class NamedValue:
    """A value of the attached data that the task names, and where it sits (to say which filter to write)."""

    value: str
    file: str
    field: str | None  # the table's column or the JSON/YAML key it is under; None for a bare string
    in_list: bool = False  # a JSON list under ``field`` holds it ("skills": ["sql", "python"])
    in_table: bool = False  # a cell of a table (CSV, TSV, markdown, HTML, aligned), not of a JSON/YAML tree
    any_case: bool = False  # the data holds it in more than one letter case ("Dog" and "dog")
    clause: str = ""  # the task's words around its first mention ("cancelled and void orders do not count")
    direction: str = "keep only"  # what those words do with its rows: "keep only", "leave out" or "unsure"

    def where(self) -> str:
        if self.field is None:
            return self.file
        kind = "column" if self.in_table else "field"
        return f"the {self.field} {kind} of {self.file}"

    def keep(self) -> str:
        if self.field is None:
            return f'the items that hold "{self.value}"'
        case = " in any letter case" if self.any_case else ""
        if self.in_table:
            return f'the rows whose {self.field} is "{self.value}"{case}'
        verb = "include" if self.in_list else "is"
        return f'the items whose {self.field} {verb} "{self.value}"{case}'


def named_values(task: str, workspace: Path | None) -> list[NamedValue]:
    """The values of the workspace's tables and JSON/YAML files that the task names, as whole words, in task
    order."""
    if workspace is None:
        return []
    lowered = task.lower()
    found: dict[str, tuple[list[tuple[int, int]], NamedValue]] = {}  # value -> (where the task names it, value)
    for path in data_files(workspace):
        for value, field_name, in_list, in_table in data_values(path):
            if not isinstance(value, str):
                continue
            text = value.strip()
            if len(text) < 2 or _NUMBER.fullmatch(text.replace(",", "").lstrip("-")) or text in found:
                continue
            spans = [
                m.span() for m in re.finditer(rf"(?<!\w){re.escape(text.lower())}(?!\w)", lowered)
                if not _EXAMPLE_BEFORE.search(lowered[max(0, m.start() - 30) : m.start()])
            ]
            if spans:
                clause, before, after = clause_around(task, *spans[0])
                found[text] = (spans, NamedValue(text, path.name, field_name, in_list, in_table, clause=clause,
                                                 direction=_direction(clause, before, after)))
    # A value named only inside a longer one is not a condition of its own: "Mushroom" in "the Saltmarsh Mushroom
    # Risotto" names the recipe, not the ingredient "mushroom".
    longer = [span for spans, _ in found.values() for span in spans]
    kept = [
        (own[0][0], named) for own, named in found.values()
        if any(not _inside(span, longer) for span in own)
    ]
    # One value in several letter cases ("Dog", "dog") is one condition, said once.
    by_case: dict[str, NamedValue] = {}
    for _, named in sorted(kept, key=lambda item: item[0]):
        first = by_case.get(named.value.lower())
        by_case[named.value.lower()] = replace(first, any_case=True) if first else named
    return list(by_case.values())


def clause_around(task: str, start: int, end: int) -> tuple[str, str, str]:
    """The clause of ``task`` that holds ``task[start:end]`` (from the end of the sentence or clause before it to
    the next one's end), and its words before and after that span."""
    left = max((m.end() for m in _CLAUSE_END.finditer(task, 0, start)), default=0)
    found = _CLAUSE_END.search(task, end)
    right = found.start() if found else len(task)
    return task[left:right].strip(), task[left:start], task[end:right]


def _direction(clause: str, before: str, after: str) -> str:
    if _LEAVE_BEFORE.search(before) or _LEAVE_AFTER.match(after):
        return "leave out"
    return "unsure" if _NEGATION.search(clause) else "keep only"


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Whether ``span`` lies within a longer one of ``spans``."""
    start, end = span
    return any(s <= start and end <= e and e - s > end - start for s, e in spans)


def numbers_in(text: str) -> list[float]:
    return [float(m) for m in _NUMBER.findall(_GROUPED.sub("", text))]


def _number_text(answer: str) -> str | None:
    """``answer`` as plain digits ("1,200" -> "1200", sign dropped), or None when it is not a number."""
    cleaned = answer.strip().lstrip("+-").replace(",", "")
    return cleaned if _NUMBER.fullmatch(cleaned) else None


def is_seen(answer: str, texts: list[str]) -> bool:
    """Whether the number ``answer`` (or a number that rounds to it) appears in ``texts``; True for non-numbers."""
    cleaned = _number_text(answer)
    if cleaned is None:
        return True
    value = float(cleaned)
    decimals = len(cleaned.partition(".")[2])
    tolerance = 0.5 * 10**-decimals + 1e-9
    return any(abs(seen - value) <= tolerance for text in texts for seen in numbers_in(text))


@dataclass
class AnswerChecks:
    """What one Executor run has shown the model, and which of its one-time refusals are spent."""

    task: str = ""
    typed_numbers: bool = True
    form: bool = True  # rounding and kind
    named: list[NamedValue] = field(default_factory=list)  # values of the attached data the task names ([]: no check)
    texts: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    computed: bool = False  # some block (or tool call) of this run has worked
    failed: bool = False  # some block of this run has failed
    refused_typed: bool = False
    refused_no_answer: bool = False
    refused_zero: bool = False
    refused_rounding: bool = False
    refused_kind: bool = False
    refused_condition: bool = False
    refused_form: bool = False
    data: DataFields | None = None  # the attached data's values, for tests the code makes on them (None: no check)
    told_tests: set[str] = field(default_factory=set)  # notes on failed value tests already shown, each said once

    def saw(self, text: str, *, worked: bool | None = None) -> None:
        """``text`` was shown to the model; ``worked``: whether the block (or tool call) it came from worked, None
        for text that no block produced (the task, a refusal)."""
        self.texts.append(text)
        self.computed = self.computed or worked is True
        self.failed = self.failed or worked is False

    def wrote(self, code: str) -> None:
        self.code.append(code)

    def refusal(self, answer: str, *, typed: bool) -> str | None:
        """The observation that sends ``answer`` back, or None to accept it. ``typed``: the model wrote it out as
        a literal (``final_answer(1200)``), so its code did not compute it."""
        checks = [self.no_answer_refusal]
        # A 0 typed after the code printed it is the same filter that matched nothing as a computed one.
        checks += [self.typed_refusal, self.zero_refusal] if typed else [self.zero_refusal]
        checks += [self.kind_refusal, self.form_refusal, self.rounding_refusal, self.condition_refusal]
        for check in checks:  # in turn: a check that refuses spends its one refusal, the later ones keep theirs
            refusal = check(answer)
            if refusal is not None:
                return refusal
        return None

    def failed_value_tests(self, code: str) -> list[str]:
        """Notes on the tests of ``code`` that no value of the data passes, each said once per run."""
        if self.data is None:
            return []
        notes = [note for note in self.data.failed_tests(code, self.code) if note not in self.told_tests]
        self.told_tests.update(notes)
        return notes

    def value_test_refusal(self, answer: str, code: str) -> str | None:
        """The observation that sends back an answer whose block tests the data against a value none of it has
        (a filter that keeps nothing, or everything), or None; a test already noted does not refuse again."""
        notes = self.failed_value_tests(code)
        if not notes:
            return None
        said = " ".join(f"{note[0].upper()}{note[1:]}" for note in notes)
        return (f"Error: {answer} comes from a test that the data never passes. {said} Fix the test so it matches "
                "the data as the task means it, then answer.")

    def condition_refusal(self, answer: str) -> str | None:
        """The observation that sends back an answer whose code never mentions a data value the task names."""
        if self.refused_condition or not self.named:
            return None
        written = "\n".join(self.code).lower()
        unused = [named for named in self.named if named.value.lower() not in written]
        if not unused:
            return None
        self.refused_condition = True
        names = " and ".join(f'"{named.value}" ({named.where()})' for named in unused)
        said = " and ".join(dict.fromkeys(f'"{named.clause}"' for named in unused if named.clause))
        groups = {verb: [n for n in unused if n.direction == verb] for verb in ("keep only", "leave out", "unsure")}
        todo = [f"{'keep or leave out' if verb == 'unsure' else verb} {' and '.join(n.keep() for n in group)}"
                f"{', as those words say' if verb == 'unsure' else ''}" for verb, group in groups.items() if group]
        return (
            f"Error: the task names {names}, but your code never uses {'it' if len(unused) == 1 else 'them'}: "
            f"{answer} ignores that condition. The task says {said}: {'; '.join(todo)}, then answer."
        )

    def kind_refusal(self, answer: str) -> str | None:
        """The observation that sends back a number where the task asks for a name, or words where it asks for a
        number; None to accept the answer."""
        if not self.form or self.refused_kind:
            return None
        is_number = _NUMBER.fullmatch(answer.strip().lstrip("-").replace(",", "").replace("$", "").rstrip("%"))
        asks = (_ASKS_NAME if is_number else _ASKS_NUMBER).search(self.task)
        if asks is None:
            return None
        self.refused_kind = True
        if is_number:
            return (f"Error: the task says \"{asks.group(0)}\", and {answer} is a number. Give the name your code "
                    "found with it (print the row or item it comes from), not the number.")
        return f"Error: the task asks for a number (\"{asks.group(0)}\"), and {answer!r} is not one. Give the number."

    def form_refusal(self, answer: str) -> str | None:
        """The observation that sends back an answer not written in the form the task spells (YYYY-MM-DD), or
        None."""
        if not self.form or self.refused_form:
            return None
        form = asked_form(self.task)
        if form is None:
            return None
        shape = re.compile(re.sub(_FORM_PART, lambda m: rf"\d{{{len(m.group(0))}}}" if len(m.group(0)) > 1
                                  else r"\d{1,2}", re.escape(form).replace(r"\ ", " ")))
        items = [item.strip() for item in answer.split(",")] if "," not in form else [answer.strip()]
        if all(shape.fullmatch(item) for item in items):
            return None
        self.refused_form = True
        return (f"Error: the task asks for the answer in the form {form}, and {answer!r} is not written so. Write "
                "it in exactly that form, then answer.")

    def rounding_refusal(self, answer: str) -> str | None:
        """The observation that sends back a number rounded otherwise than the task asks (or, when it does not
        say, a number with float noise), or None to accept it."""
        text = answer.strip()
        if not self.form or self.refused_rounding or not _NUMBER.fullmatch(text.lstrip("-")):
            return None
        decimals = len(text.partition(".")[2])
        asked = asked_rounding(self.task)
        if asked is not None:
            words, places = asked
            if decimals <= places:
                return None
            self.refused_rounding = True
            call = "round(value)" if places == 0 else f"round(value, {places})"
            return (f"Error: {answer} is not rounded as the task asks (\"{words}\"). Round it so in code: "
                    f"final_answer({call}).")
        if decimals <= MAX_PLAIN_DECIMALS:
            return None
        self.refused_rounding = True
        return (
            f"Error: {answer} has {decimals} decimal places. Give the answer in the form the task asks for. If the "
            "task really wants all these decimals, give the same value again."
        )

    def no_answer_refusal(self, answer: str) -> str | None:
        """The observation that sends back an answer saying there is none ("No answer provided"), or None."""
        if self.refused_no_answer or not _NO_ANSWER.fullmatch(answer.strip()):
            return None
        self.refused_no_answer = True
        return (
            f"Error: {answer!r} says you found no answer, but the task has one. Your code has not read the data "
            "right yet: print the file's first lines as text (print(open(path).read()[:800])), read it with the "
            "reader its format needs, then compute the answer."
        )

    def zero_refusal(self, answer: str) -> str | None:
        """The observation that sends back a computed 0 (most often a filter that matched nothing), or None."""
        if self.refused_zero or not re.fullmatch(r"[-+]?0+(?:\.0+)?", answer.strip()):
            return None
        self.refused_zero = True
        return (
            f"Error: your code's answer is {answer}, which is what a filter or a search that matches nothing gives. "
            "Print a few of the values your code compares or looks for (the first rows of that column, the lines it "
            "searches) and check they match what the task asks; if the answer really is 0, give it again."
        )

    def typed_refusal(self, answer: str) -> str | None:
        """The observation that refuses ``answer`` (typed as a literal by the model), or None to accept it."""
        if not self.typed_numbers or self.refused_typed:
            return None
        # Before any block worked, a typed number is a guess; so is a typed name once blocks have failed (a name
        # copied from the file's first lines). A name typed with no code tried at all may be known (a capital).
        if not self.computed and (_number_text(answer) is not None or self.failed):
            self.refused_typed = True
            return (
                f"Error: none of your code has worked yet, so {answer} was not computed: you typed it. Read the "
                "data as it really is (print the file's first lines as text; the line under its start in the task "
                "names its format and reader), compute the answer in code, then give it."
            )
        if is_seen(answer, self.texts):
            return None
        self.refused_typed = True
        return (
            f"Error: {answer} is not in any output of your code, nor in the task: you worked it out yourself, and "
            "that is where mistakes come from. Let the code compute it: print the value it computes, or call "
            "final_answer with the variable or expression that holds it."
        )
