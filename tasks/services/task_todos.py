"""The agent's plan as to-dos: added in a batch, ticked off one by one, each change an event."""

from __future__ import annotations

from django.db import transaction

from tasks.event_factories import (
    todo_added_event,
    todo_data,
    todo_updated_event,
)
from tasks.events import events_publish_on_commit, events_store
from tasks.models import Todo
from tools_app.errors import ApplicationError

MAX_TODOS_PER_CALL = 12
MAX_TODO_TEXT = 200

TODOS_COUNT_INVALID = "Give between 1 and 12 to-dos."
TODO_TEXT_INVALID = "Each to-do needs a text of 1 to 200 characters."
TODO_NOT_FOUND = "No to-do with that id in this task."
TODO_STATUS_INVALID = "Unknown to-do status; use pending, in_progress, done or skipped."


# The to-do tools return a to-do in the shape its events carry.
todo_dict = todo_data


def _clean_texts(texts: object) -> list[str]:
    if not isinstance(texts, list) or not 1 <= len(texts) <= MAX_TODOS_PER_CALL:
        raise ApplicationError(TODOS_COUNT_INVALID, {"field": "texts"})
    cleaned = []
    for index, text in enumerate(texts):
        text = text.strip() if isinstance(text, str) else ""
        if not 1 <= len(text) <= MAX_TODO_TEXT:
            raise ApplicationError(TODO_TEXT_INVALID, {"field": "texts", "index": index})
        cleaned.append(text)
    return cleaned


@transaction.atomic
def todo_add_many(*, task_id: int, texts: list[str]) -> list[Todo]:
    """Appends to-dos to the task's plan (after any it already has); one ``todo.added`` event
    each. All or nothing: one bad text adds none.

    Idempotent: a text the plan already has returns that to-do instead of a copy, so a call
    made again after a worker died (its result never saved) does not double the plan."""
    cleaned = _clean_texts(texts)
    existing = {
        todo.text: todo for todo in Todo.objects.select_for_update().filter(task_id=task_id)
    }
    last = max((todo.position for todo in existing.values()), default=0)
    todos, added = [], []
    for text in cleaned:
        todo = existing.get(text)
        if todo is None:
            last += 1
            todo = existing[text] = Todo.objects.create(task_id=task_id, position=last, text=text)
            added.append(todo)
        todos.append(todo)
    events = events_store(task_id=task_id, events=[todo_added_event(todo) for todo in added])
    events_publish_on_commit(events)
    return todos


@transaction.atomic
def todo_set_status(*, task_id: int, todo_id: object, status: object) -> Todo:
    """Moves one to-do of this task to ``status``; a to-do of another task is not found."""
    if status not in Todo.Status.values:
        raise ApplicationError(TODO_STATUS_INVALID, {"field": "status", "value": str(status)})
    if not isinstance(todo_id, int) or isinstance(todo_id, bool):
        raise ApplicationError(TODO_NOT_FOUND, {"field": "todo_id"})
    todo = Todo.objects.select_for_update().filter(pk=todo_id, task_id=task_id).first()
    if todo is None:
        raise ApplicationError(TODO_NOT_FOUND, {"field": "todo_id", "value": todo_id})
    if todo.status != status:
        todo.status = str(status)
        todo.save(update_fields=["status", "updated_at"])
        events = events_store(task_id=task_id, events=[todo_updated_event(todo)])
        events_publish_on_commit(events)
    return todo
