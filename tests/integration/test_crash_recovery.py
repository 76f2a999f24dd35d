"""Workers killed with SIGKILL at the worst moments of a run, with another worker alive: every
task still ends as it should, no refund is made twice, no approved refund is lost, no event
sequence has a gap.

A worker dies at a named point through the fault hook (``AGENTDESK_FAULT``, read by
``tools_app.agent_tools.faults``) or at random moments from the test. Leases are 5 s and sweeps 1 s
(``conftest.PROCESS_ENV``), so the survivor finds a dead worker's task within seconds: it
resumes it from its saved history, or from its saved run state when it had paused for
approval."""

from __future__ import annotations

import random
import signal
import time

import pytest

from tasks.demo.data import SCENARIO_TICKETS
from tasks.models import ApprovalRequest, Task, TaskEvent
from tasks.services.task_lifecycle import WORKER_STOPPED
from tests.integration.checks import (
    assert_approved_refunds_made,
    assert_no_seq_gap,
    assert_refunds_once,
    event_types,
    pending_approval,
    task_now,
    wait_status,
)
from tests.integration.clients import AdminClient, ApiClient
from tests.integration.processes import Process, Stack, wait_for
from tools_app.models import Refund

pytestmark = [pytest.mark.services, pytest.mark.timeout(240)]

DUPLICATE_CHARGE = SCENARIO_TICKETS["duplicate_charge"]
KILLED = -signal.SIGKILL


def claimed_by(task_id: int, worker: Process) -> bool:
    """Whether ``worker`` holds the task's lease (owners are ``host:pid:random``)."""
    return f":{worker.pid}:" in task_now(task_id).lease_owner


def workers_that_started(task_id: int) -> list[str]:
    return [
        event.data.get("worker", "")
        for event in TaskEvent.objects.filter(task_id=task_id, type="task.started").order_by("seq")
    ]


def assert_record_intact(task_id: int) -> None:
    assert_no_seq_gap(task_id)
    assert_refunds_once()
    assert_approved_refunds_made()


def start_doomed(stack: Stack, demo, fault: str) -> tuple[ApiClient, AdminClient, Process, int]:
    """A web process and a worker that dies at ``fault``; the duplicate-charge investigation
    started and claimed by that worker (the only one listening)."""
    web = stack.web()
    doomed = stack.worker(AGENTDESK_FAULT=fault)
    api = ApiClient(web.base_url, demo.support)
    admin = AdminClient(web.base_url, demo.approver)
    task_id = api.start_ticket_task(DUPLICATE_CHARGE)["id"]
    return api, admin, doomed, task_id


def approve_and_finish(admin: AdminClient, task_id: int) -> Task:
    approval = pending_approval(task_id)
    admin.decide(approval.pk, approve=True)
    return wait_status(task_id, Task.Status.COMPLETED)


@pytest.mark.parametrize(
    ("fault", "repeated_after_recovery"),
    [
        # before the first tool: nothing was saved, the survivor starts the run afresh
        ("tool.before", None),
        # mid-plan, in the second turn: the first turn's results were saved and are not redone
        ("tool.after:set_todo_status#2", "lookup_customer"),
    ],
    ids=["before-first-tool", "mid-plan"],
)
def test_a_worker_killed_mid_run_loses_nothing(stack, demo, fault, repeated_after_recovery):
    # given the only worker claims the investigation and dies at the fault point
    _, admin, doomed, task_id = start_doomed(stack, demo, fault)
    wait_for(lambda: claimed_by(task_id, doomed) or not doomed.alive(), timeout=30, what="claim")
    # and a second worker is running
    survivor = stack.worker()

    # when the first one is killed
    assert doomed.wait_exit(30) == KILLED

    # then the survivor finds the task (expired lease) and runs it to the approval
    approval = pending_approval(task_id, timeout=60)
    assert f":{survivor.pid}:" in workers_that_started(task_id)[-1]
    # and once approved the run completes with one refund
    task = approve_and_finish(admin, task_id)
    assert Refund.objects.filter(task_id=task_id).count() == 1
    assert Refund.objects.get(task_id=task_id).idempotency_key == f"approval-{approval.pk}"
    # and the to-do plan was not doubled by the repeated call
    assert task.todos.count() == len(set(task.todos.values_list("text", flat=True)))
    if repeated_after_recovery:
        # the tool calls whose results were saved before the kill were not made again
        calls = TaskEvent.objects.filter(
            task_id=task_id, type="tool.called", data__name=repeated_after_recovery
        )
        assert calls.count() == 1
    assert_record_intact(task_id)


def test_a_worker_killed_while_its_task_awaits_approval_loses_nothing(stack, demo):
    # given a run paused for approval by a worker that is then killed
    web = stack.web()
    doomed = stack.worker()
    api = ApiClient(web.base_url, demo.support)
    task_id = api.start_ticket_task(DUPLICATE_CHARGE)["id"]
    approval = pending_approval(task_id)
    doomed.kill9()
    survivor = stack.worker()

    # when the approver approves
    AdminClient(web.base_url, demo.approver).decide(approval.pk, approve=True)

    # then the survivor resumes the saved run: completed, the approved refund made once
    task = wait_status(task_id, Task.Status.COMPLETED)
    assert f":{survivor.pid}:" in workers_that_started(task_id)[-1]
    assert Refund.objects.filter(task_id=task_id).count() == 1
    assert task.error == ""
    assert_record_intact(task_id)


def test_a_worker_killed_right_after_a_refund_executes_does_not_refund_twice(stack, demo):
    # given a worker that dies right after the refund is committed, before its result is
    # stored anywhere (no tool.returned, no history, the run state still the paused one)
    _, admin, doomed, task_id = start_doomed(stack, demo, "tool.after:issue_refund")
    approval = pending_approval(task_id)
    admin.decide(approval.pk, approve=True)
    assert doomed.wait_exit(60) == KILLED
    assert Refund.objects.filter(task_id=task_id).count() == 1
    assert task_now(task_id).status == Task.Status.RUNNING
    assert "tool.returned" not in event_types(task_id)[-3:]

    # when a second worker finds the task (expired lease) and resumes the saved run again
    survivor = stack.worker()
    task = wait_status(task_id, Task.Status.COMPLETED)

    # then the repeated refund call returned the refund already made: one refund, paid once
    assert f":{survivor.pid}:" in workers_that_started(task_id)[-1]
    assert Refund.objects.filter(task_id=task_id).count() == 1
    returned = TaskEvent.objects.filter(
        task_id=task_id, type="tool.returned", data__name="issue_refund"
    )
    assert returned.count() == 1
    assert task.final_output
    assert_record_intact(task_id)


KILLS = 6
RANDOM_TICKETS = [
    "duplicate_charge",
    "refund_in_window",
    "refund_outside_window",
    "late_shipment",
    "damaged_item",
    "account_access",
    "bug_report",
    "invoice_request",
]


def test_workers_killed_at_random_moments_lose_nothing(stack, demo):
    seed = int(time.time())
    rng = random.Random(seed)
    # given three workers on runs slowed down enough to be killed mid-way, and many attempts
    slow = {"AGENTDESK_OFFLINE_DELAY": "0.3", "AGENTDESK_MAX_ATTEMPTS": "50"}
    stack.env.update(slow)
    web = stack.web()
    workers = stack.workers(3)
    api = ApiClient(web.base_url, demo.support)
    admin = AdminClient(web.base_url, demo.approver)
    task_ids = [api.start_ticket_task(SCENARIO_TICKETS[key])["id"] for key in RANDOM_TICKETS]

    # when workers are killed at random moments (and replaced), while approvers approve
    kills = 0
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        tasks = Task.objects.filter(pk__in=task_ids)
        if all(task.status == Task.Status.COMPLETED for task in tasks):
            break
        for approval in ApprovalRequest.objects.filter(
            task_id__in=task_ids, status=ApprovalRequest.Status.PENDING
        ):
            admin.decide(approval.pk, approve=True)
        running = tasks.filter(status=Task.Status.RUNNING).exists()
        if kills < KILLS and running:
            alive = [worker for worker in workers if worker.alive()]
            # mostly a worker in the middle of a run; now and then any of them
            busy = [w for w in alive if any(claimed_by(t, w) for t in task_ids)]
            victim = rng.choice(busy if busy and rng.random() < 0.8 else alive)
            victim.kill9()
            kills += 1
            workers = [*alive, stack.worker(ready=False)]
            workers.remove(victim)
        time.sleep(rng.uniform(0.3, 1.0))

    # then every task completed, no refund twice, none lost, no gap in any event sequence
    statuses = {task.pk: (task.status, task.error) for task in Task.objects.filter(pk__in=task_ids)}
    assert all(status == Task.Status.COMPLETED for status, _ in statuses.values()), (seed, statuses)
    assert kills >= KILLS // 2, seed
    recovered = TaskEvent.objects.filter(
        task_id__in=task_ids, type="task.status_changed", data__reason=WORKER_STOPPED
    )
    assert recovered.exists(), f"no run was interrupted (seed {seed})"
    for task_id in task_ids:
        assert_no_seq_gap(task_id)
    assert_refunds_once()
    assert_approved_refunds_made()


def test_a_killed_workers_task_runs_again_within_seconds_long_before_its_lease(stack, demo):
    # given a long lease (60 s) and a run slow enough (5 s a turn) to be mid-run whenever it
    # is killed, claimed by one worker, with a second one alive
    web = stack.web()
    doomed = stack.worker(AGENTDESK_LEASE_SECONDS="60", AGENTDESK_OFFLINE_DELAY="5")
    task_id = ApiClient(web.base_url, demo.support).start_ticket_task(DUPLICATE_CHARGE)["id"]
    wait_for(lambda: claimed_by(task_id, doomed), timeout=30, what="claim")
    survivor = stack.worker(AGENTDESK_LEASE_SECONDS="60")
    assert task_now(task_id).status == Task.Status.RUNNING

    # when the worker is killed mid-run
    doomed.kill9()
    killed = time.monotonic()

    # then its run lock went with its connection: the survivor runs the task within 5 s
    wait_for(
        lambda: f":{survivor.pid}:" in workers_that_started(task_id)[-1],
        timeout=5,
        interval=0.1,
        what="the task running again",
    )
    assert time.monotonic() - killed < 5
    assert WORKER_STOPPED in [
        e.data.get("reason") for e in TaskEvent.objects.filter(task_id=task_id)
    ]
