"""Rendering and sending only for groups someone watches: a batch nobody watches costs no
database read and no group send; a watched task's group gets its rendered panel."""

from __future__ import annotations

import pytest

from tasks.events import TaskEventType
from tasks.live import presence
from tasks.live.groups import DASHBOARD_GROUP, task_group
from tasks.live.outgoing import build_outgoing
from tests.factories import make_task


def message(task_id: int, seq: int, event: str = TaskEventType.REASONING_COMPLETED) -> dict:
    return {
        "type": "task.event",
        "task_id": task_id,
        "seq": seq,
        "event": event,
        "data": {"text": f"step {seq}"},
        "created_at": "2026-10-02T10:00:00+00:00",
    }


@pytest.mark.django_db
def test_a_batch_nobody_watches_reads_nothing_and_goes_nowhere(django_assert_num_queries):
    task = make_task()
    with django_assert_num_queries(0):
        outgoing = build_outgoing(
            [message(task.pk, 2), message(task.pk, 3)], watched=lambda groups: set()
        )
    assert outgoing == []


@pytest.mark.django_db
def test_only_the_watched_groups_get_the_batch_and_the_task_panel_is_rendered():
    task = make_task()
    group = task_group(task.pk)

    outgoing = build_outgoing(
        [message(task.pk, 2)], watched=lambda groups: {g for g in groups if g == group}
    )

    assert [g for g, _ in outgoing] == [group]
    assert DASHBOARD_GROUP not in dict(outgoing)
    assert "frame_html" in outgoing[0][1]


def test_the_in_memory_layer_says_who_watches_from_its_own_groups():
    class Layer(presence.InMemoryChannelLayer):
        pass

    layer = Layer()
    layer.groups = {"watched": {"specific.abc": 1}, "left": {}}
    watched = presence.watched_check(layer)
    assert watched(["watched", "left", "never"]) == {"watched"}


def test_without_a_known_layer_every_group_counts_as_watched(settings):
    settings.REDIS_URL = ""
    assert presence.watched_check(object())(["a", "b"]) == {"a", "b"}
