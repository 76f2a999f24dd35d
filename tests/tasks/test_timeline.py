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
