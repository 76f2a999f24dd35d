"""The timeline a person reads: a refund call paused for approval says it waits for a person,
not that it is running, on the page and in a live push."""

from __future__ import annotations

from django.utils import timezone

from tasks.events import TaskEventType as E
from tasks.live import fragments
from tasks.models import TaskEvent
from tasks.task_selectors import timeline_entries
from tests.factories import make_task


def event(seq: int, kind: str, **data) -> TaskEvent:
    return TaskEvent(task_id=1, seq=seq, type=kind, data=data, created_at=timezone.now())


CALLED = event(2, E.TOOL_CALLED, name="issue_refund", call_id="c1", arguments={"amount": "9.00"})
REQUESTED = event(3, E.APPROVAL_REQUESTED, call_id="c1", tool_name="issue_refund", summary="s")
DECIDED = event(4, E.APPROVAL_DECIDED, call_id="c1", status="approved", note="")


def test_a_paused_call_waits_for_approval_until_it_is_decided():
    [call, _] = timeline_entries([CALLED, REQUESTED])
    assert call.awaiting_approval and not call.finished and call.version == 3

    [call, _, _] = timeline_entries([CALLED, REQUESTED, DECIDED])
    assert not call.awaiting_approval and call.version == 4


def test_the_live_push_of_the_request_rewrites_the_calls_line(db):
    task = make_task()
    for stored in (CALLED,):
        TaskEvent.objects.create(task=task, seq=stored.seq, type=stored.type, data=stored.data)
    message = {
        "task_id": task.pk,
        "seq": 3,
        "event": E.APPROVAL_REQUESTED,
        "data": REQUESTED.data,
        "created_at": timezone.now().isoformat(),
    }

    [html] = fragments.task_fragments(task, [message])

    assert f'id="tl-{task.pk}-2"' in html and "waiting for approval…" in html
    assert "running…" not in html


def test_each_line_has_its_time_and_a_tool_call_its_duration(db):
    task = make_task()
    at = timezone.now()
    rows = [
        (1, E.TASK_STARTED, {"status": "running", "worker": "w"}),
        (2, E.TOOL_CALLED, {"name": "lookup_customer", "call_id": "c1", "arguments": {}}),
        (
            3,
            E.TOOL_RETURNED,
            {
                "name": "lookup_customer",
                "call_id": "c1",
                "summary": "ok",
                "output": {},
                "duration_ms": 12.4,
            },
        ),
        (4, E.TASK_STARTED, {"status": "running", "worker": "w"}),
    ]
    for seq, kind, data in rows:
        TaskEvent.objects.create(task=task, seq=seq, type=kind, data=data, created_at=at)
    task.last_seq = 4
    task.save()

    entries = timeline_entries(list(TaskEvent.objects.filter(task=task).order_by("seq")))
    # each start of the agent is a line of its own (a divider on the page)
    assert [e.kind for e in entries] == ["start", "tool", "start"]
    assert entries[1].duration_ms == 12.4

    [html] = fragments.task_fragments(
        task,
        [
            {
                "task_id": task.pk,
                "seq": 3,
                "event": E.TOOL_RETURNED,
                "data": rows[2][2],
                "created_at": at.isoformat(),
            }
        ],
    )
    local = timezone.localtime(at)
    assert f">{local:%H:%M:%S}</time>" in html and "12 ms" in html
