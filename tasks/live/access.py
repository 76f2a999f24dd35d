"""Open sockets follow access: a socket closes (4403) within ``LIVE_ACCESS_CHECK_SECONDS`` of
its user logging out (the session is gone), being deactivated, losing staff status, or of its
API token being deleted.

One watcher per event loop checks every open socket of the process together: three queries a
pass whatever the number of sockets (users, sessions, tokens), in the live-updates pool, and
only while sockets are open."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from tasks.live.threads import in_live_thread
from tasks.models import ApiToken

logger = logging.getLogger(__name__)

DB_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


@dataclass(frozen=True)
class Credential:
    """What let a socket in: its user, and the session or API token it came with."""

    user_id: int
    session_key: str | None = None
    token_id: int | None = None


def credentials_revoked(credentials: Collection[Credential]) -> set[Credential]:
    """Which of ``credentials`` no longer grant access (three queries for any number)."""
    if not credentials:
        return set()
    users = set(
        get_user_model()
        .objects.filter(pk__in={c.user_id for c in credentials}, is_active=True, is_staff=True)
        .values_list("pk", flat=True)
    )
    keys = {c.session_key for c in credentials if c.session_key}
    sessions = _live_sessions(keys) if keys else set()
    token_ids = {c.token_id for c in credentials if c.token_id is not None}
    tokens = (
        set(ApiToken.objects.filter(pk__in=token_ids).values_list("pk", flat=True))
        if token_ids
        else set()
    )
    return {
        c
        for c in credentials
        if c.user_id not in users
        or (c.session_key and c.session_key not in sessions)
        or (c.token_id is not None and c.token_id not in tokens)
    }


def _live_sessions(keys: set[str]) -> set[str]:
    if settings.SESSION_ENGINE in DB_SESSION_ENGINES:
        return set(
            Session.objects.filter(
                session_key__in=keys, expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return {key for key in keys if store().exists(key)}


Revoke = Callable[[], Awaitable[None]]


class AccessWatch:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._sockets: dict[object, tuple[Credential, Revoke]] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, socket: object, credential: Credential, revoke: Revoke) -> None:
        self._sockets[socket] = (credential, revoke)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def remove(self, socket: object) -> None:
        self._sockets.pop(socket, None)

    async def check(self) -> int:
        """One pass: closes the sockets whose access was revoked; returns how many."""
        current = dict(self._sockets)
        revoked = await in_live_thread(credentials_revoked)(
            {credential for credential, _ in current.values()}
        )
        closed = 0
        for socket, (credential, revoke) in current.items():
            if credential in revoked and self._sockets.pop(socket, None) is not None:
                closed += 1
                try:
                    await revoke()
                except Exception:
                    logger.warning("Closing a revoked live socket failed", exc_info=True)
        return closed

    async def _watch(self) -> None:
        while self._sockets:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                logger.warning("Checking live sockets' access failed", exc_info=True)


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AccessWatch] = (
    weakref.WeakKeyDictionary()
)


def get_access_watch() -> AccessWatch:
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = AccessWatch(settings.LIVE_ACCESS_CHECK_SECONDS)
    return watch
