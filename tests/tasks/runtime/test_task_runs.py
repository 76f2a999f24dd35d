"""Agent runs through the real worker with scripted models: exact tool sequences, their events
and how each run ends."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx2
import openai
import pytest
from agents import RunState
from asgiref.sync import sync_to_async

from tasks.agents.providers.provider import STATUS_ERROR
from tasks.agents.support import build_agent, support_agent
from tasks.models import ApprovalRequest, Task, TicketMessage, Todo
from tasks.runtime.errors import MAX_TURNS_REASON
from tasks.runtime.runner import TaskRun
from tasks.services.task_finish import RUN_STATE_VERSION
from tasks.services.task_lifecycle import task_cancel, task_claim, task_follow_up, task_retry
from tasks.services.task_start import task_start_for_ticket
from tests.factories import make_customer, make_order, make_refund_policy, make_ticket, make_user
from tests.tasks.task_helpers import (
    ModelStep,
    ScriptedModel,
    call,
    event_types,
    events,
    final,
    run_task,
    turn,
)
from tools_app.agent_tools.base import TOOL_BAD_ARGUMENTS, TOOL_BAD_JSON
from tools_app.agent_tools.context import SupportContext
from tools_app.models import Refund
from tools_app.selectors import ORDER_NOT_FOUND
from tools_app.services.refunds import REFUND_EXCEEDS_REFUNDABLE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup() -> tuple[Task, dict[str, Any]]:
    make_refund_policy()
    customer = make_customer(name="Jane Doe")
    other = make_customer()
    make_order(customer=customer, number="ORD-1", amount=Decimal("19.00"))
    make_order(customer=customer, number="ORD-2", amount=Decimal("19.00"))
    make_order(customer=other, number="ORD-9")
    ticket = make_ticket(customer=customer, subject="Charged twice", category="billing")
    task, _ = task_start_for_ticket(ticket=ticket, user=make_user())
    return task, {"ticket": ticket, "customer": customer}


async def setup() -> tuple[Task, dict[str, Any]]:
    return await sync_to_async(_setup)()


def tool_outputs(model_call: Any) -> dict[str, Any]:
    """call_id -> parsed output of the tool results the model was sent."""
    return {
        item["call_id"]: json.loads(item["output"])
        for item in model_call.input
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    }


async def test_todos_are_planned_and_ticked_as_events_not_tool_calls():
    task, _ = await setup()

    def tick_first(model_call: Any) -> ModelStep:
        todo_id = tool_outputs(model_call)["c1"]["todos"][0]["id"]
        return turn(
            call("set_todo_status", {"todo_id": todo_id, "status": "done"}, id="c2"),
            call("lookup_customer", {}, id="c3"),
        )

    task = await run_task(
        task,
        [
            turn(call("add_todos", {"texts": ["Look up the customer", "Reply"]}, id="c1")),
            ModelStep.respond(tick_first),
            final("Refunded the duplicate."),
        ],
    )

    assert task.status == Task.Status.COMPLETED
    assert task.final_output == "Refunded the duplicate."
    assert await event_types(task) == [
        "task.created",
        "task.started",
        "todo.added",
        "todo.added",
        "todo.updated",
        "tool.called",
        "tool.returned",
        "message.completed",
        "task.completed",
    ]
    stored = dict((await events(task))[5:7])
    assert stored["tool.called"] == {"name": "lookup_customer", "call_id": "c3", "arguments": {}}
    assert stored["tool.returned"]["summary"].startswith("customer Jane Doe, 2 recent_orders")
    statuses = [t.status async for t in Todo.objects.filter(task=task).order_by("position")]
    assert statuses == ["done", "pending"]


async def test_event_seq_is_contiguous_without_gaps():
    task, _ = await setup()

    task = await run_task(
        task,
        [
            turn(
                call("lookup_customer", {}, id="a"),
                call("get_order", {"order_number": "ORD-1"}, id="b"),
            ),
            final("ok"),
        ],
    )

    seqs = [e.seq async for e in task.events.order_by("seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert task.last_seq == len(seqs)


async def test_bad_tool_calls_get_error_results_and_the_run_goes_on():
    task, _ = await setup()
    model = ScriptedModel(
        [
            turn(
                call("no_such_tool", {}, id="u1"),
                call("get_order", '{"order_number": ', id="m1"),
                call("get_order", {"order_number": 42}, id="w1"),
                call("get_order", {"order_number": "ORD-9"}, id="o1"),
            ),
            final("Could not find that order."),
        ]
    )

    task = await run_task(task, model)

    assert task.status == Task.Status.COMPLETED
    outputs = tool_outputs(model.calls[1])
    assert "no_such_tool" in outputs["u1"]["error"]
    assert outputs["m1"] == {"error": TOOL_BAD_JSON, "field": "arguments"}
    assert outputs["w1"]["error"].startswith(TOOL_BAD_ARGUMENTS)
    assert outputs["o1"]["error"] == ORDER_NOT_FOUND
    failed = [d for t, d in await events(task) if t == "tool.failed"]
    assert {d["call_id"]: d["name"] for d in failed} == {
        "u1": "no_such_tool",
        "m1": "get_order",
        "w1": "get_order",
        "o1": "get_order",
    }
    assert not await Refund.objects.aexists()


async def test_a_refund_pauses_the_run_for_approval():
    task, world = await setup()
    customer = world["customer"]
    refund = {"order_number": "ORD-2", "amount": "19.00", "reason": "duplicate October charge"}

    task = await run_task(task, [turn(call("issue_refund", refund, id="r1"))])

    assert task.status == Task.Status.AWAITING_APPROVAL
    approval = await ApprovalRequest.objects.aget(task=task)
    assert approval.call_id == "r1"
    assert approval.tool_name == "issue_refund"
    assert approval.arguments == refund
    assert approval.summary == "Refund $19.00 on ORD-2 (duplicate October charge)"
    assert approval.reason == "duplicate October charge"
    assert approval.status == ApprovalRequest.Status.PENDING
    assert task.run_state_version == RUN_STATE_VERSION
    state = await RunState.from_json(
        support_agent, json.loads(task.run_state), context_deserializer=SupportContext.deserialize
    )
    assert [item.raw_item.call_id for item in state.get_interruptions()] == ["r1"]
    assert state._context is not None and state._context.context.customer_id == customer.pk
    types = await event_types(task)
    assert types[-3:] == ["tool.called", "approval.requested", "task.status_changed"]
    assert not await Refund.objects.aexists()


async def test_two_refunds_in_one_turn_are_two_requests():
    task, _ = await setup()
    base = {"amount": "19.00", "reason": "duplicate"}

    task = await run_task(
        task,
        [
            turn(
                call("issue_refund", {**base, "order_number": "ORD-1"}, id="r1"),
                call("issue_refund", {**base, "order_number": "ORD-2"}, id="r2"),
            )
        ],
    )

    assert task.status == Task.Status.AWAITING_APPROVAL
    calls = [a.call_id async for a in ApprovalRequest.objects.filter(task=task).order_by("id")]
    assert calls == ["r1", "r2"]
    assert (await event_types(task)).count("approval.requested") == 2


async def test_an_invalid_refund_never_reaches_a_person():
    task, _ = await setup()
    model = ScriptedModel(
        [
            turn(
                call(
                    "issue_refund",
                    {"order_number": "ORD-1", "amount": "900", "reason": "x"},
                    id="r1",
                )
            ),
            final("Explained the limit."),
        ]
    )

    task = await run_task(task, model)

    assert task.status == Task.Status.COMPLETED
    assert tool_outputs(model.calls[1])["r1"]["error"] == REFUND_EXCEEDS_REFUNDABLE
    assert not await ApprovalRequest.objects.aexists()
    assert not await Refund.objects.aexists()


def _server_error() -> openai.InternalServerError:
    # The openai client numbers its retries in this header: the third attempt failed too.
    request = httpx2.Request(
        "POST", "https://api.openai.com/v1/responses", headers={"x-stainless-retry-count": "2"}
    )
    response = httpx2.Response(500, request=request)
    return openai.InternalServerError("Internal Server Error", response=response, body=None)


async def test_a_provider_failure_fails_the_task_with_a_reason_and_retry_recovers():
    task, _ = await setup()

    task = await run_task(task, [_server_error()])

    assert task.status == Task.Status.FAILED
    assert task.error == STATUS_ERROR.format(
        status=500, phrase="Internal Server Error", after=" after 3 attempts", detail=""
    )
    assert (await events(task))[-1] == ("task.failed", {"status": "failed", "error": task.error})

    await sync_to_async(task_retry)(task=task)
    task = await run_task(task, [final("Recovered.")])

    assert task.status == Task.Status.COMPLETED
    assert task.error == ""
    assert task.final_output == "Recovered."


async def test_too_many_turns_fails_with_the_limit(settings):
    settings.AGENT_MAX_TURNS = 2
    task, _ = await setup()

    task = await run_task(task, [turn(call("lookup_customer", {}, id=f"t{i}")) for i in range(3)])

    assert task.status == Task.Status.FAILED
    assert task.error == MAX_TURNS_REASON.format(turns=2)


async def test_cancel_stops_the_run_after_the_current_turn():
    task, _ = await setup()

    async def cancel_midway(model_call: Any) -> ModelStep:
        await sync_to_async(task_cancel)(task=task)
        return turn(call("lookup_customer", {}, id="c2"))

    model = ScriptedModel(
        [
            turn(call("lookup_customer", {}, id="c1")),
            ModelStep.respond(cancel_midway),
            final("never"),
        ]
    )

    task = await run_task(task, model)

    assert task.status == Task.Status.CANCELLED
    assert model.remaining_steps == 1
    types = await event_types(task)
    assert types[-1] == "task.cancelled"
    assert types.count("tool.returned") == 2


async def test_a_cancel_seen_only_in_the_database_stops_the_run_a_turn_later():
    # Another process cancelled (no in-process signal): the worker reads it from its writes.
    task, _ = await setup()

    async def cancel_elsewhere(model_call: Any) -> ModelStep:
        await Task.objects.filter(pk=task.pk).aupdate(cancel_requested=True)
        return turn(call("lookup_customer", {}, id="c1"))

    model = ScriptedModel(
        [
            ModelStep.respond(cancel_elsewhere),
            turn(call("lookup_customer", {}, id="c2")),
            turn(call("lookup_customer", {}, id="c3")),
            final("never"),
        ]
    )

    task = await run_task(task, model)

    assert task.status == Task.Status.CANCELLED
    assert model.remaining_steps >= 1


async def test_follow_up_continues_the_same_conversation():
    task, _ = await setup()
    task = await run_task(task, [final("Refund requested.")])

    await sync_to_async(task_follow_up)(task=task, text="Also check ORD-1 please.")
    model = ScriptedModel([final("ORD-1 is fine.")])
    task = await run_task(task, model)

    assert task.status == Task.Status.COMPLETED
    assert task.final_output == "ORD-1 is fine."
    sent = model.first_call.input
    contents = [json.dumps(item) for item in sent]
    assert "Charged twice" in contents[0]
    assert "Refund requested." in contents[1]
    assert sent[-1] == {"role": "user", "content": "Also check ORD-1 please."}
    assert len(task.history) == len(sent) + 1


async def test_a_responses_api_follow_up_sends_only_the_new_message_and_keeps_history():
    task, _ = await setup()
    task = await run_task(task, [final("First answer.")])
    await sync_to_async(task_follow_up)(task=task, text="More?")
    task = await sync_to_async(task_claim)(task_id=task.pk, owner="w1")
    model = ScriptedModel([final("Second answer.")])

    run = TaskRun(
        task,
        owner="w1",
        agent=build_agent(model),
        model_name="gpt-5-mini",
        input=[task.history[-1]],
        previous_response_id=task.previous_response_id,
    )
    await run.execute()

    assert model.first_call.previous_response_id == "resp-789"
    assert model.first_call.input == [{"role": "user", "content": "More?"}]
    task = await Task.objects.aget(pk=task.pk)
    texts = json.dumps(task.history)
    assert texts.index("Charged twice") < texts.index("First answer.") < texts.index("More?")
    assert texts.index("More?") < texts.index("Second answer.")


async def test_usage_and_cost_accumulate_from_the_price_table():
    task, _ = await setup()

    task = await run_task(
        task,
        [
            turn(call("lookup_customer", {}, id="c1"), input_tokens=1000, output_tokens=100),
            final("done", input_tokens=3000, output_tokens=400),
        ],
        name="gpt-5-mini",
    )

    assert (task.input_tokens, task.output_tokens) == (4000, 500)
    # gpt-5-mini: $0.25 in, $2.00 out per 1M tokens.
    assert task.cost == Decimal("0.002000")
    assert task.model == "gpt-5-mini"
    usage = [d for t, d in await events(task) if t == "usage.updated"]
    assert usage[-1] == {
        "input_tokens": 4000,
        "output_tokens": 500,
        "total_tokens": 4500,
        "cost": "0.002000",
    }


async def test_the_agent_writes_to_the_ticket_only_through_its_tools():
    task, _ = await setup()

    task = await run_task(
        task,
        [
            turn(
                call("reply_to_customer", {"body": "We are looking into it."}, id="a"),
                call("add_internal_note", {"body": "Duplicate found."}, id="b"),
                call("set_ticket_status", {"status": "solved"}, id="c"),
            ),
            final("Solved."),
        ],
    )

    ticket = await sync_to_async(lambda: task.ticket)()
    await ticket.arefresh_from_db()
    assert ticket.status == "solved"
    bodies = [m.body async for m in TicketMessage.objects.filter(task=task).order_by("id")]
    # The calls of one turn run concurrently: the reply passes the output guardrail first.
    assert sorted(bodies) == ["Duplicate found.", "We are looking into it."]


async def test_a_cancel_during_the_turn_that_asks_for_a_refund_cancels_instead_of_pausing():
    # Staff cancelled while the model asked for a refund: nobody should be asked to approve it.
    task, _ = await setup()
    refund = {"order_number": "ORD-2", "amount": "19.00", "reason": "duplicate"}

    async def cancel_and_refund(model_call: Any) -> ModelStep:
        await sync_to_async(task_cancel)(task=task)
        return turn(call("issue_refund", refund, id="r1"))

    task = await run_task(task, ScriptedModel([ModelStep.respond(cancel_and_refund)]))

    assert task.status == Task.Status.CANCELLED
    assert task.run_state == ""
    assert not await ApprovalRequest.objects.aexists()
    assert (await event_types(task))[-1] == "task.cancelled"


async def test_a_worker_that_lost_its_task_adds_nothing_to_the_timeline_and_stops():
    # The lease expired and another worker claimed the task while this one was mid-turn.
    task, _ = await setup()

    async def taken_over(model_call: Any) -> ModelStep:
        await Task.objects.filter(pk=task.pk).aupdate(lease_owner="another-worker")
        return turn(call("lookup_customer", {}, id="c1"))

    model = ScriptedModel(
        [
            ModelStep.respond(taken_over),
            turn(call("lookup_customer", {}, id="c2")),
            final("never"),
        ]
    )

    task = await run_task(task, model)

    assert task.status == Task.Status.RUNNING
    assert task.lease_owner == "another-worker"
    assert await event_types(task) == ["task.created", "task.started"]
    assert model.remaining_steps >= 1
