"""`agentrt bench serve`: the same HTTP client load against `agentrt serve` and llama.cpp's `llama-server`.

For each client count N, both servers are started fresh with N sequences / slots (`--sequences N`; `-np N`), the
same model, threads and context per sequence, and run side by side, taking turns: in each round N clients of the
official `openai` SDK send one streaming chat request each to one server, all at once (distinct user prompts,
greedy, a fixed number of new tokens, EOS ignored), then to the other, the order alternating between rounds.
llama-server runs in the environment the user had (without agentrt's OpenMP setting). Measured per server:

* tokens/s: all generated tokens over the wall time from the first request sent to the last token received;
* time to first token (TTFT), p50 and p95 over the clients: request sent → first text chunk received;
* prefill tokens: prompt tokens each server says it computed (not taken from a cache), from its own metrics
  (agentrt: `agentrt_prefill_tokens_total`; llama-server: `llamacpp:prompt_tokens_total`).

Then the same with a system prompt of about 500 tokens shared by all clients (new text for every round, so
neither server finds it cached from an earlier round). Each server gets a warm-up request first, not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentrt.bench.servers import AgentrtServer, LlamaServer, ServerProcess, llama_server_binary
from agentrt.bench.throughput import PROMPTS
from agentrt.cli_args import positive_int, positive_int_list
from agentrt.models import resolve_model

SHARED_WORDS = (
    "You are the support assistant of a shipping company. Answer politely and briefly, quote the relevant rule, "
    "and never invent tracking numbers, prices or delivery dates. Parcels up to two kilograms travel as letters; "
    "heavier ones need a label printed at a post office or online. Refunds take five working days. "
)


class ServeRecord(BaseModel):
    server: str  # agentrt, llama-server
    clients: int
    shared_prompt_tokens: int  # 0: no shared system prompt
    tokens: int  # new tokens per request
    threads: int
    n_ctx: int
    rounds: int
    tokens_per_s: float  # median over rounds
    round_tokens_per_s: list[float]  # each round's, in order (round r of both servers ran back to back)
    ttft_p50_ms: float  # over every request of every round
    ttft_p95_ms: float
    prefill_tokens: float  # per round (median)
    completion_tokens: int  # per round, all clients


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def shared_prompt(target_tokens: int, count_tokens: Any, nonce: str) -> str:
    """About ``target_tokens`` tokens of instructions, starting with ``nonce`` (new text for every round)."""
    if target_tokens <= 0:
        return ""
    text = f"Session {nonce}. "
    while count_tokens(text) < target_tokens:
        text += SHARED_WORDS
    words = text.split(" ")
    while len(words) > 1 and count_tokens(" ".join(words)) > target_tokens:
        words.pop()
    return " ".join(words)


async def _one_client(client: Any, model: str, messages: list[dict[str, str]], tokens: int) -> tuple[float, float, int]:
    """(TTFT seconds, end time, completion tokens) of one streaming request."""
    sent = time.perf_counter()
    first: float | None = None
    completion = 0
    stream = await client.chat.completions.create(
        model=model, messages=messages, max_tokens=tokens, temperature=0, stream=True,
        stream_options={"include_usage": True}, extra_body={"ignore_eos": True},
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content and first is None:
            first = time.perf_counter()
        if chunk.usage is not None:
            completion = chunk.usage.completion_tokens
    end = time.perf_counter()
    return (first or end) - sent, end, completion


async def _round(server: ServerProcess, model: str, n: int, tokens: int, system: str) -> tuple[float, list[float], float, int]:
    """One round: N clients at once. Returns (tokens/s, TTFTs, prefill tokens, completion tokens)."""
    from openai import AsyncOpenAI

    before = (await asyncio.to_thread(server.metrics)).get(server.prefill_metric, 0.0)
    client = AsyncOpenAI(base_url=server.base_url, api_key="bench", max_retries=0, timeout=3600)
    prompts = (PROMPTS * (n // len(PROMPTS) + 1))[:n]
    requests = []
    for prompt in prompts:
        messages = [{"role": "system", "content": system}] if system else []
        requests.append([*messages, {"role": "user", "content": prompt}])
    started = time.perf_counter()
    try:
        results = await asyncio.gather(*(_one_client(client, model, m, tokens) for m in requests))
    finally:
        await client.close()
    wall = max(end for _, end, _ in results) - started
    completion = sum(c for _, _, c in results)
    after = (await asyncio.to_thread(server.metrics)).get(server.prefill_metric, 0.0)
    return completion / wall, [ttft for ttft, _, _ in results], after - before, completion


def _record(
    label: str, n: int, system_tokens: int, tokens: int, threads: int, n_ctx: int,
    rounds: list[tuple[float, list[float], float, int]],
) -> ServeRecord:
    rates = [rate for rate, _, _, _ in rounds]
    ttfts = [t for _, ttft, _, _ in rounds for t in ttft]
    return ServeRecord(
        server=label, clients=n, shared_prompt_tokens=system_tokens, tokens=tokens, threads=threads, n_ctx=n_ctx,
        rounds=len(rounds), tokens_per_s=statistics.median(rates), round_tokens_per_s=rates,
        ttft_p50_ms=_percentile(ttfts, 0.5) * 1e3, ttft_p95_ms=_percentile(ttfts, 0.95) * 1e3,
        prefill_tokens=statistics.median(p for _, _, p, _ in rounds),
        completion_tokens=int(statistics.median(c for _, _, _, c in rounds)),
    )


async def _warm_up(server: ServerProcess, model: str) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=server.base_url, api_key="bench", max_retries=0, timeout=3600)
    try:
        await client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hello"}],
                                             max_tokens=4, temperature=0)
    finally:
        await client.close()


async def run_serve_bench(
    model: str, counts: list[int], tokens: int, threads: int, n_ctx: int, rounds: int, system_tokens: int,
    llama_server: Path | None, log_dir: Path,
) -> list[ServeRecord]:
    """Both servers run at once, each idle while the other takes its round, and the rounds alternate (agentrt
    first in even rounds, llama-server first in odd ones): a machine whose speed drifts during the run (a VM's
    host, another process) then slows both sides alike, where measuring one server's rounds and then the other's
    put the drift into the ratio."""
    from llama_cpp import Llama

    path = resolve_model(model)
    vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)

    def count_tokens(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False))

    phases = [0] + ([system_tokens] if system_tokens > 0 else [])
    records: list[ServeRecord] = []
    for n in counts:
        servers: dict[str, tuple[ServerProcess, str]] = {}
        try:
            servers["agentrt"] = (AgentrtServer(
                log_dir / f"agentrt-{n}.log", "--model", model, "--sequences", str(n), "--n-ctx", str(n_ctx),
                "--threads", str(threads), "--max-queue", str(n), "--name", "bench",
            ).wait_ready(), "bench")
            if llama_server is not None:
                servers["llama-server"] = (LlamaServer(
                    llama_server, path, log_dir / f"llama-server-{n}.log", slots=n, n_ctx=n_ctx, threads=threads,
                ).wait_ready(), path.name)
            for server, served in servers.values():
                await _warm_up(server, served)
            for shared in phases:
                measured: dict[str, list[tuple[float, list[float], float, int]]] = {label: [] for label in servers}
                for r in range(rounds):
                    order = list(servers) if r % 2 == 0 else list(reversed(servers))
                    for label in order:
                        server, served = servers[label]
                        system = shared_prompt(shared, count_tokens, f"{label}-{n}-{r}-{time.time_ns()}")
                        measured[label].append(await _round(server, served, n, tokens, system))
                for label, rounds_measured in measured.items():
                    record = _record(label, n, shared, tokens, threads, n_ctx, rounds_measured)
                    records.append(record)
                    print(f"  {label:<12} N={n:<3} shared={shared:<4} {record.tokens_per_s:7.1f} tokens/s  TTFT "
                          f"p50 {record.ttft_p50_ms:7.0f} ms p95 {record.ttft_p95_ms:7.0f} ms  prefill "
                          f"{record.prefill_tokens:7.0f}", file=sys.stderr, flush=True)
        finally:
            for server, _ in servers.values():
                server.stop()
    return records


def _print_tables(records: list[ServeRecord]) -> None:
    first = records[0]
    print(f"\nagentrt bench serve — {first.tokens} new tokens per client (greedy, EOS ignored), {first.threads} "
          f"threads, {first.n_ctx} tokens of context per sequence, {first.rounds} round(s) per figure")
    for shared in sorted({r.shared_prompt_tokens for r in records}):
        title = "distinct prompts" if not shared else f"a shared system prompt of {shared} tokens"
        print(f"\n{title}")
        print(f"{'N':>3} {'agentrt t/s':>11} {'llama t/s':>10} {'ratio':>6} {'per round':>11} "
              f"{'TTFT p50 a/l ms':>17} {'TTFT p95 a/l ms':>17} {'prefill a/l':>13} {'fewer':>6}")
        for n in sorted({r.clients for r in records}):
            a = _find(records, "agentrt", n, shared)
            ref = _find(records, "llama-server", n, shared)
            if a is None:
                continue
            if ref is None:
                print(f"{n:>3} {a.tokens_per_s:11.1f} {'-':>10} {'-':>6} {'-':>11} {a.ttft_p50_ms:8.0f}/{'-':>8} "
                      f"{a.ttft_p95_ms:8.0f}/{'-':>8} {a.prefill_tokens:6.0f}/{'-':>6} {'-':>6}")
                continue
            ratio = a.tokens_per_s / ref.tokens_per_s if ref.tokens_per_s else 0.0
            fewer = ref.prefill_tokens / a.prefill_tokens if a.prefill_tokens else 0.0
            low, high = _round_ratio_range(a, ref)
            print(f"{n:>3} {a.tokens_per_s:11.1f} {ref.tokens_per_s:10.1f} {ratio:5.2f}x {low:5.2f}-{high:.2f}x "
                  f"{a.ttft_p50_ms:8.0f}/{ref.ttft_p50_ms:<8.0f} {a.ttft_p95_ms:8.0f}/{ref.ttft_p95_ms:<8.0f} "
                  f"{a.prefill_tokens:6.0f}/{ref.prefill_tokens:<6.0f} {fewer:5.1f}x")
    _print_goals(records)


def _print_goals(records: list[ServeRecord], n: int = 8) -> None:
    """The issue's goals, at 8 clients: >= 1.1x llama-server's tokens/s; with the shared prompt >= 5x fewer
    prefill tokens and a lower p95 TTFT."""
    a, ref = _find(records, "agentrt", n, 0), _find(records, "llama-server", n, 0)
    if a and ref and ref.tokens_per_s:
        ratio = a.tokens_per_s / ref.tokens_per_s
        print(f"\ngoal at {n} clients: >= 1.1x llama-server's tokens/s: {ratio:.2f}x ({_met(ratio >= 1.1)})")
    shared = max((r.shared_prompt_tokens for r in records), default=0)
    a, ref = _find(records, "agentrt", n, shared), _find(records, "llama-server", n, shared)
    if shared and a and ref and a.prefill_tokens:
        fewer = ref.prefill_tokens / a.prefill_tokens
        print(f"goal at {n} clients with the shared prompt: >= 5x fewer prefill tokens: {fewer:.1f}x "
              f"({_met(fewer >= 5)}); lower p95 TTFT: {a.ttft_p95_ms:.0f} vs {ref.ttft_p95_ms:.0f} ms "
              f"({_met(a.ttft_p95_ms < ref.ttft_p95_ms)})")


def _round_ratio_range(a: ServeRecord, ref: ServeRecord) -> tuple[float, float]:
    """The lowest and highest ratio of one round's pair (agentrt's round r over llama-server's round r, run back
    to back): how far the machine's noise moves the ratio, beside the ratio of the medians."""
    ratios = [x / y for x, y in zip(a.round_tokens_per_s, ref.round_tokens_per_s, strict=False) if y]
    return (min(ratios), max(ratios)) if ratios else (0.0, 0.0)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _find(records: list[ServeRecord], server: str, n: int, shared: int) -> ServeRecord | None:
    return next((r for r in records if r.server == server and r.clients == n and r.shared_prompt_tokens == shared),
                None)


def register(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser("serve", help="agentrt serve vs llama.cpp's llama-server under the same HTTP load")
    p.add_argument("--model", default="gemma3-270m", help="a named model or a .gguf path (default gemma3-270m)")
    p.add_argument("--clients", type=positive_int_list, default="1,4,8,16",
                   help="comma-separated client counts (default 1,4,8,16)")
    p.add_argument("--tokens", type=positive_int, default=128, help="new tokens per request (default 128)")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="compute threads of both")
    p.add_argument("--n-ctx", type=int, default=1024, help="context per sequence / slot (default 1024)")
    p.add_argument("--shared-prompt", type=int, default=500,
                   help="tokens of the shared system prompt of the second phase (0: skip it; default 500)")
    p.add_argument("--rounds", type=positive_int, default=1, help="rounds of N requests per figure (default 1)")
    p.add_argument("--no-llama-server", action="store_true", help="measure agentrt serve alone")
    p.add_argument("--json", type=Path, help="write one JSON record per server, N and phase")
    p.set_defaults(func=_main)


async def _main(args: argparse.Namespace) -> int:
    try:
        import openai  # noqa: F401
    except ImportError:
        raise SystemExit("agentrt bench serve needs the openai SDK: pip install 'agentrt[test]'") from None
    counts = args.clients
    binary = None
    if not args.no_llama_server:
        print("preparing llama.cpp's llama-server (built once: minutes the first time)", file=sys.stderr)
        binary = llama_server_binary()
        if binary is None:
            raise SystemExit("agentrt bench serve: llama-server could not be built (see above); --no-llama-server "
                             "measures agentrt alone")
    with tempfile.TemporaryDirectory(prefix="agentrt-bench-serve-") as logs:
        records = await run_serve_bench(
            args.model, counts, args.tokens, args.threads, args.n_ctx, args.rounds, args.shared_prompt, binary,
            Path(logs),
        )
    _print_tables(records)
    if args.json:
        args.json.write_text("".join(r.model_dump_json() + "\n" for r in records))
        print(f"wrote {args.json}")
    return 0
