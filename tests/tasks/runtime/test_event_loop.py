"""The worker's event loop: uvloop when enabled and installed, else the standard loop."""

from __future__ import annotations

import asyncio
import sys

from tasks.runtime.event_loop import worker_loop_factory


def test_uvloop_runs_the_worker_by_default():
    factory = worker_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()


def test_it_can_be_turned_off(settings):
    settings.WORKER_UVLOOP = False
    assert worker_loop_factory() is None


def test_without_uvloop_installed_the_standard_loop_runs_and_it_says_so(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError

    assert worker_loop_factory() is None
    assert "uvloop is not installed: using asyncio" in caplog.text
