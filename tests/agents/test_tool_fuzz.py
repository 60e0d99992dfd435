"""The tools fuzzer (agentrt/bench/fuzz_tools.py) in CI: a fixed seed, a few hundred hostile inputs, no crash.

`agentrt bench fuzz tools --inputs 10000` runs the same fuzzer longer and prints crashes per 10,000 inputs.
"""

from __future__ import annotations

import pytest

from agents.tools import sandbox_support
from agentrt.bench.fuzz_tools import run


@pytest.mark.skipif(not sandbox_support().available, reason="the python tool needs the sandbox")
@pytest.mark.timeout(600)
async def test_hostile_tool_arguments_never_crash_a_tool() -> None:
    report = await run(inputs=400, seed=20240613)
    assert report.inputs == 400
    assert report.failures == [], report.summary()
