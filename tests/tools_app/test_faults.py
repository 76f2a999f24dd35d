"""The fault-injection hook of the crash tests: off unless ``AGENTDESK_FAULT`` is set; when
set, the process kills itself with SIGKILL at the named point and occurrence."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tools_app.agent_tools import faults
from tools_app.agent_tools.faults import FAULT_ENV, _parse, matches

PROGRAM = """
from tools_app.agent_tools.faults import fault_point
for name in ["tool.before:get_order", "tool.after:get_order", "tool.after:get_order"]:
    fault_point(name)
    print(name, flush=True)
"""


def run(fault: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"} | ({FAULT_ENV: fault} if fault else {})
    return subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=30
    )


def test_without_the_variable_every_point_passes():
    result = run(None)

    assert result.returncode == 0
    assert result.stdout.split("\n")[:3] == [
        "tool.before:get_order",
        "tool.after:get_order",
        "tool.after:get_order",
    ]


def test_the_process_is_killed_at_the_named_occurrence():
    result = run("tool.after:get_order#2")

    assert result.returncode == -signal.SIGKILL
    assert result.stdout.split() == ["tool.before:get_order", "tool.after:get_order"]


def test_a_point_names_its_more_specific_points():
    result = run("tool.before")

    assert result.returncode == -signal.SIGKILL
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("", None), ("tool.before", ("tool.before", 1)), (" tool.after:x # 3 ", ("tool.after:x", 3))],
)
def test_the_setting_is_parsed(raw, parsed):
    assert _parse(raw) == parsed


def test_matching_is_by_whole_name_segments():
    assert matches("tool.after", "tool.after:issue_refund")
    assert matches("tool.after:issue_refund", "tool.after:issue_refund")
    assert not matches("tool.after:issue", "tool.after:issue_refund")


def test_the_hook_is_off_in_the_test_process():
    assert faults._armed is None
