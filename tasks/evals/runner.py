"""Runs scenarios through the real worker and grades each trial by its end state.

A trial: empty the database, build the scenario's world, start an investigation of its
ticket as a staff member, run it on a worker (the configured model: the offline one without
a key), and while it waits for approval, decide as the scenario's approver says (approve,
reject with its note, or never) and run the resumed run. Then read the end state and grade.

pass^k (τ-bench): the chance that k trials of a scenario all pass, estimated from its n
trials with c passes as C(c, k) / C(n, k), averaged over scenarios."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from math import comb
from typing import Any

from agents import Model
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from tasks.evals.grading import Check, end_state, grade
from tasks.evals.judge import judge_reply
from tasks.evals.scenarios import Scenario
from tasks.evals.world import World, world_build, world_reset
from tasks.models import ApprovalRequest, Task, TicketMessage
from tasks.runtime.worker import TaskWorker
from tasks.services.approvals import approval_decide
from tasks.services.task_start import task_start_for_ticket

MAX_RESUMES = 4


@dataclass
class TrialResult:
    scenario: Scenario
    trial: int
    passed: bool
    checks: list[Check]
    state: dict[str, Any]
    model: str
    cost: Decimal
    input_tokens: int
    output_tokens: int
    latency_ms: float
    error: str = ""
    judge_score: int | None = None
    judge_notes: str = ""

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


@dataclass
class SuiteResult:
    k: int
    model: str
    trials: list[TrialResult] = field(default_factory=list)
    judge_model: str = ""

    def by_scenario(self) -> dict[str, list[TrialResult]]:
        grouped: dict[str, list[TrialResult]] = {}
        for trial in self.trials:
            grouped.setdefault(trial.scenario.name, []).append(trial)
        return grouped

    @property
    def pass_rate(self) -> float:
        return sum(t.passed for t in self.trials) / len(self.trials) if self.trials else 0.0

    def pass_hat(self, k: int) -> float:
        """pass^k averaged over scenarios (scenarios with fewer than k trials are left out)."""
        values = []
        for trials in self.by_scenario().values():
            n, c = len(trials), sum(t.passed for t in trials)
            if n >= k:
                values.append(comb(c, k) / comb(n, k))
        return sum(values) / len(values) if values else 0.0

    @property
    def cost(self) -> Decimal:
        return sum((t.cost for t in self.trials), Decimal("0"))

    @property
    def mean_latency_ms(self) -> float:
        return sum(t.latency_ms for t in self.trials) / len(self.trials) if self.trials else 0.0


def _start(world: World) -> Task:
    task, _ = task_start_for_ticket(ticket=world.ticket, user=world.staff)
    return task


def _decide_pending(world: World, task_id: int) -> int:
    scenario = world.scenario
    decided = 0
    for approval in ApprovalRequest.objects.filter(
        task_id=task_id, status=ApprovalRequest.Status.PENDING
    ):
        approval_decide(
            approval_id=approval.pk,
            user=world.approver,
            approve=scenario.approver == "approve",
            note=scenario.approver_note,
        )
        decided += 1
    return decided


def _grade(world: World, task_id: int) -> tuple[Task, dict[str, Any], list[Check]]:
    task = Task.objects.get(pk=task_id)
    state = end_state(world, task)
    return task, state, grade(world, state)


async def run_trial(
    scenario: Scenario,
    trial: int,
    model_factory: Callable[[], tuple[Model, str]],
    *,
    judge: bool = False,
) -> TrialResult:
    layer = get_channel_layer()
    if layer is not None and hasattr(layer, "flush"):
        await layer.flush()  # wake-ups nobody listens to (the trial runs its own worker)
    await sync_to_async(world_reset)()
    world = await sync_to_async(world_build)(scenario)
    task = await sync_to_async(_start)(world)
    worker = TaskWorker(model_factory=model_factory, concurrency=1)
    spent = 0.0
    for _ in range(MAX_RESUMES):
        started = time.perf_counter()
        worker.wake(task.pk)
        await worker.join()
        spent += time.perf_counter() - started
        status = await Task.objects.filter(pk=task.pk).values_list("status", flat=True).aget()
        if status != Task.Status.AWAITING_APPROVAL or scenario.approver == "none":
            break
        if not await sync_to_async(_decide_pending)(world, task.pk):
            break
    task, state, checks = await sync_to_async(_grade)(world, task.pk)
    judgement = None
    if judge:
        thread = await sync_to_async(_thread_text)(world)
        judgement = await judge_reply(ticket=thread, reply="\n\n".join(state["replies"]))
    return TrialResult(
        scenario=scenario,
        trial=trial,
        passed=all(c.ok for c in checks),
        checks=checks,
        state=state,
        model=task.model,
        cost=task.cost,
        input_tokens=task.input_tokens,
        output_tokens=task.output_tokens,
        latency_ms=round(spent * 1000, 1),
        error=task.error,
        judge_score=judgement.score if judgement else None,
        judge_notes=judgement.notes if judgement else "",
    )


def _thread_text(world: World) -> str:
    """What the customer wrote (the judge reads the reply against it)."""
    return "\n\n".join(
        TicketMessage.objects.filter(
            ticket=world.ticket, author_kind=TicketMessage.AuthorKind.CUSTOMER
        ).values_list("body", flat=True)
    )


async def run_suite(
    scenarios: Sequence[Scenario],
    *,
    k: int,
    model_factory: Callable[[], tuple[Model, str]],
    on_trial: Callable[[TrialResult], None] | None = None,
    judge: bool = False,
) -> SuiteResult:
    result = SuiteResult(k=k, model="", judge_model=settings.JUDGE_MODEL if judge else "")
    for scenario in scenarios:
        for trial in range(1, k + 1):
            outcome = await run_trial(scenario, trial, model_factory, judge=judge)
            result.model = result.model or outcome.model
            result.trials.append(outcome)
            if on_trial is not None:
                on_trial(outcome)
    return result
