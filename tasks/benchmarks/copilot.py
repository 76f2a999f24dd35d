"""The harness behind ``manage.py bench_copilot``: how long a staff member waits for the first
streamed token of the copilot's answer, with the worker idle and while it runs many delegated
tasks in the same process and event loop.

A sample is the time from a message's arrival (as on the socket: ``Copilot.expect``, then
``message_post`` from a thread of its own, then the wake-up over the channel layer to the
worker) to the first piece of the answer handed to the conversation's listeners (what the
socket sends on). The chat model answers at once (the offline copilot, no delay); the tasks
run the offline support model with no delay, so they are pure CPU and database load. A feeder
keeps ``load`` tasks running throughout."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.agents.providers.offline_chat.model import OfflineChatModel
from tasks.copilot.runner import Copilot
from tasks.copilot_events import conversation_listener_add, conversation_listener_remove
from tasks.models import Conversation, Task
from tasks.runtime.db_threads import DatabasePool
from tasks.runtime.worker import TaskWorker
from tasks.services.conversations import (
    COPILOT_MESSAGE_TYPE,
    conversation_create,
    message_post,
)

QUESTION = "hello"
post = DatabasePool("bench-web", 1).run


@dataclass
class FirstTokens:
    """Seconds from a message to the first piece of its answer, per phase."""

    idle: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    tasks_run: int = 0
    pauses: int = 0  # times the background runs waited for a person


class FirstDelta:
    """A conversation listener that notes when the next answer's first piece arrives."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def expect(self, conversation_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[conversation_id] = future
        return future

    def messages_changed(self, *, conversation_id: int, message_ids: list[int]) -> None:
        return None

    async def delta(self, *, conversation_id: int, message_id: int, delta: str) -> None:
        future = self.waiting.pop(conversation_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    async def cards_added(self, *, conversation_id: int, task_ids: list[int]) -> None:
        return None

    def unseen_changed(self, *, user_id: int) -> None:
        return None


def _setup() -> Conversation:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-copilot", defaults={"is_staff": True}
    )
    return conversation_create(user=user, title="Benchmark")


def _start_tasks(count: int) -> list[int]:
    tasks = Task.objects.bulk_create(
        Task(
            title="Summarise the backlog", input="Summarise the backlog", model="agentdesk-offline"
        )
        for _ in range(count)
    )
    return [task.pk for task in tasks]


class Feeder:
    """Keeps ``load`` tasks running in ``worker``."""

    def __init__(self, worker: TaskWorker, load: int) -> None:
        self.worker, self.load = worker, load
        self.started = 0
        self._job: asyncio.Task[None] | None = None

    async def _feed(self) -> None:
        while True:
            missing = self.load - len(self.worker.active_task_ids)
            if missing > 0:
                for task_id in await sync_to_async(_start_tasks)(missing):
                    self.worker.wake(task_id)
                self.started += missing
            await asyncio.sleep(0.01)

    async def __aenter__(self) -> Feeder:
        self._job = asyncio.get_running_loop().create_task(self._feed())
        while len(self.worker.active_task_ids) < self.load:  # noqa: ASYNC110 (polling on purpose)
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._job is not None
        self._job.cancel()
        await asyncio.gather(self._job, return_exceptions=True)
        await self.worker.join()


async def _sample(copilot: Copilot, probe: FirstDelta, conversation: Conversation) -> float:
    first = probe.expect(conversation.pk)
    started = time.perf_counter()
    # As the socket posts it: the person goes first from the frame's arrival, and the message
    # is stored from a thread of its own, not the worker's; the wake-up goes over the channel
    # layer to the worker (``_dispatch``).
    release = copilot.expect(conversation.pk)
    try:
        await post(message_post)(conversation=conversation, text=QUESTION)
    except BaseException:
        release()
        raise
    at = await asyncio.wait_for(first, timeout=30)
    await copilot.join()
    return at - started


async def _dispatch(copilot: Copilot) -> None:
    """What the embedded worker does with the copilot's wake-ups (``TaskWorker.dispatch``),
    for this benchmark's copilot."""
    layer = get_channel_layer()
    while True:
        message = await layer.receive(settings.WORKER_CHANNEL)
        if message.get("type") == COPILOT_MESSAGE_TYPE:
            copilot.wake(int(message["conversation_id"]))


async def measure_first_tokens(*, samples: int, load: int, rounds: int = 2) -> FirstTokens:
    """``samples`` messages idle, then ``samples`` with ``load`` tasks running, ``rounds``
    times over (so drift on the machine weighs on both phases alike)."""
    conversation = await sync_to_async(_setup)()
    probe = FirstDelta()
    conversation_listener_add(probe)
    worker = TaskWorker(
        model_factory=lambda: (OfflineSupportModel(delay=0.0), "agentdesk-offline"),
        concurrency=load + 10,
    )
    copilot = Copilot(
        model_factory=lambda: (OfflineChatModel(), "agentdesk-offline-chat"), gate=worker.turns
    )
    result = FirstTokens()
    dispatcher = asyncio.get_running_loop().create_task(_dispatch(copilot))
    try:
        await _sample(copilot, probe, conversation)  # warm-up (imports, first queries)
        for _ in range(rounds):
            for _ in range(samples):
                result.idle.append(await _sample(copilot, probe, conversation))
            async with Feeder(worker, load) as feeder:
                for _ in range(samples):
                    result.loaded.append(await _sample(copilot, probe, conversation))
            result.tasks_run += feeder.started
    finally:
        dispatcher.cancel()
        await asyncio.gather(dispatcher, return_exceptions=True)
        conversation_listener_remove(probe)
    result.pauses = worker.pause.pauses
    return result
