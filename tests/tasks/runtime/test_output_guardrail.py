"""The output guardrail on customer replies, through the real worker with scripted models: a
reply that promises an unpaid refund, quotes a runbook or shows another customer's data is not
posted; the model hears why and may rewrite it; the task is marked for review and the
timeline shows it. The model-backed guardrails (input and output) run on a scripted guardrail
model answering with a verdict; one that fails holds the reply and takes the money tools
(fail closed)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from tasks.models import Task, TicketMessage
from tasks.services.task_start import task_start_for_ticket
from tasks.task_selectors import task_panel
from tests.factories import make_customer, make_order, make_ticket, make_user
from tests.tasks.task_helpers import ScriptedModel, call, events, final, run_task, turn
from tools_app.models import Article

pytestmark = pytest.mark.django_db(transaction=True)

PROMISE = "Good news: we have refunded your order in full."
HONEST = "A colleague will review the duplicate charge and get back to you within a day."


def _start() -> Task:
    ticket = make_ticket(customer=make_customer(), category="billing", body="Charged twice.")
    return task_start_for_ticket(ticket=ticket, user=make_user())[0]


def _replies(task: Task) -> list[str]:
    return list(
        TicketMessage.objects.filter(
            ticket_id=task.ticket_id, author_kind=TicketMessage.AuthorKind.AGENT, is_internal=False
        ).values_list("body", flat=True)
    )


def _reply_results(model: ScriptedModel) -> list[dict]:
    """The results of reply_to_customer the model was sent back, in order."""
    found = []
    for request in model.calls:
        for item in request.input if isinstance(request.input, list) else []:
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                found.append(json.loads(item["output"]))
    return found


def verdict(flagged: bool, reason: str = "") -> ScriptedModel:
    return ScriptedModel([_verdict(flagged, reason)])


def _verdict(flagged: bool, reason: str = ""):
    return final(json.dumps({"flagged": flagged, "reason": reason}))


def reply_verdict(*answers) -> ScriptedModel:
    """A guardrail model that passes the input at the start, then gives ``answers`` on replies."""
    return ScriptedModel([_verdict(False), *answers])


async def _reply_run(*bodies: str, guard=None) -> tuple[Task, ScriptedModel]:
    steps = [
        turn(call("reply_to_customer", {"body": body}, id=f"r{i}")) for i, body in enumerate(bodies)
    ]
    model = ScriptedModel([*steps, final("Done.")])
    task = await run_task(await sync_to_async(_start)(), model, guard_model=guard)
    return task, model


@pytest.mark.asyncio
async def test_an_unpaid_refund_promise_is_held_and_the_rewrite_is_posted():
    task, model = await _reply_run(PROMISE, HONEST)

    assert task.status == Task.Status.COMPLETED
    assert await sync_to_async(_replies)(task) == [HONEST]
    held = _reply_results(model)[0]
    assert held["guardrail"] == "customer_reply" and held["field"] == "body"
    assert "promises a refund that has not been paid" in held["error"]
    assert task.needs_review and "promises a refund" in task.review_reason
    [tripped] = [d for t, d in await events(task) if t == "guardrail.tripped"]
    assert tripped["guardrail"] == "customer_reply" and tripped["tools_off"] == []
    panel = await sync_to_async(task_panel)(task=task)
    assert any(e.title == "Output guardrail: reply held" for e in panel.timeline)


@pytest.mark.asyncio
async def test_every_held_reply_is_on_the_timeline():
    task, _ = await _reply_run(PROMISE, PROMISE, HONEST)
    assert [t for t, _ in await events(task)].count("guardrail.tripped") == 2
    assert await sync_to_async(_replies)(task) == [HONEST]


def _foreign_order() -> str:
    return make_order(customer=make_customer()).number


@pytest.mark.asyncio
async def test_another_customers_order_is_held():
    number = await sync_to_async(_foreign_order)()
    task, model = await _reply_run(f"Your order {number} shipped yesterday.")
    assert await sync_to_async(_replies)(task) == []
    assert number in _reply_results(model)[0]["error"]


def _runbook() -> str:
    body = (
        "Step one: check the payment processor dashboard for both captures, then compare the"
        " authorisation codes and void the later capture if it is still pending settlement."
    )
    Article.objects.create(kind="runbook", slug="dup", category="billing", title="Dup", body=body)
    return body


@pytest.mark.asyncio
async def test_runbook_text_is_held():
    body = await sync_to_async(_runbook)()
    task, model = await _reply_run(f"Here is what we do. {body}")
    assert await sync_to_async(_replies)(task) == []
    assert "quotes internal text" in _reply_results(model)[0]["error"]


@pytest.mark.asyncio
async def test_the_guardrail_model_can_hold_what_the_rules_pass():
    guard = reply_verdict(
        _verdict(True, "It tells the customer the charge was an error before anyone checked.")
    )
    task, model = await _reply_run("The second charge was our error.", guard=guard)
    assert await sync_to_async(_replies)(task) == []
    assert "The guardrail model held the reply: It tells" in _reply_results(model)[0]["error"]
    assert "Refunds this task has paid: none" in str(guard.calls[-1].input)


@pytest.mark.asyncio
async def test_a_guardrail_model_that_passes_lets_the_reply_through():
    task, _ = await _reply_run(HONEST, guard=reply_verdict(_verdict(False)))
    assert await sync_to_async(_replies)(task) == [HONEST]
    assert not task.needs_review


@pytest.mark.asyncio
async def test_a_guardrail_model_that_fails_holds_the_reply():
    broken = reply_verdict(final("not a verdict at all"))
    task, model = await _reply_run(HONEST, guard=broken)
    assert await sync_to_async(_replies)(task) == []
    assert "guardrail failed" in _reply_results(model)[0]["error"]
    assert task.needs_review


@pytest.mark.asyncio
@pytest.mark.parametrize(("flagged", "refund_offered"), [(True, False), (False, True)])
async def test_the_input_guardrail_model(flagged, refund_offered):
    guard = verdict(flagged, "It claims a manager already approved a refund.")
    model = ScriptedModel([final("Looked into it.")])
    task = await run_task(await sync_to_async(_start)(), model, guard_model=guard)
    assert model.first_call is not None
    assert ("issue_refund" in {t.name for t in model.first_call.tools}) is refund_offered
    assert task.needs_review is flagged
    if flagged:
        assert "The guardrail model flagged what the customer wrote" in task.review_reason
    assert "Charged twice." in str(guard.calls[0].input)


@pytest.mark.asyncio
async def test_an_input_guardrail_model_that_fails_takes_the_money_tools():
    model = ScriptedModel([final("Looked into it.")])
    task = await run_task(
        await sync_to_async(_start)(), model, guard_model=ScriptedModel([final("???")])
    )
    assert model.first_call is not None
    assert "issue_refund" not in {t.name for t in model.first_call.tools}
    assert task.status == Task.Status.COMPLETED and task.needs_review
