"""Browser test fixtures: the real ASGI app under daphne, and headless Debian chromium.

``portal_server`` migrates and seeds a throwaway SQLite file (``tests.browser.seed``), then runs
``daphne config.asgi:application`` on a free loopback port in a subprocess: pages, htmx and
websockets go through the same server as in production. ``page`` is a fresh Playwright page
(own cookies) whose relative URLs resolve against that server.

Chromium comes from Debian (``make browser-deps``); without it these tests are skipped with a
reason rather than failing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.seed import STAFF_PASSWORD, STAFF_USERNAME

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class PortalServer:
    base_url: str
    database_url: str
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def serve_command(port: int) -> list[str]:
    """The app served as `make run` serves it (daphne; background services start with it)."""
    return [
        sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port),
        "config.asgi:application",
    ]  # fmt: skip


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer {url}:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """The app under daphne on a seeded throwaway database, for the whole session."""
    workdir = tmp_path_factory.mktemp("portal-server")
    database_url = f"sqlite:///{workdir / 'portal.sqlite3'}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        # As the demo runs: the support agent hands cases to its specialists.
        "AGENTDESK_SPECIALISTS": "1",
    }
    # Never inherit a key from the developer's shell: the browser tests use the offline model.
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "tests.browser.seed"], cwd=ROOT, env=env, check=True, timeout=120
    )
    port = _free_port()
    log_path = workdir / "daphne.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base_url}/login/", process, log_path)
        yield PortalServer(base_url, database_url, log_path, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (run `make browser-deps` to install Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, portal_server: PortalServer) -> Iterator[Any]:
    context = browser.new_context(
        base_url=portal_server.base_url, viewport={"width": 1360, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def login(page: Any, username: str = STAFF_USERNAME, password: str = STAFF_PASSWORD) -> None:
    """Signs in through the login form and waits for the backlog."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def wait_for_js(page: Any, expression: str, timeout: float = 10_000) -> None:
    """Waits until ``expression`` (a JS expression or function) is truthy in the page.

    Playwright's ``wait_for_function`` builds its predicate with ``eval`` inside the page,
    which the portal's Content-Security-Policy (no 'unsafe-eval') rightly refuses; an
    ``evaluate`` goes through the DevTools protocol, so this polls with that instead."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        if page.evaluate(expression):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression!r}")
        page.wait_for_timeout(50)
