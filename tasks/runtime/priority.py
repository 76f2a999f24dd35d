"""A person first: the worker's background coroutines wait while someone waits for an answer.

A worker runs its task runs and the copilot's answers on one event loop. Turn pacing
(``tasks.runtime.pacing``) stops granting new turns while the copilot answers a person, but
the turns and claims under way, their tool calls and the SDK's own tasks keep the loop (and
the GIL: database threads too) busy, and the person's answer takes its steps in between.

``BackgroundPause`` parks them instead. The worker starts each run's asyncio task in
``pause.context()``; every task started from it inherits that context, and the loop's task
factory (``pause.install``) wraps such a task's coroutine so that, while a pause is on, its
next step does not run: the task waits until the pause ends. Only steps already under way
finish, so the answer gets the CPU nearly as on an idle worker. Nothing waits holding a lock:
transactions run whole in database threads, and their work finishes.

Background work is never starved: ``TurnGate.hold`` ends a hold after ``HOLD_SECONDS`` at
the latest, and pauses together cover at most ``MAX_SHARE`` of any ``WINDOW`` seconds (past
that, a hold still stops new turns, but background steps go on). Leases are renewed every
few seconds, far longer than a pause.

Only public asyncio APIs are used: ``loop.set_task_factory``, the ``collections.abc.Coroutine``
protocol, and a future's ``__await__`` to park a step."""

from __future__ import annotations

import asyncio
import collections
import collections.abc
import contextvars
import time
from collections.abc import Callable, Coroutine, Generator
from typing import Any

MAX_SHARE = 0.75
WINDOW = 1.0

_PAUSE: contextvars.ContextVar[BackgroundPause | None] = contextvars.ContextVar(
    "agentdesk_background_pause", default=None
)


class _Pausable:
    """A coroutine whose next step waits while its pause is on (see the module docstring)."""

    __slots__ = ("_coro", "_pause")

    def __init__(self, coro: Coroutine[Any, Any, Any], pause: BackgroundPause) -> None:
        self._coro = coro
        self._pause = pause

    def send(self, value: Any) -> Any:
        if self._pause.active:
            return self._pause.parked()
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> _Pausable:
        return self

    def __iter__(self) -> _Pausable:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    # What debuggers and ``Task.print_stack`` read.
    @property
    def cr_frame(self) -> Any:
        return getattr(self._coro, "cr_frame", None)

    @property
    def cr_await(self) -> Any:
        return getattr(self._coro, "cr_await", None)

    @property
    def cr_running(self) -> bool:
        return bool(getattr(self._coro, "cr_running", False))

    @property
    def cr_code(self) -> Any:
        return getattr(self._coro, "cr_code", None)

    def __repr__(self) -> str:
        return f"<paused-when-asked {self._coro!r}>"


collections.abc.Coroutine.register(_Pausable)


class BackgroundPause:
    """``clock`` is ``time.monotonic`` unless a test gives its own."""

    def __init__(
        self,
        *,
        max_share: float = MAX_SHARE,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_share, self.window, self._clock = max_share, window, clock
        self.active = False
        self._holds = 0
        self._began = 0.0
        self._spans: collections.deque[tuple[float, float]] = collections.deque()
        self._parked: list[asyncio.Future[None]] = []
        self.pauses = 0  # pauses begun (benchmarks, tests)

    # --- marking and the task factory ---------------------------------------------------------

    def context(self) -> contextvars.Context:
        """A copy of the current context in which tasks are this pause's background work."""
        context = contextvars.copy_context()
        context.run(_PAUSE.set, self)
        return context

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Makes ``loop`` start background tasks pausable (once per loop; an existing task
        factory still makes the tasks)."""
        current = loop.get_task_factory()
        if getattr(current, "agentdesk_pausable", False):
            return

        def factory(
            loop: asyncio.AbstractEventLoop,
            coro: Coroutine[Any, Any, Any],
            **kwargs: Any,
        ) -> asyncio.Future[Any]:
            context = kwargs.get("context")
            pause = context.get(_PAUSE) if context is not None else _PAUSE.get()
            if pause is not None:
                coro = _Pausable(coro, pause)
            if current is not None:
                return current(loop, coro, **kwargs)
            return asyncio.Task(coro, loop=loop, **kwargs)

        factory.agentdesk_pausable = True  # type: ignore[attr-defined]
        loop.set_task_factory(factory)

    # --- holding ------------------------------------------------------------------------------

    def begin(self) -> bool:
        """Pauses background work (nested: until each ``begin`` that returned True has its
        ``end``); False if pauses already took their share of the window."""
        now = self._clock()
        if self._holds == 0 and self._spent(now) >= self.max_share * self.window:
            return False
        if self._holds == 0:
            self._began = now
            self.active = True
            self.pauses += 1
        self._holds += 1
        return True

    def end(self) -> None:
        if self._holds == 0:
            return
        self._holds -= 1
        if self._holds:
            return
        self.active = False
        self._spans.append((self._began, self._clock()))
        parked, self._parked = self._parked, []
        for future in parked:
            if not future.done():
                future.set_result(None)

    def parked(self) -> Any:
        """What a paused step yields to its task: a future of its own (a task cancelled while
        parked cancels only its own), done when the pause ends."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parked.append(future)
        waiting: Generator[Any, None, None] = future.__await__()
        return next(waiting)

    def _spent(self, now: float) -> float:
        start = now - self.window
        while self._spans and self._spans[0][1] <= start:
            self._spans.popleft()
        return sum(end - max(begin, start) for begin, end in self._spans)
