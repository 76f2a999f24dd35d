"""Draft for review: in the ticket categories staff chose (``ReplyReview``), an agent's reply to
the customer is a draft that waits for a person's approval before it is sent.

The draft is an approval request of the ``reply_to_customer`` call (the run pauses, as for a
refund): the approver reads it in the admin, may edit it, and approves or rejects it with a
note. Approved, the call posts the reply (the edited text if a person changed it), bound to
the exact draft the agent wrote, once; rejected, the agent hears the note."""

from __future__ import annotations

from tasks.models import ApprovalRequest, ReplyReview, Ticket, TicketMessage
from tasks.models.approvals import MAX_REPLY, REPLY_TOOL
from tasks.services.approval_actions import Action, PreparedAction
from tasks.services.approvals import approval_approved_for
from tasks.services.task_ticket_actions import task_reply_to_customer
from tools_app.errors import ApplicationError

REPLY_EMPTY = "The reply is empty: write what the customer needs to know."
REPLY_TOO_LONG = "A reply is limited to {limit:,} characters."
REPLY_NOT_APPROVED = (
    "This reply waits for a person's review and was not approved; nothing was sent."
)
SUMMARY_CHARS = 160


def reply_needs_review(*, ticket_id: int | None) -> bool:
    """Whether replies on this ticket wait for a person (its category is reviewed)."""
    if ticket_id is None:
        return False
    category = Ticket.objects.filter(pk=ticket_id).values_list("category", flat=True).first()
    return bool(category) and ReplyReview.objects.filter(category=category, enabled=True).exists()


def reply_body(arguments: dict[str, object]) -> str:
    body = arguments.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ApplicationError(REPLY_EMPTY, {"field": "body"})
    if len(body) > MAX_REPLY:
        raise ApplicationError(REPLY_TOO_LONG.format(limit=MAX_REPLY), {"field": "body"})
    return body


def task_reply_action(*, task_id: int, run_number: int, arguments: dict[str, object]) -> Action:
    """The exact action of a reply call: the text as the agent wrote it."""
    return Action(
        tool_name=REPLY_TOOL,
        arguments={"body": reply_body(arguments)},
        task_id=task_id,
        run_number=run_number,
    )


def task_reply_prepare(
    *, task_id: int, run_number: int, ticket_id: int | None, arguments: dict[str, object]
) -> PreparedAction:
    """The review request of a reply draft."""
    action = task_reply_action(task_id=task_id, run_number=run_number, arguments=arguments)
    ticket = Ticket.objects.get(pk=ticket_id) if ticket_id is not None else None
    body = " ".join(action.arguments["body"].split())
    excerpt = body if len(body) <= SUMMARY_CHARS else body[: SUMMARY_CHARS - 1] + "\u2026"
    where = f" on #{ticket.number}" if ticket is not None else ""
    category = ticket.get_category_display().lower() if ticket is not None else "these"
    return PreparedAction(
        action=action,
        summary=f"Reply{where}: \u201c{excerpt}\u201d",
        reason=f"Replies on {category} tickets wait for a person's review before they are sent.",
    )


def task_reply_send(
    *, task_id: int, ticket_id: int, body: str, call_id: str, run_number: int
) -> TicketMessage:
    """Posts the agent's reply. A draft a person approved is sent as they approved it (their
    edit, if any), bound to the exact draft the agent wrote; on a reviewed ticket nothing else
    is sent. Idempotent per call (a repeated call returns the same message)."""
    action = task_reply_action(task_id=task_id, run_number=run_number, arguments={"body": body})
    approval = approval_approved_for(action, call_id)
    text = body
    if approval is not None:
        edited = (
            approval.approved_arguments if isinstance(approval.approved_arguments, dict) else {}
        )
        if isinstance(edited.get("body"), str):
            text = edited["body"]
    elif reply_needs_review(ticket_id=ticket_id):
        raise ApplicationError(REPLY_NOT_APPROVED, {"field": "body"})
    message = task_reply_to_customer(
        task_id=task_id, ticket_id=ticket_id, body=text, call_id=call_id, run_number=run_number
    )
    if approval is not None:
        ApprovalRequest.objects.filter(pk=approval.pk, used_at__isnull=True).update(
            used_at=message.created_at
        )
    return message
