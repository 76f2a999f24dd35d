"""Publishing under load: deltas streamed while the publisher was busy travel as one message,
and several events go to each group as one batch carrying ready frames, so a socket's
consumer forwards strings and never renders."""

from __future__ import annotations

import json

from tasks.live import protocol as p
from tasks.live.groups import DASHBOARD_GROUP, task_group
from tasks.live.outgoing import BATCH_TYPE, batch_events, bundle
from tasks.live.publisher import coalesce_deltas


def delta(task_id: int, text: str, kind: str = "message.delta") -> dict:
    return {
        "type": "task.event",
        "task_id": task_id,
        "seq": None,
        "event": kind,
        "data": {"delta": text},
        "created_at": "2026-10-02T10:00:00+00:00",
    }


def stored(task_id: int, seq: int) -> dict:
    message = {
        "type": "task.event",
        "task_id": task_id,
        "seq": seq,
        "event": "reasoning.completed",
        "data": {"text": f"step {seq}"},
        "created_at": "2026-10-02T10:00:00+00:00",
    }
    return {**message, p.FRAME_JSON: p.json_frame(message), p.HTML: f"<li id='x{seq}'></li>"}


def test_deltas_of_a_task_join_up_to_its_next_event_and_keep_their_order():
    batch = [
        delta(1, "Hel"),
        delta(2, "Other "),
        delta(1, "lo "),
        delta(1, "there", kind="reasoning.delta"),
        stored(1, 5),
        delta(1, "again"),
        delta(2, "task"),
    ]

    out = coalesce_deltas(batch)

    assert [(m["task_id"], m["event"], m["seq"], m["data"].get("delta")) for m in out] == [
        (1, "message.delta", None, "Hello "),
        (2, "message.delta", None, "Other task"),
        (1, "reasoning.delta", None, "there"),
        (1, "reasoning.completed", 5, None),
        (1, "message.delta", None, "again"),
    ]


def test_several_events_of_a_group_go_as_one_batch_with_one_html_frame():
    events = [stored(7, 3), stored(7, 4)]

    [(group, batch), (dashboard, single)] = bundle(
        [(task_group(7), events[0]), (task_group(7), events[1]), (DASHBOARD_GROUP, events[0])]
    )

    assert (group, dashboard) == (task_group(7), DASHBOARD_GROUP)
    assert single["seq"] == 3 and p.HTML not in single  # alone: the event itself
    assert batch["type"] == BATCH_TYPE
    assert (batch["task_ids"], batch["seqs"]) == ([7, 7], [3, 4])
    # Nothing nested for the in-memory layer to deep-copy per socket
    assert all(not isinstance(value, dict) for value in batch.values())
    frame = json.loads(batch[p.FRAME_HTML])
    assert (frame["type"], frame["first_seq"], frame["seq"]) == ("batch", 3, 4)
    assert [part["html"] for part in frame["parts"]] == ["<li id='x3'></li>", "<li id='x4'></li>"]
    assert [event["seq"] for event in batch_events(batch)] == [3, 4]
    assert json.loads(batch_events(batch)[1][p.FRAME_JSON])["data"] == {"text": "step 4"}
