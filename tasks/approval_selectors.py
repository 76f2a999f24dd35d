"""Reads over approval requests: the decisions a resume applies, a task's approvals for the
portal, and the evidence an approver weighs (customer, order, same-period charges, policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from tasks.models import ApprovalRequest, Task, Ticket, TicketMessage
from tasks.services.approvals import user_can_decide
from tasks.services.task_refunds import approved_unpaid
from tools_app.errors import ApplicationError
from tools_app.models import Article, Customer, Order, Refund
from tools_app.selectors import REFUND_POLICY_SLUG, order_get, refund_policy_rules
from tools_app.services.refunds import refund_parse_amount

ORDER_NOT_THE_CUSTOMERS = "No order with this number belongs to the ticket's customer."
NO_CUSTOMER = "The task has no ticket customer, so no order can be refunded."


def approval_decisions(*, task_id: int) -> dict[tuple[str, str], ApprovalRequest]:
    """The task's approval requests by (tool call id, action digest), newest winning (with
    who decided). A used one stays: a resume replayed after a worker died finds its refund."""
    qs = (
        ApprovalRequest.objects.filter(task_id=task_id)
        .select_related("decided_by")
        .order_by("created_at", "pk")
    )
    return {(approval.call_id, approval.digest): approval for approval in qs}


def task_approvals(*, task_id: int) -> list[ApprovalRequest]:
    """Every approval request of a task, pending first, then the newest decisions."""
    pending_first = Case(
        When(status=ApprovalRequest.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    qs: QuerySet[ApprovalRequest] = (
        ApprovalRequest.objects.filter(task_id=task_id)
        .select_related("decided_by")
        .annotate(pending_first=pending_first)
        .order_by("pending_first", "-decided_at", "id")
    )
    return list(qs)


def task_approvals_context(*, task: Task, user: Any = None) -> dict[str, Any]:
    """The context of ``tasks/partials/task_approvals.html``. A page passes its ``user``:
    approvers get a "Decide in admin" link, others none. A websocket push renders once for
    every watcher (no ``user``): ``can_decide`` is None and the link only opens the request
    in the admin, which shows the buttons to approvers alone."""
    return {
        "task": task,
        "approvals": task_approvals(task_id=task.pk),
        "can_decide": user_can_decide(user) if user is not None else None,
    }


@dataclass(frozen=True)
class PolicyCheck:
    """One rule of the refund policy applied to the request, as the approver reads it."""

    label: str
    ok: bool
    detail: str


@dataclass
class ApprovalEvidence:
    approval: ApprovalRequest
    task: Task
    ticket: Ticket | None
    customer: Customer | None
    order: Order | None
    order_problem: str
    amount: Decimal | None
    same_period_orders: list[Order] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    policy: Article | None = None
    rules: dict[str, Any] = field(default_factory=dict)
    checks: list[PolicyCheck] = field(default_factory=list)
    task_url: str = ""
    ticket_url: str = ""
    # The ticket's thread with internal notes: what staff know ("chargeback open, do not
    # refund") is in front of the person deciding.
    thread: list[TicketMessage] = field(default_factory=list)
    # Other requests about the same order (any task), newest first.
    other_requests: list[ApprovalRequest] = field(default_factory=list)
    # Running totals on the order against the agent limit.
    agent_refunded: Decimal = Decimal("0")
    approved_unpaid: Decimal = Decimal("0")

    @property
    def internal_notes(self) -> list[TicketMessage]:
        return [m for m in self.thread if m.is_internal]

    @property
    def agent_total_if_approved(self) -> Decimal:
        return self.agent_refunded + self.approved_unpaid + (self.amount or Decimal("0"))

    @property
    def within_policy(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def is_duplicate(self) -> bool:
        """Another charge of the same amount for the same billing period."""
        return self.order is not None and any(
            o.amount == self.order.amount for o in self.same_period_orders
        )


def approval_evidence(*, approval: ApprovalRequest) -> ApprovalEvidence:
    """What the approver needs on one page. Rules are re-evaluated now (the order may have
    changed since the agent asked); the refund tool checks them again before paying out."""
    task = Task.objects.select_related("ticket__customer").get(pk=approval.task_id)
    ticket = task.ticket
    customer = ticket.customer if ticket is not None else None
    arguments = approval.arguments if isinstance(approval.arguments, dict) else {}
    evidence = ApprovalEvidence(
        approval=approval,
        task=task,
        ticket=ticket,
        customer=customer,
        order=None,
        order_problem="",
        amount=_amount(arguments.get("amount")),
        task_url=reverse("tasks:task_detail", args=[task.pk]),
        ticket_url=reverse("tasks:ticket_detail", args=[ticket.number]) if ticket else "",
    )
    if ticket is not None:
        evidence.thread = list(
            TicketMessage.objects.filter(ticket=ticket)
            .select_related("author")
            .order_by("created_at", "pk")
        )
    evidence.policy = Article.objects.filter(slug=REFUND_POLICY_SLUG).first()
    evidence.rules = refund_policy_rules()
    number = str(arguments.get("order_number") or "")
    if customer is None:
        evidence.order_problem = NO_CUSTOMER
        return evidence
    try:
        order = order_get(number=number, customer_id=customer.pk)
    except ApplicationError:
        evidence.order_problem = ORDER_NOT_THE_CUSTOMERS
        return evidence
    evidence.order = order
    if order.billing_period:
        evidence.same_period_orders = list(
            Order.objects.filter(customer=customer, billing_period=order.billing_period)
            .exclude(pk=order.pk)
            .order_by("charged_at")
        )
    evidence.refunds = list(order.refunds.select_related("approval_request").order_by("created_at"))
    evidence.other_requests = list(
        ApprovalRequest.objects.filter(subject=f"order:{order.pk}")
        .exclude(pk=approval.pk)
        .select_related("task", "decided_by")
        .order_by("-created_at")
    )
    evidence.agent_refunded = sum(
        (r.amount for r in evidence.refunds if r.task_id is not None), Decimal("0")
    )
    payable = approved_unpaid(f"order:{order.pk}").exclude(pk=approval.pk)
    evidence.approved_unpaid = sum(
        (
            _amount((arguments or {}).get("amount")) or Decimal("0")
            for arguments in payable.values_list("action__arguments", flat=True)
        ),
        Decimal("0"),
    )
    evidence.checks = _policy_checks(order, evidence)
    return evidence


def _amount(raw: object) -> Decimal | None:
    try:
        return refund_parse_amount(raw)
    except ApplicationError:
        return None


def _policy_checks(order: Order, evidence: ApprovalEvidence) -> list[PolicyCheck]:
    amount, rules = evidence.amount, evidence.rules
    statuses = [str(s) for s in rules.get("refundable_statuses") or []]
    window = int(rules.get("refund_window_days") or 0)
    limit = Decimal(str(rules.get("max_refund_amount") or "0"))
    age = timezone.now() - order.charged_at
    age_days = age.days
    currency = order.currency
    checks = [
        PolicyCheck(
            "Order status allows a refund",
            order.status in statuses,
            f"{order.get_status_display()} (refundable: {', '.join(statuses) or 'none'})",
        ),
        PolicyCheck(
            f"Inside the {window}-day refund window",
            age <= timedelta(days=window),
            f"charged {age_days} day{'s' if age_days != 1 else ''} ago",
        ),
    ]
    if amount is None:
        checks.append(PolicyCheck("Amount is valid", False, "not a positive amount"))
        return checks
    checks += [
        PolicyCheck(
            "Within the agent refund limit (per order, in total)",
            evidence.agent_total_if_approved <= limit,
            f"{evidence.agent_refunded:.2f} refunded by agents + {evidence.approved_unpaid:.2f}"
            f" approved, not yet paid + {amount:.2f} asked = {evidence.agent_total_if_approved:.2f}"
            f" {currency} of at most {limit:.2f} {currency}",
        ),
        PolicyCheck(
            "Within what remains refundable",
            amount + evidence.approved_unpaid <= order.refundable_amount,
            f"{amount:.2f} {currency} (+ {evidence.approved_unpaid:.2f} approved, not yet paid)"
            f" of {order.refundable_amount:.2f} {currency} remaining",
        ),
    ]
    return checks
