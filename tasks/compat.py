"""The one place that touches private names of the libraries AgentDesk builds on.

Each name has a test in ``tests/tasks/test_compat.py`` that fails loudly when an upgrade moves
or renames it, so a version range can replace an exact pin with confidence. Everything else
uses public APIs.

* ``agents.models.interface.Model._cleanup_on_run_end``: the hook the SDK's run loop calls on
  a run's model when the run ends; a model wrapper (``tasks.runtime.pacing.PacedModel``) must
  forward it to the model it wraps.
* ``agents._run_state_agent_identity._agent_identity_signature``: the per-turn digest of an
  agent's configuration, cached per agent by ``tasks.runtime.sdk_speedups``.
* ``asgiref.sync.SyncToAsync.threadlocal`` (``main_event_loop``, ``main_event_loop_pid``):
  which event loop runs the sync code of this thread, so live publishing can hand messages to
  it instead of blocking (``tasks.live.publisher``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from agents import _run_state_agent_identity
from agents.models.interface import Model
from asgiref.sync import SyncToAsync

MODEL_RUN_END_HOOK = "_cleanup_on_run_end"
AGENT_IDENTITY_SIGNATURE = "_agent_identity_signature"


class ForwardsRunEnd:
    """Mixin for a model that wraps another (``self.inner``): the SDK's run-end hook reaches
    the wrapped model. List it before ``Model`` among the bases."""

    inner: Any

    async def _cleanup_on_run_end(self, owner: object) -> None:
        await getattr(self.inner, MODEL_RUN_END_HOOK)(owner)


def agent_identity_signature() -> Callable[[Any], str]:
    """The SDK's function computing an agent's identity digest, as installed now."""
    function: Callable[[Any], str] = getattr(_run_state_agent_identity, AGENT_IDENTITY_SIGNATURE)
    return function


def agent_identity_signature_install(function: Callable[[Any], str]) -> None:
    """Makes the SDK compute agents' identity digests with ``function``."""
    setattr(_run_state_agent_identity, AGENT_IDENTITY_SIGNATURE, function)


def event_loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    """The event loop that runs this sync code in a worker thread (asgiref records it), if it
    still runs in this process."""
    local = SyncToAsync.threadlocal
    loop = getattr(local, "main_event_loop", None)
    pid = getattr(local, "main_event_loop_pid", None)
    if loop is not None and pid == os.getpid() and loop.is_running() and not loop.is_closed():
        return loop
    return None


def model_has_run_end_hook() -> bool:
    return callable(getattr(Model, MODEL_RUN_END_HOOK, None))
