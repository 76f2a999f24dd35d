"""What the copilot page and its socket show: messages (with the cards of the tasks each answer
delegated) and the cards themselves, as JSON-able dicts (the page renders the same dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from tasks.copilot_selectors import conversation_delegations, conversation_messages
from tasks.dashboard_selectors import DashboardRow, dashboard_rows
from tasks.models import ConversationMessage, Task

Msg = ConversationMessage
TASK_STATUS_LABELS = dict(Task.Status.choices)


def card_data(row: DashboardRow) -> dict[str, Any]:
    task = row.task
    return {
        "task_id": task.pk,
        "title": task.title,
        "status": task.status,
        "status_label": TASK_STATUS_LABELS.get(task.status, task.status),
        "todos_done": row.todo_done,
        "todos_total": row.todo_total,
        "progress": row.progress,
        "step": row.current_step,
        "url": reverse("tasks:task_detail", args=[task.pk]),
    }


def message_data(message: Msg, cards: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": message.pk,
        "seq": message.seq,
        "role": message.role,
        "role_label": message.get_role_display(),
        "status": message.status,
        "body": message.body,
        "error": message.error,
        "task_id": message.task_id,
        "created_at": message.created_at.isoformat(),
        "cards": cards,
        "model": message.model,
        "usage": {
            "input_tokens": message.input_tokens,
            "output_tokens": message.output_tokens,
            "cost": str(message.cost),
        },
        # A question whose answer failed can be asked again.
        "retry": message.role != Msg.Role.ASSISTANT and message.status == Msg.Status.FAILED,
    }


def cards_for(task_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = dashboard_rows(task_ids=task_ids) if task_ids else {}
    return {task_id: card_data(row) for task_id, row in rows.items()}


@dataclass
class ConversationView:
    messages: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0
    task_ids: list[int] = field(default_factory=list)


def conversation_view(*, conversation_id: int, after_seq: int = 0) -> ConversationView:
    """Messages new or changed after ``after_seq``, in the order they were written, with their
    cards (three queries)."""
    messages = conversation_messages(conversation_id=conversation_id, after_seq=after_seq)
    delegations = conversation_delegations(conversation_id=conversation_id)
    task_ids = [task_id for ids in delegations.values() for task_id in ids]
    wanted = {m.pk for m in messages}
    shown = [i for message_id, ids in delegations.items() if message_id in wanted for i in ids]
    cards = cards_for(shown)
    view = ConversationView(task_ids=task_ids, last_seq=after_seq)
    # Shown in the order they were written (a question answered later keeps its place).
    for message in sorted(messages, key=lambda m: (m.created_at, m.pk)):
        ids = delegations.get(message.pk, []) if message.role == Msg.Role.ASSISTANT else []
        view.messages.append(message_data(message, [cards[i] for i in ids if i in cards]))
        view.last_seq = max(view.last_seq, message.seq)
    return view
