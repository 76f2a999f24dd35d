"""The HTML a push carries is the page's own: after every event is pushed, each part equals the
same part of the page loaded fresh, so a live page and a reloaded one look the same."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tasks.events import TaskEventType, events_store
from tasks.live.fragments import task_fragments
from tasks.live.publisher import event_message
from tasks.models import Task
from tasks.services.task_todos import todo_add_many, todo_set_status
from tests.factories import make_task, make_ticket

pytestmark = pytest.mark.django_db

OOB_ATTRIBUTES = re.compile(r' (hx-swap-oob|data-live-into|data-live-position)="[^"]*"')
CSRF_INPUT = re.compile(r'\s*<input type="hidden" name="csrfmiddlewaretoken"[^>]*>')


def element(html: str, element_id: str) -> str:
    """The outer HTML of the element with ``element_id`` (tags balanced by name)."""
    start = html.index(f' id="{element_id}"')
    start = html.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", html[start:]).group(1)  # type: ignore[union-attr]
    depth, position = 0, start
    for match in re.compile(rf"<(/?){tag}\b[^>]*>").finditer(html, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = match.end()
            break
    return html[start:position]


def normalized(html: str) -> str:
    """Without what only a push (oob) or only a request (CSRF token) has, whitespace folded."""
    return re.sub(r"\s+", " ", CSRF_INPUT.sub("", OOB_ATTRIBUTES.sub("", html)))


def pushed(task: Task, *batches: list) -> str:
    html = ""
    for batch in batches:
        task.refresh_from_db()
        html += "".join(task_fragments(task, [event_message(e) for e in batch]))
    return html


def test_every_pushed_part_equals_the_same_part_of_a_fresh_page(staff_client):
    ticket = make_ticket()
    task = make_task(ticket=ticket, status=Task.Status.RUNNING)
    todos = todo_add_many(task_id=task.pk, texts=["Look up the customer", "Reply"])
    batches = [list(task.events.order_by("seq"))]
    batches.append(
        events_store(
            task_id=task.pk,
            events=[
                (TaskEventType.REASONING_COMPLETED, {"text": "Plan first."}),
                (
                    TaskEventType.TOOL_CALLED,
                    {"name": "lookup_customer", "call_id": "c1", "arguments": {"id": 3}},
                ),
                (
                    TaskEventType.TOOL_CALLED,
                    {"name": "get_order", "call_id": "c2", "arguments": {}},
                ),
            ],
        )
    )
    # The results come in a later batch than their calls
    batches.append(
        events_store(
            task_id=task.pk,
            events=[
                (
                    TaskEventType.TOOL_RETURNED,
                    {"name": "lookup_customer", "call_id": "c1", "summary": "customer Jane"},
                ),
                (TaskEventType.TOOL_FAILED, {"name": "get_order", "call_id": "c2", "error": "No."}),
                (
                    TaskEventType.USAGE_UPDATED,
                    {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15, "cost": "0"},
                ),
            ],
            task_updates={"input_tokens": 10, "output_tokens": 5},
        )
    )
    todo_set_status(task_id=task.pk, todo_id=todos[0].pk, status="done")
    batches.append(list(task.events.filter(seq__gt=batches[-1][-1].seq)))
    batches.append(
        events_store(
            task_id=task.pk,
            events=[
                (TaskEventType.MESSAGE_COMPLETED, {"text": "All done."}),
                (TaskEventType.TASK_COMPLETED, {"status": "completed", "final_output": "Done."}),
            ],
            task_updates={"status": Task.Status.COMPLETED, "final_output": "Done."},
        )
    )

    live = pushed(task, *batches)
    page = staff_client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()

    ids = [f"task-{task.pk}-{part}" for part in ("head", "todos", "usage", "output", "actions")]
    lines = sorted(set(re.findall(rf'id="(tl-{task.pk}-\d+)"', live)))
    assert len(lines) == 5  # plan, two calls (each one line with its result), message, end
    for element_id in [*ids, f"task-approvals-{task.pk}", *lines]:
        # The newest rendering of each part is the one a live page keeps
        newest = live[live.rindex(f' id="{element_id}"') - 10 :]
        assert normalized(element(newest, element_id)) == normalized(element(page, element_id)), (
            element_id
        )


def test_a_result_in_a_later_batch_replaces_its_call_with_a_newer_line():
    task = make_task(status=Task.Status.RUNNING)
    [call] = events_store(
        task_id=task.pk,
        events=[
            (TaskEventType.TOOL_CALLED, {"name": "get_order", "call_id": "x", "arguments": {}})
        ],
    )
    [result] = events_store(
        task_id=task.pk,
        events=[(TaskEventType.TOOL_FAILED, {"name": "get_order", "call_id": "x", "error": "No."})],
    )

    first = pushed(task, [call])
    second = pushed(task, [result])

    line = f'id="tl-{task.pk}-{call.seq}"'
    assert line in first and "tl-pending" in first and "running…" in first
    assert line in second and f'data-seq="{result.seq}"' in second
    assert "tl-error" in second and "get_order()" in second


def test_to_dos_push_the_checklist_with_its_progress_and_a_final_text_ends_the_stream():
    task = make_task(status=Task.Status.RUNNING)
    todos = todo_add_many(task_id=task.pk, texts=["One", "Two", "Three", "Four"])
    todo_set_status(task_id=task.pk, todo_id=todos[0].pk, status="done")
    [done] = list(task.events.order_by("-seq")[:1])
    [message] = events_store(
        task_id=task.pk, events=[(TaskEventType.MESSAGE_COMPLETED, {"text": "Hello Jane"})]
    )

    html = pushed(task, [done], [message])

    assert f'id="task-{task.pk}-todos"' in html
    assert 'value="25"' in html and "1 of 4 done" in html
    assert f'id="todo-{todos[0].pk}" class="todo todo-done"' in html
    assert f'<div id="task-{task.pk}-stream" class="task-stream"' in html
    assert "Hello Jane" in html
