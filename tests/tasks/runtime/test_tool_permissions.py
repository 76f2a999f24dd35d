"""Tools by permission and context: issue_refund is offered only for ticket categories that
allow refunds and when whoever started the task may start refund work; write_document only to
people who may add articles; escalate_to_human only with a ticket. A tool not offered is absent
from the model's request and from the instructions; a disabled tool the model names anyway
gets an error result and the run goes on."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tasks.models import Task
from tasks.services.task_start import task_start_for_ticket, task_start_free_text
from tests.factories import make_customer, make_ticket, make_user
from tests.tasks.task_helpers import ScriptedModel, call, events, final, run_task, turn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _start(*, category: str = "billing", agent_permissions: bool = True) -> Task:
    ticket = make_ticket(customer=make_customer(), category=category, subject="Charged twice")
    user = make_user(agent_permissions=agent_permissions)
    return task_start_for_ticket(ticket=ticket, user=user)[0]


async def offered(task: Task) -> tuple[set[str], str]:
    model = ScriptedModel([final("Done.")])
    await run_task(task, model)
    first = model.first_call
    assert first is not None
    return {tool.name for tool in first.tools}, str(first.system_instructions or "")


async def test_a_billing_task_of_a_support_agent_is_offered_every_tool():
    names, instructions = await offered(await sync_to_async(_start)())
    assert {"issue_refund", "write_document", "escalate_to_human"} <= names
    assert "issue_refund" in instructions


async def test_a_category_without_refunds_gets_no_refund_tool_nor_a_word_of_it():
    names, instructions = await offered(await sync_to_async(_start)(category="how_to"))
    assert "issue_refund" not in names and "issue_refund" not in instructions
    assert "escalate_to_human" in instructions  # refunds due go to billing instead


async def test_a_starter_without_the_permissions_gets_neither_refunds_nor_documents():
    names, _ = await offered(await sync_to_async(_start)(agent_permissions=False))
    assert "issue_refund" not in names and "write_document" not in names
    assert "reply_to_customer" in names


async def test_a_free_text_task_cannot_refund_or_escalate():
    def start() -> Task:
        return task_start_free_text(text="Draft a runbook for duplicate charges", user=make_user())

    names, _ = await offered(await sync_to_async(start)())
    assert "issue_refund" not in names and "escalate_to_human" not in names


async def test_a_disabled_tool_named_anyway_is_an_error_result_and_the_run_goes_on():
    task = await sync_to_async(_start)(category="how_to")
    arguments = {"order_number": "ORD-1", "amount": "9.00", "reason": "x"}
    task = await run_task(
        task, [turn(call("issue_refund", arguments, id="r1")), final("Could not refund.")]
    )
    assert task.status == Task.Status.COMPLETED and task.final_output == "Could not refund."
    types = [t for t, _ in await events(task)]
    assert "approval.requested" not in types
