"""The ORM models of ``tasks`` (app label ``tasks``), one module per concern: tickets and their
threads, the agent work (tasks, to-dos, events), approval requests, API tokens."""

from tasks.models.approvals import ApprovalRequest
from tasks.models.tickets import Ticket, TicketChange, TicketMessage
from tasks.models.tokens import ApiToken
from tasks.models.work import Task, TaskEvent, Todo

__all__ = [
    "ApiToken",
    "ApprovalRequest",
    "Task",
    "TaskEvent",
    "Ticket",
    "TicketChange",
    "TicketMessage",
    "Todo",
]
