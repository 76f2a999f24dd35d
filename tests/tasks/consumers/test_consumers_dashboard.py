"""The dashboard's and the ticket page's sockets: tasks appear as they start (one or in bulk),
rows follow their status and move down when finished, a lost message asks for a re-read, and a
ticket page hears of a task started on its ticket from anywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tasks.events import EventWrite, TaskEventType, events_publish, events_store_many
from tasks.live.groups import DASHBOARD_GROUP
from tasks.live.publisher import event_message
from tasks.services.task_finish import failed_write
from tasks.services.task_lifecycle import claim_write
from tasks.services.task_start import task_bulk_start, task_start_for_ticket
from tasks.services.task_ticket_actions import task_reply_to_customer
from tests.factories import (
    make_customer,
    make_order,
    make_refund_policy,
    make_task,
    make_ticket,
    make_user,
)
from tests.tasks.live_helpers import (
    connect,
    fresh_layer,  # noqa: F401
    receive,
    send,
    settle,
    store,
    store_and_publish,
)
from tools_app.services.refunds import refund_issue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("fresh_layer"),
]


async def _dashboard(fmt: str = "html"):
    staff = await sync_to_async(make_user)()
    socket = await connect(f"/ws/dashboard/?format={fmt}", staff)
    await send(socket, {"action": "subscribe"})
    assert await receive(socket) == {"type": "subscribed"}
    return staff, socket


async def _apply(write: EventWrite) -> None:
    """A worker's guarded transition (task row and event together), then published."""
    [result] = await sync_to_async(events_store_many)([write])
    assert result.applied
    await events_publish(result.events)


async def test_the_dashboard_shows_a_task_start_run_and_finish():
    staff, socket = await _dashboard()
    ticket = await sync_to_async(make_ticket)(subject="Charged twice")

    task, _ = await sync_to_async(task_start_for_ticket)(ticket=ticket, user=staff)
    created = await receive(socket)
    await _apply(claim_write(task_id=task.pk, owner="w1"))
    started = await receive(socket)
    await _apply(failed_write(task_id=task.pk, owner="w1", reason="Model down."))
    failed = await receive(socket)

    # A new row goes on top of the active tasks, with the counts and approvals
    assert created["event"] == "task.created"
    assert f'<tr id="dash-task-{task.pk}"' in created["html"]
    assert 'data-live-into="dash-active"' in created["html"]
    assert "Charged twice" in created["html"] and "Queued" in created["html"]
    assert 'id="dash-counts"' in created["html"] and 'id="dash-approvals"' in created["html"]
    assert "Running" in started["html"] and 'data-status-count="running">1<' in started["html"]
    # A finished task moves down to the finished list, with its reason
    assert 'data-live-into="dash-finished"' in failed["html"]
    assert "Model down." in failed["html"]
    assert 'data-status-count="failed">1<' in failed["html"]
    await socket.disconnect()


async def test_bulk_started_investigations_each_appear_as_they_start():
    staff, socket = await _dashboard()
    tickets = [await sync_to_async(make_ticket)() for _ in range(3)]

    result = await sync_to_async(task_bulk_start)(numbers=[t.number for t in tickets], user=staff)
    html = ""
    while html.count('<tr id="dash-task-') < len(tickets):
        # One frame per event, or one for several published together
        frame = await receive(socket)
        html += frame.get("html") or "".join(part["html"] for part in frame["parts"])

    for task in result.started:
        assert f'id="dash-task-{task.pk}"' in html
    assert html.count('data-live-into="dash-active"') == 3
    await socket.disconnect()


async def test_the_dashboard_json_stream_has_every_stored_event_but_no_deltas():
    from tasks.events import live_publish

    _, socket = await _dashboard(fmt="json")
    task = await sync_to_async(make_task)(status="running")

    await live_publish(task_id=task.pk, type=TaskEventType.MESSAGE_DELTA, data={"delta": "a"})
    await store_and_publish(task.pk, (TaskEventType.TODO_ADDED, {"id": 1, "text": "Plan"}))
    frame = await receive(socket)

    assert (frame["task_id"], frame["seq"], frame["event"]) == (task.pk, 1, "todo.added")
    assert frame["data"] == {"id": 1, "text": "Plan"}
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_a_gap_in_a_tasks_events_asks_the_dashboard_to_read_the_board_again():
    _, socket = await _dashboard(fmt="json")
    task = await sync_to_async(make_task)(status="running")
    one, _lost, three = await store(
        task.pk, *[(TaskEventType.REASONING_COMPLETED, {"text": str(n)}) for n in range(3)]
    )
    layer = get_channel_layer()

    await layer.group_send(DASHBOARD_GROUP, event_message(one))
    await layer.group_send(DASHBOARD_GROUP, event_message(three))  # two was lost
    await layer.group_send(DASHBOARD_GROUP, event_message(three))  # and a duplicate

    assert (await receive(socket))["seq"] == 1
    assert await receive(socket) == {"type": "resync"}
    assert (await receive(socket))["seq"] == 3  # API clients still get what did arrive
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_an_event_that_overtakes_the_one_before_it_waits_for_it():
    task = await sync_to_async(make_task)(status="running")
    _, socket = await _dashboard(fmt="json")
    first, second = await store(
        task.pk, *[(TaskEventType.REASONING_COMPLETED, {"text": str(n)}) for n in range(2)]
    )
    layer = get_channel_layer()

    # Two processes published them: the worker's came through first
    await layer.group_send(DASHBOARD_GROUP, event_message(second))
    await settle()
    await layer.group_send(DASHBOARD_GROUP, event_message(first))

    assert [(await receive(socket))["seq"] for _ in range(2)] == [1, 2]
    assert await socket.receive_nothing(timeout=0.6)  # no resync: nothing was lost
    await socket.disconnect()


async def test_a_ticket_page_hears_of_a_task_started_elsewhere():
    staff = await sync_to_async(make_user)()
    ticket = await sync_to_async(make_ticket)()
    socket = await connect(f"/ws/tickets/{ticket.number}/?format=html", staff)
    await send(socket, {"action": "subscribe", "latest_task": None})
    assert await receive(socket) == {"type": "subscribed", "html": ""}

    # Someone starts it from the backlog (bulk) while the page is open
    result = await sync_to_async(task_bulk_start)(numbers=[ticket.number], user=staff)
    [task] = result.started
    frame = await receive(socket)

    assert frame["event"] == "task.created"
    assert 'id="agent-panel"' in frame["html"] and 'hx-swap-oob="true"' in frame["html"]
    assert f'data-live-task="{task.pk}"' in frame["html"]
    await socket.disconnect()


async def test_a_ticket_page_that_reconnects_gets_the_newer_task_and_the_thread():
    staff = await sync_to_async(make_user)()
    ticket = await sync_to_async(make_ticket)(subject="Where is my desk?")
    old = await sync_to_async(make_task)(ticket=ticket)
    new = await sync_to_async(make_task)(ticket=ticket, status="running")
    socket = await connect(f"/ws/tickets/{ticket.number}/?format=html", staff)

    await send(socket, {"action": "subscribe", "latest_task": old.pk, "resync": True})
    frame = await receive(socket)
    await send(socket, {"action": "subscribe", "latest_task": new.pk})
    same = await receive(socket)

    assert frame["type"] == "subscribed"
    assert f'data-live-task="{new.pk}"' in frame["html"]
    assert 'id="ticket-thread-wrap"' in frame["html"] and "Where is my desk?" in frame["html"]
    assert same == {"type": "subscribed", "html": ""}
    await socket.disconnect()


async def test_the_agent_replying_updates_the_ticket_thread_live():
    staff = await sync_to_async(make_user)()
    ticket = await sync_to_async(make_ticket)()
    task = await sync_to_async(make_task)(ticket=ticket, status="running")
    socket = await connect(f"/ws/tickets/{ticket.number}/?format=html", staff)
    await send(socket, {"action": "subscribe", "latest_task": task.pk})
    await receive(socket)

    # a tool result that wrote nothing to the ticket: the page outside the panel stays
    await store_and_publish(
        task.pk,
        (TaskEventType.TOOL_RETURNED, {"name": "lookup_customer", "call_id": "a", "summary": ""}),
    )
    await settle()
    assert await socket.receive_nothing(timeout=0.1)

    # when the agent replies (a row in the ticket's thread, whichever tool wrote it)
    await sync_to_async(task_reply_to_customer)(
        task_id=task.pk, ticket_id=ticket.pk, body="We are on it.", call_id="b"
    )
    await store_and_publish(
        task.pk,
        (TaskEventType.TOOL_RETURNED, {"name": "reply_to_customer", "call_id": "b", "summary": ""}),
    )
    frame = await receive(socket)

    assert 'id="ticket-header"' in frame["html"] and 'id="ticket-thread-wrap"' in frame["html"]
    assert "We are on it." in frame["html"]
    assert '<select id="status-select"' in frame["html"]
    await settle()
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_a_refund_the_agent_made_shows_on_the_ticket_pages_order_at_once():
    staff = await sync_to_async(make_user)()
    customer = await sync_to_async(make_customer)()
    ticket = await sync_to_async(make_ticket)(customer=customer)
    order = await sync_to_async(make_order)(customer=customer, amount=Decimal("29.00"))
    await sync_to_async(make_refund_policy)()
    task = await sync_to_async(make_task)(ticket=ticket, status="running")
    socket = await connect(f"/ws/tickets/{ticket.number}/?format=html", staff)
    await send(socket, {"action": "subscribe", "latest_task": task.pk})
    await receive(socket)

    # when the approved refund executes (the run's issue_refund call returns)
    await sync_to_async(refund_issue)(
        order=order,
        amount=Decimal("29.00"),
        reason="Duplicate charge",
        idempotency_key="approval-1",
        customer_id=customer.pk,
        task_id=task.pk,
    )
    await store_and_publish(
        task.pk,
        (TaskEventType.TOOL_RETURNED, {"name": "issue_refund", "call_id": "r", "summary": ""}),
    )
    frame = await receive(socket)

    # then the ticket page's order list says so, without a reload
    assert 'id="ticket-orders"' in frame["html"] and 'hx-swap-oob="true"' in frame["html"]
    assert order.number in frame["html"] and "Refunded 29.00" in frame["html"]
    await socket.disconnect()
