"""Each agent tool called the way the SDK calls it: JSON arguments in, a JSON string out."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from agents import FunctionTool
from agents.tool_context import ToolContext
from asgiref.sync import sync_to_async
from django.utils import timezone

from tasks.agents.support import KNOWLEDGE, support_agent
from tasks.agents.tools import SUPPORT_TOOLS
from tasks.agents.tools.refunds import refund_validate
from tasks.models import ApprovalRequest, Task, Ticket, TicketMessage, Todo
from tasks.selectors import TICKET_NOT_FOUND
from tasks.services.task_refunds import REFUND_NOT_APPROVED
from tasks.services.task_todos import TODO_NOT_FOUND, TODO_TEXT_INVALID, TODOS_COUNT_INVALID
from tests.factories import (
    make_approval,
    make_customer,
    make_order,
    make_refund_policy,
    make_ticket,
)
from tools_app.agent_tools import base as tool_base
from tools_app.agent_tools.base import (
    NO_CUSTOMER,
    TOOL_BAD_ARGUMENTS,
    TOOL_BAD_JSON,
    TOOL_TIMED_OUT,
    support_tool,
)
from tools_app.agent_tools.context import SupportContext
from tools_app.agent_tools.knowledge import KIND_INVALID, RUNBOOK_NOT_FOUND
from tools_app.errors import ApplicationError
from tools_app.models import Article, Order, Refund
from tools_app.selectors import ORDER_NOT_FOUND
from tools_app.services.refunds import REFUND_ABOVE_LIMIT, REFUND_OUTSIDE_WINDOW

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TOOLS: dict[str, FunctionTool] = {t.name: t for t in SUPPORT_TOOLS}


async def invoke(
    name: str, arguments: dict[str, Any] | str, ctx: SupportContext, *, call_id: str = "call-1"
) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    tool_context = ToolContext(
        context=ctx, tool_name=name, tool_call_id=call_id, tool_arguments=raw
    )
    output = await TOOLS[name].on_invoke_tool(tool_context, raw)
    assert isinstance(output, str)
    return json.loads(output)


def _world() -> dict[str, Any]:
    """A customer with a ticket and two orders, another customer with one order."""
    make_refund_policy()
    customer = make_customer(name="Jane Doe", email="jane@example.com")
    other = make_customer()
    ticket = make_ticket(customer=customer, category=Ticket.Category.REFUND)
    task = Task.objects.create(ticket=ticket, title="t", model="m", status=Task.Status.RUNNING)
    older = make_order(customer=customer, number="ORD-1", charged_at=timezone.now() - timedelta(5))
    newer = make_order(customer=customer, number="ORD-2", amount=Decimal("19.00"))
    foreign = make_order(customer=other, number="ORD-9")
    Article.objects.create(
        kind=Article.Kind.RUNBOOK,
        slug="refund-runbook",
        category="refund",
        title="Refunds",
        body="Check the order, then the policy.",
    )
    ctx = SupportContext(
        task_id=task.pk, ticket_id=ticket.pk, customer_id=customer.pk, user_id=None
    )
    return {"ctx": ctx, "task": task, "ticket": ticket, "orders": (older, newer, foreign)}


@pytest_asyncio.fixture
async def world() -> dict[str, Any]:
    return await sync_to_async(_world)()


async def test_lookup_customer_returns_profile_and_orders_newest_first(world):
    result = await invoke("lookup_customer", {}, world["ctx"])

    assert result["customer"]["name"] == "Jane Doe"
    assert [o["number"] for o in result["recent_orders"]] == ["ORD-2", "ORD-1"]
    order = result["recent_orders"][0]
    assert order["amount"] == "19.00"
    assert order["refundable_amount"] == "19.00"
    assert set(order) >= {"kind", "billing_period", "charged_at", "status", "currency"}


async def test_customer_tools_need_a_customer(world):
    ctx = SupportContext(task_id=world["task"].pk, ticket_id=None, customer_id=None, user_id=None)

    result = await invoke("lookup_customer", {}, ctx)

    assert result == {"error": NO_CUSTOMER}


async def test_get_order_of_another_customer_reads_as_missing(world):
    own = await invoke("get_order", {"order_number": "ORD-1"}, world["ctx"])
    foreign = await invoke("get_order", {"order_number": "ORD-9"}, world["ctx"])
    missing = await invoke("get_order", {"order_number": "ORD-404"}, world["ctx"])

    assert own["order"]["number"] == "ORD-1"
    assert foreign["error"] == missing["error"] == ORDER_NOT_FOUND
    assert foreign["field"] == "order_number"


async def test_malformed_json_and_wrong_types_get_a_readable_error(world):
    broken = await invoke("get_order", '{"order_number": "ORD-1"', world["ctx"])
    wrong_type = await invoke("set_todo_status", {"todo_id": "x", "status": "done"}, world["ctx"])
    missing_arg = await invoke("get_order", {}, world["ctx"])
    bad_choice = await invoke("set_ticket_status", {"status": "closed"}, world["ctx"])

    assert broken == {"error": TOOL_BAD_JSON, "field": "arguments"}
    assert wrong_type["error"].startswith(TOOL_BAD_ARGUMENTS)
    assert wrong_type["field"] == "todo_id"
    assert missing_arg["field"] == "order_number"
    assert bad_choice["field"] == "status"
    ticket = await Ticket.objects.aget(pk=world["ticket"].pk)
    assert ticket.status == Ticket.Status.NEW


async def test_ticket_thread_and_search(world):
    thread = await invoke("get_ticket_thread", {}, world["ctx"])
    found = await invoke("search_tickets", {"query": str(world["ticket"].number)}, world["ctx"])

    assert thread["ticket"]["number"] == world["ticket"].number
    assert thread["messages"][0]["author"] == "customer"
    assert [t["number"] for t in found["tickets"]] == [world["ticket"].number]


async def test_ticket_thread_of_a_missing_ticket_is_a_readable_error(world):
    ctx = SupportContext(
        task_id=world["task"].pk,
        ticket_id=world["ticket"].pk + 1000,
        customer_id=None,
        user_id=None,
    )

    result = await invoke("get_ticket_thread", {}, ctx)

    assert result == {"error": TICKET_NOT_FOUND, "field": "ticket"}


async def test_reply_and_note_are_idempotent_per_call_id(world):
    first = await invoke("reply_to_customer", {"body": "Refund on its way."}, world["ctx"])
    again = await invoke("reply_to_customer", {"body": "Refund on its way."}, world["ctx"])
    note = await invoke("add_internal_note", {"body": "Checked."}, world["ctx"], call_id="c2")

    assert first["message"]["id"] == again["message"]["id"]
    messages = [
        m
        async for m in TicketMessage.objects.filter(
            ticket_id=world["ticket"].pk, author_kind="agent"
        ).order_by("id")
    ]
    assert [(m.body, m.is_internal) for m in messages] == [
        ("Refund on its way.", False),
        ("Checked.", True),
    ]
    assert note["message"]["id"] == messages[1].pk


async def test_empty_reply_is_an_error(world):
    result = await invoke("reply_to_customer", {"body": "  "}, world["ctx"])

    assert result["field"] == "body"
    assert not await TicketMessage.objects.filter(author_kind="agent").aexists()


async def test_set_ticket_status(world):
    result = await invoke("set_ticket_status", {"status": "solved"}, world["ctx"])

    assert result == {"ticket": {"number": world["ticket"].number, "status": "solved"}}


async def test_runbook_policies_and_documents(world):
    runbook = await invoke("get_runbook", {"category": "refund"}, world["ctx"])
    none = await invoke("get_runbook", {"category": "zzz"}, world["ctx"])
    policies = await invoke("search_policies", {"query": "refund"}, world["ctx"])
    written = await invoke(
        "write_document", {"title": "Dup charges", "body": "How to spot them."}, world["ctx"]
    )
    read = await invoke("read_document", {"slug": written["document"]["slug"]}, world["ctx"])
    missing = await invoke("read_document", {"slug": "nope"}, world["ctx"])

    assert runbook["runbook"]["slug"] == "refund-runbook"
    assert none["error"] == RUNBOOK_NOT_FOUND
    assert policies["policies"][0]["slug"] == "refund-policy"
    assert policies["policies"][0]["rules"]["refund_window_days"] == 30
    assert read["article"]["body"] == "How to spot them."
    assert missing["field"] == "slug"


async def test_search_knowledge_base_finds_documents_of_every_kind(world):
    await Article.objects.acreate(
        kind=Article.Kind.DOCUMENT,
        slug="help-inviting-teammates",
        title="Help centre: inviting teammates and roles",
        body="Admins invite people from Settings > Team > Invite. " * 20,
    )

    found = await invoke(
        "search_knowledge_base", {"query": "How do I add people to our team?"}, world["ctx"]
    )
    policies_only = await invoke(
        "search_knowledge_base", {"query": "invite team", "kind": "policy"}, world["ctx"]
    )
    refunds = await invoke(
        "search_knowledge_base", {"query": "refund", "kind": " Runbook "}, world["ctx"]
    )

    [hit] = found["articles"]
    assert set(hit) == {"slug", "kind", "title", "excerpt"}
    assert (hit["slug"], hit["kind"]) == ("help-inviting-teammates", "document")
    assert hit["excerpt"].startswith("Admins invite people") and len(hit["excerpt"]) <= 300
    assert policies_only == {"articles": []}
    assert [a["slug"] for a in refunds["articles"]] == ["refund-runbook"]


async def test_search_knowledge_base_rejects_an_unknown_kind(world):
    result = await invoke("search_knowledge_base", {"query": "refund", "kind": "faq"}, world["ctx"])

    assert result == {"error": KIND_INVALID, "field": "kind", "value": "faq"}


async def test_the_support_agent_has_the_knowledge_base_search():
    assert "search_knowledge_base" in {tool.name for tool in support_agent.tools}
    assert "search_knowledge_base" in KNOWLEDGE


async def test_todo_tools_validate_and_stay_within_the_task(world):
    added = await invoke("add_todos", {"texts": ["Look", "Reply"]}, world["ctx"])
    todo_id = added["todos"][0]["id"]
    done = await invoke("set_todo_status", {"todo_id": todo_id, "status": "done"}, world["ctx"])
    too_many = await invoke("add_todos", {"texts": ["x"] * 13}, world["ctx"])
    empty = await invoke("add_todos", {"texts": ["ok", " "]}, world["ctx"])
    elsewhere = SupportContext(
        task_id=world["task"].pk + 1000, ticket_id=None, customer_id=None, user_id=None
    )
    foreign = await invoke("set_todo_status", {"todo_id": todo_id, "status": "done"}, elsewhere)

    assert [t["position"] for t in added["todos"]] == [1, 2]
    assert done["todo"]["status"] == "done"
    assert too_many["error"] == TODOS_COUNT_INVALID
    assert empty["error"] == TODO_TEXT_INVALID
    assert foreign["error"] == TODO_NOT_FOUND
    assert await Todo.objects.filter(task_id=world["task"].pk).acount() == 2


async def test_refund_validation_passes_only_what_the_rules_allow(world):
    ctx = ToolContext(
        context=world["ctx"], tool_name="issue_refund", tool_call_id="r1", tool_arguments="{}"
    )
    ok = {"order_number": "ORD-2", "amount": "19.00", "reason": "duplicate"}

    await refund_validate(ctx, ok, "r1")
    for bad in ({"order_number": "ORD-9"}, {"amount": "900.00"}, {"amount": "abc"}):
        with pytest.raises(ApplicationError):
            await refund_validate(ctx, {**ok, **bad}, "r1")


async def test_refund_body_refuses_what_the_policy_forbids_and_what_nobody_approved(world):
    await Order.objects.filter(number="ORD-1").aupdate(
        charged_at=timezone.now() - timedelta(days=90)
    )
    args = {"order_number": "ORD-1", "amount": "10.00", "reason": "late"}

    outside = await invoke("issue_refund", args, world["ctx"])
    too_big = await invoke(
        "issue_refund", {**args, "order_number": "ORD-2", "amount": "300"}, world["ctx"]
    )
    not_approved = await invoke("issue_refund", {**args, "order_number": "ORD-2"}, world["ctx"])

    assert outside["error"] == REFUND_OUTSIDE_WINDOW
    assert too_big["error"] in {
        REFUND_ABOVE_LIMIT,
        "The refund amount is more than what remains refundable on the order.",
    }
    assert not_approved["error"] == REFUND_NOT_APPROVED
    assert not await Refund.objects.aexists()


async def test_an_approved_refund_executes_once(world):
    args = {"order_number": "ORD-2", "amount": "19.00", "reason": "duplicate charge"}
    approval = await sync_to_async(make_approval)(
        task=world["task"],
        order=world["orders"][1],
        arguments=args,
        call_id="r1",
        status=ApprovalRequest.Status.APPROVED,
    )

    first = await invoke("issue_refund", args, world["ctx"], call_id="r1")
    again = await invoke("issue_refund", args, world["ctx"], call_id="r1")

    assert first["refund"] == again["refund"]
    assert first["refund"]["order_status"] == "refunded"
    assert await Refund.objects.acount() == 1
    refund = await Refund.objects.aget()
    assert refund.idempotency_key == f"approval-{approval.pk}"
    await approval.arefresh_from_db()
    assert approval.refund_id == refund.pk and approval.used_at is not None


async def test_a_slow_tool_times_out(settings):
    settings.TOOL_TIMEOUT_SECONDS = 0.05

    @support_tool
    async def slow_tool() -> dict[str, Any]:
        """Sleeps."""
        await asyncio.sleep(1)
        return {}

    ctx = ToolContext(context=None, tool_name="slow_tool", tool_call_id="s", tool_arguments="{}")
    output = json.loads(await slow_tool.on_invoke_tool(ctx, "{}"))

    assert output["error"] == TOOL_TIMED_OUT


async def test_an_unexpected_tool_bug_is_reported_without_details():
    @support_tool
    async def buggy_tool() -> dict[str, Any]:
        """Fails."""
        raise RuntimeError("secret internals")

    ctx = ToolContext(context=None, tool_name="buggy_tool", tool_call_id="b", tool_arguments="{}")
    output = json.loads(await buggy_tool.on_invoke_tool(ctx, "{}"))

    assert output == {"error": tool_base.TOOL_UNEXPECTED}
