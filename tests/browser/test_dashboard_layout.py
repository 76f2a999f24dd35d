"""The dashboard's layout in a real browser, with its own stylesheets: a long status badge
never runs over the progress bar on a wide screen, and a phone gets no sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from tasks.dashboard_selectors import DashboardBoard, DashboardRow, StatusCount
from tasks.models import Task, Ticket

pytestmark = [pytest.mark.browser]

LINK = re.compile(r'<link rel="stylesheet" href="/static/(?P<path>[^"]+)"[^>]*>')
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def _row(number: int, status: str) -> DashboardRow:
    ticket = Ticket(number=number, subject="Charged twice for my December subscription, please")
    now = timezone.now()
    task = Task(pk=number, ticket=ticket, status=status, created_at=now, started_at=now, last_seq=9)
    return DashboardRow(task=task, todo_total=6, todo_done=3, step_doing=None, step_next=None)


def _dashboard_html() -> str:
    """The dashboard page with two active tasks, its stylesheets inlined, scripts left out
    (rendered from the real templates without a database: Playwright's sync API keeps an
    event loop in this thread)."""
    request = RequestFactory().get("/dashboard/")
    request.user = User(username="lead", is_staff=True)
    board = DashboardBoard(
        active=[_row(1001, Task.Status.AWAITING_APPROVAL), _row(1002, Task.Status.RUNNING)],
        finished=[],
        counts=[StatusCount(value, label, 1) for value, label in Task.Status.choices],
        approvals=[],
        approvals_total=0,
        version=1,
    )
    html = render_to_string(
        "tasks/dashboard.html", {"board": board, "nav": "dashboard"}, request=request
    )
    static = Path(settings.BASE_DIR) / "static"

    def inline(match: re.Match[str]) -> str:
        return f"<style>{(static / match.group('path')).read_text()}</style>"

    return SCRIPT.sub("", LINK.sub(inline, html))


def test_badges_fit_beside_the_progress_bar_and_phones_do_not_scroll_sideways(browser):
    html = _dashboard_html()
    for width in (1440, 1100, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.set_content(html)
            overlaps = page.evaluate(
                """() => [...document.querySelectorAll('#dash-active tr.dash-row')].map(row => {
                    const badge = row.querySelector('.badge').getBoundingClientRect();
                    const bar = row.querySelector('progress').getBoundingClientRect();
                    const sameLine = badge.bottom > bar.top && bar.bottom > badge.top;
                    return sameLine && badge.right > bar.left;
                })"""
            )
            assert overlaps == [False, False], width
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (width, scroll)
        finally:
            page.close()
