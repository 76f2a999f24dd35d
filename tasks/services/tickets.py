"""Ticket writes: create, reply, note, status, assignment. Every change is audited."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from tasks.models import EscalationQueue, Task, Ticket, TicketChange, TicketMessage
from tools_app.errors import ApplicationError
from tools_app.models import Customer

MESSAGE_BODY_REQUIRED = "The message is empty."
MESSAGE_TOO_LONG = "A message is limited to 10,000 characters."
TICKET_CLOSED = "This ticket is closed; reopen it first."
STATUS_INVALID = "Unknown ticket status."
ASSIGNEE_INVALID = "Tickets can only be assigned to active staff users."
SUBJECT_REQUIRED = "A ticket needs a subject."
BODY_REQUIRED = "A ticket needs a body."
REQUESTER_REQUIRED = "A ticket needs a customer or a requester email."
CATEGORY_INVALID = "Unknown ticket category."
PRIORITY_INVALID = "Unknown ticket priority."

MAX_MESSAGE_LENGTH = 10_000
TICKET_NUMBER_ATTEMPTS = 5


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ApplicationError(MESSAGE_BODY_REQUIRED, {"field": "body"})
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ApplicationError(MESSAGE_TOO_LONG, {"field": "body"})
    return body


@transaction.atomic
def ticket_create(
    *,
    subject: str,
    body: str,
    customer: Customer | None = None,
    requester_email: str = "",
    category: str = Ticket.Category.OTHER,
    priority: str = Ticket.Priority.NORMAL,
    created_at=None,
) -> Ticket:
    """Opens a ticket with the customer's first message as its body and first thread entry."""
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise ApplicationError(SUBJECT_REQUIRED, {"field": "subject"})
    if not body:
        raise ApplicationError(BODY_REQUIRED, {"field": "body"})
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ApplicationError(MESSAGE_TOO_LONG, {"field": "body"})
    if customer is None and not requester_email.strip():
        raise ApplicationError(REQUESTER_REQUIRED, {"field": "customer_id"})
    if category not in Ticket.Category.values:
        raise ApplicationError(CATEGORY_INVALID, {"field": "category", "value": category})
    if priority not in Ticket.Priority.values:
        raise ApplicationError(PRIORITY_INVALID, {"field": "priority", "value": priority})
    created_at = created_at or timezone.now()
    # An aggregate takes no row lock, so two concurrent creates can pick the same number; the
    # unique constraint catches it and the loser retries with the next number.
    for attempt in range(TICKET_NUMBER_ATTEMPTS):
        number = (Ticket.objects.aggregate(n=Max("number"))["n"] or 1000) + 1
        try:
            with transaction.atomic():
                ticket = Ticket.objects.create(
                    number=number,
                    customer=customer,
                    requester_email=(
                        requester_email.strip() or (customer.email if customer else "")
                    ),
                    subject=subject[:300],
                    body=body,
                    category=category,
                    priority=priority,
                    created_at=created_at,
                )
            break
        except IntegrityError:
            if attempt == TICKET_NUMBER_ATTEMPTS - 1:
                raise
    TicketMessage.objects.create(
        ticket=ticket,
        author_kind=TicketMessage.AuthorKind.CUSTOMER,
        body=body,
        created_at=created_at,
    )
    return ticket


def _message_add(
    *,
    ticket: Ticket,
    body: str,
    is_internal: bool,
    author: User | None,
    author_kind: str,
    task: Task | None,
    idempotency_key: str | None,
) -> TicketMessage:
    body = _clean_body(body)
    if idempotency_key:
        existing = TicketMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if ticket.status == Ticket.Status.CLOSED:
        raise ApplicationError(TICKET_CLOSED, {"field": "ticket"})
    try:
        with transaction.atomic():
            return TicketMessage.objects.create(
                ticket=ticket,
                body=body,
                is_internal=is_internal,
                author=author,
                author_kind=author_kind,
                task=task,
                idempotency_key=idempotency_key,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return TicketMessage.objects.get(idempotency_key=idempotency_key)


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    author: User | None = None,
    author_kind: str = TicketMessage.AuthorKind.STAFF,
    task: Task | None = None,
    idempotency_key: str | None = None,
) -> TicketMessage:
    """A reply the customer sees. A reply on a new ticket opens it."""
    message = _message_add(
        ticket=ticket,
        body=body,
        is_internal=False,
        author=author,
        author_kind=author_kind,
        task=task,
        idempotency_key=idempotency_key,
    )
    if ticket.status == Ticket.Status.NEW:
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=author, task=task)
    return message


def ticket_add_note(
    *,
    ticket: Ticket,
    body: str,
    author: User | None = None,
    author_kind: str = TicketMessage.AuthorKind.STAFF,
    task: Task | None = None,
    idempotency_key: str | None = None,
) -> TicketMessage:
    """An internal note: visible to staff only, never sent to the customer."""
    return _message_add(
        ticket=ticket,
        body=body,
        is_internal=True,
        author=author,
        author_kind=author_kind,
        task=task,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def ticket_set_status(
    *, ticket: Ticket, status: str, actor: User | None = None, task: Task | None = None
) -> Ticket:
    if status not in Ticket.Status.values:
        raise ApplicationError(STATUS_INVALID, {"field": "status", "value": status})
    if ticket.status == status:
        return ticket
    old = ticket.status
    ticket.status = status
    ticket.save(update_fields=["status", "updated_at"])
    TicketChange.objects.create(
        ticket=ticket,
        field=TicketChange.Field.STATUS,
        old_value=old,
        new_value=status,
        actor=actor,
        task=task,
    )
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    assignee: User | None,
    actor: User | None = None,
    task: Task | None = None,
) -> Ticket:
    """Assigns to a staff user, or unassigns with ``assignee=None``."""
    if assignee is not None and not (
        getattr(assignee, "is_staff", False) and getattr(assignee, "is_active", False)
    ):
        raise ApplicationError(ASSIGNEE_INVALID, {"field": "assignee"})
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    old = ticket.assignee.get_username() if ticket.assignee else ""
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    TicketChange.objects.create(
        ticket=ticket,
        field=TicketChange.Field.ASSIGNEE,
        old_value=old,
        new_value=assignee.get_username() if assignee else "",
        actor=actor,
        task=task,
    )
    return ticket


ESCALATION_QUEUE_UNKNOWN = "Unknown escalation queue {queue!r}: use one of {choices}."
ESCALATION_REASON_REQUIRED = "Say why the ticket needs a person (the reason is empty)."
ESCALATION_REASON_TOO_LONG = "An escalation reason is limited to {limit} characters."
ESCALATION_CLOSED = "This ticket is {status}: there is nothing to escalate."
MAX_ESCALATION_REASON = 1000


DEFAULT_QUEUES = (
    (
        "team_leads",
        "Team leads",
        "Refunds above the agent limit, disputes, anything a lead decides.",
    ),
    ("billing", "Billing", "Charges, invoices and refunds the billing team handles."),
    ("technical", "Technical", "Outages, SSO and bugs that need an engineer."),
)


def escalation_queues_ensure() -> None:
    """The three queues the agents know (a migration creates them; a database emptied since,
    such as an evaluation trial's, gets them back). Existing ones are left as staff set them."""
    for slug, name, description in DEFAULT_QUEUES:
        EscalationQueue.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )


def escalation_queue_slugs() -> list[str]:
    return list(
        EscalationQueue.objects.filter(active=True).order_by("slug").values_list("slug", flat=True)
    )


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    queue: str,
    reason: str,
    actor: User | None = None,
    task: Task | None = None,
) -> Ticket:
    """Hands the ticket to people: it joins the queue with the reason, is assigned per the
    queue's setting, and is open (the team has to act). Recorded in the change history (the
    queue and, when it changes, the assignee). Escalating again moves it to another queue."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ApplicationError(ESCALATION_REASON_REQUIRED, {"field": "reason"})
    if len(reason) > MAX_ESCALATION_REASON:
        raise ApplicationError(
            ESCALATION_REASON_TOO_LONG.format(limit=MAX_ESCALATION_REASON), {"field": "reason"}
        )
    target = EscalationQueue.objects.filter(slug=str(queue), active=True).first()
    if target is None:
        choices = ", ".join(escalation_queue_slugs()) or "none (no queue is active)"
        raise ApplicationError(
            ESCALATION_QUEUE_UNKNOWN.format(queue=str(queue)[:40], choices=choices),
            {"field": "queue", "choices": escalation_queue_slugs()},
        )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        raise ApplicationError(
            ESCALATION_CLOSED.format(status=ticket.get_status_display().lower()),
            {"field": None},
        )
    old_queue = ticket.escalation_queue.slug if ticket.escalation_queue else ""
    ticket.escalation_queue = target
    ticket.escalation_reason = reason
    ticket.escalated_at = timezone.now()
    ticket.save(
        update_fields=["escalation_queue", "escalation_reason", "escalated_at", "updated_at"]
    )
    TicketChange.objects.create(
        ticket=ticket,
        field=TicketChange.Field.QUEUE,
        old_value=old_queue,
        new_value=target.slug,
        actor=actor,
        task=task,
    )
    person = target.assignee
    if person is not None and person.is_active and person.is_staff:
        ticket = ticket_assign(ticket=ticket, assignee=person, actor=actor, task=task)
    if ticket.status != Ticket.Status.OPEN:
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=actor, task=task)
    return ticket
