"""What a (re)connecting client missed, read from the database: the events after the seq it
says it saw, as frames of its format. The database is the record; group messages only wake
the consumers up, so a gap or a lost message is always repaired from here."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from tasks.events import event_list
from tasks.live.fragments import agent_panel_fragment, task_fragments, ticket_thread_fragments
from tasks.live.protocol import FORMAT_JSON, html_frame, json_frame
from tasks.live.publisher import event_message
from tasks.live.selectors import ticket_latest_task_id
from tasks.models import Task, Ticket

# Events read (and sent) per round trip to the database.
CHUNK = 200


@dataclass
class CatchUp:
    frames: list[str] = field(default_factory=list)
    # The seq of the last event read, None when there was nothing new.
    last_seq: int | None = None
    count: int = 0
    # The task's newest seq: a client that claims more saw a database that was reset.
    task_last_seq: int = 0


def task_catch_up(*, task_id: int, after_seq: int, fmt: str, limit: int = CHUNK) -> CatchUp:
    """Up to ``limit`` events of the task after ``after_seq``: one frame each for the JSON
    stream; for HTML one frame with the fragments of them all (rendered on a reconnect or
    after a gap, never for live events, and shared by the clients that ask for the same
    events at about the same time: after a server restart, everyone reconnects at once)."""
    events = list(event_list(task_id=task_id, after_seq=after_seq, limit=limit))
    if not events:
        last = Task.objects.filter(pk=task_id).values_list("last_seq", flat=True).first()
        return CatchUp(task_last_seq=last or 0)
    # The newest event's time too: a database reset (the tests) reuses task ids and seqs.
    key = (task_id, after_seq, events[-1].seq, events[-1].created_at, fmt)
    cached = _recent.get(key)
    if cached is not None:
        return cached
    messages = [event_message(event) for event in events]
    if fmt == FORMAT_JSON:
        frames = [json_frame(message, replayed=True) for message in messages]
    else:
        task = Task.objects.select_related("ticket").filter(pk=task_id).first()
        html = "".join(task_fragments(task, messages)) if task is not None else ""
        frames = [html_frame(messages[-1], html, replayed=True, first_seq=events[0].seq)]
    result = CatchUp(frames, events[-1].seq, len(events), events[-1].seq)
    _recent.put(key, result)
    return result


class _RecentCatchUps:
    """Catch-ups rendered in the last few seconds (thread-safe: the live pool has several
    threads). Their frames only ever cover stored events, so a reused one is exact; the
    state parts in it carry the seq they show and are superseded by what follows."""

    def __init__(self, seconds: float, size: int) -> None:
        self.seconds, self.size = seconds, size
        self.items: OrderedDict[tuple[Any, ...], tuple[float, CatchUp]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> CatchUp | None:
        with self.lock:
            found = self.items.get(key)
            if found is None or time.monotonic() - found[0] > self.seconds:
                return None
            return found[1]

    def put(self, key: tuple[Any, ...], value: CatchUp) -> None:
        with self.lock:
            self.items[key] = (time.monotonic(), value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_recent = _RecentCatchUps(seconds=5.0, size=256)


def ticket_catch_up(*, number: int, latest_task: int | None, resync: bool) -> str:
    """The ticket page's parts a client is missing: the agent panel if the ticket has a newer
    task than the one it shows, and (after a reconnect) the header and thread."""
    ticket = Ticket.objects.select_related("customer", "assignee").filter(number=number).first()
    if ticket is None:
        return ""
    html = ""
    if ticket_latest_task_id(number=number) != latest_task:
        html += agent_panel_fragment(ticket)
    if resync:
        html += ticket_thread_fragments(ticket)
    return html
