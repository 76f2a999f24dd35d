"""One test per private library name AgentDesk uses (``tasks.compat``): each fails loudly when
an upgrade of the Agents SDK, asgiref or Django moves or renames it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from agents import Agent, RunConfig, Runner
from agents.testing import ScriptedModel
from asgiref.sync import sync_to_async

from tasks import compat
from tasks.runtime.pacing import PacedModel, TurnGate
from tests.tasks.task_helpers import final

pytestmark = pytest.mark.asyncio

NO_TRACING = RunConfig(tracing_disabled=True)


class RecordingModel(ScriptedModel):
    def __init__(self) -> None:
        super().__init__([final("Done.")])
        self.run_ends: list[object] = []

    async def _cleanup_on_run_end(self, owner: object) -> None:
        self.run_ends.append(owner)


async def test_the_sdk_calls_the_run_end_hook_and_a_wrapper_forwards_it():
    assert compat.model_has_run_end_hook()
    inner = RecordingModel()
    paced = PacedModel(inner, TurnGate(1))
    await paced.begin()

    await Runner.run(Agent(name="probe", model=paced), "hello", run_config=NO_TRACING)

    # the SDK called the hook by its private name, and the wrapper passed it on
    assert len(inner.run_ends) == 1


async def test_the_sdk_computes_agent_digests_through_the_named_function():
    shipped = compat.agent_identity_signature()
    calls: list[Any] = []

    def counting(agent: Any) -> str:
        calls.append(agent)
        return shipped(agent)

    agent = Agent(name="probe", model=ScriptedModel([final("Done.")]))
    compat.agent_identity_signature_install(counting)
    try:
        result = Runner.run_streamed(agent, "hello", run_config=NO_TRACING)
        async for _ in result.stream_events():
            pass
        result.to_state().to_json()
    finally:
        compat.agent_identity_signature_install(shipped)

    assert calls, "the SDK no longer computes agent digests through the patched function"
    assert compat.agent_identity_signature() is shipped
    assert isinstance(shipped(agent), str)


async def test_asgiref_records_the_event_loop_of_a_sync_to_async_thread():
    running = asyncio.get_running_loop()

    found = await sync_to_async(compat.event_loop_of_this_thread)()

    assert found is running
    elsewhere: list[Any] = []
    thread = threading.Thread(target=lambda: elsewhere.append(compat.event_loop_of_this_thread()))
    thread.start()
    thread.join()
    assert elsewhere == [None]


@pytest.mark.parametrize("name", compat.SQLITE_TRANSACTION_HOOKS)
async def test_django_sqlite_still_begins_and_ends_transactions_where_the_queued_writers_hook_in(
    name: str,
) -> None:
    from django.db.backends.sqlite3.base import DatabaseWrapper

    assert callable(getattr(DatabaseWrapper, name, None)), name
    # and the queued backend overrides each of them
    assert name in compat.QueuedWritersSQLite.__dict__
