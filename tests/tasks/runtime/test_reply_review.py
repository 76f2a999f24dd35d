"""Draft for review: in a ticket category with reply review on, the agent's reply pauses the run
as a draft; an approver approves it (sent as drafted), edits it (sent as edited) or rejects it
(nothing sent; the agent hears the note). A draft is bound to its exact text and sent once;
only reply drafts can be edited. The offline model hands a rejected draft to team leads."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.models import ApprovalRequest, ReplyReview, Task, Ticket, TicketMessage
from tasks.services.approvals import approval_decide
from tasks.services.task_start import task_start_for_ticket
from tasks.services.tickets import escalation_queues_ensure
from tests.factories import make_approver, make_customer, make_refund_policy, make_ticket, make_user
from tests.tasks.task_helpers import ScriptedModel, call, final, run_task, turn
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)

DRAFT = "Thanks for writing in. Your invoice is attached to your account page under Billing."


def _start(category: str = Ticket.Category.INVOICE) -> Task:
    ReplyReview.objects.create(category=category)
    ticket = make_ticket(customer=make_customer(), category=category, body="Where is my invoice?")
    return task_start_for_ticket(ticket=ticket, user=make_user())[0]


def _replies(task: Task) -> list[str]:
    return list(
        TicketMessage.objects.filter(task=task, is_internal=False).values_list("body", flat=True)
    )


def _decide(task: Task, *, approve: bool, note: str = "", body: str | None = None):
    approval = ApprovalRequest.objects.get(task=task, tool_name="reply_to_customer")
    return approval_decide(
        approval_id=approval.pk, user=make_approver(), approve=approve, note=note, edited_body=body
    )


def _script() -> ScriptedModel:
    return ScriptedModel([turn(call("reply_to_customer", {"body": DRAFT}, id="r")), final("Done.")])


async def _paused() -> Task:
    task = await run_task(await sync_to_async(_start)(), _script())
    assert task.status == Task.Status.AWAITING_APPROVAL
    assert await sync_to_async(_replies)(task) == []  # nothing sent yet
    return task


def _resume_model() -> ScriptedModel:
    return ScriptedModel([final("Done.")])


@pytest.mark.asyncio
async def test_an_approved_draft_is_sent_as_drafted_once():
    task = await _paused()
    approval = await ApprovalRequest.objects.aget(task=task)
    assert approval.summary.startswith("Reply on #") and DRAFT[:40] in approval.summary
    assert "invoice request tickets wait for a person's review" in approval.reason

    await sync_to_async(_decide)(task, approve=True)
    task = await run_task(task, _resume_model())

    assert task.status == Task.Status.COMPLETED
    assert await sync_to_async(_replies)(task) == [DRAFT]
    approval = await ApprovalRequest.objects.aget(task=task)
    assert approval.used_at is not None and approval.approved_arguments is None


@pytest.mark.asyncio
async def test_an_edited_draft_is_sent_as_edited():
    task = await _paused()
    edited = "Hello! Your invoice is on your account page, under Billing > Invoices."
    await sync_to_async(_decide)(task, approve=True, body=edited)
    task = await run_task(task, _resume_model())
    assert await sync_to_async(_replies)(task) == [edited]
    approval = await ApprovalRequest.objects.aget(task=task)
    assert approval.approved_arguments == {"body": edited}


@pytest.mark.asyncio
async def test_a_rejected_draft_is_not_sent_and_the_agent_hears_the_note():
    task = await _paused()
    await sync_to_async(_decide)(task, approve=False, note="Too curt; offer the PDF by email.")
    model = _resume_model()
    task = await run_task(task, model)
    assert await sync_to_async(_replies)(task) == []
    assert "Reply rejected by" in str(model.calls[0].input)
    assert "Too curt; offer the PDF by email." in str(model.calls[0].input)
    assert task.outcome != Task.Outcome.REFUSED  # a refused refund is another outcome


def _bad_edits(task: Task) -> list[str]:
    errors = []
    for body in ("   ", "x" * 20_001):
        try:
            _decide(task, approve=True, body=body)
        except ApplicationError as error:
            errors.append(error.message)
    return errors


@pytest.mark.asyncio
async def test_an_empty_or_oversized_edit_is_refused_and_the_draft_still_waits():
    task = await _paused()
    errors = await sync_to_async(_bad_edits)(task)
    assert errors == [
        "The edited reply is empty: write the reply or reject the draft.",
        "A reply is limited to 20,000 characters.",
    ]
    approval = await ApprovalRequest.objects.aget(task=task)
    assert approval.status == ApprovalRequest.Status.PENDING


def _refund_edit_refused() -> str:
    from tests.tasks.approval_helpers import _world

    w = _world("Charged twice.")
    ApprovalRequest.objects.create(
        task=w.task, tool_name="issue_refund", call_id="c", summary="Refund", arguments={}
    )
    try:
        _decide_refund(w.task)
    except ApplicationError as error:
        return error.message
    return ""


def _decide_refund(task: Task) -> None:
    approval = ApprovalRequest.objects.get(task=task)
    approval_decide(approval_id=approval.pk, user=make_approver(), approve=True, edited_body="x")


def test_only_reply_drafts_can_be_edited():
    assert _refund_edit_refused().startswith("Only a reply draft can be edited")


@pytest.mark.asyncio
async def test_a_category_without_review_sends_at_once():
    ticket = await sync_to_async(make_ticket)(customer=await sync_to_async(make_customer)())
    task, _ = await sync_to_async(task_start_for_ticket)(ticket=ticket, user=None)
    task = await run_task(task, _script())
    assert task.status == Task.Status.COMPLETED
    assert await sync_to_async(_replies)(task) == [DRAFT]


def _admin_decide(task: Task, edited: str) -> str:
    approval = ApprovalRequest.objects.get(task=task)
    client = Client()
    client.force_login(make_approver(username="reviewer"))
    page = client.get(reverse("admin:tasks_approvalrequest_change", args=[approval.pk]))
    html = page.content.decode()
    assert 'id="approval-body"' in html and DRAFT in html
    assert 'id="approval-policy"' not in html  # no refund evidence on a reply draft
    response = client.post(
        reverse("admin:tasks_approvalrequest_decide", args=[approval.pk]),
        {"decision": "approve", "note": "", "body": edited},
        follow=True,
    )
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.asyncio
async def test_the_admin_shows_the_draft_and_sends_the_edit():
    task = await _paused()
    edited = DRAFT + "\n\nBest,\nMaria"
    messages = await sync_to_async(_admin_decide)(task, edited)
    assert messages.startswith("Approved: Reply on #")
    task = await run_task(task, _resume_model())
    assert await sync_to_async(_replies)(task) == [edited]


def _offline_start() -> Task:
    escalation_queues_ensure()
    make_refund_policy()
    return _start(Ticket.Category.HOW_TO)


@pytest.mark.asyncio
async def test_the_offline_model_hands_a_rejected_draft_to_team_leads():
    task = await sync_to_async(_offline_start)()
    offline = OfflineSupportModel(delay=0)
    task = await run_task(task, offline, name="agentdesk-offline")
    assert task.status == Task.Status.AWAITING_APPROVAL
    await sync_to_async(_decide)(task, approve=False, note="We do not support that setup.")
    task = await run_task(task, OfflineSupportModel(delay=0), name="agentdesk-offline")

    assert task.status == Task.Status.COMPLETED
    assert await sync_to_async(_replies)(task) == []
    ticket = await Ticket.objects.select_related("escalation_queue").aget(pk=task.ticket_id)
    assert ticket.escalation_queue.slug == "team_leads"
    assert "the reviewer did not approve the draft" in ticket.escalation_reason
    assert "We do not support that setup." in ticket.escalation_reason
