"""The staff portal: access, the backlog (filters, search, sort, pages, counts, htmx partial,
constant queries) and the ticket page with its actions (plain and htmx, good and bad input)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import Ticket, TicketChange, TicketMessage
from tasks.services.tickets import (
    ASSIGNEE_INVALID,
    MESSAGE_BODY_REQUIRED,
    MESSAGE_TOO_LONG,
    STATUS_INVALID,
    TICKET_CLOSED,
    ticket_add_note,
    ticket_assign,
    ticket_reply,
)
from tasks.views.access import STAFF_ONLY
from tasks.views.portal import NOTE_ADDED, REPLY_SENT
from tests.factories import make_customer, make_order, make_task, make_ticket, make_todo, make_user
from tools_app.models import Customer

pytestmark = pytest.mark.django_db

BACKLOG = "/"
HTMX = {"HX-Request": "true"}


def make_anonymous_ticket(**kw) -> Ticket:
    """A ticket from an address that matches no customer."""
    ticket = make_ticket(**kw)
    Ticket.objects.filter(pk=ticket.pk).update(customer=None)
    ticket.refresh_from_db()
    return ticket


def ticket_url(ticket: Ticket, action: str = "") -> str:
    if not action:
        return reverse("tasks:ticket_detail", args=[ticket.number])
    return reverse(f"tasks:ticket_{action}", args=[ticket.number])


def row_numbers(html: str) -> list[int]:
    """Ticket numbers of the backlog rows, in display order."""
    return [int(n) for n in re.findall(r'id="ticket-row-(\d+)"', html)]


def bulk_tickets(count: int, *, start: int = 100_000, **kw) -> None:
    """``count`` tickets in two inserts, each with its own customer (so a per-row query on
    the customer would show up in a query count)."""
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"Bulk {start + i}",
            email=f"bulk{start + i}@example.com",
            username=f"bulk{start + i}",
            created_at=now,
        )
        for i in range(count)
    )
    Ticket.objects.bulk_create(
        Ticket(
            number=start + i,
            customer=customer,
            subject=f"Bulk ticket {i}",
            body="Body",
            created_at=now - timedelta(minutes=i),
            **kw,
        )
        for i, customer in enumerate(customers)
    )


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/tickets/1/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, url: str):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_non_staff_users_get_a_403_page(client: Client):
    client.force_login(make_user(staff=False))

    response = client.get(BACKLOG)

    assert response.status_code == 403
    assert STAFF_ONLY in response.content.decode()


def test_non_staff_users_cannot_post_ticket_actions(client: Client):
    ticket = make_ticket()
    client.force_login(make_user(staff=False))

    response = client.post(ticket_url(ticket, "reply"), {"body": "Hi"})

    assert response.status_code == 403
    assert not TicketMessage.objects.filter(ticket=ticket, author_kind="staff").exists()


def test_staff_sign_in_through_the_login_form_and_land_on_the_backlog(client: Client):
    make_user(username="alice", password="s3cret-pass")

    page = client.get("/login/")
    response = client.post("/login/", {"username": "alice", "password": "s3cret-pass"})

    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_page_chrome_has_navigation_model_badge_and_logout_form(staff_client: Client):
    html = staff_client.get(BACKLOG).content.decode()

    assert 'href="/admin/"' in html
    assert "Offline model" in html  # No OPENAI_API_KEY in tests.
    assert re.search(r'<form method="post" action="/logout/">', html)
    assert "X-CSRFToken" in html  # hx-headers on <body>
    assert "django_htmx/htmx-2.min.js" in html
    assert "js/live.js" in html  # the live client, served locally
    assert "https://" not in html.split("<body")[0]  # no CDN in <head>


# --- Backlog -------------------------------------------------------------------------------------


def test_backlog_shows_active_tickets_by_default(staff_client: Client):
    new = make_ticket(status=Ticket.Status.NEW)
    pending = make_ticket(status=Ticket.Status.PENDING)
    closed = make_ticket(status=Ticket.Status.CLOSED)

    html = staff_client.get(BACKLOG).content.decode()

    assert set(row_numbers(html)) == {new.number, pending.number}
    assert closed.subject not in html


def test_backlog_row_shows_the_ticket_at_a_glance(staff_client: Client, staff_user: User):
    customer = make_customer(name="Jane Doe")
    ticket = make_ticket(
        customer=customer,
        subject="Charged twice",
        category=Ticket.Category.BILLING,
        priority=Ticket.Priority.URGENT,
        assignee=staff_user,
        created_at=timezone.now() - timedelta(hours=3),
    )

    html = staff_client.get(BACKLOG).content.decode()

    row = html[html.index(f'id="ticket-row-{ticket.number}"') :].split("</tr>")[0]
    assert f'href="/tickets/{ticket.number}/"' in row
    for text in (
        "Charged twice",
        "Jane Doe",
        "Billing",
        "Urgent",
        "New",
        "staffer",
        "3\xa0hours ago",
    ):
        assert text in row
    assert f'name="numbers" value="{ticket.number}" form="bulk-form"' in row


def test_backlog_bulk_form_posts_selected_numbers_to_bulk_start(staff_client: Client):
    make_ticket()

    html = staff_client.get(BACKLOG).content.decode()

    assert (
        f'id="bulk-form" class="bulkbar" method="post" action="{reverse("tasks:task_bulk_start")}"'
        in html
    )
    assert "Start investigation" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "closed"}, {"closed"}),
        ({"status": "all"}, {"open", "closed", "billing", "urgent"}),
        ({"category": "billing"}, {"billing"}),
        ({"priority": "urgent"}, {"urgent"}),
        ({"category": "billing", "status": "all"}, {"billing"}),
    ],
)
def test_backlog_filters(staff_client: Client, params: dict, expected: set[str]):
    tickets = {
        "open": make_ticket(status=Ticket.Status.OPEN),
        "closed": make_ticket(status=Ticket.Status.CLOSED),
        "billing": make_ticket(category=Ticket.Category.BILLING),
        "urgent": make_ticket(priority=Ticket.Priority.URGENT),
    }

    html = staff_client.get(BACKLOG, params).content.decode()

    assert set(row_numbers(html)) == {tickets[name].number for name in expected}


def test_backlog_filters_by_assignee(staff_client: Client, staff_user: User):
    other = make_user(username="bob")
    mine = make_ticket(assignee=staff_user)
    bobs = make_ticket(assignee=other)
    nobodys = make_ticket()

    def numbers(assignee: str) -> set[int]:
        return set(row_numbers(staff_client.get(BACKLOG, {"assignee": assignee}).content.decode()))

    assert numbers("me") == {mine.number}
    assert numbers("none") == {nobodys.number}
    assert numbers(str(other.pk)) == {bobs.number}
    assert numbers("") == {mine.number, bobs.number, nobodys.number}


def test_backlog_search_covers_subject_body_requester_and_customer_name(staff_client: Client):
    by_subject = make_ticket(subject="Invoice missing VAT")
    by_body = make_ticket(body="My parcel never arrived")
    by_customer = make_ticket(customer=make_customer(name="Zelda Quartz"))
    by_email = make_anonymous_ticket(requester_email="walrus@example.org")
    make_ticket(subject="Unrelated")

    def found(q: str) -> set[int]:
        return set(row_numbers(staff_client.get(BACKLOG, {"q": q}).content.decode()))

    assert found("vat") == {by_subject.number}
    assert found("parcel") == {by_body.number}
    assert found("quartz") == {by_customer.number}
    assert found("walrus") == {by_email.number}
    assert found(f"#{by_body.number}") == {by_body.number}


def test_backlog_sorts(staff_client: Client):
    now = timezone.now()
    old_low = make_ticket(priority="low", created_at=now - timedelta(days=3))
    mid_urgent = make_ticket(priority="urgent", created_at=now - timedelta(days=2))
    new_normal = make_ticket(priority="normal", created_at=now - timedelta(days=1))

    def order(sort: str) -> list[int]:
        return row_numbers(staff_client.get(BACKLOG, {"sort": sort}).content.decode())

    assert order("priority") == [mid_urgent.number, new_normal.number, old_low.number]
    assert order("newest") == [new_normal.number, mid_urgent.number, old_low.number]
    assert order("oldest") == [old_low.number, mid_urgent.number, new_normal.number]
    Ticket.objects.filter(pk=old_low.pk).update(updated_at=now + timedelta(minutes=1))
    assert order("updated")[0] == old_low.number


def test_backlog_paginates_25_per_page_and_links_keep_the_filters(staff_client: Client):
    bulk_tickets(30, category=Ticket.Category.BILLING)

    first = staff_client.get(BACKLOG, {"category": "billing"}).content.decode()
    second = staff_client.get(BACKLOG, {"category": "billing", "page": "2"}).content.decode()

    assert len(row_numbers(first)) == 25
    assert len(row_numbers(second)) == 5
    assert "1&ndash;25 of 30 tickets" in first
    assert 'href="/?category=billing&amp;page=2"' in first
    assert 'hx-get="/?category=billing&amp;page=2"' in first


def test_backlog_status_tabs_show_counts_for_the_other_filters(staff_client: Client):
    make_ticket(status="new", category="billing")
    make_ticket(status="new", category="billing")
    make_ticket(status="closed", category="billing")
    make_ticket(status="open", category="shipping")

    html = staff_client.get(BACKLOG, {"category": "billing"}).content.decode()

    def tab_count(label: str) -> int:
        match = re.search(rf'{label} <span class="tab-count">(\d+)</span>', html)
        assert match, label
        return int(match.group(1))

    assert (tab_count("Active"), tab_count("New"), tab_count("Open")) == (2, 2, 0)
    assert (tab_count("Closed"), tab_count("All")) == (1, 3)
    assert 'href="/?category=billing&amp;status=closed"' in html


def test_htmx_backlog_request_returns_only_the_results_partial(staff_client: Client):
    ticket = make_ticket(category="billing")

    response = staff_client.get(BACKLOG, {"category": "billing"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="backlog-results"')
    assert "<html" not in html and 'id="backlog-filters"' not in html
    assert row_numbers(html) == [ticket.number]
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(staff_client: Client):
    make_ticket()

    response = staff_client.get(BACKLOG, headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


def test_filter_form_works_as_plain_get_with_htmx_attributes(staff_client: Client):
    html = staff_client.get(BACKLOG).content.decode()

    form = html[html.index('<form id="backlog-filters"') :].split(">")[0]
    assert 'method="get"' in form and 'action="/"' in form
    assert 'hx-get="/"' in form and 'hx-target="#backlog-results"' in form
    assert 'hx-push-url="true"' in form
    assert 'name="status" value="active" form="backlog-filters"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"category": "nope"},
        {"priority": "meh"},
        {"sort": "sideways"},
        {"assignee": "999999"},
        {"assignee": "<script>"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999"},
        {"q": "x" * 5000},
    ],
)
def test_backlog_bad_parameters_never_fail(staff_client: Client, params: dict):
    ticket = make_ticket()

    response = staff_client.get(BACKLOG, params)

    assert response.status_code == 200
    if "q" not in params:
        assert row_numbers(response.content.decode()) == [ticket.number]


def test_backlog_says_which_filter_values_it_ignored(staff_client: Client):
    html = staff_client.get(BACKLOG, {"status": "bogus", "sort": "sideways"}).content.decode()

    assert "Ignored unknown filter values" in html
    assert "status=bogus" in html and "sort=sideways" in html
    assert re.search(r'<a class="tab"[^>]*aria-current="page">\s*Active', html)


def test_backlog_page_past_the_end_shows_the_last_page(staff_client: Client):
    bulk_tickets(30)

    html = staff_client.get(BACKLOG, {"page": "99999"}).content.decode()

    assert len(row_numbers(html)) == 5
    assert "26&ndash;30 of 30" in html


def test_backlog_query_count_does_not_grow_with_tickets(staff_client: Client, staff_user: User):
    bulk_tickets(10, assignee=staff_user)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(BACKLOG).status_code == 200

    bulk_tickets(990, start=200_000, assignee=make_user())
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(BACKLOG, {"sort": "newest"})

    assert response.status_code == 200
    assert "1&ndash;25 of 1,000 tickets" in response.content.decode()
    assert len(many) == len(few)


# --- Ticket page ---------------------------------------------------------------------------------


def test_ticket_page_shows_customer_orders_thread_and_notes(staff_client: Client, staff_user):
    customer = make_customer(name="Jane Doe", email="jane@example.com", username="jdoe")
    make_order(customer=customer, number="ORD-1", description="Pro plan", billing_period="2026-10")
    make_order(customer=customer, number="ORD-2", refunded_amount=Decimal("5.00"))
    make_order(number="ORD-OTHER")  # another customer's
    ticket = make_ticket(customer=customer, subject="Charged twice", body="I was charged twice")
    ticket_reply(ticket=ticket, body="Looking into it", author=staff_user)
    ticket_add_note(ticket=ticket, body="Check the Stripe log", author=staff_user)
    ticket_add_note(ticket=ticket, body="Duplicate charge confirmed", author_kind="agent")

    response = staff_client.get(ticket_url(ticket))

    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Charged twice", "Jane Doe", "jane@example.com", "jdoe", "Pro"):
        assert text in html
    assert "ORD-1" in html and "Period 2026-10" in html and "ORD-2" in html
    assert "Refunded 5.00 USD" in html
    assert "ORD-OTHER" not in html
    assert html.index("I was charged twice") < html.index("Looking into it")
    assert html.index("Looking into it") < html.index("Check the Stripe log")
    assert html.count("Internal note</span>") == 2
    assert re.search(r'class="message from-staff is-internal"', html)
    assert re.search(r'class="message from-agent is-internal"', html)
    assert "changed the status from New to Open" in html  # the reply opened it


def test_ticket_page_shows_only_the_ten_latest_orders(staff_client: Client):
    customer = make_customer()
    for i in range(12):
        make_order(
            customer=customer, number=f"ORD-X{i:02}", charged_at=timezone.now() - timedelta(days=i)
        )
    ticket = make_ticket(customer=customer)

    html = staff_client.get(ticket_url(ticket)).content.decode()

    assert "ORD-X09" in html and "ORD-X10" not in html


def test_ticket_page_without_customer_shows_the_requester(staff_client: Client):
    ticket = make_anonymous_ticket(requester_email="stranger@example.net")

    html = staff_client.get(ticket_url(ticket)).content.decode()

    assert "Unknown customer" in html
    assert "stranger@example.net" in html


def test_ticket_page_has_the_agent_panel_and_recent_tasks(staff_client: Client):
    ticket = make_ticket()
    task = make_task(ticket=ticket)
    make_todo(task=task)

    response = staff_client.get(ticket_url(ticket))

    assert 'id="agent-panel"' in response.content.decode()
    assert response.context["latest_task"] == task
    assert list(response.context["tasks"]) == [task]


def test_ticket_page_shows_the_assignment_history(staff_client: Client, staff_user: User):
    ticket = make_ticket()
    bob = make_user(username="bob")
    ticket_assign(ticket=ticket, assignee=bob, actor=staff_user)
    ticket_assign(ticket=ticket, assignee=None, actor=staff_user)
    ticket_assign(ticket=ticket, assignee=staff_user, actor=staff_user)

    html = staff_client.get(ticket_url(ticket)).content.decode()

    assert "assigned the ticket to bob" in html
    assert "unassigned the ticket (was bob)" in html
    assert "took the ticket" in html
    assert html.index("assigned the ticket to bob") < html.index("took the ticket")


def test_unknown_ticket_is_a_404(staff_client: Client):
    response = staff_client.get("/tickets/424242/")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_ticket_page_query_count_does_not_grow_with_the_thread(staff_client, staff_user):
    def queries_for(messages: int) -> int:
        customer = make_customer()
        for _ in range(5):
            make_order(customer=customer)
        ticket = make_ticket(customer=customer)
        for i in range(messages):
            ticket_add_note(ticket=ticket, body=f"note {i}", author=make_user())
            ticket_assign(ticket=ticket, assignee=make_user(), actor=staff_user)
        for _ in range(min(messages, 5)):
            make_todo(task=make_task(ticket=ticket))
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(ticket_url(ticket)).status_code == 200
        return len(ctx)

    assert queries_for(1) == queries_for(20)


# --- Ticket actions ------------------------------------------------------------------------------


def test_reply_without_javascript_redirects_back_with_a_message(staff_client: Client):
    ticket = make_ticket(status=Ticket.Status.NEW)

    response = staff_client.post(
        ticket_url(ticket, "reply"), {"body": "We refunded you."}, follow=True
    )

    html = response.content.decode()
    assert response.redirect_chain == [(ticket_url(ticket), 302)]
    assert REPLY_SENT in html
    assert "We refunded you." in html
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    message = ticket.messages.get(author_kind="staff")
    assert (message.body, message.is_internal, message.author.username) == (
        "We refunded you.",
        False,
        "staffer",
    )


def test_reply_with_htmx_returns_the_changed_parts_out_of_band(staff_client: Client):
    ticket = make_ticket(status=Ticket.Status.NEW)

    response = staff_client.post(ticket_url(ticket, "reply"), {"body": "On it"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert '<header id="ticket-header" class="ticket-header" hx-swap-oob="true">' in html
    assert 'id="ticket-thread-wrap" hx-swap-oob="true"' in html
    assert 'id="ticket-properties"' in html
    assert '<form id="reply-form"' in html and 'id="note-composer"' not in html
    assert "On it" in html and REPLY_SENT in html
    assert ">Open</span>" in html  # the header shows the new status


def test_empty_reply_is_refused_with_a_clear_error(staff_client: Client):
    ticket = make_ticket()

    response = staff_client.post(ticket_url(ticket, "reply"), {"body": "   "})

    assert response.status_code == 400
    assert MESSAGE_BODY_REQUIRED in response.content.decode()
    assert not ticket.messages.filter(author_kind="staff").exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_refused_reply_keeps_the_typed_text(staff_client: Client, headers: dict):
    ticket = make_ticket()
    text = "A long apology. " * 700  # over the 10,000 character limit

    response = staff_client.post(ticket_url(ticket, "reply"), {"body": text}, headers=headers)

    html = response.content.decode()
    assert response.status_code == 400
    assert MESSAGE_TOO_LONG in html
    textarea = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea and textarea.group(1) == text
    assert 'aria-invalid="true"' in html


def test_reply_on_a_closed_ticket_shows_the_service_error(staff_client: Client):
    ticket = make_ticket(status=Ticket.Status.CLOSED)

    response = staff_client.post(ticket_url(ticket, "reply"), {"body": "Hello?"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 400
    assert TICKET_CLOSED in html
    assert "Hello?" in html  # kept in the textarea


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_internal_note_is_added(staff_client: Client, headers: dict):
    ticket = make_ticket()

    response = staff_client.post(
        ticket_url(ticket, "note"), {"body": "Call back Monday"}, headers=headers
    )

    assert response.status_code in (200, 302)
    note = ticket.messages.get(is_internal=True)
    assert note.body == "Call back Monday"
    if headers:
        assert NOTE_ADDED in response.content.decode()
        assert "Internal note</span>" in response.content.decode()


def test_empty_note_keeps_the_note_form_open_with_the_error(staff_client: Client):
    ticket = make_ticket()

    html = staff_client.post(
        ticket_url(ticket, "note"), {"body": ""}, headers=HTMX
    ).content.decode()

    assert MESSAGE_BODY_REQUIRED in html
    assert re.search(r'<details id="note-composer" class="compose-note" open', html)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_status_change(staff_client: Client, headers: dict):
    ticket = make_ticket(status=Ticket.Status.OPEN)

    response = staff_client.post(
        ticket_url(ticket, "status"), {"status": "solved"}, headers=headers
    )

    assert response.status_code == (200 if headers else 302)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    change = TicketChange.objects.get(ticket=ticket)
    assert (change.old_value, change.new_value, change.actor.username) == (
        "open",
        "solved",
        "staffer",
    )
    if headers:
        html = response.content.decode()
        assert "changed the status from Open to Solved" in html
        # The composers are not sent back, so a reply being drafted is not wiped out.
        assert 'id="reply-form"' not in html and 'id="note-composer"' not in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_invalid_status_is_a_400_with_the_message(staff_client: Client, headers: dict):
    ticket = make_ticket(status=Ticket.Status.OPEN)

    response = staff_client.post(
        ticket_url(ticket, "status"), {"status": "exploded"}, headers=headers
    )

    assert response.status_code == 400
    assert STATUS_INVALID in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_assign_to_a_staff_user_then_to_me_then_unassign(staff_client: Client, staff_user: User):
    ticket = make_ticket()
    bob = make_user(username="bob")
    url = ticket_url(ticket, "assign")

    staff_client.post(url, {"assignee": str(bob.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == bob

    response = staff_client.post(url, {"assignee": "me"}, headers=HTMX)
    ticket.refresh_from_db()
    assert ticket.assignee == staff_user
    assert "Assigned to staffer." in response.content.decode()

    staff_client.post(url, {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("who", ["non-staff", "unknown", "garbage"])
def test_assign_refuses_anyone_but_active_staff(staff_client: Client, who: str):
    ticket = make_ticket()
    value = {
        "non-staff": lambda: str(make_user(staff=False).pk),
        "unknown": lambda: "987654",
        "garbage": lambda: "bob",
    }[who]()

    response = staff_client.post(ticket_url(ticket, "assign"), {"assignee": value}, headers=HTMX)

    assert response.status_code == 400
    assert ASSIGNEE_INVALID in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("action", ["reply", "note", "status", "assign"])
def test_actions_on_an_unknown_ticket_are_404(staff_client: Client, action: str):
    response = staff_client.post(f"/tickets/424242/{action}/", {"body": "x", "status": "open"})

    assert response.status_code == 404


@pytest.mark.parametrize("action", ["reply", "note", "status", "assign"])
def test_actions_only_accept_post(staff_client: Client, action: str):
    ticket = make_ticket()

    assert staff_client.get(ticket_url(ticket, action)).status_code == 405
