"""Earned autonomy: policies that approve narrow classes of action without a person.

A policy applies only when it is switched on and its current version was approved by a second
approver (not the one who last edited it); any edit makes a new version that needs approving
again, and switching off applies at once. Every change is kept (``AutonomyPolicyChange``).

A request a policy approves is still an ``ApprovalRequest``: decided in the transaction that
paused the run, marked with the policy and its version, bound to the exact action like any
other approval, and executed through the same checks (the refund policy is checked again
when the refund is paid). A task started by the policy's editor or approver is decided by a
person (four-eyes)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from tasks.models import ApprovalRequest, AutonomyPolicy, AutonomyPolicyChange, Task
from tasks.models.approvals import REFUND_TOOL
from tasks.services.approvals import approval_decide_by_policy, policy_decider, user_can_decide
from tools_app.errors import ApplicationError
from tools_app.models import Order

User = AbstractBaseUser | AnonymousUser
POLICY_NOTE = "Approved by {decider}: {why}"
POLICY_FORBIDDEN = "Only approvers may edit, approve or switch autonomy policies."
POLICY_OWN_EDIT = "You made this version, so another approver must approve it (four-eyes rule)."
POLICY_NOT_FOUND = "No autonomy policy with that id."
POLICY_ALREADY_APPROVED = "Version {version} is already approved."
# What a policy's snapshot holds (what the audit trail shows of each version).
SNAPSHOT_FIELDS = ("name", "action_class", "max_amount", "categories", "enabled")
REFUND_DONE_STATUSES = (Order.Status.REFUNDED, Order.Status.CANCELLED)


def policy_snapshot(policy: AutonomyPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "action_class": policy.action_class,
        "max_amount": str(policy.max_amount),
        "categories": list(policy.categories or []),
        "enabled": policy.enabled,
    }


def _record(policy: AutonomyPolicy, kind: str, user: User | None) -> None:
    AutonomyPolicyChange.objects.create(
        policy=policy,
        kind=kind,
        version=policy.version,
        snapshot=policy_snapshot(policy),
        by=user if user is not None and user.is_authenticated else None,  # type: ignore[misc]
    )


def _require_approver(user: User | None) -> None:
    if not user_can_decide(user):
        raise ApplicationError(POLICY_FORBIDDEN, {"field": "user"})


@transaction.atomic
def policy_save(*, policy: AutonomyPolicy, user: User | None) -> AutonomyPolicy:
    """Saves a new policy or an edit as a new version that needs a second approver (an edit
    that changes nothing the snapshot holds keeps the version and its approval)."""
    _require_approver(user)
    creating = policy.pk is None
    if not creating:
        before = AutonomyPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy_snapshot(before) == policy_snapshot(policy):
            return before
        policy.version = before.version + 1
    policy.edited_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
    policy.edited_at = timezone.now()
    policy.approved_by = None
    policy.approved_at = None
    policy.save()
    _record(
        policy,
        AutonomyPolicyChange.Kind.CREATED if creating else AutonomyPolicyChange.Kind.EDITED,
        user,
    )
    return policy


@transaction.atomic
def policy_approve(*, policy_id: int, user: User | None) -> AutonomyPolicy:
    """A second approver approves the current version: from now on it may decide requests."""
    _require_approver(user)
    policy = AutonomyPolicy.objects.select_for_update().filter(pk=policy_id).first()
    if policy is None:
        raise ApplicationError(POLICY_NOT_FOUND, {"field": "policy"})
    if policy.approved_by_id is not None:
        raise ApplicationError(
            POLICY_ALREADY_APPROVED.format(version=policy.version), {"field": "policy"}
        )
    if user is not None and policy.edited_by_id == getattr(user, "pk", None):
        raise ApplicationError(POLICY_OWN_EDIT, {"field": "user"})
    policy.approved_by = user  # type: ignore[assignment]
    policy.approved_at = timezone.now()
    policy.save(update_fields=["approved_by", "approved_at"])
    _record(policy, AutonomyPolicyChange.Kind.APPROVED, user)
    return policy


@transaction.atomic
def policy_switch_off(*, policy_id: int, user: User | None) -> AutonomyPolicy:
    """Switches a policy off at once (no second approver needed to stop auto-approving). A
    decision in flight holds the policy's row, so nothing is approved by it after this
    commits."""
    _require_approver(user)
    policy = AutonomyPolicy.objects.select_for_update().filter(pk=policy_id).first()
    if policy is None:
        raise ApplicationError(POLICY_NOT_FOUND, {"field": "policy"})
    if policy.enabled:
        policy.enabled = False
        policy.save(update_fields=["enabled"])
        _record(policy, AutonomyPolicyChange.Kind.SWITCHED_OFF, user)
    return policy


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _is_duplicate_subscription_charge(order: Order, amount: Decimal) -> bool:
    """The whole of a subscription charge that has a twin: the same customer, billing period
    and amount, not refunded or cancelled (read from the orders, not from the agent's words)."""
    if (
        order.kind != Order.Kind.SUBSCRIPTION
        or not order.billing_period
        or order.refunded_amount
        or amount != order.amount
    ):
        return False
    return (
        Order.objects.filter(
            customer_id=order.customer_id,
            kind=Order.Kind.SUBSCRIPTION,
            billing_period=order.billing_period,
            amount=order.amount,
        )
        .exclude(pk=order.pk)
        .exclude(status__in=REFUND_DONE_STATUSES)
        .exists()
    )


def _matches(policy: AutonomyPolicy, request: ApprovalRequest, task: Task) -> str | None:
    """Why ``policy`` covers ``request`` (None: it does not)."""
    if request.tool_name != REFUND_TOOL or task.ticket is None or not task.ticket.customer_id:
        return None
    if task.created_by_id is not None and task.created_by_id in (
        policy.edited_by_id,
        policy.approved_by_id,
    ):
        return None  # four-eyes: not on a task of the policy's own editor or approver
    if policy.categories and task.ticket.category not in policy.categories:
        return None
    arguments = request.action.get("arguments") or {}
    amount = _amount(arguments.get("amount"))
    if amount is None or amount <= 0 or amount > policy.max_amount:
        return None
    order = Order.objects.filter(
        number=arguments.get("order_number"), customer_id=task.ticket.customer_id
    ).first()
    if order is None:
        return None
    if policy.action_class == AutonomyPolicy.ActionClass.DUPLICATE_SUBSCRIPTION_REFUND:
        if not _is_duplicate_subscription_charge(order, amount):
            return None
        return (
            f"{order.number} is a duplicate {order.billing_period} subscription charge of"
            f" {amount}, within the {policy.max_amount} limit"
        )
    if policy.action_class == AutonomyPolicy.ActionClass.SMALL_REFUND:
        return f"a refund of {amount} on {order.number}, within the {policy.max_amount} limit"
    return None


def approvals_decide_by_policy(*, task_id: int, requests: list[ApprovalRequest]) -> list[int]:
    """Approves each pending request an active policy covers (in the caller's transaction:
    the one that paused the run). Returns the ids it approved; the last decision of the task
    puts it back in the queue, as a person's would."""
    if not requests:
        return []
    # Read once and locked: a switch-off waits for these decisions, and they see a switch-off.
    policies = [
        policy
        for policy in AutonomyPolicy.objects.select_for_update()
        .filter(enabled=True, approved_by__isnull=False)
        .order_by("pk")
        if policy.active
    ]
    if not policies:
        return []
    task = Task.objects.select_related("ticket").get(pk=task_id)
    approved = []
    for request in requests:
        if request.status != ApprovalRequest.Status.PENDING:
            continue
        for policy in policies:
            why = _matches(policy, request, task)
            if why is None:
                continue
            approval_decide_by_policy(
                approval_id=request.pk,
                policy=policy,
                note=POLICY_NOTE.format(decider=policy_decider(policy, policy.version), why=why),
            )
            request.status = ApprovalRequest.Status.APPROVED
            approved.append(request.pk)
            break
    return approved
