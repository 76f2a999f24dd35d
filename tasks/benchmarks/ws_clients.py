"""One round of ``manage.py bench_ws``: N websocket clients (dashboard sockets, and sockets of
the running tasks) in this process's event loop while the tasks run, and what they received.

Every client checks what it gets: each stored event once (a duplicate is counted), in seq
order per task (an event older than one already seen is counted out of order), and for live
(not replayed) events the delay from the event's ``created_at`` to its arrival."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tasks.benchmarks.ws_servers import Servers, cpu_seconds, task_states

FINISHED = {"completed", "failed", "cancelled", "awaiting_approval"}
CONNECT_CONCURRENCY = 64


@dataclass
class Client:
    kind: str  # "dashboard" or "task"
    fmt: str
    task_id: int | None = None
    seqs: dict[int, set[int]] = field(default_factory=dict)
    newest: dict[int, int] = field(default_factory=dict)
    out_of_order: int = 0
    duplicates: int = 0
    resyncs: int = 0
    errors: list[str] = field(default_factory=list)
    # (event created at, delay to arrival) of live events.
    latencies: list[tuple[float, float]] = field(default_factory=list)
    # Caught up (a task socket's "synced", a dashboard's "subscribed").
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, frame: dict[str, Any], received: float) -> None:
        kind = frame.get("type")
        if kind in ("synced", "subscribed"):
            self.ready.set()
        elif kind == "resync":
            self.resyncs += 1
        elif kind == "error":
            self.errors.append(str(frame.get("code")))
        if kind == "batch":  # several events in one frame (portal format)
            for task_id, seq, created in frame["events"]:
                self._count(int(task_id), int(seq), int(seq), created, received)
        elif kind == "event" and frame.get("seq") is not None:
            seq = int(frame["seq"])
            first = int(frame.get("first_seq") or seq)  # an HTML catch-up covers a range
            created = None if frame.get("replayed") else frame.get("created_at")
            self._count(int(frame["task_id"]), first, seq, created, received)

    def _count(
        self, task_id: int, first: int, seq: int, created: str | None, received: float
    ) -> None:
        seen = self.seqs.setdefault(task_id, set())
        if seq < self.newest.get(task_id, 0):
            self.out_of_order += 1
        self.newest[task_id] = max(seq, self.newest.get(task_id, 0))
        for number in range(first, seq + 1):
            if number in seen:
                self.duplicates += 1
            seen.add(number)
        if created:  # live events only: a catch-up is not timed
            at = datetime.fromisoformat(created).timestamp()
            self.latencies.append((at, received - at))


@dataclass
class RoundResult:
    layer: str
    clients: int
    delivered: int
    expected: int
    out_of_order: int
    duplicates: int
    resyncs: int
    errors: int
    # Delays of the live events (all created once every client was connected).
    latencies: list[float]
    # Seconds until every client was connected and caught up.
    connect_seconds: float
    cpu: dict[str, float]
    seconds: float
    finished: bool
    # The machine's 1-minute load average at the end (other work skews the latency).
    load: float = 0.0


def _post(url: str, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


async def start_tasks(servers: Servers, key: str, task_ids: list[int]) -> None:
    """Runs the round's (cancelled) tasks again through the JSON API's Retry."""
    for task_id in task_ids:
        url = f"http://{servers.base_url}/api/tasks/{task_id}/retry"
        await asyncio.to_thread(_post, url, key, {})


async def _listen(socket: ClientConnection, client: Client) -> None:
    async for raw in socket:
        received = time.time()
        # Deltas are not counted: skip parsing them (this process runs every client, and its
        # own CPU time would show up as latency).
        if isinstance(raw, str) and raw.startswith('{"type":"event"') and '"seq":null' in raw[:80]:
            continue
        client.record(json.loads(raw), received)


async def _open(
    servers: Servers, key: str, client: Client, gate: asyncio.Semaphore
) -> tuple[ClientConnection, asyncio.Task[None]]:
    if client.kind == "dashboard":
        path = f"/ws/dashboard/?format={client.fmt}"
        subscribe: dict[str, Any] = {"action": "subscribe"}
    else:
        path = f"/ws/tasks/{client.task_id}/?format={client.fmt}"
        subscribe = {"action": "subscribe", "after_seq": 0}
    async with gate:
        socket = await connect(
            f"ws://{servers.base_url}{path}",
            origin=f"http://{servers.base_url}",  # type: ignore[arg-type]
            additional_headers={"Authorization": f"Bearer {key}"},
            compression=None,
            max_size=2**23,
            open_timeout=60,
            ping_interval=None,
        )
        await socket.send(json.dumps(subscribe))
    return socket, asyncio.get_running_loop().create_task(_listen(socket, client))


async def run_round(
    *,
    layer: str,
    servers: Servers,
    key: str,
    task_ids: list[int],
    clients: int,
    dashboard_share: float,
    time_limit: float,
) -> RoundResult:
    """Connects every client (dashboards, and followers of the tasks catching up on their
    history), then runs the tasks and times what arrives."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    # Dashboards are the portal's page; integrators follow tasks (in either format).
    dashboards = [Client("dashboard", "html") for _ in range(round(clients * dashboard_share))]
    followers = [
        Client("task", ("json", "html")[i % 2], task_ids[i % len(task_ids)])
        for i in range(clients - len(dashboards))
    ]
    everyone = [*dashboards, *followers]
    before = task_states(servers.database, task_ids)
    cpu_before = {name: cpu_seconds(pid) for name, pid in servers.pids.items()}
    clients_cpu = time.process_time()
    started = time.monotonic()
    opened = await asyncio.gather(*(_open(servers, key, c, gate) for c in everyone))
    await asyncio.gather(*(client.ready.wait() for client in everyone))
    connect_seconds = time.monotonic() - started

    await start_tasks(servers, key, task_ids)
    finished = await _wait_until_finished(servers, task_ids, time.monotonic() + time_limit)
    states = task_states(servers.database, task_ids)
    ranges = {task_id: (before[task_id][1], last) for task_id, (_, last) in states.items()}
    await _wait_for_stragglers(everyone, ranges)
    seconds = time.monotonic() - started
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in servers.pids.items()}
    # This process (every client): on a small machine it competes with the server for CPU.
    cpu["clients"] = time.process_time() - clients_cpu
    for socket, listener in opened:
        listener.cancel()
        await socket.close()

    expected, delivered = _tally(everyone, ranges)
    return RoundResult(
        layer=layer,
        clients=clients,
        delivered=delivered,
        expected=expected,
        out_of_order=sum(c.out_of_order for c in everyone),
        duplicates=sum(c.duplicates for c in everyone),
        resyncs=sum(c.resyncs for c in everyone),
        errors=sum(len(c.errors) for c in everyone),
        latencies=sorted(d for c in everyone for _, d in c.latencies),
        connect_seconds=connect_seconds,
        cpu=cpu,
        seconds=seconds,
        finished=finished,
        load=os.getloadavg()[0],
    )


async def _wait_until_finished(servers: Servers, task_ids: list[int], deadline: float) -> bool:
    while time.monotonic() < deadline:
        states = await asyncio.to_thread(task_states, servers.database, task_ids)
        if len(states) == len(task_ids) and all(s in FINISHED for s, _ in states.values()):
            return True
        await asyncio.sleep(0.5)
    return False


Ranges = dict[int, tuple[int, int]]  # task id -> (last seq before the round, last seq after)


def _expected(client: Client, ranges: Ranges) -> dict[int, tuple[int, int]]:
    """Seqs a client should have, per task: a task's followers its whole history (they
    caught up on connect), the dashboards what happened during the round."""
    if client.kind == "task":
        assert client.task_id is not None
        return {client.task_id: (0, ranges[client.task_id][1])}
    return ranges


async def _wait_for_stragglers(clients: list[Client], ranges: Ranges, patience: float = 5) -> None:
    """Until every client has every event, or nothing new came for a while."""
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < patience:
        expected, delivered = _tally(clients, ranges)
        if delivered >= expected:
            return
        if delivered != last:
            last, quiet_since = delivered, time.monotonic()
        await asyncio.sleep(0.2)


def _tally(clients: list[Client], ranges: Ranges) -> tuple[int, int]:
    expected = delivered = 0
    for client in clients:
        for task_id, (after, last) in _expected(client, ranges).items():
            expected += last - after
            seen = client.seqs.get(task_id, set())
            delivered += sum(1 for seq in range(after + 1, last + 1) if seq in seen)
    return expected, delivered


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(fraction * (len(values) - 1))))
    return values[index]
