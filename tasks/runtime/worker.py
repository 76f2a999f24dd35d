"""The agent worker: many task runs at once in one process, each claimed exactly once.

A wake-up (``task.run`` on ``settings.WORKER_CHANNEL``) or a sweep schedules a claim; the claim
is a guarded ``UPDATE`` (queued -> running), so duplicated wake-ups and several workers are
harmless. Runs are asyncio tasks limited by ``settings.WORKER_CONCURRENCY``; each renews its
lease while it runs, and they take the CPU a few turns at a time (``tasks.runtime.pacing``).
Sweeps find queued tasks whose wake-up was lost, re-queue tasks whose worker died (expired
lease) and expire approvals nobody decided in time. A claimed task with a
saved run state (paused for approval, now decided) resumes it (``tasks.runtime.resume``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from agents import Agent, Model, ModelSettings, RunConfig
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from config.logs import bind as bind_log_context
from tasks.agents.guardrails import guard_model
from tasks.agents.providers.provider import (
    get_guardrail_model,
    get_task_model,
    task_model_settings,
)
from tasks.agents.support import agent_for_history, build_agent
from tasks.copilot.runner import get_copilot
from tasks.models import ApprovalRequest, Task
from tasks.runtime.errors import describe_run_error
from tasks.runtime.gc_tuning import tune_gc_for_workers
from tasks.runtime.guards import run_disabled_tools
from tasks.runtime.health import worker_beat
from tasks.runtime.metrics import TASK_RUNS
from tasks.runtime.pacing import PacedModel, TurnGate
from tasks.runtime.priority import BackgroundPause
from tasks.runtime.progress import with_posted_messages
from tasks.runtime.resume import ResumeError, resume_state_load
from tasks.runtime.run_locks import RunLocks, run_locks_supported, running_tasks_without_lock
from tasks.runtime.runner import TaskRun, run_config, run_input
from tasks.runtime.sdk_speedups import apply_sdk_speedups
from tasks.runtime.tracing import TracedModel, traces_enabled
from tasks.runtime.writer import get_writer
from tasks.selectors import task_posted_messages
from tasks.services.approvals import approval_expire_due, approval_sweep_stranded
from tasks.services.conversations import COPILOT_MESSAGE_TYPE, conversations_waiting
from tasks.services.task_finish import failed_write
from tasks.services.task_lifecycle import (
    cancel_listener_add,
    claim_write,
    task_for_run,
    task_heartbeat,
    task_queued_ids,
    task_recover_orphans,
    task_recover_stale,
    task_running_leases,
)
from tasks.services.task_start import WAKE_MESSAGE_TYPE
from tools_app.agent_tools.context import SupportContext

logger = logging.getLogger(__name__)

ModelFactory = Callable[[], tuple[Model, str]]
AgentFactory = Callable[[Model], Agent[SupportContext]]


def _set_model_name(task_id: int, name: str) -> None:
    Task.objects.filter(pk=task_id).update(model=name)


class TaskWorker:
    def __init__(
        self,
        *,
        concurrency: int | None = None,
        owner: str | None = None,
        model_factory: ModelFactory | None = None,
        agent_factory: AgentFactory = build_agent,
        sweep_seconds: float | None = None,
        guard_model_factory: Callable[[], Model | None] | None = None,
    ) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.concurrency = concurrency or settings.WORKER_CONCURRENCY
        self.model_factory = model_factory or get_task_model
        # An injected model (tests, the benchmark) runs with default settings.
        self.model_settings_factory: Callable[[], ModelSettings] = (
            ModelSettings if model_factory is not None else task_model_settings
        )
        self.agent_factory = agent_factory
        # An injected task model runs with the rules alone unless a guardrail model is given.
        self.guard_model_factory: Callable[[], Model | None] = guard_model_factory or (
            (lambda: None) if model_factory is not None else get_guardrail_model
        )
        self._config: RunConfig | None = None
        # settings.WORKER_SWEEP_SECONDS (10 s by default; the integration tests use less).
        self.sweep_seconds = sweep_seconds or settings.WORKER_SWEEP_SECONDS
        self._semaphore: asyncio.Semaphore | None = None
        # Runs take the CPU one turn at a time (a few at once), not all in slices together.
        # While a person waits for the copilot, the runs wait at their next step.
        self.pause = BackgroundPause()
        self.turns = TurnGate(settings.WORKER_TURN_SLOTS, pause=self.pause)
        self._jobs: dict[int, asyncio.Task[None]] = {}
        self._missed_wakes: set[int] = set()
        self._stopping = False
        self._runs: dict[int, TaskRun] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._liveness: asyncio.Task[None] | None = None
        # PostgreSQL: one advisory lock per running task (tasks.runtime.run_locks).
        self._locks: RunLocks | None = RunLocks() if run_locks_supported() else None
        self._loop: asyncio.AbstractEventLoop | None = None
        cancel_listener_add(self)

    # --- scheduling ---------------------------------------------------------------------------

    @property
    def active_task_ids(self) -> set[int]:
        return set(self._jobs)

    def wake(self, task_id: int) -> bool:
        """Schedules a claim of ``task_id``. If this worker already has it, the wake is kept and
        the claim made when that job ends (the run may have put the task back in the queue as
        it ended: an approval an autonomy policy decided, a follow-up sent meanwhile)."""
        if task_id in self._jobs:
            self._missed_wakes.add(task_id)
            return False
        self._loop = asyncio.get_running_loop()
        self.pause.install(self._loop)
        job = self._loop.create_task(self._claim_and_run(task_id), context=self.pause.context())
        self._jobs[task_id] = job
        job.add_done_callback(lambda _: self._job_done(task_id))
        return True

    def _job_done(self, task_id: int) -> None:
        self._jobs.pop(task_id, None)
        if task_id in self._missed_wakes:
            self._missed_wakes.discard(task_id)
            if not self._stopping:
                self.wake(task_id)  # a claim of a task no longer queued is a no-op

    def on_cancel_requested(self, task_id: int) -> None:
        """Staff cancelled a task (called from any thread of this process): if this worker
        runs it, it stops after the current turn without waiting for its next write."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._cancel_run, task_id)

    def _cancel_run(self, task_id: int) -> None:
        run = self._runs.get(task_id)
        if run is not None:
            run.request_cancel()

    def dispatch(self, message: dict[str, Any]) -> None:
        """Handles one channel-layer message addressed to the worker: a task to run, or a
        copilot conversation to answer."""
        if message.get("type") == COPILOT_MESSAGE_TYPE:
            try:
                conversation_id = int(message["conversation_id"])
            except (KeyError, TypeError, ValueError):
                logger.warning("Ignoring a malformed copilot message: %r", message)
                return
            get_copilot().wake(conversation_id, interrupt=bool(message.get("interrupt")))
            return
        if message.get("type") != WAKE_MESSAGE_TYPE:
            return
        try:
            self.wake(int(message["task_id"]))
        except (KeyError, TypeError, ValueError):
            logger.warning("Ignoring a malformed worker message: %r", message)

    async def sweep(self) -> int:
        """Re-queues tasks of dead workers and wakes every queued task. Returns how many."""
        await sync_to_async(task_recover_stale)()
        # Expired approvals count as rejections: their tasks are queued to resume.
        await sync_to_async(approval_expire_due)()
        # A task waiting for approval always has a pending request (else: re-queued or failed).
        await sync_to_async(approval_sweep_stranded)()
        ids = await sync_to_async(task_queued_ids)()
        # Copilot messages whose wake-up was lost, or whose worker died mid-answer.
        for conversation_id in await sync_to_async(conversations_waiting)():
            get_copilot().wake(conversation_id)
        return sum(self.wake(task_id) for task_id in ids)

    def start_sweeper(self) -> None:
        """Sweeps now and then every ``sweep_seconds`` (once per worker); on PostgreSQL also
        looks for tasks of dead workers every ``WORKER_LIVENESS_SECONDS``."""
        loop = asyncio.get_running_loop()
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = loop.create_task(self._sweep_forever())
        if self._locks is not None and (self._liveness is None or self._liveness.done()):
            self._liveness = loop.create_task(self._liveness_forever())

    async def recover_orphans(self) -> int:
        """Runs again, at once, the running tasks whose worker died (PostgreSQL)."""
        orphans = await sync_to_async(running_tasks_without_lock)()
        if not orphans:
            return 0
        requeued = await sync_to_async(task_recover_orphans)(orphans=orphans)
        return sum(self.wake(task_id) for task_id in requeued)

    async def recover_local_orphans(self) -> int:
        """Runs again, at once, the running tasks of workers of this machine whose process is
        gone (a server stopped mid-run): they do not wait for their lease to expire. A worker
        is named ``host:pid:suffix``; a live process (or a reused pid) is left to its lease."""
        host = socket.gethostname()
        leases = await sync_to_async(task_running_leases)(owner_prefix=f"{host}:")
        dead = [(task_id, owner) for task_id, owner in leases if not _process_alive(owner)]
        if not dead:
            return 0
        requeued = await sync_to_async(task_recover_orphans)(orphans=dead)
        if requeued:
            logger.info("Tasks of stopped workers run again: %s", requeued)
        return sum(self.wake(task_id) for task_id in requeued)

    async def _liveness_forever(self) -> None:
        while True:
            await asyncio.sleep(settings.WORKER_LIVENESS_SECONDS)
            try:
                await self.recover_orphans()
            except Exception:
                logger.exception("Looking for tasks of dead workers failed")

    async def _sweep_forever(self) -> None:
        try:
            await self.recover_local_orphans()
        except Exception:
            logger.exception("Looking for tasks of stopped workers failed")
        while True:
            try:
                # The worker's database connection lives as long as the process: drop it here
                # if it broke or outlived CONN_MAX_AGE, between queries, never mid-transaction.
                await sync_to_async(close_old_connections)()
                await self.sweep()
                # Alive for the readiness check (/readyz) once a sweep went through.
                await sync_to_async(worker_beat, thread_sensitive=False)(self.owner)
            except Exception:
                logger.exception("Worker sweep failed")
            await asyncio.sleep(self.sweep_seconds)

    async def serve(self, channel_layer: Any, channel: str) -> None:
        """Embedded mode: listen on ``channel`` of ``channel_layer`` and sweep periodically."""
        self.start_sweeper()
        while True:
            message = await channel_layer.receive(channel)
            self.dispatch(message)

    async def join(self) -> None:
        """Waits until every scheduled run has finished (tests, the benchmark)."""
        while self._jobs:
            await asyncio.gather(*list(self._jobs.values()), return_exceptions=True)

    async def stop(self) -> None:
        self._stopping = True
        for background in (self._sweeper, self._liveness):
            if background is not None:
                background.cancel()
        for job in list(self._jobs.values()):
            job.cancel()
        await asyncio.gather(*list(self._jobs.values()), return_exceptions=True)

    # --- one task -----------------------------------------------------------------------------

    def _slots(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    async def _claim_and_run(self, task_id: int) -> None:
        # Claim only once a slot is free: a task waiting here stays queued for other workers.
        async with self._slots():
            # The run lock first: from the claim on, a live worker always holds it.
            if self._locks is not None and not await self._locks.acquire(task_id):
                return
            try:
                await self._claim_and_run_locked(task_id)
            finally:
                if self._locks is not None:
                    await self._locks.release(task_id)

    async def _claim_and_run_locked(self, task_id: int) -> None:
        # Every line logged for this run (this asyncio task and its threads) names the task.
        bind_log_context(task_id=task_id)
        claim = await get_writer().write(claim_write(task_id=task_id, owner=self.owner))
        if not claim.applied:
            return
        try:
            task = claim.task or await sync_to_async(task_for_run)(task_id=task_id)
            if task.ticket is not None:
                bind_log_context(ticket=task.ticket.number)
            await self._run(task)
        except Exception as exc:
            logger.exception("Task %s crashed in the worker", task_id)
            reason = describe_run_error(exc, max_turns=settings.AGENT_MAX_TURNS)
            await get_writer().write(failed_write(task_id=task_id, owner=self.owner, reason=reason))

    async def _run(self, task: Task) -> None:
        model, model_name = self.model_factory()
        if model_name != task.model:
            await sync_to_async(_set_model_name)(task.pk, model_name)
            task.model = model_name
        # The run takes its turns through the worker's turn gate (tasks.runtime.pacing).
        # Each model call is a span of the run's trace (tasks.runtime.tracing).
        traced = TracedModel(model, model_name) if traces_enabled() else model
        paced = PacedModel(traced, self.turns)
        await paced.begin()
        try:
            await self._run_paced(task, model_name, paced, model)
        finally:
            paced.end()

    async def _run_paced(
        self, task: Task, model_name: str, paced: PacedModel, model: Model
    ) -> None:
        agent = self.agent_factory(paced)
        replaying = bool(task.history) or task.attempts > 1  # a first run has posted nothing
        if replaying and not task.run_state and not task.previous_response_id:
            # What the task posted after its history was last saved (a worker died) goes back
            # into the conversation, so a replayed turn does not post it again.
            posted = await sync_to_async(task_posted_messages)(
                task_id=task.pk, run_number=task.run_number
            )
            if posted:
                task.history = with_posted_messages(task, posted)
        input, previous_response_id = run_input(task, model)
        resume_state = None
        decided: list[ApprovalRequest] = []
        if task.run_state:
            # Paused for approval and now decided: continue the saved run, not a new one.
            try:
                resume_state = await resume_state_load(task, agent, decided=decided)
            except ResumeError as exc:
                logger.warning("Task %s cannot resume: %s", task.pk, exc)
                await get_writer().write(
                    failed_write(task_id=task.pk, owner=self.owner, reason=exc.reason)
                )
                return
        guard = self.guard_model_factory()
        guard_model.set(guard)  # the output guardrail's model for this run's replies
        disabled_tools = await run_disabled_tools(task, guard)
        if resume_state is None and isinstance(input, list):
            # A replay after a worker died goes on with the specialist that had the case.
            starting = agent_for_history(agent, input)
        else:
            starting = agent
        run = TaskRun(
            task,
            owner=self.owner,
            agent=starting,
            main_agent=agent.name,
            model_name=model_name,
            input=resume_state if resume_state is not None else input,
            previous_response_id=previous_response_id,
            config=self._run_config(),
            on_turns_done=paced.end,
            approval_waits=decided,
            disabled_tools=disabled_tools,
        )
        self._runs[task.pk] = run
        heartbeat = asyncio.get_running_loop().create_task(self._heartbeat(run))
        try:
            TASK_RUNS.labels(await run.execute()).inc()
            if run.requeued:
                self._missed_wakes.add(task.pk)  # claimed again as this job ends
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            self._runs.pop(task.pk, None)

    def _run_config(self) -> RunConfig:
        if self._config is None:
            self._config = run_config(self.model_settings_factory())
        return self._config

    async def _heartbeat(self, run: TaskRun) -> None:
        interval = max(1.0, settings.TASK_LEASE_SECONDS / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                owned, cancel = await sync_to_async(task_heartbeat)(
                    task_id=run.task.pk, owner=self.owner
                )
            except Exception:
                logger.warning("Heartbeat of task %s failed", run.task.pk, exc_info=True)
                continue
            if cancel or not owned:
                run.request_cancel()


def _process_alive(owner: str) -> bool:
    """Whether the process named in a lease owner (``host:pid:suffix``) runs on this host."""
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True  # not ours to judge: its lease decides
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_worker: TaskWorker | None = None


def get_worker() -> TaskWorker:
    """The process's worker (one per process, shared by the consumer and embedded mode)."""
    global _worker
    if _worker is None:
        # Many concurrent runs make the cyclic GC walk a large heap: see gc_tuning.
        tune_gc_for_workers()
        apply_sdk_speedups()
        _worker = TaskWorker()
        # A person waiting for the copilot goes before this worker's runs.
        get_copilot().gate = _worker.turns
    return _worker
