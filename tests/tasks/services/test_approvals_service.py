"""Deciding approval requests: who may, single use, the audit record, the resume hand-off and
expiry."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from tasks.management.commands.expire_approvals import EXPIRED_SUMMARY
from tasks.models import ApprovalRequest, Task, TaskEvent
from tasks.services.approval_actions import Action, PreparedAction
from tasks.services.approvals import (
    APPROVAL_FORBIDDEN,
    APPROVAL_NOT_FOUND,
    APPROVAL_NOTE_TOO_LONG,
    EXPIRED_MESSAGE,
    EXPIRED_NOTE,
    RESUME_REASON,
    approval_already_decided_message,
    approval_decide,
    approval_expire_due,
    approval_rejection_message,
    user_can_decide,
)
from tasks.services.task_finish import ApprovalSpec, task_finish_awaiting_approval
from tasks.services.task_lifecycle import task_cancel
from tests.factories import (
    make_approval,
    make_approver,
    make_customer,
    make_task,
    make_ticket,
    make_user,
)
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def task() -> Task:
    ticket = make_ticket(customer=make_customer(name="Jane Doe"))
    return make_task(ticket=ticket, status=Task.Status.AWAITING_APPROVAL, run_state="{}")


def _events(task: Task) -> list[tuple[str, dict]]:
    return [(e.type, e.data) for e in TaskEvent.objects.filter(task=task).order_by("seq")]


def test_an_approver_decides_and_the_decision_is_recorded(task, approver):
    # given a pending request
    approval = make_approval(task=task)

    # when the approver approves it with a note
    decided = approval_decide(
        approval_id=approval.pk, user=approver, approve=True, note="  Duplicate confirmed  "
    )

    # then who, when and the note are recorded, and the task goes back to the queue
    assert decided.status == ApprovalRequest.Status.APPROVED
    assert decided.decided_by == approver
    assert decided.decided_at is not None
    assert abs(timezone.now() - decided.decided_at) < timedelta(seconds=5)
    assert decided.note == "Duplicate confirmed"
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED
    types = [t for t, _ in _events(task)]
    assert types == ["approval.decided", "task.status_changed"]
    decided_event = _events(task)[0][1]
    assert decided_event["approval_id"] == approval.pk
    assert decided_event["status"] == "approved"
    assert decided_event["decided_by"] == approver.username
    assert decided_event["note"] == "Duplicate confirmed"
    assert _events(task)[1][1] == {"status": "queued", "reason": RESUME_REASON}


def test_a_rejection_keeps_the_note_for_the_agent(task, approver):
    approval = make_approval(task=task)

    decided = approval_decide(
        approval_id=approval.pk, user=approver, approve=False, note="Not a duplicate"
    )

    assert decided.status == ApprovalRequest.Status.REJECTED
    assert approval_rejection_message(decided) == (
        f"Refund rejected by {approver.username}: Not a duplicate"
    )
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED


def test_the_task_waits_until_every_request_is_decided(task, approver):
    # given two refunds paused in one turn
    first, second = make_approval(task=task), make_approval(task=task)

    # when only one is decided
    approval_decide(approval_id=first.pk, user=approver, approve=True)

    # then the task still waits; the second decision queues it
    task.refresh_from_db()
    assert task.status == Task.Status.AWAITING_APPROVAL
    approval_decide(approval_id=second.pk, user=approver, approve=False)
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED
    assert [t for t, _ in _events(task)] == [
        "approval.decided",
        "approval.decided",
        "task.status_changed",
    ]


def test_deciding_twice_is_refused_with_who_decided_and_changes_nothing(task, approver):
    # given a request the approver already approved
    approval = make_approval(task=task)
    first = approval_decide(approval_id=approval.pk, user=approver, approve=True, note="ok")
    other = make_user(username="second-approver", is_superuser=True)

    # when someone tries to reject it afterwards
    with pytest.raises(ApplicationError) as error:
        approval_decide(approval_id=approval.pk, user=other, approve=False, note="no")

    # then a clear message names the first decision, and nothing changed
    assert error.value.message == approval_already_decided_message(first)
    assert error.value.message.startswith(
        f"This request was already decided by {approver.username} at "
    )
    assert "(approved)" in error.value.message
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, approval.note) == ("approved", approver, "ok")
    assert [t for t, _ in _events(task)].count("approval.decided") == 1


@pytest.mark.parametrize("kind", ["plain staff", "anonymous", "no user", "inactive approver"])
def test_only_approvers_may_decide(task, kind):
    approval = make_approval(task=task)
    user = {
        "plain staff": lambda: make_user(),
        "anonymous": AnonymousUser,
        "no user": lambda: None,
        "inactive approver": lambda: make_approver(is_active=False),
    }[kind]()

    with pytest.raises(ApplicationError) as error:
        approval_decide(approval_id=approval.pk, user=user, approve=True)

    assert error.value.message == APPROVAL_FORBIDDEN
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.PENDING
    assert not TaskEvent.objects.filter(task=task).exists()


def test_a_superuser_may_decide(task):
    approval = make_approval(task=task)
    root = make_user(username="root", is_superuser=True)

    assert user_can_decide(root)
    assert approval_decide(approval_id=approval.pk, user=root, approve=True).status == "approved"


def test_bad_input_is_refused(task, approver):
    approval = make_approval(task=task)

    with pytest.raises(ApplicationError) as too_long:
        approval_decide(approval_id=approval.pk, user=approver, approve=True, note="x" * 2001)
    with pytest.raises(ApplicationError) as missing:
        approval_decide(approval_id=999_999, user=approver, approve=True)

    assert too_long.value.message == APPROVAL_NOTE_TOO_LONG
    assert missing.value.message == APPROVAL_NOT_FOUND
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.PENDING


def test_a_cancelled_tasks_request_can_no_longer_be_decided(task, approver, staff_user):
    approval = make_approval(task=task)
    task_cancel(task=task, user=staff_user)

    with pytest.raises(ApplicationError) as error:
        approval_decide(approval_id=approval.pk, user=approver, approve=True)

    assert "already decided by the system" in error.value.message
    task.refresh_from_db()
    assert task.status == Task.Status.CANCELLED


def test_overdue_requests_expire_as_rejections_and_the_task_resumes(task, approver):
    # given one request past its expiry and one still in time, on two tasks
    now = timezone.now()
    overdue = make_approval(task=task, expires_at=now - timedelta(minutes=1))
    other_task = make_task(status=Task.Status.AWAITING_APPROVAL, ticket=task.ticket)
    in_time = make_approval(task=other_task, expires_at=now + timedelta(hours=1))

    # when the sweep runs
    expired = approval_expire_due(now=now)

    # then only the overdue one expired, with the note "expired", and its task resumes
    assert expired == [overdue.pk]
    overdue.refresh_from_db()
    in_time.refresh_from_db()
    assert (overdue.status, overdue.note, overdue.decided_by) == ("expired", EXPIRED_NOTE, None)
    assert in_time.status == ApprovalRequest.Status.PENDING
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED
    assert approval_rejection_message(overdue) == EXPIRED_MESSAGE.format(action="Refund")
    # and a person can no longer decide it
    with pytest.raises(ApplicationError):
        approval_decide(approval_id=overdue.pk, user=approver, approve=True)


def test_the_paused_run_sets_the_expiry_from_settings(settings, task):
    settings.APPROVAL_EXPIRY_HOURS = 5
    Task.objects.filter(pk=task.pk).update(status=Task.Status.RUNNING, lease_owner="w1")
    action = Action("issue_refund", {"amount": "1.00"}, task.pk, 1)
    spec = ApprovalSpec(
        "issue_refund", "c1", {"amount": "1.00"}, PreparedAction(action, "Refund", "why")
    )

    [request] = task_finish_awaiting_approval(
        task_id=task.pk, owner="w1", run_state={}, approvals=[spec]
    )

    assert request.expires_at is not None
    expected = timezone.now() + timedelta(hours=5)
    assert abs(request.expires_at - expected) < timedelta(seconds=10)


def test_the_expire_approvals_command_reports_what_it_expired(task, settings):
    make_approval(task=task, expires_at=timezone.now() - timedelta(hours=1))
    out = io.StringIO()

    call_command("expire_approvals", stdout=out)

    assert out.getvalue().strip() == EXPIRED_SUMMARY.format(
        count=1, hours=settings.APPROVAL_EXPIRY_HOURS
    )
    assert ApprovalRequest.objects.get().status == ApprovalRequest.Status.EXPIRED
