"""Deciding approval requests in the admin: the evidence on the detail page, Approve / Reject
with a note, bulk actions, who may decide, and what the portal shows before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks.admin.approvals import BULK_DECIDED, DECISION_MISSING
from tasks.approval_selectors import task_approvals_context
from tasks.demo.seed import seed_demo
from tasks.models import ApprovalRequest, Task, TaskEvent
from tasks.services.approvals import approval_already_decided_message
from tasks.services.groups import support_group_ensure
from tests.factories import (
    make_approval,
    make_customer,
    make_order,
    make_refund_policy,
    make_task,
    make_ticket,
    make_user,
)
from tools_app.models import Order

pytestmark = pytest.mark.django_db

POLICY_BODY = "Refunds within 30 days, up to $200 without a manager."


@dataclass
class Case:
    task: Task
    approval: ApprovalRequest
    duplicate: Order
    first: Order


@pytest.fixture
def case() -> Case:
    make_refund_policy()
    customer = make_customer(name="Zelda Fitzgerald", email="zelda@example.com")
    now = timezone.now()
    first, duplicate = (
        make_order(
            customer=customer,
            number=number,
            kind=Order.Kind.SUBSCRIPTION,
            description="Pro plan, monthly",
            amount=Decimal("29.00"),
            billing_period="2026-10",
            charged_at=now - timedelta(days=days),
        )
        for number, days in (("ORD-501", 5), ("ORD-502", 2))
    )
    ticket = make_ticket(customer=customer, subject="Charged twice for October")
    task = make_task(ticket=ticket, status=Task.Status.AWAITING_APPROVAL, run_state="{}")
    approval = make_approval(
        task=task,
        order=duplicate,
        arguments={"order_number": "ORD-502", "amount": "29.00", "reason": "duplicate"},
        summary="Refund $29.00 on ORD-502 (duplicate October charge)",
        reason="Second Pro charge for 2026-10; ORD-501 already paid that period.",
    )
    return Case(task=task, approval=approval, duplicate=duplicate, first=first)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def approver_client(approver: User) -> Client:
    return client_for(approver)


@pytest.fixture
def viewer() -> User:
    """Support staff: may look at approval requests, may not decide them."""
    user = make_user(username="viewer")
    user.groups.add(support_group_ensure())
    return user


def change_url(approval: ApprovalRequest) -> str:
    return reverse("admin:tasks_approvalrequest_change", args=[approval.pk])


def decide_url(approval: ApprovalRequest) -> str:
    return reverse("admin:tasks_approvalrequest_decide", args=[approval.pk])


CHANGELIST = "admin:tasks_approvalrequest_changelist"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the detail page ------------------------------------------------------------------------


def test_the_detail_page_shows_the_evidence_and_the_decision_form(approver_client, case):
    response = approver_client.get(change_url(case.approval))

    assert response.status_code == 200
    html = response.content.decode()
    evidence = response.context["evidence"]
    # the customer and the order facts
    assert "Zelda Fitzgerald" in html and "zelda@example.com" in html
    for fact in ("ORD-502", "Pro plan, monthly", "29.00 USD", "2026-10", "Refunded so far"):
        assert fact in html
    # the duplicate: the other charge of the same period
    assert evidence.is_duplicate
    assert [o.number for o in evidence.same_period_orders] == ["ORD-501"]
    assert "Duplicate:" in html
    # the agent's reason, the policy text and how the request measures against it
    assert case.approval.reason in html
    assert POLICY_BODY in html
    assert evidence.within_policy and "Within the policy" in html
    assert "Inside the 30-day refund window" in html
    assert "29.00 USD of at most 200.00 USD" in html
    # links to the live task page and the ticket
    assert reverse("tasks:task_detail", args=[case.task.pk]) in html
    assert reverse("tasks:ticket_detail", args=[case.task.ticket.number]) in html
    # and the decision buttons with a note field
    assert 'id="approval-decision-form"' in html
    assert f'action="{decide_url(case.approval)}"' in html
    assert 'name="note"' in html and 'value="approve"' in html and 'value="reject"' in html


def test_a_request_outside_the_policy_is_flagged(approver_client, case):
    Order.objects.filter(pk=case.duplicate.pk).update(
        charged_at=timezone.now() - timedelta(days=45)
    )

    response = approver_client.get(change_url(case.approval))

    evidence = response.context["evidence"]
    assert not evidence.within_policy
    assert [c.ok for c in evidence.checks] == [True, False, True, True]
    assert "Outside the policy" in response.content.decode()


def test_staff_without_the_permission_see_the_evidence_but_cannot_decide(viewer, case):
    client = client_for(viewer)

    page = client.get(change_url(case.approval))
    listing = client.get(reverse(CHANGELIST))
    post = client.post(decide_url(case.approval), {"decision": "approve"})

    assert page.status_code == 200
    assert POLICY_BODY in page.content.decode()
    assert b"approval-decision-form" not in page.content
    assert b"Only members of the Approvers group can decide" in page.content
    assert listing.status_code == 200
    assert b"approve_selected" not in listing.content
    assert post.status_code == 403
    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.PENDING


# --- deciding on the detail page ------------------------------------------------------------


def test_approve_with_a_note_records_who_when_and_the_note(approver_client, approver, case):
    response = approver_client.post(
        decide_url(case.approval),
        {"decision": "approve", "note": "Checked the ledger"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == change_url(case.approval)
    assert messages_of(response)[0].startswith("Approved: Refund $29.00 on ORD-502")
    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.APPROVED
    assert case.approval.decided_by == approver
    assert case.approval.decided_at is not None
    assert case.approval.note == "Checked the ledger"
    case.task.refresh_from_db()
    assert case.task.status == Task.Status.QUEUED
    # the page now shows the outcome instead of the buttons
    assert b"approval-decision-form" not in response.content
    assert b"Checked the ledger" in response.content


def test_reject_with_a_note(approver_client, approver, case):
    response = approver_client.post(
        decide_url(case.approval), {"decision": "reject", "note": "Upgrade, not a duplicate"}
    )

    assert response.status_code == 302
    case.approval.refresh_from_db()
    assert (case.approval.status, case.approval.note) == ("rejected", "Upgrade, not a duplicate")
    assert case.approval.decided_by == approver


def test_a_double_click_decides_once_and_says_so(approver_client, case):
    url = decide_url(case.approval)

    approver_client.post(url, {"decision": "approve", "note": "first"}, follow=True)
    second = approver_client.post(url, {"decision": "reject", "note": "second"}, follow=True)

    case.approval.refresh_from_db()
    assert (case.approval.status, case.approval.note) == ("approved", "first")
    assert messages_of(second) == [approval_already_decided_message(case.approval)]
    assert TaskEvent.objects.filter(task=case.task, type="approval.decided").count() == 1


def test_bad_requests_to_the_decide_url(approver_client, case):
    get = approver_client.get(decide_url(case.approval))
    missing = approver_client.post(decide_url(case.approval), {"note": "?"}, follow=True)
    unknown = approver_client.post(
        reverse("admin:tasks_approvalrequest_decide", args=[999_999]), {"decision": "approve"}
    )

    assert get.status_code == 405
    assert messages_of(missing) == [DECISION_MISSING]
    assert unknown.status_code == 404
    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.PENDING


def test_deciding_needs_the_csrf_token(approver, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(approver)

    response = client.post(decide_url(case.approval), {"decision": "approve"})

    assert response.status_code == 403
    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.PENDING


def test_a_superuser_can_decide(case):
    client = client_for(make_user(username="root", is_superuser=True))

    client.post(decide_url(case.approval), {"decision": "approve"})

    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.APPROVED


# --- the list -------------------------------------------------------------------------------


def test_bulk_approve_and_reject_skip_what_was_already_decided(approver_client, case):
    second = make_approval(task=case.task)
    decided = make_approval(task=case.task, status=ApprovalRequest.Status.REJECTED)
    ids = [case.approval.pk, second.pk, decided.pk]

    response = approver_client.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": ids},
        follow=True,
    )

    texts = messages_of(response)
    assert texts[0] == BULK_DECIDED.format(verb="Approved", count=2)
    assert texts[1].startswith(f"Skipped 1: #{decided.pk}: This request was already decided")
    statuses = dict(ApprovalRequest.objects.values_list("pk", "status"))
    assert statuses == {case.approval.pk: "approved", second.pk: "approved", decided.pk: "rejected"}
    case.task.refresh_from_db()
    assert case.task.status == Task.Status.QUEUED


def test_bulk_reject(approver_client, case):
    approver_client.post(
        reverse(CHANGELIST), {"action": "reject_selected", "_selected_action": [case.approval.pk]}
    )

    case.approval.refresh_from_db()
    assert (case.approval.status, case.approval.note) == ("rejected", "")


def test_bulk_actions_are_refused_without_the_permission(viewer, case):
    response = client_for(viewer).post(
        reverse(CHANGELIST), {"action": "approve_selected", "_selected_action": [case.approval.pk]}
    )

    assert response.status_code in (200, 302)
    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.PENDING


def test_the_list_filters_by_age(approver_client, case):
    now = timezone.now()
    hours_old = make_approval(task=case.task)
    days_old = make_approval(task=case.task)
    ApprovalRequest.objects.filter(pk=hours_old.pk).update(created_at=now - timedelta(hours=3))
    ApprovalRequest.objects.filter(pk=days_old.pk).update(created_at=now - timedelta(days=2))

    def listed(age: str) -> set[int]:
        response = approver_client.get(reverse(CHANGELIST), {"age": age})
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    assert listed("1h") == {case.approval.pk}
    assert listed("24h") == {case.approval.pk, hours_old.pk}
    assert listed("older") == {days_old.pk}


def test_the_list_shows_the_actions_to_approvers(approver_client, case):
    response = approver_client.get(reverse(CHANGELIST))

    assert b"approve_selected" in response.content
    assert b"reject_selected" in response.content
    assert b"ORD-502" in response.content and b"29.00" in response.content


# --- the portal -----------------------------------------------------------------------------


def test_the_task_panel_shows_pending_approvals_and_links_approvers_to_the_admin(
    approver, viewer, case
):
    url = reverse("tasks:task_detail", args=[case.task.pk])

    for_approver = client_for(approver).get(url).content.decode()
    for_support = client_for(viewer).get(url).content.decode()

    for html in (for_approver, for_support):
        assert f'id="task-approvals-{case.task.pk}"' in html
        assert "Waiting for an approver:" in html
        assert "Refund $29.00 on ORD-502" in html
    assert f'<a href="{change_url(case.approval)}">Decide in admin</a>' in for_approver
    assert change_url(case.approval) not in for_support


def test_the_approvals_partial_pushed_to_every_watcher_links_to_the_admin_page(case):
    # a websocket push renders once for everyone: no user, the admin decides who may decide
    html = render_to_string(
        "tasks/partials/task_approvals.html",
        {**task_approvals_context(task=case.task), "oob": True},
    )

    assert 'hx-swap-oob="true"' in html
    assert f'data-seq="{case.task.last_seq}"' in html
    assert f'<a href="{change_url(case.approval)}">Open in admin</a>' in html


def test_the_task_panel_shows_the_outcome_after_the_decision(approver, approver_client, case):
    approver_client.post(decide_url(case.approval), {"decision": "reject", "note": "Not ours"})

    html = client_for(approver).get(reverse("tasks:task_detail", args=[case.task.pk])).content
    text = html.decode()

    assert "Waiting for an approver" not in text
    assert f"Rejected by {approver.username}:" in text
    assert "Not ours" in text
    assert 'data-approval-status="rejected"' in text


def test_the_demo_approver_may_decide():
    seed_demo()
    assert User.objects.get(username="approver").has_perm("tasks.decide_approvalrequest")
    assert not User.objects.get(username="support").has_perm("tasks.decide_approvalrequest")


# --- what staff know, what the approval covers, four-eyes (issue 10) ----------------------


def test_the_detail_page_puts_staff_notes_totals_and_other_requests_before_the_approver(
    approver_client, case
):
    from tasks.models import TicketMessage
    from tests.factories import make_refund

    TicketMessage.objects.create(
        ticket=case.task.ticket,
        author_kind=TicketMessage.AuthorKind.STAFF,
        body="Chargeback open, do not refund",
        is_internal=True,
        created_at=timezone.now(),
    )
    other_task = make_task(ticket=make_ticket(customer=case.task.ticket.customer))
    other = make_approval(
        task=other_task,
        order=case.duplicate,
        status=ApprovalRequest.Status.REJECTED,
        summary="Refund $5.00 on ORD-502 (goodwill)",
    )
    make_refund(order=case.duplicate, amount=Decimal("4.00"), task=other_task)

    response = approver_client.get(change_url(case.approval))

    html = response.content.decode()
    # the internal note is on the page, not one click away
    assert 'id="approval-internal-notes"' in html and "Chargeback open, do not refund" in html
    # what the approval covers, exactly
    covers = html[html.index('id="approval-covers"') :][:900]
    assert "ORD-502" in covers and "29.00" in covers and case.approval.digest in covers
    # other requests and refunds on the order, and the running totals against the limit
    assert f"#{other.pk}" in html and "goodwill" in html
    evidence = response.context["evidence"]
    assert evidence.agent_refunded == Decimal("4.00")
    assert evidence.agent_total_if_approved == Decimal("33.00")
    assert 'id="approval-totals"' in html


def test_the_approver_who_started_the_task_gets_no_buttons(approver, approver_client, case):
    Task.objects.filter(pk=case.task.pk).update(created_by=approver)

    response = approver_client.get(change_url(case.approval))
    posted = approver_client.post(decide_url(case.approval), {"decision": "approve"}, follow=True)

    html = response.content.decode()
    assert 'id="approval-decision-form"' not in html
    assert 'id="approval-four-eyes"' in html
    assert any("four-eyes" in m for m in messages_of(posted))
    case.approval.refresh_from_db()
    assert case.approval.status == ApprovalRequest.Status.PENDING
