"""Hostile scripted models driving real tasks through the worker, each resume on a fresh worker:
an approval pays only for the exact action a person saw, invalid calls never reach a person,
model output never poisons the record, limits hold across calls and tasks.

Every test ends with the two invariants of the money path (``assert_money_invariants``): no
refund without an approved request whose digest matches it, and no lost event (the sequence
is gapless)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from tasks.agents.tools import SUPPORT_TOOLS
from tasks.models import ApprovalRequest, Task, TicketMessage
from tasks.services.approvals import (
    APPROVAL_EXPIRED,
    APPROVAL_OWN_TASK,
    approval_decide,
    approval_sweep_stranded,
)
from tasks.services.task_lifecycle import task_cancel, task_follow_up, task_retry
from tasks.services.task_refunds import REFUND_ALREADY_PENDING, task_refund_action
from tasks.services.task_start import task_start_for_ticket
from tests.factories import make_order, make_ticket, make_user
from tests.tasks.approval_helpers import (
    REASON,
    decide,
    parsed,
    refund_call,
    refund_turn,
    seqs,
    tool_outputs,
    world,
)
from tests.tasks.task_helpers import ScriptedModel, call, events, final, run_task, turn
from tools_app.agent_tools.base import TOOL_BAD_ARGUMENTS
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund
from tools_app.services.refunds import REFUND_ABOVE_LIMIT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _money_invariants() -> None:
    for order in Order.objects.all():
        refunds = list(order.refunds.all())
        assert order.refunded_amount == sum((r.amount for r in refunds), Decimal("0"))
    for refund in Refund.objects.select_related("order"):
        approval = ApprovalRequest.objects.get(refund=refund)
        assert approval.status == ApprovalRequest.Status.APPROVED
        assert approval.decided_by_id == refund.decided_by_id is not None
        task = Task.objects.select_related("ticket").get(pk=approval.task_id)
        action = task_refund_action(
            task_id=task.pk,
            run_number=approval.run_number,
            customer_id=task.ticket.customer_id,
            arguments={
                "order_number": refund.order.number,
                "amount": str(refund.amount),
                "reason": refund.reason,
            },
        )
        assert action.digest == approval.digest
    for task in Task.objects.all():
        numbers = list(task.events.order_by("seq").values_list("seq", flat=True))
        assert numbers == list(range(1, task.last_seq + 1))
        if task.status == Task.Status.AWAITING_APPROVAL:
            assert task.approvals.filter(status=ApprovalRequest.Status.PENDING).exists()


async def assert_money_invariants() -> None:
    await sync_to_async(_money_invariants)()


async def _requests(task: Task) -> list[ApprovalRequest]:
    return [r async for r in ApprovalRequest.objects.filter(task=task).order_by("pk")]


def _raw(order: str = "ORD-2", amount: Any = "19.00", **extra: Any) -> str:
    return json.dumps({"order_number": order, "amount": amount, "reason": REASON, **extra})


# --- 1. an approval pays only for the action it was given for ------------------------------


async def test_a_reused_call_id_after_cancel_and_retry_asks_again_and_pays_nothing_earlier():
    # given a run paused on r1 (ORD-1), approved, then cancelled before it resumed
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-1", id="r1"))])
    await decide(w, "r1")
    await sync_to_async(task_cancel)(task=task)
    # when Retry runs a model that reuses r1 for another order and amount
    await sync_to_async(task_retry)(task=task)
    hostile = ScriptedModel([refund_turn(refund_call("ORD-2", id="r1", amount="18.00"))])
    task = await run_task(task, hostile)

    # then nothing is paid: the call pauses for a new request a person must see
    assert task.status == Task.Status.AWAITING_APPROVAL
    first, second = await _requests(task)
    assert first.status == ApprovalRequest.Status.APPROVED and first.refund_id is None
    assert second.status == ApprovalRequest.Status.PENDING
    assert (second.run_number, second.action["arguments"]["order_number"]) == (2, "ORD-2")
    assert second.digest != first.digest
    assert not await Refund.objects.aexists()
    await assert_money_invariants()


async def test_cancel_then_retry_with_the_same_call_id_waits_on_a_new_pending_request():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    await sync_to_async(task_cancel)(task=task)
    await sync_to_async(task_retry)(task=task)

    task = await run_task(task, [refund_turn(refund_call("ORD-2", id="r1"))])

    assert task.status == Task.Status.AWAITING_APPROVAL
    old, new = await _requests(task)
    assert old.status == ApprovalRequest.Status.EXPIRED
    assert new.status == ApprovalRequest.Status.PENDING
    # and approving the new one pays it once
    await decide(w, "r1")
    model = ScriptedModel([final("Refunded.")])
    task = await run_task(task, model)
    assert parsed(tool_outputs(model.first_call)["r1"])["refund"]["amount"] == "19.00"
    assert await Refund.objects.acount() == 1
    await assert_money_invariants()


async def test_a_follow_up_reusing_a_paid_call_id_asks_a_person_again():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-1", id="r1"))])
    await decide(w, "r1")
    task = await run_task(task, [final("Refunded ORD-1.")])
    assert task.status == Task.Status.COMPLETED

    await sync_to_async(task_follow_up)(task=task, text="Refund the other one too.")
    task = await run_task(task, [refund_turn(refund_call("ORD-2", id="r1"))])

    assert task.status == Task.Status.AWAITING_APPROVAL
    assert await Refund.objects.acount() == 1
    pending = await ApprovalRequest.objects.aget(status=ApprovalRequest.Status.PENDING)
    assert (pending.run_number, pending.call_id) == (2, "r1")
    await assert_money_invariants()


async def test_a_resumed_state_whose_call_changed_pays_nothing():
    # given an approval of ORD-2 19.00, and a saved state edited to ask for ORD-1 instead
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    await decide(w, "r1")
    state = (await Task.objects.aget(pk=task.pk)).run_state
    await Task.objects.filter(pk=task.pk).aupdate(run_state=state.replace("ORD-2", "ORD-1"))

    task = await run_task(task, [final("Done.")])

    # then the edited call is not the approved action: nothing is paid for it
    assert task.status in (Task.Status.AWAITING_APPROVAL, Task.Status.FAILED)
    assert not await Refund.objects.aexists()
    await assert_money_invariants()


async def test_a_stranded_task_awaiting_approval_is_moved_by_the_sweep():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    # a broken record: the request decided behind the service's back, run state lost
    await ApprovalRequest.objects.filter(task=task).aupdate(status=ApprovalRequest.Status.REJECTED)
    await Task.objects.filter(pk=task.pk).aupdate(run_state="")

    moved = await sync_to_async(approval_sweep_stranded)()

    task = await Task.objects.aget(pk=task.pk)
    assert moved == [task.pk]
    assert task.status == Task.Status.FAILED and "nothing it asked for was done" in task.error
    await assert_money_invariants()


# --- 2. only valid, in-policy calls reach a person -----------------------------------------

INVALID_REFUND_ARGUMENTS = [
    pytest.param(_raw(extra_key="x"), "extra_key", id="extra-key"),
    pytest.param(_raw(amount=19), "amount", id="int-amount"),
    pytest.param(_raw(amount=19.0), "amount", id="float-amount"),
    pytest.param(_raw(amount=True), "amount", id="bool-amount"),
    pytest.param(_raw(amount=None), "amount", id="null-amount"),
    pytest.param(_raw(amount=[]), "amount", id="list-amount"),
    pytest.param(_raw(amount={}), "amount", id="object-amount"),
    pytest.param(_raw(amount="abc"), "amount", id="text-amount"),
    pytest.param(_raw(amount="-5"), "amount", id="negative-amount"),
    pytest.param(_raw(amount="0"), "amount", id="zero-amount"),
    pytest.param(_raw(amount="19.001"), "amount", id="three-decimals"),
    pytest.param(_raw(amount="NaN"), "amount", id="nan-string"),
    pytest.param(_raw(amount="Infinity"), "amount", id="infinity-string"),
    pytest.param(_raw(amount="900.00"), "amount", id="above-limit"),
    pytest.param(_raw(order="ORD-9"), "order_number", id="other-customers-order"),
    pytest.param(_raw(order=1234), "order_number", id="int-order"),
    pytest.param(_raw(reason="   "), "reason", id="blank-reason"),
    pytest.param('{"order_number": "ORD-2", "reason": "x"}', "amount", id="missing-amount"),
    pytest.param('{"order_number": "ORD-2", "amount": NaN, "reason": "x"}', "arguments", id="nan"),
    pytest.param(
        '{"order_number": "ORD-2", "amount": Infinity, "reason": "x"}', "arguments", id="inf"
    ),
    pytest.param(
        '{"order_number": "ORD-2", "amount": -Infinity, "reason": "x"}', "arguments", id="-inf"
    ),
    pytest.param('["ORD-2", "19.00"]', "arguments", id="not-an-object"),
    pytest.param('{"order_number": "ORD-2", ', "arguments", id="truncated-json"),
    pytest.param("", "order_number", id="empty"),
]


@pytest.mark.parametrize(("raw", "field"), INVALID_REFUND_ARGUMENTS)
async def test_an_invalid_refund_call_is_answered_at_once_and_never_reaches_a_person(raw, field):
    w = await world()
    model = ScriptedModel(
        [refund_turn(call("issue_refund", raw, id="bad")), final("Could not refund.")]
    )

    task = await run_task(w.task, model)

    # the run went on: the model got the error as the call's result, and completed
    assert task.status == Task.Status.COMPLETED
    output = parsed(tool_outputs(model.last_call)["bad"])
    assert isinstance(output, dict) and output["error"]
    assert output.get("field") == field, output
    # nobody was asked, nothing was paid, and the failure is on the timeline
    assert not await ApprovalRequest.objects.aexists()
    assert not await Refund.objects.aexists()
    failed = [d for t, d in await events(task) if t == "tool.failed"]
    assert [(d["name"], d["call_id"]) for d in failed] == [("issue_refund", "bad")]
    await assert_money_invariants()


@pytest.mark.parametrize("tool", [t.name for t in SUPPORT_TOOLS])
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_or_infinity_in_any_tools_arguments_is_a_bad_call_and_loses_no_event(
    tool, constant
):
    # given a model that posts a reply, then calls a tool with a non-standard JSON constant
    w = await world()
    bad = f'{{"limit": {constant}, "body": {constant}, "amount": {constant}}}'
    model = ScriptedModel(
        [
            turn(call("reply_to_customer", {"body": "Looking into it."}, id="reply")),
            turn(call(tool, bad, id="bad")),
            final("Done."),
        ]
    )

    task = await run_task(w.task, model)

    # then the call is an error result, the run completes and every event landed
    assert task.status == Task.Status.COMPLETED
    output = parsed(tool_outputs(model.last_call)["bad"])
    assert isinstance(output, dict) and output["error"]
    assert not await ApprovalRequest.objects.aexists()
    types = [t for t, _ in await events(task)]
    assert types[-1] == "task.completed"
    posted = await TicketMessage.objects.filter(task=task).acount()
    assert posted == 1
    replies = [d for t, d in await events(task) if t == "tool.returned"]
    assert any(d["name"] == "reply_to_customer" for d in replies)
    assert await seqs(task) == list(range(1, task.last_seq + 1))


async def test_an_unstorable_event_is_stored_plain_and_the_rest_of_the_run_lands():
    from tasks.events import EventWrite, TaskEventType
    from tasks.runtime.writer import get_writer

    w = await world()
    # a write whose data the database refuses as it is (NaN fails SQLite's JSON check)
    write = EventWrite(
        task_id=w.task.pk,
        events=[(TaskEventType.TOOL_CALLED, {"name": "x", "arguments": {"a": float("nan")}})],
    )
    result = await get_writer().write(write)

    assert result.applied
    stored = [d for t, d in await events(w.task) if t == "tool.called"]
    assert stored == [{"name": "x", "arguments": {"a": "NaN"}}]


# --- 4. limits across calls; 6. one charge, one pending refund ------------------------------


async def test_split_refunds_in_one_turn_cannot_pass_the_limit_together():
    w = await world()
    big = await sync_to_async(make_order)(
        customer=w.customer, number="ORD-300", amount=Decimal("300.00")
    )
    model = ScriptedModel(
        [
            refund_turn(
                refund_call(big.number, id="a", amount="150.00"),
                refund_call(big.number, id="b", amount="150.00"),
            ),
            final("Asked."),
        ]
    )

    task = await run_task(w.task, model)

    # one request; the other call is refused (the order already has one pending)
    assert task.status == Task.Status.AWAITING_APPROVAL
    [request] = await _requests(task)
    assert request.call_id == "a"
    await assert_money_invariants()


async def test_split_refunds_one_after_another_stop_at_the_limit_per_order():
    w = await world()
    big = await sync_to_async(make_order)(
        customer=w.customer, number="ORD-300", amount=Decimal("300.00")
    )
    task = await run_task(w.task, [refund_turn(refund_call(big.number, id="a", amount="150.00"))])
    await decide(w, "a")
    model = ScriptedModel(
        [
            refund_turn(refund_call(big.number, id="b", amount="150.00")),
            final("The rest needs a manager."),
        ]
    )

    task = await run_task(task, model)

    # the first 150.00 was paid; the second is refused: 300.00 is over the 200.00 limit
    assert task.status == Task.Status.COMPLETED
    output = parsed(tool_outputs(model.last_call)["b"])
    assert output["error"] == REFUND_ABOVE_LIMIT
    assert (output["committed"], output["remaining"]) == ("150.00", "50.00")
    assert [r.amount async for r in Refund.objects.all()] == [Decimal("150.00")]
    await assert_money_invariants()


async def test_an_approved_unpaid_refund_counts_against_the_limit_of_a_new_ask():
    w = await world()
    big = await sync_to_async(make_order)(
        customer=w.customer, number="ORD-300", amount=Decimal("300.00")
    )
    await run_task(w.task, [refund_turn(refund_call(big.number, id="a", amount="150.00"))])
    await decide(w, "a")  # approved; the task is queued but has not resumed yet
    other = await sync_to_async(_second_task)(w)
    model = ScriptedModel(
        [refund_turn(refund_call(big.number, id="x", amount="100.00")), final("No.")]
    )

    other = await run_task(other, model)

    assert parsed(tool_outputs(model.last_call)["x"])["error"] == REFUND_ABOVE_LIMIT
    assert not await ApprovalRequest.objects.filter(task=other).aexists()
    await assert_money_invariants()


async def test_an_approval_of_a_cancelled_task_reserves_nothing():
    # given 150.00 approved on a 300.00 order, then the task cancelled before it resumed
    w = await world()
    big = await sync_to_async(make_order)(
        customer=w.customer, number="ORD-300", amount=Decimal("300.00")
    )
    task = await run_task(w.task, [refund_turn(refund_call(big.number, id="a", amount="150.00"))])
    await decide(w, "a")
    await sync_to_async(task_cancel)(task=task)
    other = await sync_to_async(_second_task)(w)

    # when another task asks for 100.00 on the same order
    other = await run_task(other, [refund_turn(refund_call(big.number, id="x", amount="100.00"))])

    # then it is put before a person: the dead approval holds nothing back
    assert other.status == Task.Status.AWAITING_APPROVAL
    assert not await Refund.objects.aexists()
    await assert_money_invariants()


def _second_task(w: Any) -> Task:
    ticket = make_ticket(
        customer=w.customer, subject="Also charged twice", body="Refund please", category="billing"
    )
    task, _ = task_start_for_ticket(ticket=ticket, user=make_user())
    return task


async def test_two_tasks_cannot_both_ask_to_refund_one_charge():
    w = await world()
    first = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    second = await sync_to_async(_second_task)(w)
    model = ScriptedModel([refund_turn(refund_call("ORD-2", id="r1")), final("Told them.")])

    second = await run_task(second, model)

    output = parsed(tool_outputs(model.last_call)["r1"])
    assert output["error"] == REFUND_ALREADY_PENDING
    pending = await ApprovalRequest.objects.aget(task=first)
    assert (output["approval_id"], output["task_id"]) == (pending.pk, first.pk)
    assert second.status == Task.Status.COMPLETED
    assert await ApprovalRequest.objects.acount() == 1
    await assert_money_invariants()


# --- 5. expiry at decision time; 8. four-eyes ----------------------------------------------


async def test_a_request_past_its_expiry_cannot_be_approved_before_the_sweep():
    w = await world()
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    await ApprovalRequest.objects.filter(task=task).aupdate(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(ApplicationError) as exc:
        await decide(w, "r1")

    assert exc.value.message.startswith(APPROVAL_EXPIRED.split("{")[0])
    request = await ApprovalRequest.objects.aget(task=task)
    assert request.status == ApprovalRequest.Status.EXPIRED
    # the run resumes with the expiry as a rejection: nothing is paid
    task = await run_task(task, [final("Nobody decided in time.")])
    assert task.status == Task.Status.COMPLETED
    assert not await Refund.objects.aexists()
    await assert_money_invariants()


async def test_four_eyes_refuses_the_approver_who_started_the_task(settings):
    w = await world()
    await Task.objects.filter(pk=w.task.pk).aupdate(created_by=w.approver)
    task = await run_task(w.task, [refund_turn(refund_call("ORD-2", id="r1"))])
    request = await ApprovalRequest.objects.aget(task=task)

    with pytest.raises(ApplicationError) as exc:
        await sync_to_async(approval_decide)(approval_id=request.pk, user=w.approver, approve=True)

    assert exc.value.message == APPROVAL_OWN_TASK
    await request.arefresh_from_db()
    assert request.status == ApprovalRequest.Status.PENDING
    # with the rule turned off, the same person may decide
    settings.APPROVAL_FOUR_EYES = False
    await sync_to_async(approval_decide)(approval_id=request.pk, user=w.approver, approve=True)


async def test_bad_arguments_to_any_tool_get_the_field_at_fault():
    w = await world()
    model = ScriptedModel(
        [
            turn(call("reply_to_customer", {"body": "Hi", "cc": "boss@example.com"}, id="x")),
            turn(call("reply_to_customer", {"body": 5}, id="y")),
            final("Done."),
        ]
    )

    await run_task(w.task, model)

    outputs = {k: parsed(v) for k, v in tool_outputs(model.last_call).items()}
    assert outputs["x"]["field"] == "cc" and outputs["x"]["error"].startswith(TOOL_BAD_ARGUMENTS)
    assert outputs["y"]["field"] == "body"
    assert not await TicketMessage.objects.filter(author_kind="agent").aexists()
