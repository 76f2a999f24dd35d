"""Refunds requested by an agent task: checked before a person is asked, and executed only
for the exact action a person approved, at most once per approval.

Three moments, one set of rules:

* **before a pause** (``task_refund_prepare``): the call must be valid and in policy, counting
  money already approved on the order but not paid out, and the order must have no other
  pending request (one charge, one pending refund). Only then does a request exist.
* **before execution** (``task_refund_check``, the tool's input guardrail): a call with a
  matching approved request is checked as that request's execution, any other as a new ask.
* **execution** (``task_refund_execute``): the call's digest must equal an approved, unused
  request's of this task and run; the refund and the request's use commit together."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from tasks.models import ApprovalRequest, Task
from tasks.services.approval_actions import Action, PreparedAction
from tasks.services.approvals import approval_approved_for
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund
from tools_app.selectors import order_get
from tools_app.services.refunds import (
    REFUND_REASON_REQUIRED,
    refund_check,
    refund_issue,
    refund_parse_amount,
)

TOOL_NAME = "issue_refund"
REFUND_NOT_APPROVED = (
    "This exact refund (order, amount, reason) was not approved by a person for this run, so it"
    " was not issued. Ask for it again to put it before a person."
)
REFUND_NO_CUSTOMER = "This task has no customer to refund."
REFUND_ALREADY_PENDING = (
    "A refund of this order is already waiting for a person's decision (see approval_id and"
    " task_id). Do not ask again: tell the customer a person is reviewing it."
)
REFUND_BAD_ARGUMENT = "order_number, amount and reason must each be a string."
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True)
class RefundCall:
    order: Order
    amount: Decimal
    reason: str

    def canonical(self) -> dict[str, str]:
        return {
            "order_number": self.order.number,
            "amount": f"{self.amount.quantize(Decimal('0.01'))}",
            "reason": self.reason,
        }

    @property
    def subject(self) -> str:
        return f"order:{self.order.pk}"


def _refund_call(*, customer_id: int | None, arguments: dict[str, object]) -> RefundCall:
    """The call's order (the ticket customer's), amount and reason, or ``ApplicationError``."""
    if customer_id is None:
        raise ApplicationError(REFUND_NO_CUSTOMER, {"field": "order_number"})
    values = [arguments.get(k) for k in ("order_number", "amount", "reason")]
    if not all(isinstance(value, str) for value in values):
        raise ApplicationError(REFUND_BAD_ARGUMENT, {"field": "arguments"})
    number, raw_amount, raw_reason = (str(value) for value in values)
    order = order_get(number=number, customer_id=customer_id)
    amount = refund_parse_amount(raw_amount)
    reason = " ".join(raw_reason.split())
    if not reason:
        raise ApplicationError(REFUND_REASON_REQUIRED, {"field": "reason"})
    return RefundCall(order=order, amount=amount, reason=reason)


def refund_action(*, task_id: int, run_number: int, call: RefundCall) -> Action:
    return Action(
        tool_name=TOOL_NAME, arguments=call.canonical(), task_id=task_id, run_number=run_number
    )


def task_refund_action(
    *, task_id: int, run_number: int, customer_id: int | None, arguments: dict[str, object]
) -> Action:
    """The canonical action of a refund call, without policy checks."""
    call = _refund_call(customer_id=customer_id, arguments=arguments)
    return refund_action(task_id=task_id, run_number=run_number, call=call)


def approved_unpaid(subject: str) -> QuerySet[ApprovalRequest]:
    """Approved refund requests on ``subject`` that can still be paid: not used yet, asked in
    their task's current run, the task still active. (A cancelled or finished task's approval
    reserves nothing: its run can never execute it.)"""
    return ApprovalRequest.objects.filter(
        tool_name=TOOL_NAME,
        subject=subject,
        status=ApprovalRequest.Status.APPROVED,
        refund__isnull=True,
        task__status__in=Task.ACTIVE_STATUSES,
        run_number=F("task__run_number"),
    )


def _reserved(call: RefundCall, *, excluding: int | None = None) -> Decimal:
    """Money approved on the order by a person but not yet paid out (other requests)."""
    qs = approved_unpaid(call.subject)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    total = Decimal("0")
    for arguments in qs.values_list("action__arguments", flat=True):
        try:
            total += Decimal(str((arguments or {}).get("amount", "0")))
        except ArithmeticError:
            continue
    return total


def _pending_on(call: RefundCall) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.filter(subject=call.subject, status=ApprovalRequest.Status.PENDING)
        .only("pk", "task_id")
        .first()
    )


def _check_new_request(call: RefundCall, *, customer_id: int | None) -> None:
    pending = _pending_on(call)
    if pending is not None:
        raise ApplicationError(
            REFUND_ALREADY_PENDING,
            {"field": "order_number", "approval_id": pending.pk, "task_id": pending.task_id},
        )
    refund_check(
        order=call.order, amount=call.amount, customer_id=customer_id, reserved=_reserved(call)
    )


def task_refund_prepare(
    *, task_id: int, run_number: int, customer_id: int | None, arguments: dict[str, object]
) -> PreparedAction:
    """A refund call about to pause the run: valid, in policy, and the only pending request
    on its order. Raises ``ApplicationError`` (the model gets it as the call's result)."""
    call = _refund_call(customer_id=customer_id, arguments=arguments)
    _check_new_request(call, customer_id=customer_id)
    return PreparedAction(
        action=refund_action(task_id=task_id, run_number=run_number, call=call),
        summary=refund_summary(order=call.order, amount=call.amount, reason=call.reason),
        reason=call.reason,
        subject=call.subject,
    )


def task_refund_check(
    *,
    task_id: int,
    run_number: int,
    customer_id: int | None,
    call_id: str,
    arguments: dict[str, object],
) -> None:
    """The refund tool's own check, before a pause and again before execution."""
    call = _refund_call(customer_id=customer_id, arguments=arguments)
    action = refund_action(task_id=task_id, run_number=run_number, call=call)
    approval = approval_approved_for(action, call_id)
    if approval is None:
        _check_new_request(call, customer_id=customer_id)
    elif approval.refund_id is None:
        refund_check(
            order=call.order,
            amount=call.amount,
            customer_id=customer_id,
            reserved=_reserved(call, excluding=approval.pk),
        )


def refund_summary(*, order: Order, amount: Decimal, reason: str) -> str:
    """One line for an approver: "Refund $19.00 on ORD-10234 (duplicate October charge)"."""
    symbol = CURRENCY_SYMBOLS.get(order.currency)
    money = f"{symbol}{amount:.2f}" if symbol else f"{amount:.2f} {order.currency}"
    reason = " ".join(str(reason).split())
    if len(reason) > 120:
        reason = reason[:119] + "…"
    return f"Refund {money} on {order.number} ({reason})"


@transaction.atomic
def task_refund_execute(
    *,
    task_id: int,
    run_number: int,
    customer_id: int | None,
    call_id: str,
    order_number: str,
    amount: object,
    reason: str,
) -> Refund:
    """Issues the refund a person approved for exactly this call. Re-checks the policy (the
    order may have changed while they decided); the approval's refund is the refund, so a
    repeated execution (a worker died after paying) pays nothing more."""
    call = _refund_call(
        customer_id=customer_id,
        arguments={"order_number": order_number, "amount": amount, "reason": reason},
    )
    action = refund_action(task_id=task_id, run_number=run_number, call=call)
    found = approval_approved_for(action, call_id)
    if found is None:
        # The policy's reason first (the model can act on it), else: nobody approved this.
        refund_check(
            order=call.order, amount=call.amount, customer_id=customer_id, reserved=_reserved(call)
        )
        raise ApplicationError(REFUND_NOT_APPROVED, {"field": "amount"})
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
    approval = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("decided_by", "refund__order")
        .get(pk=found.pk)
    )
    if approval.refund is not None:
        return approval.refund
    # Lock the order first: what is reserved on it is then read after every other payment.
    Order.objects.select_for_update().filter(pk=call.order.pk).values_list("pk").first()
    refund = refund_issue(
        order=call.order,
        amount=call.amount,
        reason=call.reason,
        idempotency_key=f"approval-{approval.pk}",
        customer_id=customer_id,
        task_id=task_id,
        decided_by=approval.decided_by,
        reserved=_reserved(call, excluding=approval.pk),
    )
    ApprovalRequest.objects.filter(pk=approval.pk).update(refund=refund, used_at=timezone.now())
    return refund
