"""The probes: /healthz answers without login; /readyz is 200 only when the database answers,
the channel layer carries messages and a worker swept lately, else 503 naming what fails."""

from __future__ import annotations

import pytest

from tasks.runtime import health
from tasks.views import health as health_views


@pytest.fixture(autouse=True)
def _no_heartbeat(monkeypatch):
    monkeypatch.setattr(health, "_local_beat", None)


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_waits_for_a_worker_then_is_ready(client, settings):
    settings.WORKER_SWEEP_SECONDS = 10
    # no worker has swept: not ready, and it says why
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["channel_layer"] == "ok"
    assert body["checks"]["worker"].startswith("failing: no worker has swept yet")

    # a worker sweeps: ready
    health.worker_beat("w1")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["checks"]["worker"].startswith("ok (1 seen")


@pytest.mark.django_db
def test_a_worker_silent_for_three_sweeps_is_not_ready(client, settings):
    settings.WORKER_SWEEP_SECONDS = 10
    health.worker_beat("w1", now=1_000.0)
    alive, age = health.workers_seen(now=1_000.0 + health.heartbeat_window() + 1)
    assert (alive, round(age or 0)) == (0, round(health.heartbeat_window() + 1))


@pytest.mark.django_db
def test_a_failing_check_is_named_and_the_others_still_run(client, monkeypatch):
    def broken() -> str:
        raise RuntimeError("connection refused")

    monkeypatch.setitem(health_views.CHECKS, "database", broken)
    health.worker_beat("w1")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "failing: connection refused"
    assert checks["worker"].startswith("ok")


def test_probes_take_only_get(client):
    assert client.post("/healthz").status_code == 405
