"""What the output guardrail (``tasks.agents.guardrails.reply_check``) checks one customer
reply against, read from the database."""

from __future__ import annotations

from tasks.agents.guardrails import EMAIL, IDENTIFIER, ReplyFacts
from tasks.models import Ticket, TicketMessage
from tools_app.models import Article, Customer, Order, Refund

# The runbooks a reply is compared with (all of them in any real deployment).
REPLY_GUARD_RUNBOOKS = 500


def task_reply_facts(*, task_id: int, ticket_id: int, body: str) -> ReplyFacts:
    """What the output guardrail checks a reply to the ticket against: the runbooks and the
    ticket's internal notes (other than this task's own), the emails and order numbers in
    ``body`` that belong to another customer (unless the customer wrote them), and the
    refunds this task has paid."""
    ticket = Ticket.objects.only("customer_id", "subject", "body").get(pk=ticket_id)
    internal = list(
        Article.objects.filter(kind=Article.Kind.RUNBOOK).values_list("body", flat=True)[
            :REPLY_GUARD_RUNBOOKS
        ]
    )
    internal.extend(
        TicketMessage.objects.filter(ticket_id=ticket_id, is_internal=True)
        .exclude(task_id=task_id)  # this task's own notes are its words, not staff's
        .values_list("body", flat=True)
    )
    # What the customer wrote themselves (an order number they gave) is theirs to read back.
    theirs = "\n".join(
        [
            ticket.subject,
            ticket.body,
            *TicketMessage.objects.filter(
                ticket_id=ticket_id, author_kind=TicketMessage.AuthorKind.CUSTOMER
            ).values_list("body", flat=True),
        ]
    )
    emails = {email.lower() for email in EMAIL.findall(body)} - {
        email.lower() for email in EMAIL.findall(theirs)
    }
    identifiers = set(IDENTIFIER.findall(body)) - set(IDENTIFIER.findall(theirs))
    foreign_emails: list[str] = []
    foreign_orders: list[str] = []
    if emails or identifiers:
        others = Customer.objects.all()
        orders = Order.objects.filter(number__in=identifiers)
        if ticket.customer_id is not None:
            others = others.exclude(pk=ticket.customer_id)
            orders = orders.exclude(customer_id=ticket.customer_id)
        foreign_emails = (
            sorted(others.filter(email__in=emails).values_list("email", flat=True)[:5])
            if emails
            else []
        )
        foreign_orders = sorted(orders.values_list("number", flat=True)[:5]) if identifiers else []
    paid = tuple(
        Refund.objects.filter(task_id=task_id, status=Refund.Status.EXECUTED).values_list(
            "amount", flat=True
        )
    )
    return ReplyFacts(
        internal_texts=internal,
        foreign_emails=foreign_emails,
        foreign_orders=foreign_orders,
        refunds_paid=paid,
    )
