"""`agentrt bench throughput`: the engine's batched decoding against sequential decoding and llama.cpp itself.

For each sequence count N, the same N distinct prompts generate a fixed number of tokens (EOS ignored):
  (a) one after another on one sequence of the engine (the sequential baseline, measured in this run);
  (b) all at once through the engine (one `llama_decode` per step for every sequence);
  (c) llama.cpp's own `llama-batched-bench` at the same batch sizes (built from the same vendored llama.cpp
      with the same flags), when available.
Generation speed is measured like llama-batched-bench's S_TG: generated tokens over the time of the steps that
only decode (prefill excluded); end-to-end figures including prefill are printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from agentrt.cli_args import positive_int, positive_int_list
from agentrt.bench.reference import find_reference, llama_batched_bench
from agentrt.engine.config import EngineConfig
from agentrt.engine.cpu_cores import usable_cores
from agentrt.engine.machine_options import add_machine_options
from agentrt.events import Event
from agentrt.models import DEFAULT_MODEL, resolve_model

if TYPE_CHECKING:
    from agentrt.engine.llama.engine import Engine

# Distinct prompts of roughly 25-31 tokens, as in the reference measurements of shared/ANCHORS.md.
PROMPTS = [
    "Write a detailed story about a lighthouse keeper who discovers a message in a bottle on a stormy night",
    "Explain step by step how a steam engine converts heat into motion, for a curious twelve year old",
    "Describe the journey of a single drop of water from a mountain glacier all the way to the ocean",
    "List the most important inventions of the nineteenth century and explain why each one mattered",
    "Tell the history of the city of Rome from its legendary founding to the fall of the western empire",
    "Write a letter from a young sailor to his family describing his first voyage across the Atlantic",
    "Explain how bees communicate the location of flowers to each other inside the hive in detail",
    "Describe a busy market day in a medieval town, with its merchants, animals, smells and sounds",
    "Write the opening chapter of a mystery novel set in a snowed-in mountain hotel in the Alps",
    "Explain how the immune system recognises and fights a virus, from the first infection onwards",
    "Describe how a violin is made by hand, from choosing the wood to varnishing the finished body",
    "Write a travel guide entry for a small fishing village on a rocky coast in northern Portugal",
    "Explain why the sky is blue during the day and red at sunset, using simple physics and examples",
    "Tell the story of the first expedition to reach the South Pole and the hardships along the way",
    "Describe the life cycle of a star like our sun, from its birth in a nebula to its final stage",
    "Write a speech a headmaster gives on the first day of school to welcome the new students",
]


class ThroughputRecord(BaseModel):
    model: str
    sequences: int
    tokens: int
    threads: int | str  # a fixed count, or "auto"
    sequential_tg_tps: float  # (a) one sequence, prompts one after another: decode-only tokens/s
    engine_tg_tps: float  # (b) all N at once through the engine: decode-only tokens/s (S_TG)
    engine_e2e_tps: float  # (b) generated tokens / wall time including prefill
    speedup: float  # engine_tg_tps / sequential_tg_tps
    outside_decode_share: float  # share of decode-step time spent outside llama_decode
    llama_batched_bench_tg_tps: float | None  # (c) llama.cpp's own S_TG at batch N, measured in this run
    share_of_llama_cpp: float | None
    peak_rss_mib: float


class StepRecorder:
    """Collects `engine.step` events; summarises the decode-only steps like llama-batched-bench's S_TG."""

    def __init__(self) -> None:
        self.steps: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.steps.append(event)

    def decode_only(self) -> tuple[int, float, float, float]:
        """(tokens, wall seconds, summed step seconds, summed llama_decode seconds) of the pure-decode steps."""
        pure = [s for s in self.steps if s["n_prefill"] == 0 and s["n_decode"] > 0]
        if len(pure) < 2:
            return 0, 0.0, 0.0, 0.0
        # Wall time from the end of the first pure step to the end of the last includes the gaps between steps
        # (command intake, delivery), so the Python loop is charged in full.
        tokens = sum(s["n_decode"] for s in pure[1:])
        wall = pure[-1]["ts"] - pure[0]["ts"]
        step_s = sum(s["step_ms"] for s in pure[1:]) / 1e3
        decode_s = sum(s["decode_ms"] for s in pure[1:]) / 1e3
        return tokens, wall, step_s, decode_s


async def _generate(engine: Engine, prompts: list[str], tokens: int, *, concurrent: bool) -> tuple[float, float, float]:
    """Run the prompts; returns (decode-only tokens/s, end-to-end tokens/s, outside-decode share)."""
    recorder = StepRecorder()
    unsubscribe = engine.events.subscribe(recorder, kinds={"engine.step"})

    async def one(prompt: str) -> int:
        async with engine.sequence(owner="bench") as seq:
            await seq.reset()  # no KV reuse between runs: every prompt is prefilled in full
            result = await seq.complete(prompt, max_tokens=tokens, ignore_eos=True)
            return result.completion_tokens

    started = time.perf_counter()
    try:
        if concurrent:
            counts = await asyncio.gather(*(one(p) for p in prompts))
        else:
            counts = [await one(p) for p in prompts]
    finally:
        unsubscribe()
    wall = time.perf_counter() - started
    if not concurrent:
        # Each sequential generation is its own run of pure steps: summarise them one by one.
        return _sequential_rate(recorder.steps), sum(counts) / wall, 0.0
    tg_tokens, tg_wall, step_s, decode_s = recorder.decode_only()
    return tg_tokens / tg_wall, sum(counts) / wall, (1.0 - decode_s / step_s) if step_s else 0.0


def _sequential_rate(steps: list[Event]) -> float:
    runs: list[list[Event]] = [[]]
    for s in steps:
        if s["n_prefill"] > 0:
            runs.append([])
        elif s["n_decode"] > 0:
            runs[-1].append(s)
    tokens = sum(sum(s["n_decode"] for s in run[1:]) for run in runs if len(run) > 1)
    wall = sum(run[-1]["ts"] - run[0]["ts"] for run in runs if len(run) > 1)
    return tokens / wall if wall else 0.0


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plateau(records: list[ThroughputRecord]) -> ThroughputRecord:
    """The smallest N after which doubling the sequences gains less than 15% throughput."""
    for rec, nxt in zip(records, records[1:]):
        if nxt.engine_tg_tps < rec.engine_tg_tps * 1.15:
            return rec
    return records[-1]


async def run_throughput(
    model: str, counts: list[int], tokens: int, threads: int | str | None, reference: Path | None,
    gpu_layers: int | str | None = None, flash_attn: str | None = None,
) -> list[ThroughputRecord]:
    # `agentrt` registers every command at start; llama.cpp loads when this benchmark runs.
    from agentrt.engine.llama.engine import Engine

    path = resolve_model(model)
    prompts = (PROMPTS * (max(counts) // len(PROMPTS) + 1))[: max(counts)]
    given = {"threads": threads, "gpu_layers": gpu_layers, "flash_attn": flash_attn}
    machine = {k: v for k, v in given.items() if v is not None}
    config = EngineConfig(model=model, sequences=max(counts), n_ctx=64 + tokens, n_batch=max(512, max(counts)),
                          **machine)
    threads = config.threads
    reference_tps: dict[int, float] = {}
    if reference is not None:
        # llama.cpp takes a fixed count: every usable core, as a user of llama.cpp would set it.
        ref_threads = threads if isinstance(threads, int) else usable_cores().threads
        # The same attention kernels as the engine's (llama-batched-bench takes -fa auto|on|off as well; for
        # `measured`, the choice the engine makes on this CPU).
        if config.flash_attn == "measured":
            from agentrt.engine.llama.attention_choice import measured_flash_attn

            reference_fa = measured_flash_attn(path, ref_threads)
        else:
            reference_fa = config.flash_attn
        print(f"llama.cpp reference: {reference} -t {ref_threads} -fa {reference_fa}", file=sys.stderr)
        reference_tps = llama_batched_bench(reference, path, counts, tokens, ref_threads, extra=("-fa", reference_fa))

    records = []
    async with await Engine.start(config) as engine:
        await _generate(engine, prompts[:1], 8, concurrent=False)  # warm-up
        seq_tps, _, _ = await _generate(engine, prompts[: min(4, len(prompts))], tokens, concurrent=False)
        print(f"sequential baseline (one sequence, prompts one after another): {seq_tps:.1f} tokens/s",
              file=sys.stderr)
        for n in counts:
            tg, e2e, outside = await _generate(engine, prompts[:n], tokens, concurrent=True)
            ref = reference_tps.get(n)
            records.append(ThroughputRecord(
                model=model, sequences=n, tokens=tokens, threads=threads, sequential_tg_tps=seq_tps,
                engine_tg_tps=tg, engine_e2e_tps=e2e, speedup=tg / seq_tps if seq_tps else 0.0,
                outside_decode_share=outside, llama_batched_bench_tg_tps=ref,
                share_of_llama_cpp=(tg / ref) if ref else None, peak_rss_mib=_peak_rss_mib(),
            ))
            print(f"  N={n}: {tg:.1f} tokens/s", file=sys.stderr)
    return records


def _print_table(records: list[ThroughputRecord]) -> None:
    print(f"\nagentrt bench throughput — {records[0].model}, {records[0].tokens} new tokens per sequence, "
          f"{records[0].threads} threads, EOS ignored")
    print(f"{'N':>4} {'sequential':>11} {'agentrt':>9} {'speedup':>8} {'llama.cpp':>10} {'of llama.cpp':>13} "
          f"{'e2e':>7} {'outside decode':>15} {'peak RSS':>9}")
    for r in records:
        ref = f"{r.llama_batched_bench_tg_tps:10.1f}" if r.llama_batched_bench_tg_tps else f"{'-':>10}"
        share = f"{r.share_of_llama_cpp:13.1%}" if r.share_of_llama_cpp else f"{'-':>13}"
        print(f"{r.sequences:>4} {r.sequential_tg_tps:11.1f} {r.engine_tg_tps:9.1f} {r.speedup:7.2f}x {ref} "
              f"{share} {r.engine_e2e_tps:7.1f} {r.outside_decode_share:15.1%} {r.peak_rss_mib:7.0f}Mi")
    print("(tokens/s of generation, like llama-batched-bench S_TG; e2e includes prefill; 'llama.cpp' is its "
          "llama-batched-bench measured in this run)")
    best = _plateau(records)
    print(f"\nThroughput stops growing at about N={best.sequences} on this machine "
          f"({best.engine_tg_tps:.0f} tokens/s, {best.speedup:.1f}x one sequence): "
          f"a pool of {best.sequences} sequences is suggested.")


def register(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser("throughput", help="batched engine vs sequential decoding vs llama.cpp")
    p.add_argument("--model", default=DEFAULT_MODEL, help="a named model or a .gguf path")
    p.add_argument("--sequences", type=positive_int_list, default="1,2,4,8,16",
                   help="comma-separated sequence counts")
    p.add_argument("--tokens", type=positive_int, default=128, help="new tokens per sequence")
    add_machine_options(p, graph=False)
    p.add_argument("--json", type=Path, help="write one JSON record per sequence count")
    p.add_argument("--no-reference", action="store_true", help="skip llama.cpp's llama-batched-bench")
    p.set_defaults(func=_main)


async def _main(args: argparse.Namespace) -> int:
    counts = args.sequences
    reference = None if args.no_reference else find_reference(build=True)
    records = await run_throughput(args.model, counts, args.tokens, args.threads, reference, args.gpu_layers,
                                   args.flash_attn)
    _print_table(records)
    if args.json:
        args.json.write_text("".join(r.model_dump_json() + "\n" for r in records))
        print(f"wrote {args.json}")
    return 0

