"""One factory per event type: every type a task can have is built by exactly one factory,
and status events say the status they lead to."""

from __future__ import annotations

import inspect

import pytest

from tasks import event_factories as f
from tasks.events import TaskEventType
from tests.factories import make_approval, make_task, make_todo


@pytest.mark.django_db
def test_every_event_type_has_one_factory_and_status_events_carry_their_status():
    task = make_task()
    todo = make_todo(task=task)
    approval = make_approval(task=task)
    built = {
        "task_created_event": f.task_created_event(task, ticket_number=None),
        "task_started_event": f.task_started_event(worker="w1"),
        "task_queued_event": f.task_queued_event(reason="retry"),
        "task_awaiting_approval_event": f.task_awaiting_approval_event(approval_ids=[1]),
        "task_cancel_requested_event": f.task_cancel_requested_event(by=None),
        "task_completed_event": f.task_completed_event(final_output="done"),
        "task_failed_event": f.task_failed_event(error="boom"),
        "task_cancelled_event": f.task_cancelled_event(),
        "todo_added_event": f.todo_added_event(todo),
        "todo_updated_event": f.todo_updated_event(todo),
        "tool_called_event": f.tool_called_event(name="t", call_id="c", arguments={}),
        "tool_returned_event": f.tool_returned_event(name="t", call_id="c", summary="", output={}),
        "tool_failed_event": f.tool_failed_event(
            name="t", call_id="c", error="e", field=None, output={}
        ),
        "reasoning_completed_event": f.reasoning_completed_event(text="x"),
        "message_completed_event": f.message_completed_event(text="x"),
        "usage_updated_event": f.usage_updated_event(input_tokens=1, output_tokens=2, cost=0),
        "guardrail_tripped_event": f.guardrail_tripped_event(
            guardrail="prompt_injection", reason="r", tools_off=["issue_refund"]
        ),
        "agent_handoff_event": f.agent_handoff_event(from_agent="a", to_agent="b"),
        "message_delta_event": f.message_delta_event(delta="x"),
        "reasoning_delta_event": f.reasoning_delta_event(delta="x"),
        "approval_requested_event": f.approval_requested_event(approval),
        "approval_decided_event": f.approval_decided_event(approval, decided_by=None, note=""),
    }
    # every factory of the module is exercised here
    factories = {n for n, o in inspect.getmembers(f, inspect.isfunction) if n.endswith("_event")}
    assert factories == set(built)
    # and together they build every event type there is
    live = {TaskEventType.MESSAGE_DELTA, TaskEventType.REASONING_DELTA}
    assert {event_type for event_type, _ in built.values()} == TaskEventType.STORED | live
    for name, (_, data) in built.items():
        if name.startswith("task_"):
            assert data["status"], name
    assert f.usage_updated_event(input_tokens=3, output_tokens=4, cost=1)[1]["total_tokens"] == 7
