"""Every demo scenario, run by the offline model with the real agent and tools on the seeded
demo data: each category gets a sensible, policy-abiding outcome."""

from __future__ import annotations

import json

import pytest
from agents import Runner
from agents.items import ToolCallItem
from agents.result import RunResult
from asgiref.sync import sync_to_async
from openai.types.responses import ResponseFunctionToolCall

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.agents.support import build_agent
from tasks.demo.data import SCENARIO_TICKETS
from tasks.demo.seed import seed_demo
from tasks.models import Ticket, TicketMessage
from tasks.runtime.runner import run_config
from tasks.services.task_start import task_start_for_ticket
from tools_app.agent_tools.context import SupportContext
from tools_app.models import Article, Order, Refund

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def run_scenario(key: str) -> tuple[Ticket, RunResult, list[TicketMessage]]:
    ticket = await Ticket.objects.select_related("customer").aget(number=SCENARIO_TICKETS[key])
    task, _ = await sync_to_async(task_start_for_ticket)(ticket=ticket, user=None)
    context = SupportContext(task.pk, ticket.pk, ticket.customer_id, None)
    agent = build_agent(OfflineSupportModel(delay=0))
    result = await Runner.run(agent, task.input, context=context, run_config=run_config())
    await ticket.arefresh_from_db()
    written = [m async for m in TicketMessage.objects.filter(task=task).order_by("id")]
    return ticket, result, written


def refund_asked(result: RunResult) -> dict:
    [pending] = result.interruptions
    assert pending.name == "issue_refund"
    return json.loads(pending.arguments or "{}")


def calls(result: RunResult) -> list[tuple[str, dict]]:
    """The tool calls of the run, with their arguments."""
    return [
        (item.raw_item.name, json.loads(item.raw_item.arguments or "{}"))
        for item in result.new_items
        if isinstance(item, ToolCallItem) and isinstance(item.raw_item, ResponseFunctionToolCall)
    ]


def reply_and_note(written: list[TicketMessage]) -> tuple[str, str]:
    [reply] = [m.body for m in written if not m.is_internal]
    [note] = [m.body for m in written if m.is_internal]
    return reply, note


async def test_every_demo_scenario_gets_a_policy_abiding_outcome() -> None:
    await sync_to_async(seed_demo)()

    # the duplicate: found in the orders, the later charge refunded in full (paused)
    _, result, _ = await run_scenario("duplicate_charge")
    later = (
        await Order.objects.filter(customer__username="hannah.whitfield", kind="subscription")
        .order_by("-charged_at")
        .afirst()
    )
    assert later is not None
    assert refund_asked(result) | {"reason": ""} == {
        "order_number": later.number,
        "amount": f"{later.amount:.2f}",
        "reason": "",
    }

    # inside the policy: the keyboard named in the ticket (paused)
    ticket, result, _ = await run_scenario("refund_in_window")
    assert refund_asked(result)["order_number"] in ticket.subject

    # outside the window, above the limit, another customer's order: no refund at all
    ticket, result, written = await run_scenario("refund_outside_window")
    reply, note = reply_and_note(written)
    assert (ticket.status, result.interruptions) == ("solved", [])
    assert "not able to refund" in reply and "warranty" in reply

    ticket, result, written = await run_scenario("refund_above_limit")
    reply, note = reply_and_note(written)
    # handed to the team leads' queue (open, with the reason), not left pending with nobody on it
    assert ticket.status == "open" and "Team lead review" in note
    queue = (
        await Ticket.objects.filter(pk=ticket.pk)
        .values_list("escalation_queue__slug", "escalation_reason")
        .aget()
    )
    assert queue[0] == "team_leads" and "above the agent limit" in queue[1]

    ticket, result, written = await run_scenario("other_customer_order")
    reply, note = reply_and_note(written)
    assert ticket.status == "pending" and result.interruptions == []
    assert "social-engineering" in note and "Rachel" not in reply and "Goldberg" not in reply
    assert await Refund.objects.filter(task__isnull=False).acount() == 0

    # service tickets
    ticket, _, written = await run_scenario("late_shipment")
    reply, _ = reply_and_note(written)
    assert ticket.status == "pending" and "business days late" in reply and "$9.95" in reply

    ticket, _, written = await run_scenario("damaged_item")
    reply, _ = reply_and_note(written)
    assert ticket.status == "open" and "free replacement" in reply

    ticket, _, written = await run_scenario("account_access")
    reply, note = reply_and_note(written)
    assert ticket.status == "pending" and "secure link" in reply and "NOT made" in note

    # the bug is the known CSV issue: its workaround and fix status, the issue id noted
    ticket, result, written = await run_scenario("bug_report")
    reply, note = reply_and_note(written)
    assert ticket.status == "open"
    assert ("read_document", {"slug": "known-issue-csv-export-safari"}) in calls(result)
    assert '"Email me the export"' in reply and "release 5.13" in reply
    assert "internal note" not in reply and "DW-2291" in note
    assert not await Article.objects.filter(title__startswith="Bug report: CSV export").aexists()

    # the how-to is answered from the help-centre guide
    ticket, result, written = await run_scenario("how_to")
    reply, note = reply_and_note(written)
    assert ticket.status == "solved" and reply.startswith("Hi Amara,")
    assert ("read_document", {"slug": "help-inviting-teammates"}) in calls(result)
    assert "Settings > Team > Invite" in reply and "no account needed beforehand" in reply
    assert "colleague" not in reply and "help-inviting-teammates" in note

    ticket, _, written = await run_scenario("invoice_request")
    reply, _ = reply_and_note(written)
    assert ticket.status == "solved" and "VAT: GB 318 4492 07" in reply
