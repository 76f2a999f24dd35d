"""Live in a real browser: an investigation started on the ticket page is watched to the end
without a reload (to-dos tick, the timeline grows, the reply appears) while a second page's
dashboard follows it; the socket is cut mid-run and the page recovers to what a fresh load
shows. Cancel and Retry update the panel in place.

The server is this module's own (the shared one runs the offline model without pauses): the
real app under daphne on a seeded throwaway database, the offline model paced at
``AGENTDESK_OFFLINE_DELAY`` seconds a turn."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import (
    ROOT,
    _free_port,
    _wait_until_up,
    login,
    serve_command,
    wait_for_js,
)
from tests.browser.seed import HOWTO_TICKET, SHIPPING_TICKET

pytestmark = pytest.mark.browser

OFFLINE_DELAY = "0.25"
# Set SCREENSHOT_DIR to keep screenshots of the pages (they never go in the repository).
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")
RUN_TIMEOUT = 30_000  # ms: a whole run, with a socket drop in the middle


@pytest.fixture(scope="module")
def paced_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live-server")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.browser.live_settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'live.sqlite3'}",
        "AGENTDESK_OFFLINE_DELAY": OFFLINE_DELAY,
        "PYTHONUNBUFFERED": "1",
        # As the demo runs: the support agent hands cases to its specialists.
        "AGENTDESK_SPECIALISTS": "1",
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "tests.browser.seed"], cwd=ROOT, env=env, check=True, timeout=120
    )
    port = _free_port()
    log_path = workdir / "daphne.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base_url}/login/", process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def new_page(browser: Any, base_url: str) -> Any:
    context = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page)
    return page


def screenshot(page: Any, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)


def wait_live(page: Any) -> None:
    """Until every socket of the page is open and caught up."""
    wait_for_js(
        page,
        "() => { const c = window.agentdeskLive.connections();"
        " return c.length > 0 && c.every(x => x.live); }",
    )


def panel_text(page: Any, task_id: int) -> dict[str, str]:
    """What the task panel says, part by part (without the socket's own state)."""
    return {
        part: page.evaluate(
            """(id) => {
                const copy = document.getElementById(id).cloneNode(true);
                copy.querySelectorAll("[data-live-state]").forEach((el) => el.remove());
                document.body.appendChild(copy);
                const text = copy.innerText.trim();
                copy.remove();
                return text;
            }""",
            f"task-{task_id}-{part}",
        )
        for part in ("head", "todos", "timeline", "output", "usage")
    }


def test_watch_an_investigation_live_drop_the_socket_and_recover(browser: Any, paced_server: str):
    # Given a team lead on the dashboard and a support person on a ticket page
    lead = new_page(browser, paced_server)
    lead.goto("/dashboard/")
    wait_live(lead)
    page = new_page(browser, paced_server)
    page.goto(f"/tickets/{HOWTO_TICKET}/")
    wait_live(page)
    page.evaluate("window.__sameDocument = true")

    # When they start an investigation
    page.click("#agent-panel button:has-text('Start investigation')")

    # Then the panel follows the task: the plan appears and its to-dos tick off
    panel = page.locator("#agent-panel [data-live-task]")
    panel.wait_for()
    task_id = int(panel.get_attribute("data-live-task"))
    page.locator(f"#task-{task_id}-todos .todo").nth(4).wait_for()
    page.locator(f"#task-{task_id}-todos .todo-done").first.wait_for()
    assert page.locator(f"#task-{task_id}-head .badge").inner_text() == "Running"
    # ...and the dashboard shows it without a reload
    row = lead.locator(f"#dash-active #dash-task-{task_id}")
    row.wait_for()
    wait_for_js(lead, f"document.querySelector('#dash-task-{task_id} progress')?.value >= 1")

    screenshot(page, "live-ticket-running")
    screenshot(lead, "live-dashboard-running")

    # When the network drops for a while in the middle of the run
    page.evaluate("window.agentdeskLive.dropForTest(1200)")
    wait_for_js(page, "window.agentdeskLive.connections().some(c => !c.live)", timeout=2_000)

    # Then the page reconnects, catches up and follows the run to its end
    page.locator(f'#task-{task_id}-head [data-task-status="completed"]').wait_for(
        timeout=RUN_TIMEOUT
    )
    wait_live(page)
    todos = page.locator(f"#task-{task_id}-todos .todo")
    assert todos.count() == 5
    assert page.locator(f"#task-{task_id}-todos .todo-done").count() == 5
    assert page.locator(f"#task-{task_id}-todos progress").get_attribute("value") == "100"
    timeline = page.locator(f"#task-{task_id}-timeline")
    assert "lookup_customer" in timeline.inner_text()
    assert "Thinking" in timeline.inner_text()
    # The how-to question went to the technical specialist, whose calls are marked as its own
    assert "Handed to the technical specialist" in timeline.inner_text()
    assert timeline.locator(".tl-agent", has_text="Technical specialist").count() >= 3
    # To-do tool calls show only as the checklist
    assert "add_todos" not in timeline.inner_text() and "update_todo" not in timeline.inner_text()
    # A failed tool call is one red line; the reply and the result are there
    assert page.locator(f"#task-{task_id}-timeline .tl-tool.tl-error").count() >= 1
    assert "reply_to_customer" in timeline.inner_text()
    assert page.locator(f"#task-{task_id}-output").inner_text().startswith("Result")
    # The ticket's thread and status too
    assert "Hi Li" in page.locator("#ticket-thread").inner_text()
    assert page.locator("#ticket-header .badge").first.inner_text() == "Open"
    assert page.locator("#status-select").input_value() == "open"
    assert page.evaluate("window.__sameDocument") is True
    sockets = page.evaluate("window.agentdeskLive.connections()")
    conn = next(c for c in sockets if c["id"] == f"task:{task_id}")
    assert conn["opened"] >= 2  # it did reconnect

    screenshot(page, "live-ticket-completed")

    # And it shows what a page loaded fresh shows
    fresh = page.context.new_page()
    fresh.goto(f"/tickets/{HOWTO_TICKET}/")
    wait_live(fresh)
    assert panel_text(page, task_id) == panel_text(fresh, task_id)
    assert int(fresh.locator(f"#task-{task_id}").get_attribute("data-live-seq")) == conn["lastSeq"]

    # And the dashboard moved the task down to the finished ones, counted as completed
    lead.locator(f'#dash-finished #dash-task-{task_id} [data-task-status="completed"]').wait_for()
    assert lead.locator(f"#dash-active #dash-task-{task_id}").count() == 0
    assert lead.locator('[data-status-count="completed"]').inner_text() == "1"
    assert lead.locator('[data-status-count="running"]').inner_text() == "0"
    screenshot(lead, "live-dashboard-finished")


def test_cancel_and_retry_update_the_panel_in_place(browser: Any, paced_server: str):
    page = new_page(browser, paced_server)
    page.goto(f"/tickets/{SHIPPING_TICKET}/")
    wait_live(page)
    page.evaluate("window.__sameDocument = true")
    page.click("#agent-panel button:has-text('Start investigation')")
    panel = page.locator("#agent-panel [data-live-task]")
    panel.wait_for()
    task_id = int(panel.get_attribute("data-live-task"))

    # Cancel stops it (after the current step when it is running)
    page.locator(f"#task-{task_id}-actions button:has-text('Cancel')").click()
    page.locator(f'#task-{task_id}-head [data-task-status="cancelled"]').wait_for(
        timeout=RUN_TIMEOUT
    )
    assert page.locator(f"#task-{task_id}-timeline").inner_text().count("Cancel") >= 1

    # Retry queues it again, and the panel follows the new run to its end
    page.locator(f"#task-{task_id}-actions button:has-text('Retry')").click()
    page.locator(f'#task-{task_id}-head [data-task-status="completed"]').wait_for(
        timeout=RUN_TIMEOUT
    )
    assert page.locator(f"#task-{task_id}-todos .todo-done").count() >= 1
    assert page.evaluate("window.__sameDocument") is True
    fresh = page.context.new_page()
    fresh.goto(f"/tickets/{SHIPPING_TICKET}/")
    wait_live(fresh)
    assert panel_text(page, task_id) == panel_text(fresh, task_id)


def test_signing_out_in_another_tab_closes_the_open_live_sockets(browser: Any, paced_server: str):
    # Given a ticket page following its agent panel and thread live
    page = new_page(browser, paced_server)
    page.goto(f"/tickets/{HOWTO_TICKET}/")
    wait_live(page)

    # When the same person signs out in another tab
    other = page.context.new_page()
    other.goto("/")
    started = time.monotonic()
    other.click(".user-menu summary")
    other.click("form[action='/logout/'] button")
    other.wait_for_url("**/login/**")

    # Then within 2 seconds the first page's sockets are closed for good (4403), not retried
    wait_for_js(
        page,
        "() => window.agentdeskLive.connections().every(c => !c.live && c.stopped)",
        timeout=2_500,
    )
    assert time.monotonic() - started < 2.5
    page.context.close()
