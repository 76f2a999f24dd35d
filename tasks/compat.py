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
  it instead of blocking (``tasks.live.publisher``).
* ``django.db.backends.sqlite3.base.DatabaseWrapper._start_transaction_under_autocommit``,
  ``_commit``, ``_rollback``, ``_close``: where a SQLite transaction begins and ends, so the
  process's writers queue on a lock (``QueuedWritersSQLite``, the backend ``config.sqlite``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from agents import _run_state_agent_identity
from agents.models.interface import Model
from asgiref.sync import SyncToAsync
from django.db.backends.sqlite3 import base as sqlite_base

from tasks.runtime.write_queue import write_queue

MODEL_RUN_END_HOOK = "_cleanup_on_run_end"
SQLITE_TRANSACTION_HOOKS = ("_start_transaction_under_autocommit", "_commit", "_rollback", "_close")
AGENT_IDENTITY_SIGNATURE = "_agent_identity_signature"


class ForwardsRunEnd:
    """Mixin for a model that wraps another (``self.inner``): the SDK's run-end hook reaches
    the wrapped model. List it before ``Model`` among the bases."""

    inner: Any

    async def _cleanup_on_run_end(self, owner: object) -> None:
        await getattr(self.inner, MODEL_RUN_END_HOOK)(owner)


class ModelWrapper(ForwardsRunEnd, Model):
    """Base of a model that wraps another (``inner``): what it does not do itself (optional
    capabilities the SDK asks for by name, retry advice, closing, the run-end hook) it hands to
    the model it wraps."""

    inner: Model

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def get_retry_advice(self, request: Any) -> Any:
        return self.inner.get_retry_advice(request)

    async def close(self) -> None:
        await self.inner.close()


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


# --- SQLite: the process's writers queue on a lock -------------------------------------------


class QueuedWritersSQLite(sqlite_base.DatabaseWrapper):
    """SQLite whose writers of one process take turns, people first (see ``config.sqlite``
    and ``tasks.runtime.write_queue``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        self._holds_write_lock = write_queue.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            write_queue.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
