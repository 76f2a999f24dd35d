"""API schemas for tickets and their threads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import AfterValidator

from tasks.api.common import MAX_ID, OneOf, PageParams, SafeStr, choice_values
from tasks.api.customer_schemas import CustomerRef
from tasks.models import Ticket, TicketMessage
from tasks.selectors import SORTS
from tasks.services.tickets import MAX_MESSAGE_LENGTH

EMAIL_INVALID = "must be a valid email address"

TicketStatus = Annotated[str, OneOf(choice_values(Ticket.Status), "Ticket status.")]
TicketCategory = Annotated[str, OneOf(choice_values(Ticket.Category), "Ticket category.")]
TicketPriority = Annotated[str, OneOf(choice_values(Ticket.Priority), "Ticket priority.")]
AuthorKind = Annotated[
    str, OneOf(choice_values(TicketMessage.AuthorKind), "Who wrote the message.")
]
# "active" is every status a ticket can still be worked in (new, open, pending).
TicketStatusFilter = Annotated[
    str,
    OneOf(
        ("active", *choice_values(Ticket.Status)),
        'A status, or "active" for new, open and pending.',
    ),
]
AssigneeFilter = Annotated[
    SafeStr,
    Field(
        pattern=r"^(me|none|[1-9][0-9]{0,17})$",
        description='A user id, "me" (the caller) or "none" (unassigned).',
    ),
]
TicketSort = Annotated[str, OneOf(tuple(SORTS), "Sort order (priority: most urgent first).")]


def _valid_email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError(EMAIL_INVALID) from exc
    return value


class UserRef(Schema):
    id: int
    username: str


class EscalationOut(Schema):
    queue: str = Field(description="The escalation queue's slug (team_leads, billing, technical).")
    reason: str
    escalated_at: datetime | None


class TicketOut(Schema):
    number: int
    subject: str
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    customer: CustomerRef | None
    requester_email: str
    assignee: UserRef | None
    escalation: EscalationOut | None = Field(
        description="Set when the ticket was handed to people (escalate_to_human)."
    )
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_escalation(ticket: Ticket) -> dict[str, Any] | None:
        queue = ticket.escalation_queue
        if queue is None:
            return None
        return {
            "queue": queue.slug,
            "reason": ticket.escalation_reason,
            "escalated_at": ticket.escalated_at,
        }


class TicketDetailOut(TicketOut):
    body: str = Field(description="The customer's first message (untrusted text).")


class TicketPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[TicketOut]


class MessageOut(Schema):
    id: int
    author_kind: AuthorKind
    author: UserRef | None
    body: str
    is_internal: bool = Field(description="An internal note: staff only, never sent.")
    task_id: int | None = Field(description="The agent task that wrote it, if any.")
    created_at: datetime


class TicketThreadOut(Schema):
    ticket_number: int
    count: int
    results: list[MessageOut]


class TicketListParams(PageParams):
    status: TicketStatusFilter | None = None
    category: TicketCategory | None = None
    priority: TicketPriority | None = None
    assignee: AssigneeFilter | None = None
    queue: SafeStr = Field(
        "",
        max_length=40,
        pattern=r"^[a-z0-9_-]*$",
        description="Only tickets escalated to this queue (its slug), or `any` for every "
        "escalated ticket.",
    )
    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this customer's.")
    q: SafeStr = Field(
        "",
        max_length=200,
        description="Words that must all appear in the subject, body, requester or customer "
        "name; a number matches the ticket number.",
    )
    sort: TicketSort = "priority"


class ThreadParams(Schema):
    include_internal: bool = Field(True, description="Include internal notes.")


class TicketIn(Schema):
    subject: SafeStr = Field(min_length=1, max_length=300)
    body: SafeStr = Field(min_length=1, max_length=MAX_MESSAGE_LENGTH)
    category: TicketCategory = Ticket.Category.OTHER.value
    priority: TicketPriority = Ticket.Priority.NORMAL.value
    customer_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A known customer; or give requester_email."
    )
    requester_email: Annotated[SafeStr, AfterValidator(_valid_email)] = Field(
        "",
        max_length=254,
        description="Where the ticket came from; defaults to the customer's email.",
    )
