"""The agent's plan: adding to-dos is idempotent, so a call made again after a worker died
(its result never saved) does not double the plan."""

from __future__ import annotations

import pytest

from tasks.models import Task, TaskEvent, Todo
from tasks.services.task_todos import todo_add_many

pytestmark = pytest.mark.django_db


def test_adding_the_same_todos_again_returns_them_without_copies():
    task = Task.objects.create(title="Investigate", model="scripted")
    first = todo_add_many(task_id=task.pk, texts=["Look up the customer", "Reply"])

    again = todo_add_many(task_id=task.pk, texts=["Look up the customer", "Reply"])

    assert [t.pk for t in again] == [t.pk for t in first]
    assert Todo.objects.filter(task=task).count() == 2
    assert TaskEvent.objects.filter(task=task, type="todo.added").count() == 2


def test_new_todos_are_appended_after_the_plan_and_known_ones_reused():
    task = Task.objects.create(title="Investigate", model="scripted")
    [lookup] = todo_add_many(task_id=task.pk, texts=["Look up the customer"])

    todos = todo_add_many(task_id=task.pk, texts=["Look up the customer", "Reply"])

    assert todos[0].pk == lookup.pk
    assert [(t.position, t.text) for t in Todo.objects.filter(task=task).order_by("position")] == [
        (1, "Look up the customer"),
        (2, "Reply"),
    ]
    assert TaskEvent.objects.filter(task=task, type="todo.added").count() == 2
