"""``manage.py runworker <channels>``: Channels' worker, plus what an agent worker process needs.

Channels creates the consumer of a channel on its first message, so on its own a fresh worker
would do nothing until woken. On ``settings.WORKER_CHANNEL`` this command also:

* sweeps at start and then periodically (tasks queued while no worker listened, tasks of a
  worker that died), without waiting for a message;
* keeps listening through a channel-layer outage (a Redis restart): the error is logged and the
  receive retried with backoff, while the runs in progress go on (the database is the record);
* on SIGTERM or SIGINT (a deploy, ``make scale-stop``) stops its runs and hands their tasks
  back to the queue at once, instead of leaving them to lease expiry.

``tasks`` is listed before ``channels`` in ``INSTALLED_APPS`` so this command takes the place
of Channels' own."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any

from asgiref.sync import sync_to_async
from channels.management.commands.runworker import Command as ChannelsRunworker
from channels.worker import Worker
from django.conf import settings

from tasks.runtime.event_loop import use_worker_event_loop
from tasks.runtime.worker import TaskWorker, get_worker
from tasks.services.task_finish import task_release

logger = logging.getLogger("django.channels.worker")

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0


async def release_runs(worker: TaskWorker) -> list[int]:
    """Stops the worker's runs and puts their tasks back in the queue. Returns their ids."""
    task_ids = sorted(worker.active_task_ids)
    await worker.stop()
    released = []
    for task_id in task_ids:
        if await sync_to_async(task_release)(task_id=task_id, owner=worker.owner):
            released.append(task_id)
    return released


class AgentWorker(Worker):
    """Channels' ``Worker`` that sweeps at start, survives layer outages and shuts down
    cleanly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by SIGTERM/SIGINT (or a test): stop listening, hand the running tasks back.
        self.stopping: asyncio.Event | None = None

    async def handle(self) -> None:
        if settings.WORKER_CHANNEL not in self.channels:
            await super().handle()
            return
        worker = get_worker()
        worker.start_sweeper()
        self.stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.stopping.set)
        listening = asyncio.ensure_future(super().handle())
        stopping = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        stopping.cancel()
        released = await release_runs(worker)
        logger.info("Worker %s stopped; re-queued tasks %s", worker.owner, released)
        if listening.done() and not listening.cancelled() and listening.exception():
            raise listening.exception()

    async def listener(self, channel: str) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                message = await self.channel_layer.receive(channel)
            except Exception as exc:
                # Wake-ups sent meanwhile may be lost: the sweeps find those tasks.
                logger.warning(
                    "Receiving on %s failed (%r); retrying in %.1fs", channel, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            delay = RETRY_FIRST_SECONDS
            if not message.get("type", None):
                logger.warning("Ignoring a message without a type on %s", channel)
                continue
            scope = {"type": "channel", "channel": channel}
            instance_queue = self.get_or_create_application_instance(channel, scope)
            await instance_queue.put(message)


class Command(ChannelsRunworker):
    help = "Runs a Channels worker; on the agent channel, the crash-safe agent task worker."
    worker_class = AgentWorker

    def handle(self, *args: Any, **options: Any) -> None:
        loop = use_worker_event_loop()
        logger.info("Worker event loop: %s", loop)
        super().handle(*args, **options)
