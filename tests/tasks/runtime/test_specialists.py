"""Specialists by handoff: the support agent hands a billing case to the billing specialist
(the only agent with the money tool) and a technical one to the technical specialist (the only
one that writes the knowledge base). Approvals pause and resume through the specialist on a
fresh worker; the timeline and trace show which agent acted. A handoff the model invents is an
error result and the run goes on; with specialists off, one agent has every tool."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from tasks.agents.providers.offline import OfflineSupportModel
from tasks.demo.data import SCENARIO_TICKETS
from tasks.demo.seed import seed_demo
from tasks.models import ApprovalRequest, Task, TaskSpan, Ticket
from tasks.services.approvals import approval_decide
from tasks.services.task_start import task_start_for_ticket
from tasks.task_selectors import task_panel
from tests.factories import make_customer, make_ticket, make_user
from tests.tasks.approval_helpers import decide, refund_call, refund_turn, world
from tests.tasks.task_helpers import ScriptedModel, call, events, final, run_task, turn
from tools_app.models import Refund

pytestmark = pytest.mark.django_db(transaction=True)

HAND_TO_BILLING = "hand_to_billing_specialist"
HAND_TO_TECHNICAL = "hand_to_technical_specialist"


@pytest.fixture(autouse=True)
def specialists_on(settings):
    settings.AGENT_SPECIALISTS = True
    settings.AGENTDESK_TRACES = True


def _tools(request) -> set[str]:
    return {tool.name for tool in request.tools} | {h.tool_name for h in request.handoffs}


@pytest.mark.asyncio
async def test_a_billing_case_goes_to_the_billing_specialist_and_its_refund_resumes():
    w = await world()
    model = ScriptedModel(
        [
            turn(call(HAND_TO_BILLING, {}, id="h")),
            refund_turn(refund_call("ORD-2", id="r")),
        ]
    )
    task = await run_task(w.task, model)
    assert task.status == Task.Status.AWAITING_APPROVAL

    triage, billing = model.calls[0], model.calls[1]
    assert "issue_refund" not in _tools(triage) and HAND_TO_BILLING in _tools(triage)
    assert "hand a case to a specialist first" in (triage.system_instructions or "").lower()
    assert "issue_refund" in _tools(billing) and "write_document" not in _tools(billing)
    assert (billing.system_instructions or "").startswith("You are AgentDesk's billing specialist")

    await decide(w, "r")
    resumed = ScriptedModel([final("Refunded the duplicate.")])
    task = await run_task(task, resumed)  # a fresh worker: the run resumes in the specialist

    assert task.status == Task.Status.COMPLETED
    assert await Refund.objects.filter(task=task).acount() == 1
    assert "issue_refund" in _tools(resumed.calls[0])  # still the billing specialist
    kinds = [(t, d) for t, d in await events(task)]
    [handoff] = [d for t, d in kinds if t == "agent.handoff"]
    assert handoff == {"from": "AgentDesk support agent", "to": "Billing specialist"}
    [refund_called] = [d for t, d in kinds if t == "tool.called" and d["name"] == "issue_refund"]
    assert refund_called["agent"] == "Billing specialist"

    panel = await sync_to_async(task_panel)(task=task)
    titles = [e.title for e in panel.timeline]
    assert "Handed to the billing specialist" in titles
    assert any(e.agent == "Billing specialist" for e in panel.timeline if e.kind == "tool")
    spans = [s async for s in TaskSpan.objects.filter(task=task)]
    assert {"Billing specialist", "AgentDesk support agent"} <= {
        s.name for s in spans if s.kind == "agent"
    }
    assert any(s.kind == "handoff" for s in spans)


def _technical_task() -> Task:
    ticket = make_ticket(customer=make_customer(), category=Ticket.Category.BUG_REPORT)
    return task_start_for_ticket(ticket=ticket, user=make_user())[0]


@pytest.mark.asyncio
async def test_a_technical_case_goes_to_the_technical_specialist():
    model = ScriptedModel([turn(call(HAND_TO_TECHNICAL, {}, id="h")), final("Answered.")])
    task = await run_task(await sync_to_async(_technical_task)(), model)
    assert task.status == Task.Status.COMPLETED
    technical = _tools(model.calls[1])
    assert "write_document" in technical and "issue_refund" not in technical
    assert (model.calls[1].system_instructions or "").startswith(
        "You are AgentDesk's technical specialist"
    )


@pytest.mark.asyncio
async def test_an_invented_handoff_is_an_error_result_and_the_run_goes_on():
    model = ScriptedModel(
        [turn(call("hand_to_legal_team", {}, id="x")), final("Worked it myself.")]
    )
    task = await run_task(await sync_to_async(_technical_task)(), model)
    assert task.status == Task.Status.COMPLETED
    [output] = [
        json.loads(item["output"])
        for item in model.calls[1].input
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    assert output["error"].startswith("There is no tool named 'hand_to_legal_team'")


@pytest.mark.asyncio
async def test_without_specialists_one_agent_has_every_tool(settings):
    settings.AGENT_SPECIALISTS = False
    model = ScriptedModel([final("Done.")])
    await run_task((await world()).task, model)
    tools = _tools(model.calls[0])
    assert {"issue_refund", "write_document"} <= tools and HAND_TO_BILLING not in tools


def _demo_duplicate() -> Task:
    seed_demo()
    ticket = Ticket.objects.get(number=SCENARIO_TICKETS["duplicate_charge"])
    return task_start_for_ticket(ticket=ticket, user=User.objects.get(username="support"))[0]


def _approve(task: Task) -> None:
    approval = ApprovalRequest.objects.get(task=task)
    approval_decide(
        approval_id=approval.pk, user=User.objects.get(username="approver"), approve=True
    )


@pytest.mark.asyncio
async def test_the_offline_model_hands_off_and_its_refund_is_approved_and_paid():
    task = await sync_to_async(_demo_duplicate)()
    task = await run_task(task, OfflineSupportModel(delay=0), name="agentdesk-offline")
    assert task.status == Task.Status.AWAITING_APPROVAL
    await sync_to_async(_approve)(task)
    task = await run_task(task, OfflineSupportModel(delay=0), name="agentdesk-offline")

    assert task.status == Task.Status.COMPLETED and task.outcome == Task.Outcome.REFUNDED
    types = [t for t, _ in await events(task)]
    assert types.count("agent.handoff") == 1
    assert types.index("agent.handoff") < types.index("approval.requested")


@pytest.mark.asyncio
async def test_a_specialist_that_loops_stops_at_the_turn_limit_with_a_readable_reason(settings):
    settings.AGENT_MAX_TURNS = 4
    looping = [turn(call("lookup_customer", {}, id=f"l{i}")) for i in range(6)]
    model = ScriptedModel([turn(call(HAND_TO_TECHNICAL, {}, id="h")), *looping])
    task = await run_task(await sync_to_async(_technical_task)(), model)
    assert task.status == Task.Status.FAILED
    assert task.error == (
        "The technical specialist stopped after 4 turns without finishing (the turn limit);"
        " Retry starts again with the support agent."
    )
    assert "agent.handoff" in [t for t, _ in await events(task)]


def _task_page(task: Task) -> str:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(User.objects.get(username="support"))
    response = client.get(reverse("tasks:task_detail", args=[task.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.asyncio
async def test_the_task_page_shows_the_handoff_and_the_specialists_calls():
    task = await sync_to_async(_demo_duplicate)()
    task = await run_task(task, OfflineSupportModel(delay=0), name="agentdesk-offline")
    html = await sync_to_async(_task_page)(task)
    assert "Handed to the billing specialist" in html
    assert '<span class="tl-agent small">Billing specialist</span>' in html


def test_a_replay_goes_on_with_the_specialist_that_had_the_case(settings):
    from tasks.agents.support import agent_for_history, build_agent

    triage = build_agent("m")
    handed = [
        {"role": "user", "content": "Ticket #1"},
        {"type": "function_call", "name": HAND_TO_BILLING, "call_id": "h", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "h", "output": "{}"},
    ]
    assert agent_for_history(triage, handed).name == "Billing specialist"
    assert "issue_refund" in {t.name for t in agent_for_history(triage, handed).tools}
    # a follow-up is a new request: the support agent triages it again
    followup = [*handed, {"role": "user", "content": "And the other charge?"}]
    assert agent_for_history(triage, followup) is triage
    assert agent_for_history(triage, handed[:1]) is triage


@pytest.mark.asyncio
@pytest.mark.parametrize("arguments", ['{"order": "ORD-9", "approved": true}', "not json"])
async def test_a_handoff_with_stray_arguments_still_hands_off_and_nothing_else(arguments):
    w = await world()
    model = ScriptedModel([turn(call(HAND_TO_BILLING, arguments, id="h")), final("Looked at it.")])
    task = await run_task(w.task, model)
    assert task.status == Task.Status.COMPLETED
    assert await Refund.objects.filter(task=task).acount() == 0
    assert (model.calls[1].system_instructions or "").startswith(
        "You are AgentDesk's billing specialist"
    )
