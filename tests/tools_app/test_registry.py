"""The tool registry: tools registered by name with their risk and permission, agents declared
by toolset (a newly registered tool reaches the support agent with no change to it), and tools
staff switch off in the admin: absent from the model's request and from the instructions, a
call to one gets an error result, and a tool every run needs cannot be switched off."""

from __future__ import annotations

import json
from typing import Any

import pytest
from agents import function_tool
from asgiref.sync import sync_to_async
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from tasks.agents.support import build_agent
from tasks.agents.tools.access import task_disabled_tools
from tasks.models import Task
from tasks.services.task_start import task_start_for_ticket
from tests.factories import make_customer, make_ticket, make_user
from tests.tasks.task_helpers import ScriptedModel, call, final, run_task, turn
from tools_app import registry
from tools_app.models import ToolSetting
from tools_app.registry import RegistryError, Risk, register, registered, tools_for
from tools_app.services.tool_settings import tool_settings_sync


@pytest.fixture
def own_registry(monkeypatch):
    """A copy of the registry this test may change (restored afterwards)."""
    monkeypatch.setattr(registry, "_TOOLS", dict(registry._TOOLS))


def _tool(name: str) -> Any:
    async def body() -> str:
        return "{}"

    body.__name__ = name
    return function_tool(body, name_override=name)


def test_the_support_tools_are_registered_with_their_risk_and_permission():
    assert registered("issue_refund").risk is Risk.MONEY
    assert registered("issue_refund").permission == "tasks.start_refund_work"
    assert registered("write_document").permission == "tools_app.add_article"
    assert registered("lookup_customer").risk is Risk.READ
    assert registered("reply_to_customer").required


def test_a_new_tool_reaches_the_support_agent_without_changing_it(own_registry):
    register(_tool("check_warranty"), Risk.READ)
    assert "check_warranty" in {t.name for t in build_agent("m").tools}
    register(_tool("lab_only"), Risk.READ, toolsets=("lab",))
    assert "lab_only" not in {t.name for t in build_agent("m").tools}
    assert [t.name for t in tools_for("lab")] == ["lab_only"]


def test_bad_registrations_fail_loudly(own_registry):
    with pytest.raises(RegistryError, match="already registered"):
        register(_tool("issue_refund"), Risk.READ)
    with pytest.raises(RegistryError, match="money tool cannot be required"):
        register(_tool("pay_out"), Risk.MONEY, required=True)
    with pytest.raises(RegistryError, match="No tool named 'nope'"):
        tools_for("support", names=["nope"])


@pytest.mark.django_db
def test_migrate_keeps_a_row_per_tool_and_staff_switches_stick():
    tool_settings_sync()
    row = ToolSetting.objects.get(name="issue_refund")
    assert (row.risk, row.permission, row.enabled) == ("money", "tasks.start_refund_work", True)
    ToolSetting.objects.filter(name="get_order").update(enabled=False, description="stale")
    ToolSetting.objects.create(name="retired_tool", risk="read")

    assert tool_settings_sync() == 0
    row = ToolSetting.objects.get(name="get_order")
    assert not row.enabled and row.description.startswith("Get one order")
    assert not ToolSetting.objects.get(name="retired_tool").registered


def _billing_task() -> Task:
    ticket = make_ticket(customer=make_customer(), category="billing", body="Charged twice.")
    return task_start_for_ticket(ticket=ticket, user=make_user())[0]


@pytest.mark.django_db
def test_a_switched_off_tool_is_disabled_for_every_run():
    tool_settings_sync()
    task = _billing_task()
    assert task_disabled_tools(task=task) == ()
    ToolSetting.objects.filter(name__in=["get_order", "issue_refund"]).update(enabled=False)
    assert task_disabled_tools(task=task) == ("get_order", "issue_refund")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_switched_off_tool_is_not_offered_and_a_call_to_it_is_an_error():
    await sync_to_async(tool_settings_sync)()
    await ToolSetting.objects.filter(name="get_order").aupdate(enabled=False)
    model = ScriptedModel(
        [turn(call("get_order", {"order_number": "ORD-1"}, id="g")), final("Done.")]
    )
    task = await run_task(await sync_to_async(_billing_task)(), model)

    assert task.status == Task.Status.COMPLETED
    first = model.calls[0]
    assert "get_order" not in {t.name for t in first.tools}
    assert "get_order" not in (first.system_instructions or "")
    assert "lookup_customer" in (first.system_instructions or "")
    [output] = [
        json.loads(item["output"])
        for item in model.calls[1].input
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    assert output["error"].startswith("There is no tool named 'get_order'")


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(make_user(username="root", is_superuser=True))
    return client


@pytest.mark.django_db
def test_the_admin_lists_the_registry_and_audits_a_switch(superuser_client):
    tool_settings_sync()
    url = reverse("admin:tools_app_toolsetting_changelist")
    page = superuser_client.get(url)
    assert page.status_code == 200 and b"issue_refund" in page.content

    row = ToolSetting.objects.get(name="write_document")
    response = superuser_client.post(url, {"action": "switch_off", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert not ToolSetting.objects.get(pk=row.pk).enabled
    assert LogEntry.objects.filter(object_id=str(row.pk)).exists()


@pytest.mark.django_db
def test_the_admin_refuses_to_switch_off_a_tool_every_run_needs(superuser_client):
    tool_settings_sync()
    row = ToolSetting.objects.get(name="reply_to_customer")
    url = reverse("admin:tools_app_toolsetting_change", args=[row.pk])
    response = superuser_client.post(url, {})  # the checkbox left empty: switched off
    assert response.status_code == 200
    assert b"reply_to_customer is needed by every run" in response.content
    assert ToolSetting.objects.get(pk=row.pk).enabled

    changelist = reverse("admin:tools_app_toolsetting_changelist")
    superuser_client.post(changelist, {"action": "switch_off", "_selected_action": [row.pk]})
    assert ToolSetting.objects.get(pk=row.pk).enabled


@pytest.mark.django_db
def test_a_process_reuses_the_switches_for_a_moment_and_its_own_saves_apply_at_once(settings):
    from tools_app.selectors import tools_switched_off, tools_switched_off_forget

    settings.TOOL_SWITCHES_SECONDS = 60
    tool_settings_sync()
    tools_switched_off_forget()
    assert tools_switched_off() == frozenset()
    # another process switches a tool off: this one sees it when its copy is older than 60 s
    ToolSetting.objects.filter(name="get_order").update(enabled=False)
    assert tools_switched_off() == frozenset()
    # a save here (the admin) applies at once
    row = ToolSetting.objects.get(name="write_document")
    row.enabled = False
    row.save()
    assert tools_switched_off() == {"get_order", "write_document"}
    tools_switched_off_forget()
