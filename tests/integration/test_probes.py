"""The probes on the scaled-out layout: a web process is not ready until a worker in another
process has swept (its heartbeat goes through Redis), then ready; /healthz answers at once."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.integration.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.timeout(120)]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_web_process_is_ready_once_a_worker_elsewhere_has_swept(stack, services):
    import redis

    redis.Redis.from_url(services.redis_url).delete("agentdesk:workers")
    web = stack.web()
    assert _get(f"{web.base_url}/healthz") == (200, {"status": "ok"})
    status, body = _get(f"{web.base_url}/readyz")
    assert status == 503 and body["checks"]["worker"].startswith("failing")
    assert body["checks"]["database"] == "ok" and body["checks"]["channel_layer"] == "ok"

    stack.workers(1)

    wait_for(lambda: _get(f"{web.base_url}/readyz")[0] == 200, timeout=30, what="readiness")
    assert _get(f"{web.base_url}/readyz")[1]["checks"]["worker"].startswith("ok (1 seen")
