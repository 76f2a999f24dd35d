"""The ORM models of ``tasks`` (app label ``tasks``), one module per concern: tickets and their
threads, the agent work (tasks, to-dos, events), approval requests, API tokens, the copilot's
conversations, the runs' traces, evaluation runs, autonomy policies and reply reviews."""

from tasks.models.approvals import ApprovalRequest
from tasks.models.autonomy import AutonomyPolicy, AutonomyPolicyChange, ReplyReview
from tasks.models.copilot import Conversation, ConversationMessage, ConversationTask
from tasks.models.evals import EvalResult, EvalRun
from tasks.models.tickets import EscalationQueue, Ticket, TicketChange, TicketMessage
from tasks.models.tokens import ApiToken
from tasks.models.traces import TaskSpan
from tasks.models.work import Task, TaskEvent, Todo

__all__ = [
    "ApiToken",
    "ApprovalRequest",
    "AutonomyPolicy",
    "AutonomyPolicyChange",
    "Conversation",
    "ConversationMessage",
    "ConversationTask",
    "EscalationQueue",
    "EvalResult",
    "EvalRun",
    "ReplyReview",
    "Task",
    "TaskEvent",
    "TaskSpan",
    "Ticket",
    "TicketChange",
    "TicketMessage",
    "Todo",
]
