"""The copilot in a real browser: a request typed in the chat starts two investigations whose
cards appear and progress live; a second question is answered while they still run; then
their outcomes come back into the conversation, and the Copilot link counts them on other
pages. Runs on the paced server of the live browser test (the offline task model at a quarter
second a turn, the offline copilot at once)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.browser.conftest import login, wait_for_js
from tests.browser.seed import BILLING_TICKET, HOWTO_TICKET, SHIPPING_TICKET
from tests.browser.test_live_browser import paced_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 30_000
# Set SCREENSHOT_DIR to keep a screenshot of the page (it never goes in the repository).
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")


@pytest.fixture
def paced_page(browser: Any, paced_server: str) -> Any:  # noqa: F811
    context = browser.new_context(base_url=paced_server, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def cards(page: Any) -> list[dict[str, str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.copilot-card')].map(c => ({
            id: c.dataset.card, status: [...c.classList].find(k => k.startsWith('status-')),
            text: c.textContent}))"""
    )


def send(page: Any, text: str) -> None:
    page.fill("#copilot-text", text)
    page.press("#copilot-text", "Enter")


def test_delegate_keep_talking_and_hear_back(paced_page: Any) -> None:
    page = paced_page
    login(page)
    page.goto("/copilot/")
    page.click("text=Start a conversation")
    wait_for_js(page, "() => document.querySelector('[data-copilot-form]')?.dataset.connected")
    assert page.locator(".copilot-head .model-badge").inner_text() == "Offline copilot (rule-based)"

    # when the staff member delegates two tickets
    send(page, f"investigate #{BILLING_TICKET} and #{SHIPPING_TICKET}")

    # then two task cards appear at once, and they progress live
    wait_for_js(page, "() => document.querySelectorAll('.copilot-card').length === 2")
    assert (
        page.locator(".copilot-msg.role-assistant .msg-body")
        .first.inner_text()
        .startswith("Started 2 investigations")
    )
    wait_for_js(
        page,
        "() => [...document.querySelectorAll('.copilot-card')]"
        ".some(c => !c.classList.contains('status-queued'))",
        RUN_TIMEOUT,
    )

    # when a second question is asked while they run, it is answered before they finish
    send(page, "how many refunds wait for approval?")
    wait_for_js(
        page,
        "() => document.querySelectorAll('.copilot-msg.role-assistant.status-done').length === 2",
    )
    assert any(card["status"] in ("status-running", "status-queued") for card in cards(page))

    # then the tasks' outcomes come back into the conversation, and the copilot sums them up
    wait_for_js(
        page,
        "() => document.querySelectorAll('.copilot-msg.role-notice').length === 2",
        RUN_TIMEOUT,
    )
    notices = page.locator(".copilot-msg.role-notice .msg-body").all_inner_texts()
    assert any(f"#{SHIPPING_TICKET} completed" in text for text in notices), notices
    wait_for_js(
        page,
        "() => document.querySelectorAll('.copilot-msg.role-assistant.status-done').length === 4",
        RUN_TIMEOUT,
    )
    summaries = page.locator(".copilot-msg.role-assistant .msg-body").all_inner_texts()[2:]
    assert any(f"on #{SHIPPING_TICKET} completed" in text for text in summaries), summaries
    assert all(
        card["status"] in ("status-completed", "status-awaiting_approval") for card in cards(page)
    )
    if SCREENSHOT_DIR:
        page.screenshot(path=f"{SCREENSHOT_DIR}/copilot.png", full_page=True)


def test_the_copilot_link_counts_task_updates_on_other_pages_live(paced_page: Any) -> None:
    page = paced_page
    login(page)
    page.goto("/copilot/")
    page.click("text=New conversation")
    wait_for_js(page, "() => document.querySelector('[data-copilot-form]')?.dataset.connected")

    # when a staff member delegates a ticket and goes on to the backlog
    send(page, f"investigate #{HOWTO_TICKET}")
    wait_for_js(page, "() => document.querySelectorAll('.copilot-card').length === 1")
    page.goto("/")
    badge = page.locator("[data-copilot-unseen]")
    assert badge.is_hidden()

    # then the Copilot link counts the task's update as it comes, without a reload
    wait_for_js(page, "() => !document.querySelector('[data-copilot-unseen]').hidden", RUN_TIMEOUT)
    assert badge.inner_text() == "1"

    # and reading it there clears the count
    page.click("[data-copilot-link]")
    wait_for_js(page, "() => document.querySelectorAll('.copilot-msg.role-notice').length === 1")
    wait_for_js(page, "() => document.querySelector('[data-copilot-unseen]').hidden")
