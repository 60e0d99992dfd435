"""The demo's and two_questions' answer check: the expected number standing alone, not inside another one."""

from __future__ import annotations

import pytest

from agentrt.demo.measure import states_number


@pytest.mark.parametrize("text", ["12", "6 + 6 = 12.", "we get 12, so", "The answer is: 12"])
def test_a_stated_number_counts(text: str) -> None:
    assert states_number(text, "12")


@pytest.mark.parametrize("text", ["112", "12.5", "1,212", "6 + 6 = 13", "twelve"])
def test_a_number_inside_another_does_not(text: str) -> None:
    assert not states_number(text, "12")
