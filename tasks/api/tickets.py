"""Ticket endpoints: list and filter the backlog, read one ticket and its thread, open a
ticket. Reads go through ``tasks.selectors``, the write through ``tasks.services.tickets``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import P, PathEx, Query, Router, Status

from tasks.api.auth import api_user
from tasks.api.common import ERROR_SHAPES, MAX_INT32, error_responses, not_found, paginate
from tasks.api.schemas import (
    ThreadParams,
    TicketDetailOut,
    TicketIn,
    TicketListParams,
    TicketPage,
    TicketThreadOut,
)
from tasks.models import Ticket
from tasks.selectors import TicketFilters, ticket_get, ticket_list, ticket_thread
from tasks.services.tickets import ticket_create
from tools_app.errors import ApplicationError
from tools_app.selectors import customer_get

router = Router(tags=["tickets"])

TicketNumber = PathEx[int, P(ge=1, le=MAX_INT32, description="The ticket number, e.g. 1007.")]


def ticket_or_404(number: int) -> Ticket:
    try:
        return ticket_get(number=number)
    except ApplicationError as exc:
        raise not_found("ticket", number) from exc


@router.get(
    "",
    response={200: TicketPage, **error_responses(400, 401, 403)},
    operation_id="listTickets",
    summary="List tickets",
    description="The backlog, filtered like the portal: `status` (or `active`), `category`, "
    "`priority`, `assignee` (a user id, `me` or `none`), `customer_id`, free-text `q`; "
    "sorted by `sort`. Paginated with `limit` and `offset`; `count` is the total before "
    "paging.\n" + ERROR_SHAPES,
)
def ticket_list_endpoint(request: HttpRequest, params: Query[TicketListParams]) -> dict[str, Any]:
    assignee = params.assignee or ""
    if assignee == "me":
        assignee = str(api_user(request).pk)
    filters = TicketFilters(
        status=params.status or "",
        category=params.category or "",
        priority=params.priority or "",
        assignee=assignee,
        queue=params.queue,
        q=params.q,
        sort=params.sort,
        customer_id=params.customer_id,
    )
    return paginate(ticket_list(filters=filters), params)


@router.get(
    "/{number}",
    response={200: TicketDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="getTicket",
    summary="Get a ticket",
    description="One ticket by number, with the customer's first message as `body`.\n"
    + ERROR_SHAPES,
)
def ticket_detail(request: HttpRequest, number: TicketNumber) -> Ticket:
    return ticket_or_404(number)


@router.get(
    "/{number}/messages",
    response={200: TicketThreadOut, **error_responses(400, 401, 403, 404)},
    operation_id="getTicketMessages",
    summary="Get a ticket's thread",
    description="Every message on the ticket, oldest first: the customer's, staff replies, "
    "agent replies and (unless `include_internal=false`) internal notes.\n" + ERROR_SHAPES,
)
def ticket_messages(
    request: HttpRequest, number: TicketNumber, params: Query[ThreadParams]
) -> dict[str, Any]:
    ticket = ticket_or_404(number)
    messages = list(ticket_thread(ticket_id=ticket.pk, include_internal=params.include_internal))
    return {"ticket_number": ticket.number, "count": len(messages), "results": messages}


@router.post(
    "",
    response={201: TicketDetailOut, **error_responses(400, 401, 403)},
    operation_id="createTicket",
    summary="Open a ticket",
    description="Opens a ticket as if the customer had written in: `body` becomes the first "
    "message of the thread. Give a known `customer_id` or a `requester_email` (or both). "
    "Any active staff user may open tickets; with a session, send the CSRF token in "
    "`X-CSRFToken`.\n" + ERROR_SHAPES,
)
def ticket_create_endpoint(request: HttpRequest, payload: TicketIn) -> Status[Ticket]:
    customer = (
        customer_get(customer_id=payload.customer_id) if payload.customer_id is not None else None
    )
    ticket = ticket_create(
        subject=payload.subject,
        body=payload.body,
        customer=customer,
        requester_email=payload.requester_email,
        category=payload.category,
        priority=payload.priority,
    )
    return Status(201, ticket)
