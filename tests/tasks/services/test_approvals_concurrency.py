"""Approvers racing each other: real threads deciding one request at the same moment give one
decision, one resume and one refund.

The threads need a database they can share with real locking. SQLite's shared in-memory test
database answers a concurrent writer with "table is locked" instead of waiting, so on SQLite
the test runs on a file copy of it (WAL, busy timeout and IMMEDIATE transactions, as in
production); on PostgreSQL it runs on the test database as is."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections

from tasks.models import ApprovalRequest, Task, TaskEvent
from tasks.services.approvals import approval_decide
from tests.factories import make_approver
from tests.tasks.approval_helpers import refund_call, refund_turn, world
from tests.tasks.task_helpers import final, run_task
from tools_app.errors import ApplicationError
from tools_app.models import Refund

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 6


def _close_everywhere() -> None:
    # This thread's connections, and those of the thread that runs sync_to_async code.
    connections.close_all()
    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[None]:
    """On SQLite: every connection opened during the test goes to a file copy of the test
    database (the in-memory one is kept alive, untouched, and used again afterwards)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    settings_dict = connection.settings_dict
    memory_name = settings_dict["NAME"]
    keeper = sqlite3.connect(memory_name, uri=True)  # an in-memory database dies with its last link
    copy = sqlite3.connect(tmp_path / "race.sqlite3")
    keeper.backup(copy)
    copy.close()
    # Closing an in-memory connection is a no-op in Django: switch the name first.
    settings_dict["NAME"] = str(tmp_path / "race.sqlite3")
    _close_everywhere()
    try:
        yield
    finally:
        _close_everywhere()
        settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()


def _race(approval_id: int, approvers: list) -> list[object]:
    """Every approver decides at once (a barrier releases them together), each on its own
    thread and database connection. Returns each thread's outcome."""
    barrier = threading.Barrier(len(approvers))
    outcomes: list[object] = [None] * len(approvers)

    def decide(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = approval_decide(
                approval_id=approval_id,
                user=approvers[index],
                approve=index % 2 == 0,
                note=f"decision {index}",
            )
        except ApplicationError as error:
            outcomes[index] = error
        except Exception as error:  # surfaced by the assertion below
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(len(approvers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_approvers_deciding_at_once_make_one_decision_and_one_refund(shared_database):
    # given a task paused on one refund
    w = asyncio.run(world())
    asyncio.run(run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))]))
    approval = ApprovalRequest.objects.get(task=w.task)
    approvers = [w.approver] + [make_approver() for _ in range(RACERS - 1)]

    # when six approvers click at the same moment
    outcomes = _race(approval.pk, approvers)

    # then exactly one decision won; every other click was told it was already decided
    won = [o for o in outcomes if isinstance(o, ApprovalRequest)]
    lost = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert len(won) == 1, outcomes
    assert len(lost) == RACERS - 1, outcomes
    assert all(e.message.startswith("This request was already decided by") for e in lost)
    approval.refresh_from_db()
    assert approval.decided_by == won[0].decided_by and approval.note == won[0].note
    assert TaskEvent.objects.filter(task=w.task, type="approval.decided").count() == 1
    resumes = TaskEvent.objects.filter(
        task=w.task, type="task.status_changed", data__status="queued"
    )
    assert resumes.count() == 1

    # and the resume makes at most one refund
    task = asyncio.run(run_task(w.task, [final("Done.")]))
    assert task.status == Task.Status.COMPLETED
    expected = 1 if approval.status == ApprovalRequest.Status.APPROVED else 0
    assert Refund.objects.count() == expected
