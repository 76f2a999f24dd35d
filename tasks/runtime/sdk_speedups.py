"""A CPU fix for the pinned Agents SDK, applied when a worker starts.

At every turn of a streamed run the SDK snapshots which tools each agent used (for
``RunResult.to_state``), and to name the agents in it, it computes a digest of each agent's
whole configuration: instructions, model settings and every tool's JSON schema
(a private function of the SDK, reached through ``tasks.compat``). For the support agent that
is a fifth of a millisecond per turn, a tenth of a busy worker's CPU (``manage.py bench``),
recomputed for an agent that does not change during a run: the worker clones one per run and
never mutates it. So the digest is kept per agent object, and dropped when the agent is
garbage collected.

Applied only to the SDK version it was checked against: under any other version the SDK runs
as shipped (and ``tests/tasks/runtime/test_sdk_speedups.py`` says so)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import agents

from tasks.compat import agent_identity_signature, agent_identity_signature_install

logger = logging.getLogger(__name__)

CHECKED_VERSION = "0.24.0"

_cache: dict[int, str] = {}
_original: Callable[[Any], str] | None = None


def _cached_signature(agent: Any) -> str:
    key = id(agent)
    signature = _cache.get(key)
    if signature is None:
        assert _original is not None
        signature = _cache[key] = _original(agent)
        # The id may be reused once the agent is gone: forget it then.
        weakref.finalize(agent, _cache.pop, key, None)
    return signature


def apply_sdk_speedups() -> bool:
    """Installs the cache (once); False if this SDK version is not the one it was checked
    against."""
    global _original
    if _original is not None:
        return True
    if agents.__version__ != CHECKED_VERSION:
        logger.info(
            "Agents SDK %s (not %s): running without the worker's speedups",
            agents.__version__,
            CHECKED_VERSION,
        )
        return False
    _original = agent_identity_signature()
    agent_identity_signature_install(_cached_signature)
    return True


def remove_sdk_speedups() -> None:
    """Puts the SDK back as shipped (tests)."""
    global _original
    if _original is not None:
        agent_identity_signature_install(_original)
        _original = None
    _cache.clear()
