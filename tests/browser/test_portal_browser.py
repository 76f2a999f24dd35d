"""The portal in a real browser: sign in, filter the backlog in place, open a ticket, reply."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.browser.conftest import login, wait_for_js
from tests.browser.seed import (
    BILLING_TICKET,
    CUSTOMER_NAME,
    HOWTO_TICKET,
    SHIPPING_TICKET,
    STAFF_USERNAME,
)

pytestmark = pytest.mark.browser

# Set SCREENSHOT_DIR to keep screenshots of the pages (they never go in the repository).
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")


def screenshot(page: Any, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)


def test_sign_in_filter_the_backlog_open_a_ticket_and_reply(page: Any):
    # Given a staff member signed in through the login form
    login(page)
    rows = page.locator("tbody tr[id^=ticket-row-]")
    assert rows.count() == 3
    assert page.locator(".user-menu .user-name").inner_text().strip() == STAFF_USERNAME
    screenshot(page, "backlog")

    # When they filter by category, the list changes in place (no full page load)
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "category=shipping" in r.url):
        page.select_option("#filter-category", "shipping")
    wait_for_js(page, "document.querySelectorAll('tbody tr[id^=ticket-row-]').length === 1")

    # Then only the shipping ticket is listed, the URL says so, and the page was not reloaded
    assert page.locator(f"#ticket-row-{SHIPPING_TICKET}").is_visible()
    assert page.locator(f"#ticket-row-{BILLING_TICKET}").count() == 0
    assert page.locator(f"#ticket-row-{HOWTO_TICKET}").count() == 0
    assert "category=shipping" in page.url
    assert page.evaluate("window.__sameDocument") is True

    # When they clear the filter and open the billing ticket
    page.select_option("#filter-category", "")
    wait_for_js(page, "document.querySelectorAll('tbody tr[id^=ticket-row-]').length === 3")
    page.click(f"#ticket-row-{BILLING_TICKET} .col-subject a")
    page.wait_for_url(f"**/tickets/{BILLING_TICKET}/")

    # Then the ticket page shows the customer, the orders and the thread
    assert page.locator(".customer-card").get_by_text(CUSTOMER_NAME).count() >= 1
    assert page.locator(".orders-card").get_by_text("ORD-7002").is_visible()
    assert page.locator("#agent-panel").is_visible()
    assert page.locator("#ticket-header .badge").first.inner_text() == "New"
    screenshot(page, "ticket")

    # When they post a reply (htmx, in place)
    page.evaluate("window.__sameDocument = true")
    page.fill("#reply-body", "Sorry about that, Jane. We are refunding the duplicate charge.")
    page.click("#reply-form button[type=submit]")

    # Then the reply appears in the thread, the textarea is cleared and the ticket is open
    reply = page.locator("#ticket-thread .message.from-staff")
    reply.wait_for()
    assert "refunding the duplicate charge" in reply.inner_text()
    assert page.locator("#reply-body").input_value() == ""
    assert page.locator("#ticket-header .badge").first.inner_text() == "Open"
    assert page.get_by_text("changed the status from New to Open").is_visible()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "ticket-after-reply")


def test_empty_reply_shows_the_error_in_place(page: Any):
    login(page)
    page.goto(f"/tickets/{HOWTO_TICKET}/")

    page.click("#reply-form button[type=submit]")

    error = page.locator("#reply-body-error")
    error.wait_for()
    assert error.inner_text() == "The message is empty."
    assert page.locator("#reply-body").get_attribute("aria-invalid") == "true"


def test_a_reply_draft_survives_changing_status_and_assignee(page: Any):
    login(page)
    page.goto(f"/tickets/{SHIPPING_TICKET}/")
    page.fill("#reply-body", "Draft: your desk ships tomorrow.")

    page.select_option("#status-select", "pending")
    page.click("#ticket-properties form:first-of-type button[type=submit]")
    page.get_by_text("changed the status from New to Pending customer").wait_for()
    page.click("#ticket-properties .btn-link")  # Assign to me
    page.get_by_text("took the ticket").wait_for()

    assert page.locator("#reply-body").input_value() == "Draft: your desk ships tomorrow."
    assert page.locator("#ticket-header .badge").first.inner_text() == "Pending customer"
    assert STAFF_USERNAME in page.locator("#ticket-header").inner_text()


def test_insights_draws_its_charts_under_the_csp(page: Any):
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    login(page)
    page.click("nav.topnav >> text=Insights")
    page.wait_for_url("**/insights/")

    wait_for_js(page, "document.documentElement.dataset.insightsDrawn === 'true'")
    # four charts drawn from the project's own copy of Chart.js, nothing refused by the CSP
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas')).filter(c => c.width > 0).length"
    )
    assert drawn == 4
    assert page.locator("text=Auto-resolution rate").is_visible()
    assert problems == []
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/insights.png", full_page=True)


def _in_server_db(portal_server: Any, code: str) -> None:
    """Runs ``code`` (Django set up) against the browser server's database."""
    import subprocess
    import sys

    from tests.browser.conftest import ROOT

    script = f"import django; django.setup()\n{code}"
    subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=portal_server.env, check=True, timeout=60
    )


def test_an_escalated_ticket_in_the_backlogs_queue_filter(page: Any, portal_server: Any):
    _in_server_db(
        portal_server,
        "from tasks.models import Ticket\n"
        "from tasks.services.tickets import escalation_queues_ensure, ticket_escalate\n"
        "escalation_queues_ensure()\n"
        f"t = Ticket.objects.get(number={HOWTO_TICKET})\n"
        "ticket_escalate(ticket=t, queue='technical', reason='Export needs an engineer')\n",
    )
    try:
        login(page)
        page.select_option("#filter-queue", "technical")
        page.wait_for_url("**queue=technical**")
        rows = page.locator("tbody tr[id^=ticket-row-]")
        assert rows.count() == 1
        row = page.locator(f"#ticket-row-{HOWTO_TICKET}")
        assert "Technical" in row.inner_text() and "Export needs an engineer" in row.inner_text()
        page.select_option("#filter-queue", "billing")
        page.wait_for_url("**queue=billing**")
        assert page.locator("tbody tr[id^=ticket-row-]").count() == 0
    finally:
        _in_server_db(
            portal_server,
            "from tasks.models import Ticket, TicketChange\n"
            f"Ticket.objects.filter(number={HOWTO_TICKET}).update(escalation_queue=None,"
            " escalation_reason='', escalated_at=None, status='new')\n"
            f"TicketChange.objects.filter(ticket__number={HOWTO_TICKET}).delete()\n",
        )
