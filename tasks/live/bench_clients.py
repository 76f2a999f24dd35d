"""One round of ``manage.py bench_ws``: N websocket clients (dashboard sockets, and sockets of
the running tasks) in this process's event loop while the tasks run, and what they received.

Every client checks what it gets: each stored event once (a duplicate is counted), in seq
order per task (an event older than one already seen is counted out of order), and for live
(not replayed) events the delay from the event's ``created_at`` to its arrival."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tasks.live.bench_servers import Servers, cpu_seconds, task_states

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
    latencies: list[float] = field(default_factory=list)

    def record(self, frame: dict[str, Any], received: float) -> None:
        kind = frame.get("type")
        if kind == "resync":
            self.resyncs += 1
        elif kind == "error":
            self.errors.append(str(frame.get("code")))
        if kind != "event" or frame.get("seq") is None:
            return
        task_id, seq = int(frame["task_id"]), int(frame["seq"])
        first = int(frame.get("first_seq") or seq)  # an HTML catch-up covers a range
        seen = self.seqs.setdefault(task_id, set())
        if seq < self.newest.get(task_id, 0):
            self.out_of_order += 1
        self.newest[task_id] = max(seq, self.newest.get(task_id, 0))
        for number in range(first, seq + 1):
            if number in seen:
                self.duplicates += 1
            seen.add(number)
        if not frame.get("replayed") and frame.get("created_at"):
            created = datetime.fromisoformat(frame["created_at"]).timestamp()
            self.latencies.append(received - created)


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
    latencies: list[float]
    cpu: dict[str, float]
    seconds: float
    finished: bool


def _post(url: str, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


async def start_tasks(servers: Servers, key: str, tickets: list[int], count: int) -> list[int]:
    """Starts ``count`` investigations through the JSON API (free-text tasks when there are
    fewer workable tickets)."""
    url = f"http://{servers.base_url}/api/tasks"
    payloads: list[dict[str, Any]] = [{"ticket_number": n} for n in tickets[:count]]
    payloads += [
        {"input": f"Benchmark request {n}: summarise the refund policy."}
        for n in range(count - len(payloads))
    ]
    created = [await asyncio.to_thread(_post, url, key, payload) for payload in payloads]
    return [int(task["id"]) for task in created]


async def _listen(socket: ClientConnection, client: Client) -> None:
    async for raw in socket:
        received = time.time()
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
    tickets: list[int],
    clients: int,
    tasks: int,
    dashboard_share: float,
    timeout: float,
) -> RoundResult:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    dashboards = [
        Client("dashboard", ("html", "json")[i % 2]) for i in range(round(clients * dashboard_share))
    ]
    cpu_before = {name: cpu_seconds(pid) for name, pid in servers.pids.items()}
    started = time.monotonic()
    # Dashboards first: they see every task from its start.
    opened = [await asyncio.gather(*(_open(servers, key, c, gate) for c in dashboards))]
    task_ids = await start_tasks(servers, key, tickets, tasks)
    followers = [
        Client("task", ("json", "html")[i % 2], task_ids[i % len(task_ids)])
        for i in range(clients - len(dashboards))
    ]
    opened.append(await asyncio.gather(*(_open(servers, key, c, gate) for c in followers)))

    finished = await _wait_until_finished(servers, task_ids, timeout, started)
    states = task_states(servers.database, task_ids)
    await _wait_for_stragglers([*dashboards, *followers], states)
    seconds = time.monotonic() - started
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in servers.pids.items()}
    for socket, listener in [pair for group in opened for pair in group]:
        listener.cancel()
        await socket.close()

    expected, delivered = _tally([*dashboards, *followers], states)
    everyone = [*dashboards, *followers]
    return RoundResult(
        layer=layer,
        clients=clients,
        delivered=delivered,
        expected=expected,
        out_of_order=sum(c.out_of_order for c in everyone),
        duplicates=sum(c.duplicates for c in everyone),
        resyncs=sum(c.resyncs for c in everyone),
        errors=sum(len(c.errors) for c in everyone),
        latencies=sorted(x for c in everyone for x in c.latencies),
        cpu=cpu,
        seconds=seconds,
        finished=finished,
    )


async def _wait_until_finished(
    servers: Servers, task_ids: list[int], timeout: float, started: float
) -> bool:
    while time.monotonic() - started < timeout:
        states = await asyncio.to_thread(task_states, servers.database, task_ids)
        if len(states) == len(task_ids) and all(s in FINISHED for s, _ in states.values()):
            return True
        await asyncio.sleep(0.5)
    return False


def _expected(client: Client, states: dict[int, tuple[str, int]]) -> dict[int, int]:
    if client.kind == "task":
        assert client.task_id is not None
        return {client.task_id: states[client.task_id][1]}
    return {task_id: last_seq for task_id, (_, last_seq) in states.items()}


async def _wait_for_stragglers(
    clients: list[Client], states: dict[int, tuple[str, int]], patience: float = 5.0
) -> None:
    """Until every client has every event, or nothing new came for a while."""
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < patience:
        _, delivered = _tally(clients, states)
        expected = sum(sum(_expected(c, states).values()) for c in clients)
        if delivered >= expected:
            return
        if delivered != last:
            last, quiet_since = delivered, time.monotonic()
        await asyncio.sleep(0.2)


def _tally(clients: list[Client], states: dict[int, tuple[str, int]]) -> tuple[int, int]:
    expected = delivered = 0
    for client in clients:
        for task_id, last_seq in _expected(client, states).items():
            expected += last_seq
            delivered += sum(1 for seq in client.seqs.get(task_id, ()) if seq <= last_seq)
    return expected, delivered


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(fraction * (len(values) - 1))))
    return values[index]
