"""Exactly-once claims under contention: four worker processes, 500 tasks queued at once.

Every wake-up goes through Redis, and every worker's sweep (each second) also tries every queued
task, so the same task is tried by several workers at once; the claim (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, then the guarded ``queued -> running`` update) lets exactly one win.
The workers are ``runworker`` with the zero-latency scripted model
(``tasks.benchmarks.scale``)."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from tasks.benchmarks.scale import SERVE_WORKER, completed_count, outcome, queue_tasks, wake
from tasks.events import events_store_many
from tasks.models import Task
from tasks.services.task_lifecycle import claim_write
from tests.integration.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.timeout(240)]

TASKS = 500
SCRIPTED_WORKER = ["manage.py", "bench_scale", SERVE_WORKER, "--turns", "2"]


def test_four_workers_claim_each_of_500_queued_tasks_exactly_once(stack, services):
    # given four scripted workers (a lease long enough that no live worker loses its tasks
    # on this loaded machine: what is tested here is concurrent claiming)
    stack.workers(4, args=SCRIPTED_WORKER, AGENTDESK_LEASE_SECONDS="60")

    # when 500 tasks are queued at once and every one is woken through Redis
    ids = queue_tasks(TASKS, title="Claim test")
    wake(ids, redis_url=services.redis_url)

    # then every task completes, claimed once (one task.started, one attempt), with no gap
    wait_for(lambda: completed_count(ids) == TASKS, timeout=180, interval=0.5, what="500 tasks")
    result = outcome(ids)
    assert (result.completed, result.claimed_not_once, result.seq_gaps) == (TASKS, 0, 0)
    # and the work was shared
    assert result.workers_used == 4


def test_a_claim_skips_a_task_another_transaction_holds_instead_of_waiting(
    services, transactional_db
):
    # given a queued task whose row another worker's transaction has locked
    [task_id] = queue_tasks(1, title="Locked")
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
    ) as other:
        other.execute("SELECT id FROM tasks_task WHERE id = %s FOR UPDATE", [task_id])

        # when a worker tries to claim it
        started = time.monotonic()
        [result] = events_store_many([claim_write(task_id=task_id, owner="w1")])

        # then it gives up at once: not claimed, still queued for whoever holds it
        assert not result.applied
        assert time.monotonic() - started < 1
        assert Task.objects.get(pk=task_id).status == Task.Status.QUEUED
        other.rollback()

    # and once the other transaction ended, the claim succeeds
    [result] = events_store_many([claim_write(task_id=task_id, owner="w1")])
    assert result.applied
    assert Task.objects.get(pk=task_id).lease_owner == "w1"
