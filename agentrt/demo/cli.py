"""`agentrt demo`: the command. The measuring lives in `agentrt.demo.measure`."""

from __future__ import annotations

import argparse

from agentrt.cli_args import positive_int
from agentrt.demo.measure import DEMO_AGENTS, measure_concurrency, run_agents, states_number
from agentrt.engine.machine_options import add_machine_options, machine_overrides
from agentrt.models import DEFAULT_MODEL


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="several agents generating at once on one shared model")
    demo.add_argument("--model", default=DEFAULT_MODEL, help="a named model or a .gguf path")
    demo.add_argument(
        "--tokens", type=positive_int, default=512, help="most new tokens per shown answer (answers end on their own before)"
    )
    demo.add_argument(
        "--timed-tokens", type=positive_int, default=160,
        help="most new tokens per agent in the timed passes (short and equal on both sides, so they time batching)",
    )
    add_machine_options(demo, graph=False)
    demo.set_defaults(func=_demo)


async def _demo(args: argparse.Namespace) -> int:
    from agentrt.engine.llama.engine import Engine  # only the commands that run a model load llama.cpp

    agents = DEMO_AGENTS
    print(f"Loading {args.model} once for {len(agents)} agents...")
    async with await Engine.start(
        model=args.model, sequences=len(agents), n_ctx=1024, **machine_overrides(args)
    ) as engine:
        print(f"Memory plan: {engine.memory_plan.describe()}")
        print(f"\n== {len(agents)} agents at once, one llama_decode per step for all of them ==")
        # This first pass also warms the machine up (page faults, caches) before anything is timed.
        results = await run_agents(engine, agents, args.tokens, at_once=True)
        for agent, result in zip(agents, results):
            answer = "\n  ".join(line for line in result.text.strip().splitlines() if line.strip())
            print(f"\n[{agent.name} · sequence {result.seq_id}] {agent.task}\n  {answer}")
            check = ""
            if agent.expect is not None:
                ok = states_number(result.text, agent.expect)
                check = f"; {'correct' if ok else 'WRONG'}: the answer {'contains' if ok else 'lacks'} {agent.expect}"
            print(f"  ({result.completion_tokens} tokens, finish: {result.finish_reason}{check})")

        print("\n== Timing: the same agents at once and one by one ==")
        print(
            f"Passes in ABBA order, each from an empty KV cache, each answer cut at {args.timed_tokens} tokens so "
            "that both sides do the same work; then batching's own gain on this machine."
        )
        report = await measure_concurrency(engine, agents, args.timed_tokens)
        stats = engine.stats()
    for mode in ("at once", "one by one"):
        chosen = [p for p in report.passes if p.mode == mode]
        runs = ", ".join(f"{p.tokens} tokens in {p.seconds:.1f}s" for p in chosen)
        print(f"  {mode:<10}: {report.rate(mode):6.1f} tokens/s  ({runs})")
    print(f"  speedup    : {report.speedup:.2f}x from running {report.sequences} agents at once on one loaded model")
    print(
        f"  limit      : {report.headroom:.2f}x = what batching alone gives here ({report.sequences} fixed-length "
        f"sequences at once vs one, same engine, same run)"
    )
    print(
        f"  the agents got {report.share_of_headroom:.0%} of batching's gain. The limit is the model's and the "
        f"machine's (a few cores gain a few times from {report.sequences} sequences, a GPU far more); agents "
        f"cannot beat it, and answers of unequal length leave the batch emptier at the end."
    )
    above_limit = report.share_of_headroom > 1.05  # no real result: some passes had a busier machine than others
    if above_limit or report.pass_spread > 0.15:
        print(
            f"  not a clean measurement: repeated passes of one side differ by up to {report.pass_spread:.0%}"
            f"{' and the speedup is above the limit' if above_limit else ''}: the CPU's speed "
            "changed between passes (another process, or a virtual machine's host). Run it again when it is quiet."
        )
    print(
        f"  {stats.overhead_share:.1%} of step time was spent outside llama_decode; "
        f"{stats.cached_tokens + stats.shared_tokens} prompt tokens were reused from KV caches."
    )
    return 0
