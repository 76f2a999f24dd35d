"""What a (re)connecting client missed, read from the database: the events after the seq it
says it saw, as frames of its format. The database is the record; group messages only wake
the consumers up, so a gap or a lost message is always repaired from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.events import event_list, event_message
from tasks.live.fragments import agent_panel_fragment, task_fragments, ticket_thread_fragments
from tasks.live.protocol import FORMAT_JSON, html_frame, json_frame
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
    stream; for HTML one frame with the fragments of them all (rendered for this client only,
    which happens on a reconnect or after a gap, never for live events)."""
    task = Task.objects.select_related("ticket").filter(pk=task_id).first()
    if task is None:
        return CatchUp()
    events = list(event_list(task_id=task_id, after_seq=after_seq, limit=limit))
    if not events:
        return CatchUp(task_last_seq=task.last_seq)
    messages = [event_message(event) for event in events]
    if fmt == FORMAT_JSON:
        frames = [json_frame(message, replayed=True) for message in messages]
    else:
        html = "".join(task_fragments(task, messages))
        frames = [html_frame(messages[-1], html, replayed=True, first_seq=events[0].seq)]
    return CatchUp(frames, events[-1].seq, len(events), max(task.last_seq, events[-1].seq))


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
