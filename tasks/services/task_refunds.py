"""Refunds requested by an agent task: checked before a person is asked, and executed only
for a call a person approved, exactly once per call."""

from __future__ import annotations

from decimal import Decimal

from tasks.models import ApprovalRequest
from tasks.services.task_ticket_actions import task_call_key
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund
from tools_app.selectors import order_get
from tools_app.services.refunds import (
    REFUND_REASON_REQUIRED,
    refund_check,
    refund_issue,
    refund_parse_amount,
)

REFUND_NOT_APPROVED = "This refund was not approved by a person, so it was not issued."
REFUND_NO_CUSTOMER = "This task has no customer to refund."
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def task_refund_validate(
    *, customer_id: int | None, order_number: str, amount: object, reason: str
) -> tuple[Order, Decimal]:
    """Raises ``ApplicationError`` unless the refund may be asked for: the order belongs to
    the ticket's customer, the amount is valid and the refund policy allows it."""
    if customer_id is None:
        raise ApplicationError(REFUND_NO_CUSTOMER, {"field": "order_number"})
    order = order_get(number=str(order_number), customer_id=customer_id)
    parsed = refund_parse_amount(amount)
    if not str(reason or "").strip():
        raise ApplicationError(REFUND_REASON_REQUIRED, {"field": "reason"})
    refund_check(order=order, amount=parsed, customer_id=customer_id)
    return order, parsed


def refund_summary(*, order: Order, amount: Decimal, reason: str) -> str:
    """One line for an approver: "Refund $19.00 on ORD-10234 (duplicate October charge)"."""
    symbol = CURRENCY_SYMBOLS.get(order.currency)
    money = f"{symbol}{amount:.2f}" if symbol else f"{amount:.2f} {order.currency}"
    reason = " ".join(str(reason).split())
    if len(reason) > 120:
        reason = reason[:119] + "…"
    return f"Refund {money} on {order.number} ({reason})"


def task_refund_execute(
    *,
    task_id: int,
    customer_id: int | None,
    call_id: str,
    order_number: str,
    amount: object,
    reason: str,
) -> Refund:
    """Issues the refund of an approved tool call. Re-checks everything (the order may have
    changed while a person decided); a repeated call returns the refund the first one made."""
    key = task_call_key(task_id=task_id, call_id=call_id)
    existing = Refund.objects.select_related("order").filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    order, parsed = task_refund_validate(
        customer_id=customer_id, order_number=order_number, amount=amount, reason=reason
    )
    approval = ApprovalRequest.objects.filter(
        task_id=task_id, call_id=call_id, status=ApprovalRequest.Status.APPROVED
    ).first()
    if approval is None:
        raise ApplicationError(REFUND_NOT_APPROVED, {"field": "amount"})
    return refund_issue(
        order=order,
        amount=parsed,
        reason=str(reason),
        idempotency_key=key,
        customer_id=customer_id,
        task_id=task_id,
        decided_by=approval.decided_by,
    )
