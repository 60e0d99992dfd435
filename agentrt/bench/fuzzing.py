"""A fuzzing harness: inputs run one by one in a worker process under a memory limit, each with a time limit.

A target is a module-level function ``target(data, path) -> (outcome, detail)`` (the worker imports it by name):
``data`` is one input's bytes, ``path`` a scratch file it may use; a ``warm_up`` attribute on it (a function) runs
in each new worker before its first input's clock starts. Outcomes it returns are counted as they are
("loaded", "refused", ...); the harness adds three failures of its own: ``crash`` (the target raised, or
returned it), ``hang`` (no answer within the time limit: the worker is killed) and ``died`` (the worker process
ended, e.g. killed for memory). After a failure the next input gets a fresh worker, so nothing a target does
takes the run down.

`FuzzReport` is what every fuzzer of `agentrt bench fuzz` returns, this harness's and the in-process tools fuzzer's
(`agentrt.bench.fuzz_tools`): how the inputs came out, the failures per 10,000 inputs (the benchmark's figure) and
the slowest input.

Used by ``agentrt bench fuzz graphs`` (`agentrt.bench.fuzz_loader`).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAILURE_KINDS = ("crash", "hang", "died")
SHOWN_FAILURES = 10  # distinct failures a summary lists; the rest are counted
Target = Callable[[bytes, Path], tuple[str, str]]
STARTUP_S = 300.0  # a worker's start (imports) is not an input's time; a busy machine may take a while


def describe_exception(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-3:]
    frames = "; ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in where)
    return f"{type(exc).__name__}: {str(exc)[:200]} [{frames}]"


def _worker(conn: Any, memory_bytes: int, target: Target, folder: str) -> None:
    """Runs inputs through ``target`` one by one, under a memory limit, until it receives None."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):
        pass
    warm_up = getattr(target, "warm_up", None)
    if callable(warm_up):  # imports and the like, before the first input's clock starts
        warm_up()
    conn.send("ready")
    path = Path(folder) / "graph.yaml"
    while (data := conn.recv()) is not None:
        try:
            outcome = target(data, path)
        except Exception as exc:  # noqa: BLE001 (the harness's net: any exception is a crash)
            outcome = ("crash", describe_exception(exc))
        conn.send(outcome)


class _Worker:
    """One worker process; it is ready (started, imports done) when the constructor returns, so an input's time
    limit counts the input only."""

    def __init__(self, memory_bytes: int, target: Target) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        # Owned here, not by the worker: a worker killed for hanging cannot clean up after itself.
        self._folder = tempfile.TemporaryDirectory(prefix="agentrt-fuzz-")
        self.process = context.Process(
            target=_worker, args=(child, memory_bytes, target, self._folder.name), daemon=True
        )
        self.process.start()
        child.close()
        try:
            ready = self.conn.poll(STARTUP_S) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.close(kill=True)
            raise RuntimeError(f"the fuzzing worker did not start within {STARTUP_S:g}s")

    def run(self, data: bytes, limit_s: float) -> tuple[str, str]:
        try:
            self.conn.send(data)
            if not self.conn.poll(limit_s):
                return "hang", f"no answer within {limit_s:g}s"
            return self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            return "died", f"the worker process ended (exit code {self.process.exitcode})"

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self._folder.cleanup()


@dataclass
class Failure:
    index: int
    generator: str
    kind: str
    detail: str


@dataclass
class FuzzReport:
    """One fuzzing run: each input's outcome (a failure is one of `FAILURE_KINDS`), counted as `record` is called."""

    name: str = ""  # what was fuzzed ("tools", "graphs"), for the summary
    seed: int | None = None
    # Outcomes the summary always lists, in this order (zero counts too); any other outcome is listed after them.
    kinds: tuple[str, ...] = FAILURE_KINDS
    inputs: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    by_generator: Counter[str] = field(default_factory=Counter)  # inputs per generator (for tools: per tool)
    elapsed_s: float = 0.0
    slowest_ms: float = 0.0
    slowest_input: str = ""

    def record(self, generator: str, kind: str, detail: str, *, elapsed_ms: float, shown: str) -> None:
        """One more input: made by ``generator``, came out as ``kind`` (``detail`` says how) in ``elapsed_ms``;
        ``shown`` is how the summary names it if it is the slowest."""
        if kind in FAILURE_KINDS:
            self.failures.append(Failure(self.inputs, generator, kind, detail))
        self.inputs += 1
        self.counts[kind] += 1
        self.by_generator[generator] += 1
        if elapsed_ms > self.slowest_ms:
            self.slowest_ms, self.slowest_input = elapsed_ms, shown

    @property
    def failures_per_10k(self) -> float:
        return 10_000 * len(self.failures) / self.inputs if self.inputs else 0.0

    def summary(self) -> str:
        title = f"fuzz {self.name}: " if self.name else ""
        seed = f" (seed {self.seed})" if self.seed is not None else ""
        kinds = [*self.kinds, *(kind for kind in self.counts if kind not in self.kinds)]
        lines = [
            f"{title}{self.inputs} inputs{seed} in {self.elapsed_s:.1f} s "
            f"({self.inputs / max(self.elapsed_s, 1e-9):.0f}/s): "
            + ", ".join(f"{kind} {self.counts[kind]}" for kind in kinds),
            f"crashes: {len(self.failures)} = {self.failures_per_10k:.1f} per 10,000 inputs (goal 0)",
            "inputs per generator: " + ", ".join(f"{name} {n}" for name, n in sorted(self.by_generator.items())),
            f"slowest input: {self.slowest_ms:.0f} ms ({self.slowest_input})",
        ]
        # The same failure found again (the same kind and the start of its detail) is listed once.
        seen: set[tuple[str, str]] = set()
        for failure in self.failures:
            signature = (failure.kind, failure.detail[:120])
            if signature not in seen and len(seen) < SHOWN_FAILURES:
                seen.add(signature)
                lines.append(f"  #{failure.index} {failure.generator}: {failure.kind}: {failure.detail}")
        if len(self.failures) > len(seen):
            lines.append(f"  ... and {len(self.failures) - len(seen)} more")
        return "\n".join(lines)


def run_fuzz(
    inputs: Iterable[tuple[str, bytes]],
    *,
    per_input_s: float = 10.0,
    memory_bytes: int = 2 << 30,
    target: Target,
    name: str = "",
    seed: int | None = None,
    outcomes: tuple[str, ...] = (),
) -> FuzzReport:
    """Every input through ``target`` (a module-level function, for the worker to import) in a worker process;
    after a failure the next input gets a fresh worker. ``name``, ``seed`` and ``outcomes`` (the clean outcomes
    ``target`` returns, listed first) label the report."""
    report = FuzzReport(name=name, seed=seed, kinds=(*outcomes, *FAILURE_KINDS))
    started = time.perf_counter()
    worker = _Worker(memory_bytes, target)
    try:
        for index, (generator, data) in enumerate(inputs):
            begun = time.perf_counter()
            kind, detail = worker.run(data, per_input_s)
            report.record(generator, kind, detail, elapsed_ms=(time.perf_counter() - begun) * 1e3,
                          shown=f"#{index} {generator}")
            if kind in FAILURE_KINDS:
                worker.close(kill=True)
                worker = _Worker(memory_bytes, target)
    finally:
        worker.close()
        report.elapsed_s = time.perf_counter() - started
    return report
