"""The group messages a batch of published events becomes: to each task's group, the dashboard
and (for what the ticket page shows outside the panel) the ticket's group, each carrying its
frames already built, so a consumer only forwards a string. Each group gets one message per
batch: the event itself, or a ``task.events`` batch of them.

Stored events are rendered and sent only to groups someone watches (``tasks.live.presence``:
the in-memory layer's own groups, or the marks web processes keep in Redis); a socket that
joins later catches up from the database. A message without an HTML frame tells an HTML
consumer to catch up from the database instead (``tasks.live.catch_up``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any

from tasks.events import TaskEventType
from tasks.live import fragments
from tasks.live.groups import DASHBOARD_GROUP, TICKET_PAGES, task_group, ticket_group
from tasks.live.presence import Watched
from tasks.live.protocol import (
    FRAME_HTML,
    FRAME_JSON,
    FRAMES_HTML,
    FRAMES_JSON,
    HTML,
    batch_frame,
    html_frame,
    json_frame,
)
from tasks.models import Task

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Outgoing = list[tuple[str, Message]]


BATCH_TYPE = "task.events"
# Task fields no panel shows, and that grow with the conversation.
HEAVY_FIELDS = ("history", "run_state", "input")


def _with_frames(message: Message, frame: str, html: str | None) -> Message:
    out = {**message, FRAME_JSON: frame}
    if html is not None:
        out[FRAME_HTML] = html_frame(message, html)
        out[HTML] = html
    return out


def _delta(message: Message) -> tuple[str, Message]:
    """A delta goes to its task's group only; its text travels as is in both formats."""
    frame = json_frame(message)
    return task_group(message["task_id"]), {**message, FRAME_JSON: frame, FRAME_HTML: frame}


def _safely(what: str, default: Any, render: Callable[..., Any], *args: Any) -> Any:
    try:
        return render(*args)
    except Exception:  # a rendering bug must not stop the events (clients catch up)
        logger.exception("Rendering %s for a live update failed", what)
        return default


def _task_html(
    by_task: dict[int, list[Message]], tasks: dict[int, Task], watched: set[str]
) -> dict[int, str]:
    """Per message (by id()), the task panel fragments, for watched tasks."""
    html: dict[int, str] = {}
    for task_id, batch in by_task.items():
        task = tasks.get(task_id)
        if task is None or task_group(task_id) not in watched:
            continue
        rendered = _safely(f"task {task_id}", None, fragments.task_fragments, task, batch)
        if rendered is not None:
            html.update({id(m): part for m, part in zip(batch, rendered, strict=True)})
    return html


def _dashboard_html(by_task: dict[int, list[Message]]) -> dict[int, str]:
    rendered = _safely("the dashboard", None, fragments.dashboard_fragments, by_task)
    if rendered is None:
        return {}
    # The rows (and counts) ride on each task's last message of the batch.
    html = {id(m): "" for batch in by_task.values() for m in batch}
    for task_id, part in rendered.items():
        html[id(by_task[task_id][-1])] = part
    return html


def _ticket_numbers(task_ids: Collection[int], tasks: dict[int, Task]) -> dict[int, int]:
    """The ticket number of each of ``task_ids`` that has a ticket (from ``tasks`` when
    loaded, else one small read)."""
    numbers = {
        t: ticket.number for t in task_ids if t in tasks and (ticket := tasks[t].ticket) is not None
    }
    unread = [t for t in task_ids if t not in tasks]
    if unread:
        numbers.update(
            Task.objects.filter(pk__in=unread, ticket__isnull=False).values_list(
                "pk", "ticket__number"
            )
        )
    return numbers


def _ticket_html(
    stored: list[Message], tasks: dict[int, Task], watched: Watched
) -> dict[int, tuple[str, str]]:
    """Per message (by id()), the ticket group and its fragments: the agent panel when a task
    starts, the header and thread (once per ticket) after the agent changed them, for the
    ticket pages someone watches."""
    relevant = [m for m in stored if _for_ticket_page(m)]
    if not relevant:
        return {}
    numbers = _ticket_numbers({m["task_id"] for m in relevant}, tasks)
    watching = watched([ticket_group(n) for n in numbers.values()])
    relevant = [
        m
        for m in relevant
        if m["task_id"] in numbers and ticket_group(numbers[m["task_id"]]) in watching
    ]
    missing = {m["task_id"] for m in relevant} - set(tasks)
    if missing:
        tasks = {
            **tasks,
            **Task.objects.select_related("ticket").defer(*HEAVY_FIELDS).in_bulk(list(missing)),
        }
    out: dict[int, tuple[str, str]] = {}
    last_change: dict[int, Message] = {}
    candidates: dict[int, list[Message]] = {}
    for message in relevant:
        task = tasks.get(message["task_id"])
        if task is None or task.ticket is None:
            continue
        group = ticket_group(task.ticket.number)
        if message["event"] == TaskEventType.TASK_CREATED:
            ticket = task.ticket
            html = _safely("an agent panel", "", fragments.agent_panel_fragment, ticket)
            out[id(message)] = (group, html)
        else:
            candidates.setdefault(task.pk, []).append(message)
    for task_id, batch in candidates.items():
        if _safely("a ticket change", True, fragments.ticket_page_changed, task_id, batch):
            last_change[tasks[task_id].ticket.pk] = batch[-1]  # type: ignore[union-attr]
    for message in last_change.values():
        changed = tasks[message["task_id"]].ticket
        assert changed is not None
        html = _safely("a ticket thread", "", fragments.ticket_thread_fragments, changed)
        out[id(message)] = (ticket_group(changed.number), html)
    return out


def _for_ticket_page(message: Message) -> bool:
    return message["event"] == TaskEventType.TASK_CREATED or fragments.may_change_ticket_page(
        message
    )


def build_outgoing(messages: Sequence[Message], *, watched: Watched) -> Outgoing:
    """One group message per watched group for ``messages`` (stored events of any tasks,
    and deltas), each group's events in order. Reads the database (call it from a worker
    thread), and nothing when no group of the batch is watched."""
    stored = [m for m in messages if m["seq"] is not None]
    by_task: dict[int, list[Message]] = {}
    for message in stored:
        by_task.setdefault(message["task_id"], []).append(message)
    watching = watched([*(task_group(t) for t in by_task), DASHBOARD_GROUP, TICKET_PAGES])
    tasks: dict[int, Task] = {}
    if watching - {TICKET_PAGES}:
        # One read for the batch: the task panels need the tasks, the ticket groups their
        # tickets.
        tasks = Task.objects.select_related("ticket").defer(*HEAVY_FIELDS).in_bulk(list(by_task))
    task_html = _task_html(by_task, tasks, watching)
    dashboard = DASHBOARD_GROUP in watching
    dashboard_html = _dashboard_html(by_task) if by_task and dashboard else {}
    ticket_html = _ticket_html(stored, tasks, watched) if TICKET_PAGES in watching else {}

    pairs: Outgoing = []
    for message in messages:
        if message["seq"] is None:
            pairs.append(_delta(message))
            continue
        key, frame = id(message), json_frame(message)
        group = task_group(message["task_id"])
        if group in watching:
            pairs.append((group, _with_frames(message, frame, task_html.get(key))))
        if dashboard:
            pairs.append((DASHBOARD_GROUP, _with_frames(message, frame, dashboard_html.get(key))))
        if key in ticket_html:
            group, html = ticket_html[key]
            pairs.append((group, _with_frames(message, frame, html)))
    return bundle(pairs)


def deltas_outgoing(messages: Sequence[Message]) -> Outgoing:
    """Deltas only: nothing to read or render."""
    return bundle([_delta(message) for message in messages])


def bundle(pairs: Outgoing) -> Outgoing:
    """One message per group: an event alone as itself; several as a ``task.events`` batch
    with, for HTML sockets, one frame of them all (a group send, and a websocket message,
    per batch instead of per event: what keeps hundreds of sockets cheap under load).

    A batch is flat lists of ids and ready frames, no nested dicts: the in-memory layer
    deep-copies each message for every socket, which was a busy server's biggest cost."""
    per_group: dict[str, list[Message]] = {}
    for group, message in pairs:
        per_group.setdefault(group, []).append(message)
    outgoing: Outgoing = []
    for group, events in per_group.items():
        if len(events) == 1:
            single = dict(events[0])
            single.pop(HTML, None)
            outgoing.append((group, single))
            continue
        batch: Message = {
            "type": BATCH_TYPE,
            "task_ids": [e["task_id"] for e in events],
            "seqs": [e["seq"] for e in events],
            FRAMES_JSON: [e[FRAME_JSON] for e in events],
            FRAMES_HTML: [e.get(FRAME_HTML) for e in events],
        }
        if all(e["seq"] is None or HTML in e for e in events):
            task_ids = {e["task_id"] for e in events}
            task_id = task_ids.pop() if len(task_ids) == 1 and group != DASHBOARD_GROUP else None
            batch[FRAME_HTML] = batch_frame(events, task_id=task_id)
        outgoing.append((group, batch))
    return outgoing


def batch_events(batch: Message) -> list[Message]:
    """The events of a ``task.events`` batch, each with its ids and frames."""
    return [
        {"task_id": task_id, "seq": seq, FRAME_JSON: frame_json, FRAME_HTML: frame_html}
        if frame_html is not None
        else {"task_id": task_id, "seq": seq, FRAME_JSON: frame_json}
        for task_id, seq, frame_json, frame_html in zip(
            batch["task_ids"], batch["seqs"], batch[FRAMES_JSON], batch[FRAMES_HTML], strict=True
        )
    ]
