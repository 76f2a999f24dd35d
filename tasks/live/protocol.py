"""The websocket protocol of ``ws/tasks/<id>/``, ``ws/tickets/<number>/`` and ``ws/dashboard/``.

Client -> server (JSON text frames, at most ``MAX_FRAME_BYTES``)::

    {"action": "subscribe", "after_seq": 12, "format": "json" | "html"}
    {"action": "ping"}

A task socket sends nothing before it is subscribed (``?after_seq=12`` on the URL does the
same); ``format`` may also be given as ``?format=``. Browsers sign in with their session;
API clients send ``Authorization: Bearer adk_...`` and an ``Origin`` of an allowed host.

Server -> client::

    {"type": "event", "task_id": 7, "seq": 13, "event": "tool.called", "data": {...},
     "created_at": "...", "replayed": true?}                         # format=json
    {"type": "event", "task_id": 7, "seq": 13, "event": "tool.called", "created_at": "...",
     "html": "<li id=... hx-swap-oob=...>"}                           # format=html
    (an HTML catch-up is one frame for many events: "replayed": true, "first_seq": 9)
    {"type": "batch", "task_id": 7, "first_seq": 13, "seq": 19, "events": [[7, 13, "..."], ...],
     "parts": [{"html": "..."}, {"event": "message.delta", "data": {"delta": "..."}}]}
                                  # format=html: several events at once, in order
    {"type": "synced", "task_id": 7, "seq": 13}   # caught up; live events follow
    {"type": "subscribed"} · {"type": "resync"} · {"type": "pong"}
    {"type": "error", "code": "unknown_action", "message": "..."}

Deltas (``message.delta``, ``reasoning.delta``) have ``"seq": null`` and ``data.delta``.

An open socket follows access (``tasks.live.access``): within ``LIVE_ACCESS_CHECK_SECONDS`` of
a logout, deactivation, loss of staff status or deletion of its API token it gets
``{"type": "error", "code": "forbidden", ...}`` and is closed with code 4403.
A frame JSON cannot parse (malformed, or nested too deeply) is ``bad_json``.
"""

from __future__ import annotations

import json
from typing import Any

FORMAT_JSON = "json"
FORMAT_HTML = "html"
FORMATS = (FORMAT_JSON, FORMAT_HTML)

# Frames from clients are a few dozen bytes; this bounds what a client can make us parse.
# (Daphne itself closes the socket, code 1009, on a message above 1 MiB.)
MAX_FRAME_BYTES = 64 * 1024

# Keys of a group message holding the frames, serialized once by the publisher, and of an
# event in a batch holding its rendered HTML.
FRAME_JSON = "frame_json"
FRAME_HTML = "frame_html"
FRAMES_JSON = "frames_json"
FRAMES_HTML = "frames_html"
HTML = "html"

# Close codes (4000-4999 are the application's).
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

# Error codes and their messages (tests reuse them).
BAD_JSON = "bad_json"
BAD_JSON_MESSAGE = "Frames must be JSON objects."
BINARY_FRAME = "binary_frame"
BINARY_FRAME_MESSAGE = "Binary frames are not supported; send JSON text."
FRAME_TOO_LARGE = "frame_too_large"
FRAME_TOO_LARGE_MESSAGE = f"A frame is limited to {MAX_FRAME_BYTES // 1024} KB."
UNKNOWN_ACTION = "unknown_action"
UNKNOWN_ACTION_MESSAGE = "Unknown action; use one of: {actions}."
BAD_REQUEST = "bad_request"
AFTER_SEQ_INVALID = "after_seq must be a whole number, 0 or more."
FORMAT_INVALID = "format must be json or html."
LATEST_TASK_INVALID = "latest_task must be a task id or null."
TASK_NOT_FOUND = "task_not_found"
TASK_NOT_FOUND_MESSAGE = "No task with that id."
TICKET_NOT_FOUND = "ticket_not_found"
TICKET_NOT_FOUND_MESSAGE = "No ticket with that number."
FORBIDDEN = "forbidden"
FORBIDDEN_MESSAGE = "Only active staff can follow agent tasks."
ACCESS_REVOKED_MESSAGE = (
    "Your access ended (signed out, deactivated, no longer staff, or the API token was deleted)."
)
INTERNAL = "internal_error"
INTERNAL_MESSAGE = "Something went wrong on the server; the connection stays open."


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), default=str)


def error_frame(code: str, message: str, **extra: Any) -> str:
    return dumps({"type": "error", "code": code, "message": message, **extra})


def json_frame(message: dict[str, Any], *, replayed: bool = False) -> str:
    """The JSON stream's frame of one group message (an event as stored, or a delta)."""
    frame = {
        "type": "event",
        "task_id": message["task_id"],
        "seq": message["seq"],
        "event": message["event"],
        "data": message["data"],
        "created_at": message["created_at"],
    }
    if replayed:
        frame["replayed"] = True
    return dumps(frame)


def html_frame(
    message: dict[str, Any], html: str, *, replayed: bool = False, first_seq: int | None = None
) -> str:
    """The portal's frame of one group message: the HTML fragments to swap in by id (a delta
    keeps its text in ``data`` for the client to append). A catch-up frame covers the events
    from ``first_seq`` to ``seq``."""
    frame: dict[str, Any] = {
        "type": "event",
        "task_id": message["task_id"],
        "seq": message["seq"],
        "event": message["event"],
        "created_at": message["created_at"],
    }
    if message["seq"] is None:
        frame["data"] = message["data"]
    else:
        frame["html"] = html
    if replayed:
        frame["replayed"] = True
    if first_seq is not None:
        frame["first_seq"] = first_seq
    return dumps(frame)


def batch_frame(events: list[dict[str, Any]], *, task_id: int | None) -> str:
    """The portal's frame of several events at once: their HTML and deltas in order (one
    websocket message instead of one per event, when many come together)."""
    parts: list[dict[str, Any]] = []
    for event in events:
        if event["seq"] is None:
            parts.append({"event": event["event"], "data": event["data"]})
        elif event.get(HTML):
            parts.append({"html": event[HTML]})
    stored = [event for event in events if event["seq"] is not None]
    return dumps(
        {
            "type": "batch",
            "task_id": task_id,
            "first_seq": stored[0]["seq"] if stored and task_id is not None else None,
            "seq": stored[-1]["seq"] if stored and task_id is not None else None,
            # What the batch covers: [task id, seq, created_at] of each stored event.
            "events": [[e["task_id"], e["seq"], e["created_at"]] for e in stored],
            "parts": parts,
        }
    )
