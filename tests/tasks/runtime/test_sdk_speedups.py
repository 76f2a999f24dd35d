"""The worker's cache of the SDK's per-turn agent digest: the same digest the SDK computes,
computed once per agent, forgotten with the agent, and only for the SDK version it was checked
against."""

from __future__ import annotations

import gc

import agents
import pytest
from agents import _run_state_agent_identity as identity

from tasks.agents.support import build_agent
from tasks.runtime import sdk_speedups


@pytest.fixture(autouse=True)
def _sdk_as_shipped_afterwards():
    """Each test may install the cache; none leaves the SDK patched."""
    yield
    sdk_speedups.remove_sdk_speedups()
    assert identity._agent_identity_signature is SHIPPED


SHIPPED = identity._agent_identity_signature


def test_the_digest_is_the_sdks_own_and_computed_once_per_agent():
    assert sdk_speedups.apply_sdk_speedups()
    calls: list[int] = []
    original = sdk_speedups._original
    assert original is not None

    def counting(agent):
        calls.append(id(agent))
        return original(agent)

    sdk_speedups._original = counting
    try:
        agent, other = build_agent("gpt-5-mini"), build_agent("gpt-5")
        first = identity._agent_identity_signature(agent)
        again = identity._agent_identity_signature(agent)
        theirs = identity._agent_identity_signature(other)
    finally:
        sdk_speedups._original = original

    assert first == again == original(agent)
    assert theirs == original(other) and theirs != first
    assert calls == [id(agent), id(other)]


def test_a_collected_agent_is_forgotten():
    assert sdk_speedups.apply_sdk_speedups()
    agent = build_agent("gpt-5-mini")
    identity._agent_identity_signature(agent)
    key = id(agent)
    assert key in sdk_speedups._cache

    del agent
    gc.collect()

    assert key not in sdk_speedups._cache


def test_another_sdk_version_runs_as_shipped(monkeypatch):
    shipped = sdk_speedups._original or identity._agent_identity_signature
    monkeypatch.setattr(sdk_speedups, "_original", None)
    monkeypatch.setattr(identity, "_agent_identity_signature", shipped)
    monkeypatch.setattr(agents, "__version__", "9.9.9")

    assert sdk_speedups.apply_sdk_speedups() is False
    assert identity._agent_identity_signature is shipped
