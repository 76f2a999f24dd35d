"""What a finished task came to, derived from what its runs did (their rows, which the
events describe): a refund paid, a refund refused by an approver, the ticket handed to a
person, a reply to the customer, or nothing a customer would see.

``completed_outcome()`` is an SQL expression: the finishing write sets it in its own UPDATE,
so a task's outcome costs no query of its own and is never stale. The finishing write uses
it compiled once per database (``completed_outcome_sql``)."""

from __future__ import annotations

import enum

from django.db import connection
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.expressions import Combinable, RawSQL

from tasks.models import ApprovalRequest, Task, TicketChange, TicketMessage
from tasks.models.approvals import REFUND_TOOL
from tools_app.models import Refund

Outcome = Task.Outcome


def completed_outcome() -> Combinable:
    """A completed task's outcome, first match wins:

    * refunded: one of its refunds was paid;
    * refused: an approver rejected (or let expire) a refund it asked for;
    * escalated: it handed the ticket to people (an escalation queue, or an assignee);
    * resolved: it replied to the customer, or it had no ticket (a free-text task's answer);
    * needs a person: anything else (an internal note, a question it could not answer)."""
    task = OuterRef("pk")
    refused = (ApprovalRequest.Status.REJECTED, ApprovalRequest.Status.EXPIRED)
    return Case(
        When(
            Exists(Refund.objects.filter(task=task, status=Refund.Status.EXECUTED)),
            then=Value(Outcome.REFUNDED),
        ),
        When(
            Exists(
                ApprovalRequest.objects.filter(task=task, status__in=refused, tool_name=REFUND_TOOL)
            ),
            then=Value(Outcome.REFUSED),
        ),
        When(
            Exists(
                TicketChange.objects.filter(
                    task=task,
                    field__in=(TicketChange.Field.ASSIGNEE, TicketChange.Field.QUEUE),
                )
            ),
            then=Value(Outcome.ESCALATED),
        ),
        When(
            Q(ticket__isnull=True)
            | Exists(
                TicketMessage.objects.filter(
                    task=task,
                    is_internal=False,
                    author_kind=TicketMessage.AuthorKind.AGENT,
                )
            ),
            then=Value(Outcome.RESOLVED),
        ),
        default=Value(Outcome.NEEDS_PERSON),
    )


_compiled: dict[tuple[str, str], RawSQL] = {}


def completed_outcome_sql() -> RawSQL:
    """``completed_outcome()`` compiled once per database for ``UPDATE`` of the task's own row
    (its subqueries refer to the row being updated): the finishing write is then one plain
    statement, without compiling the expression's four subqueries again (2.4 ms of worker CPU
    per task in the 200-task profile)."""
    key = (connection.alias, connection.vendor)
    found = _compiled.get(key)
    if found is None:
        query = Task.objects.annotate(outcome_value=completed_outcome()).values("outcome_value")
        compiler = query.query.get_compiler(connection=connection)
        compiler.setup_query()
        sql, params = compiler.compile(query.query.annotations["outcome_value"])
        # Plain values for the parameters kept for the life of the process (not choices members).
        plain = tuple(p.value if isinstance(p, enum.Enum) else p for p in params)
        found = _compiled[key] = RawSQL(sql, plain, output_field=Task._meta.get_field("outcome"))
    return found
