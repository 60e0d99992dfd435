"""``--threads``, ``--gpu-layers`` and ``--flash-attn``: the machine settings every command that loads a model takes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from agentrt.engine.config import (
    GPU_LAYERS_ENV,
    THREADS_ENV,
    machine_settings_of,
    parse_flash_attn,
    parse_gpu_layers,
    parse_threads,
)
from agentrt.errors import ConfigError


def _arg_type(parse: Callable[..., Any], flag: str) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text, where=flag)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = flag.lstrip("-")  # argparse names the type in its error message
    return convert


def add_machine_options(parser: argparse.ArgumentParser, *, graph: bool = True) -> None:
    """Adds ``--threads``, ``--gpu-layers`` and ``--flash-attn`` (default None: the graph, then the environment or
    llama.cpp, decide)."""
    from_graph = "the graph's model.{}, else " if graph else ""
    parser.add_argument(
        "--threads", type=_arg_type(parse_threads, "--threads"), default=None, metavar="N|auto",
        help="compute threads: auto follows the free cores at run time, a number fixes it "
        f"(default: {from_graph.format('threads')}${THREADS_ENV}, else auto)",
    )
    parser.add_argument(
        "--gpu-layers", type=_arg_type(parse_gpu_layers, "--gpu-layers"), default=None, metavar="N|auto",
        help=f"layers offloaded to a GPU: -1 all, 0 none, auto all when llama.cpp has a GPU backend "
        f"(default: {from_graph.format('gpu_layers')}${GPU_LAYERS_ENV}, else auto)",
    )
    parser.add_argument(
        "--flash-attn", type=_arg_type(parse_flash_attn, "--flash-attn"), default=None,
        metavar="auto|on|off|measured",
        help="flash attention: auto is llama.cpp's choice; measured times on and off once per model and CPU and "
        "keeps the faster (a reply may then change with the batch) "
        f"(default: {from_graph.format('flash_attn')}auto)",
    )


def machine_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The machine settings given on the command line, for `EngineConfig` / `Engine.start` keyword overrides."""
    return machine_settings_of(args)


def refuse_machine_options(args: argparse.Namespace, option: str) -> None:
    """For ``--ray``: each Ray actor sizes its own engine (threads from its CPUs, every layer on its GPU), so this
    machine's settings would be silently ignored there. Raises `ConfigError` naming the flags given."""
    given = machine_overrides(args)
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ConfigError(f"{option}: {flags} set this machine's engine; each Ray actor sizes its own (drop {flags})")
