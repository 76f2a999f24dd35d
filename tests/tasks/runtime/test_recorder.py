"""The event recorder never makes a run wait for the database between turns: while a batch is
in flight, later events wait and go together the moment it commits; nothing is lost or
reordered, and a failed batch is not retried in a loop. A writer the test controls stands in
for the group writer (no database, no clock)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tasks.events import EventWrite, WriteResult
from tasks.runtime import recorder as recorder_module
from tasks.runtime.recorder import EventRecorder

pytestmark = pytest.mark.asyncio


class HeldWriter:
    """Each submitted write waits until the test commits or fails it."""

    def __init__(self) -> None:
        self.writes: list[tuple[EventWrite, asyncio.Future[WriteResult]]] = []

    def submit(self, write: EventWrite) -> asyncio.Future[WriteResult]:
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self.writes.append((write, future))
        return future

    def events(self, index: int) -> list[str]:
        return [event_type for event_type, _ in self.writes[index][0].events]

    def commit(self, index: int, *, applied: bool = True, cancel: bool = False) -> None:
        write, future = self.writes[index]
        future.set_result(
            WriteResult(applied=applied, events=list(write.events), cancel_requested=cancel)  # type: ignore[arg-type]
        )

    def fail(self, index: int) -> None:
        self.writes[index][1].set_exception(RuntimeError("database is down"))


@pytest.fixture
def writer(monkeypatch: pytest.MonkeyPatch) -> HeldWriter:
    held = HeldWriter()
    monkeypatch.setattr(recorder_module, "get_writer", lambda: held)
    return held


async def settled() -> None:
    """Lets done-callbacks run."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_flush_during_a_write_returns_at_once_and_later_events_go_after_its_commit(
    writer: HeldWriter,
) -> None:
    recorder = EventRecorder(7)
    recorder.add("turn.1", {})
    await recorder.flush()
    # when two more turns end while the first batch is still being written
    recorder.add("turn.2", {})
    await recorder.flush()
    recorder.add("turn.3", {})
    recorder.update_task(input_tokens=30)
    await recorder.flush()

    # then nothing more was sent yet (one batch per task in flight)
    assert len(writer.writes) == 1
    # and the moment the first commits, the waiting events go in one write, in order
    writer.commit(0)
    await settled()
    assert len(writer.writes) == 2
    assert writer.events(1) == ["turn.2", "turn.3"]
    assert writer.writes[1][0].updates == {"input_tokens": 30}
    writer.commit(1)
    await recorder.settle()
    assert recorder.stored == 3


async def test_settle_waits_for_the_events_that_waited_for_a_commit(writer: HeldWriter) -> None:
    recorder = EventRecorder(7)
    recorder.add("turn.1", {})
    await recorder.flush()
    recorder.add("turn.2", {})
    await recorder.flush()

    settling = asyncio.ensure_future(recorder.settle())
    await settled()
    writer.commit(0)
    await settled()
    assert not settling.done()  # the second batch is now in flight
    writer.commit(1)
    await settling
    assert recorder.stored == 2


async def test_a_failed_batch_goes_again_in_front_of_newer_events_at_the_next_flush(
    writer: HeldWriter,
) -> None:
    recorder = EventRecorder(7)
    recorder.add("turn.1", {})
    await recorder.flush()
    recorder.add("turn.2", {})
    await recorder.flush()

    # when the first write fails
    writer.fail(0)
    await settled()
    # then it is not retried on its own (a database that is down is not hammered)
    assert len(writer.writes) == 1
    # and the next flush sends it ahead of everything newer
    recorder.add("turn.3", {})
    await recorder.flush()
    assert writer.events(1) == ["turn.1", "turn.2", "turn.3"]


@pytest.mark.parametrize(("applied", "cancel"), [(False, False), (True, True)])
async def test_a_lost_task_or_a_cancel_request_stops_the_run(
    writer: HeldWriter, applied: bool, cancel: bool
) -> None:
    cancelled: list[Any] = []
    recorder = EventRecorder(7, on_cancel=lambda: cancelled.append(True))
    recorder.add("turn.1", {})
    await recorder.flush()

    writer.commit(0, applied=applied, cancel=cancel)
    await recorder.settle()

    assert cancelled == [True]
