"""Turn pacing: many concurrent runs in one process take the CPU one turn at a time.

A worker runs hundreds of tasks on one event loop. Each agent turn (the SDK resolving the
model's answer, tool calls, our event mapping) is a few milliseconds of CPU cut into many
small steps by its awaits. Without pacing, runs whose model answers arrive together
interleave those steps round-robin: every run's turn then takes as long as all of them
together, they all call the model again at the same moment, and the CPU idles through the
model wait. That lockstep costs a whole round of CPU per turn.

``TurnGate`` admits a few runs at a time to turn processing, first come first served: a run
holds a pass from the model's answer until its next model call (or its end), so turns finish
one after another and each run goes back to waiting on its model as early as it can. A pass
held longer than ``budget`` (a slow tool, a long database wait) stops counting, so slow work
never holds the others back; the gate only orders CPU work, it never bounds it.

``hold`` puts a person first: while someone waits for the copilot's first token, no new pass
is granted, for at most ``HOLD_SECONDS``; with a ``BackgroundPause`` the turns and claims under
way also wait at their next step (``tasks.runtime.priority``).

``PacedModel`` wraps a run's model to take and give back the pass around every model call."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from typing import Any

from agents import Model, ModelResponse
from agents.items import TResponseStreamEvent

from tasks.compat import ModelWrapper
from tasks.runtime.priority import BackgroundPause

COMPLETED = "response.completed"


class TurnPass:
    """One run's admission to turn processing; ``release`` when the turn's work is done."""

    __slots__ = ("_gate", "_handle", "counted")

    def __init__(self, gate: TurnGate) -> None:
        self._gate = gate
        self.counted = True
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(gate.budget, self.expire)

    def release(self) -> None:
        self._handle.cancel()
        self.expire()

    def expire(self) -> None:
        """Stops counting against the gate (the budget timer calls it; idempotent)."""
        if self.counted:
            self.counted = False
            self._gate._leave()


BUDGET_SECONDS = 0.1
HOLD_SECONDS = 0.25


class TurnGate:
    def __init__(
        self, slots: int, budget: float = BUDGET_SECONDS, pause: BackgroundPause | None = None
    ) -> None:
        if slots < 1:
            raise ValueError("a turn gate needs at least one slot")
        self.slots = slots
        self.budget = budget
        self.pause = pause
        self.active = 0
        self.held = 0
        self._waiters: collections.deque[asyncio.Future[TurnPass]] = collections.deque()

    @property
    def waiting(self) -> int:
        return sum(not waiter.done() for waiter in self._waiters)

    def hold(self, limit: float = HOLD_SECONDS) -> Callable[[], None]:
        """Interactive work goes first: no new pass is granted until the returned function is
        called, or ``limit`` seconds have passed (background runs are never starved)."""
        self.held += 1
        released = False
        paused = self.pause.begin() if self.pause is not None else False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            handle.cancel()
            self.held -= 1
            if paused and self.pause is not None:
                self.pause.end()
            self._grant_waiting()

        handle = asyncio.get_running_loop().call_later(limit, release)
        return release

    async def acquire(self) -> TurnPass:
        if self.active < self.slots and not self._waiters and not self.held:
            return self._grant()
        waiter: asyncio.Future[TurnPass] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                waiter.result().release()  # granted, but the run is gone: pass it on
            raise

    def _grant(self) -> TurnPass:
        self.active += 1
        return TurnPass(self)

    def _leave(self) -> None:
        self.active -= 1
        self._grant_waiting()

    def _grant_waiting(self) -> None:
        while not self.held and self.active < self.slots and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(self._grant())


class PacedModel(ModelWrapper):
    """``inner`` with the run's turn pass given back before each model call and taken again
    when the answer is complete. One per run; ``begin`` before the run, ``end`` after it."""

    def __init__(self, inner: Model, gate: TurnGate) -> None:
        self.inner = inner
        self.gate = gate
        self._pass: TurnPass | None = None

    async def begin(self) -> None:
        if self._pass is None:
            self._pass = await self.gate.acquire()

    def end(self) -> None:
        if self._pass is not None:
            self._pass.release()
            self._pass = None

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        self.end()
        response = await self.inner.get_response(*args, **kwargs)
        await self.begin()
        return response

    async def stream_response(
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[TResponseStreamEvent]:
        self.end()
        async for event in self.inner.stream_response(*args, **kwargs):
            if getattr(event, "type", None) == COMPLETED:
                await self.begin()
            yield event
