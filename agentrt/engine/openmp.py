"""How llama.cpp's OpenMP compute threads wait at a barrier, set before llama.cpp is loaded.

A decode step is hundreds of barriers. By default libgomp spins 300,000 times before a waiting thread sleeps:
when another process takes one of the cores, the spinning thread burns the time slice its descheduled partner
needs. A short spin (10,000) keeps the barriers cheap on a quiet machine and yields soon when the CPU is shared.
Measured with `agentrt bench contention` (gemma3-270m, 4 sequences, 2 cores, one run; README "Compute threads
on a shared CPU"): with `threads: auto` it was the best row quiet (121.6 vs 118.5 tokens/s), beside a busy core
(64.1 vs 59.9) and with that load coming and going (83.9 vs 79.7). libgomp reads the variable once, when it is
loaded, so it is set before the first ``import llama_cpp``; a value the user set is kept.
"""

from __future__ import annotations

import os

SPIN_ENV = "GOMP_SPINCOUNT"
SHORT_SPIN = "10000"
LIBGOMP_DEFAULT_SPIN = "300000"  # what libgomp spins when neither this nor OMP_WAIT_POLICY is set


# Set beside agentrt's own GOMP_SPINCOUNT (and inherited with it), so that llama.cpp's own programs, run as the
# benchmarks' reference, can be given the environment the user had instead of agentrt's tuning.
DEFAULTED_MARK = "AGENTRT_GOMP_SPINCOUNT_DEFAULTED"


def apply_openmp_defaults() -> None:
    """Set agentrt's short spin unless the environment already says how OpenMP threads should wait."""
    if "OMP_WAIT_POLICY" not in os.environ and SPIN_ENV not in os.environ:
        os.environ[SPIN_ENV] = SHORT_SPIN
        os.environ[DEFAULTED_MARK] = "1"


def llama_cpp_environment() -> dict[str, str]:
    """This process's environment without what `apply_openmp_defaults` added: how llama.cpp's own programs run
    when a user starts them, for the reference figures the benchmarks print."""
    env = dict(os.environ)
    if env.pop(DEFAULTED_MARK, None) is not None:
        env.pop(SPIN_ENV, None)
    return env
