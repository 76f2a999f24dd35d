"""Background services of a web process, started once on its first request.

* Embedded mode (``settings.EMBEDDED_WORKER``, the default without Redis): the worker runs in
  the web process's event loop, listening on the in-memory channel layer (which cannot reach
  other processes) and sweeping for queued tasks.
* Scale-out: web processes re-send wake-ups for tasks left queued too long (a wake-up lost
  while no worker was listening), so a task is never stuck.

They start with the server: ``python -m config.serve`` (daphne, as `make run` and the Procfile
run it) starts them as its event loop starts, and servers that send ASGI lifespan events start
them on ``lifespan.startup``. Under plain ``daphne`` (no lifespan events) they start on the
first HTTP or websocket connection. At start the worker runs again, at once, the tasks a
stopped server of this machine left running (``TaskWorker.recover_local_orphans``)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from tasks.services.task_lifecycle import task_queued_stale_ids, task_recover_stale
from tasks.services.task_start import WAKE_MESSAGE_TYPE

logger = logging.getLogger(__name__)

REWAKE_SECONDS = 15.0

_started = False
_background: set[asyncio.Task[None]] = set()


async def _rewake_forever() -> None:
    layer = get_channel_layer()
    while True:
        await asyncio.sleep(REWAKE_SECONDS)
        try:
            await sync_to_async(task_recover_stale)()
            for task_id in await sync_to_async(task_queued_stale_ids)(
                older_than_seconds=REWAKE_SECONDS
            ):
                await layer.send(
                    settings.WORKER_CHANNEL, {"type": WAKE_MESSAGE_TYPE, "task_id": task_id}
                )
        except Exception:
            logger.warning("Re-waking queued tasks failed", exc_info=True)


def start_background_services() -> None:
    """Starts the process's background services once (call from inside the event loop)."""
    global _started
    if _started:
        return
    _started = True
    loop = asyncio.get_running_loop()
    if settings.EMBEDDED_WORKER:
        from tasks.runtime.worker import get_worker

        layer = get_channel_layer()
        coro = get_worker().serve(layer, settings.WORKER_CHANNEL)
        logger.info("Embedded agent worker started on channel %s", settings.WORKER_CHANNEL)
    else:
        coro = _rewake_forever()
    # A fresh context: the request that happens to start us must not lend the worker its
    # thread-sensitive executor (it is shut down when that request ends).
    job = loop.create_task(coro, context=contextvars.Context())
    _background.add(job)
    job.add_done_callback(_background.discard)


class BackgroundServicesMiddleware:
    """ASGI wrapper that starts the background services on the first connection."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] in ("http", "websocket"):
            start_background_services()
        return await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                start_background_services()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
