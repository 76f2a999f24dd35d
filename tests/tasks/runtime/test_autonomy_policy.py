"""Earned autonomy: an active autonomy policy approves a narrow class of refund at once, as a
recorded approval (the policy and its version), and the run resumes and pays through the same
binding and checks as a person's approval. A policy applies only once a second approver
approved its current version; an edit needs approving again; switching off applies at once;
the four-eyes rule holds; a negative or missing limit is refused in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tasks.models import ApprovalRequest, AutonomyPolicy, AutonomyPolicyChange, Task, Ticket
from tasks.services.autonomy import policy_approve, policy_save, policy_switch_off
from tasks.services.task_start import task_start_for_ticket
from tests.factories import (
    make_approver,
    make_customer,
    make_order,
    make_refund_policy,
    make_ticket,
    make_user,
)
from tests.tasks.approval_helpers import refund_call, refund_turn
from tests.tasks.task_helpers import ScriptedModel, events, final, run_task
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund

pytestmark = pytest.mark.django_db(transaction=True)


def _policy(editor: User, approver: User | None, **kw) -> AutonomyPolicy:
    policy = AutonomyPolicy(
        name=kw.pop("name", "Duplicate subscriptions"),
        action_class=kw.pop(
            "action_class", AutonomyPolicy.ActionClass.DUPLICATE_SUBSCRIPTION_REFUND
        ),
        max_amount=kw.pop("max_amount", Decimal("30.00")),
        categories=kw.pop("categories", ["billing"]),
        enabled=kw.pop("enabled", True),
    )
    policy = policy_save(policy=policy, user=editor)
    if approver is not None:
        policy = policy_approve(policy_id=policy.pk, user=approver)
    return policy


def _task(starter: User | None = None, *, duplicate: bool = True, amount: str = "19.00") -> Task:
    make_refund_policy()
    customer = make_customer(name="Jane Doe")
    for number, period in (("ORD-1", "2026-11"), ("ORD-2", "2026-11" if duplicate else "2026-10")):
        make_order(
            customer=customer,
            number=number,
            amount=Decimal(amount),
            kind=Order.Kind.SUBSCRIPTION,
            billing_period=period,
        )
    ticket = make_ticket(
        customer=customer,
        subject="Charged twice",
        body="Charged twice for November.",
        category=Ticket.Category.BILLING,
    )
    return task_start_for_ticket(ticket=ticket, user=starter or make_user())[0]


def _script(amount: str = "19.00") -> ScriptedModel:
    return ScriptedModel(
        [refund_turn(refund_call("ORD-2", id="r1", amount=amount)), final("Refunded the twin.")]
    )


def _request(task: Task) -> ApprovalRequest:
    return ApprovalRequest.objects.select_related("decided_by_policy").get(task=task)


@pytest.mark.asyncio
async def test_an_active_policy_approves_and_the_run_pays_without_waiting():
    editor, second = await sync_to_async(make_approver)(), await sync_to_async(make_approver)()
    policy = await sync_to_async(_policy)(editor, second)
    task = await sync_to_async(_task)()

    task = await run_task(task, _script())

    assert task.status == Task.Status.COMPLETED and task.outcome == Task.Outcome.REFUNDED
    request = await sync_to_async(_request)(task)
    assert request.status == ApprovalRequest.Status.APPROVED and request.decided_by_id is None
    assert request.decided_by_policy_id == policy.pk and request.policy_version == 1
    assert "duplicate 2026-11 subscription charge" in request.note
    refund = await Refund.objects.aget(task=task)
    assert refund.amount == Decimal("19.00") and request.digest  # bound to the exact action
    [decided] = [d for t, d in await events(task) if t == "approval.decided"]
    assert decided["decided_by"] == "autonomy policy \u201cDuplicate subscriptions\u201d v1"


def _pending_after(policy_kw: dict | None, *, task_kw: dict | None = None):
    editor, second = make_approver(), make_approver()
    if policy_kw is not None:
        _policy(editor, policy_kw.pop("approver", second), **policy_kw)
    starter = task_kw.pop("starter")(editor, second) if task_kw and "starter" in task_kw else None
    return _task(starter, **(task_kw or {}))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("policy_kw", "task_kw"),
    [
        (None, None),  # no policy
        ({"approver": None}, None),  # nobody approved this version
        ({"enabled": False}, None),  # switched off
        ({"max_amount": Decimal("10.00")}, None),  # above the limit
        ({}, {"duplicate": False}),  # another period's charge: not a duplicate
        ({"categories": ["refund"]}, None),  # another category
        ({}, {"starter": lambda editor, second: editor}),  # four-eyes: the editor's task
        ({}, {"starter": lambda editor, second: second}),  # four-eyes: the approver's
    ],
)
async def test_what_a_policy_does_not_cover_waits_for_a_person(policy_kw, task_kw):
    task = await sync_to_async(_pending_after)(policy_kw, task_kw=task_kw)
    task = await run_task(task, _script())
    assert task.status == Task.Status.AWAITING_APPROVAL
    request = await sync_to_async(_request)(task)
    assert request.status == ApprovalRequest.Status.PENDING
    assert not await Refund.objects.filter(task=task).aexists()


@pytest.mark.asyncio
async def test_switching_off_applies_to_the_next_request_at_once():
    editor, second = await sync_to_async(make_approver)(), await sync_to_async(make_approver)()
    policy = await sync_to_async(_policy)(editor, second)
    await sync_to_async(policy_switch_off)(policy_id=policy.pk, user=second)
    task = await run_task(await sync_to_async(_task)(), _script())
    assert task.status == Task.Status.AWAITING_APPROVAL


def test_an_edit_is_a_new_version_that_needs_a_second_approver():
    editor, second = make_approver(), make_approver()
    policy = _policy(editor, second)
    assert policy.active

    policy.max_amount = Decimal("50.00")
    policy = policy_save(policy=policy, user=second)
    assert policy.version == 2 and not policy.active
    with pytest.raises(ApplicationError, match="another approver must approve it"):
        policy_approve(policy_id=policy.pk, user=second)
    policy = policy_approve(policy_id=policy.pk, user=editor)
    assert policy.active

    kinds = list(policy.changes.order_by("at", "id").values_list("kind", "version"))
    assert kinds == [("created", 1), ("approved", 1), ("edited", 2), ("approved", 2)]
    assert policy.changes.filter(version=2, kind="edited").get().snapshot["max_amount"] == "50.00"


def test_only_approvers_edit_policies():
    with pytest.raises(ApplicationError, match="Only approvers"):
        _policy(make_user(), None)


@pytest.fixture
def approver_client() -> Client:
    client = Client()
    client.force_login(make_approver(username="lead", is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("limit", "message"),
    [("-5", "The limit must be more than 0"), ("", "Give the largest amount")],
)
def test_the_admin_refuses_a_negative_or_missing_limit(approver_client, limit, message):
    response = approver_client.post(
        reverse("admin:tasks_autonomypolicy_add"),
        {
            "name": "Bad",
            "action_class": "small_refund",
            "max_amount": limit,
            "enabled": "on",
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AutonomyPolicy.objects.exists()


def test_the_admin_saves_a_version_and_switches_off(approver_client):
    response = approver_client.post(
        reverse("admin:tasks_autonomypolicy_add"),
        {
            "name": "Small refunds",
            "action_class": "small_refund",
            "max_amount": "15.00",
            "categories": ["billing", "refund"],
            "enabled": "on",
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert "applies once another approver approves it" in response.content.decode()
    policy = AutonomyPolicy.objects.get()
    assert policy.categories == ["billing", "refund"] and not policy.active
    assert policy.edited_by.username == "lead"

    approver_client.post(
        reverse("admin:tasks_autonomypolicy_changelist"),
        {"action": "switch_off", "_selected_action": [policy.pk]},
    )
    policy.refresh_from_db()
    assert not policy.enabled
    assert AutonomyPolicyChange.objects.filter(policy=policy, kind="switched_off").exists()


def _demo_policy_approved() -> Task:
    from tasks.demo.data import SCENARIO_TICKETS
    from tasks.demo.seed import DEMO_POLICY, seed_demo

    seed_demo()
    policy = AutonomyPolicy.objects.get(name=DEMO_POLICY)
    assert not policy.active  # written by admin, waiting for a second approver
    policy_approve(policy_id=policy.pk, user=User.objects.get(username="approver"))
    ticket = Ticket.objects.get(number=SCENARIO_TICKETS["duplicate_charge"])
    return task_start_for_ticket(ticket=ticket, user=User.objects.get(username="support"))[0]


@pytest.mark.asyncio
async def test_the_demo_policy_once_approved_refunds_the_demo_duplicate_charge():
    from tasks.agents.providers.offline import OfflineSupportModel

    task = await sync_to_async(_demo_policy_approved)()
    task = await run_task(task, OfflineSupportModel(delay=0), name="agentdesk-offline")
    assert task.status == Task.Status.COMPLETED and task.outcome == Task.Outcome.REFUNDED
    request = await sync_to_async(_request)(task)
    assert request.decided_by_policy is not None and request.decided_by_id is None
