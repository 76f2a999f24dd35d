from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import Ticket, TicketMessage
from tasks.selectors import (
    TICKET_NOT_FOUND,
    TicketFilters,
    staff_users,
    ticket_get,
    ticket_list,
    ticket_search,
    ticket_status_counts,
    ticket_thread,
)
from tests.factories import make_customer, make_ticket, make_user
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db

St, Pri, Cat = Ticket.Status, Ticket.Priority, Ticket.Category


def _numbers(**filters) -> list[int]:
    return [t.number for t in ticket_list(filters=TicketFilters(**filters))]


@pytest.fixture
def backlog():
    """Five tickets, created an hour apart (1 is the oldest)."""
    now = timezone.now()
    maria = make_user(username="maria")
    jane = make_customer(name="Jane Doe", email="jane@example.com")
    # Named without digits: a factory default ("customer14@...") would match a number search.
    others = {
        number: make_customer(name=name.title(), email=f"{name}@example.net", username=name)
        for number, name in ((2, "bea"), (3, "cid"), (5, "dora"))
    }
    specs = [
        (1, St.NEW, Pri.LOW, Cat.BILLING, None, "Charged twice for October", jane),
        (2, St.OPEN, Pri.URGENT, Cat.SHIPPING, maria, "Parcel lost", None),
        (3, St.PENDING, Pri.HIGH, Cat.BILLING, maria, "Invoice address", None),
        (4, St.SOLVED, Pri.NORMAL, Cat.REFUND, None, "Refund for lamp", jane),
        (5, St.CLOSED, Pri.URGENT, Cat.OTHER, None, "Thanks", None),
    ]
    for number, status, priority, category, assignee, subject, customer in specs:
        make_ticket(
            number=number,
            status=status,
            priority=priority,
            category=category,
            assignee=assignee,
            subject=subject,
            customer=customer or others[number],
            created_at=now - timedelta(hours=10 - number),
        )
    return {"maria": maria, "jane": jane}


def test_status_filter_active_means_new_open_or_pending(backlog):
    assert sorted(_numbers(status="active")) == [1, 2, 3]
    assert _numbers(status=St.SOLVED) == [4]
    assert sorted(_numbers()) == [1, 2, 3, 4, 5]


def test_category_and_priority_filters_combine(backlog):
    assert sorted(_numbers(category=Cat.BILLING)) == [1, 3]
    assert _numbers(category=Cat.BILLING, priority=Pri.HIGH) == [3]
    assert _numbers(category=Cat.HOW_TO) == []


def test_assignee_filter_by_id_or_unassigned(backlog):
    assert sorted(_numbers(assignee=str(backlog["maria"].pk))) == [2, 3]
    assert sorted(_numbers(assignee="none")) == [1, 4, 5]
    # Anything else ("me" must be resolved by the caller) filters nothing.
    assert len(_numbers(assignee="me")) == 5


def test_customer_filter(backlog):
    assert sorted(_numbers(customer_id=backlog["jane"].pk)) == [1, 4]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("charged", [1]),
        ("CHARGED october", [1]),
        ("charged november", []),
        ("#3", [3]),
        ("4", [4]),
        ("jane doe", [1, 4]),
        ("jane@example", [1, 4]),
        ("99999999999999999999999", []),
    ],
)
def test_search_needs_every_word_in_a_field_or_the_number(backlog, q, expected):
    assert sorted(_numbers(q=q)) == expected


def test_search_reads_the_body_too():
    make_ticket(number=7, subject="Help", body="My ORD-48213 never arrived")
    make_ticket(number=8, subject="Help", body="Other")

    assert _numbers(q="ord-48213") == [7]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("priority", [5, 2, 3, 4, 1]),  # urgent, high, normal, low; newest first within
        ("newest", [5, 4, 3, 2, 1]),
        ("oldest", [1, 2, 3, 4, 5]),
        ("number", [1, 2, 3, 4, 5]),
        ("bogus", [5, 2, 3, 4, 1]),
    ],
)
def test_sorts(backlog, sort, expected):
    assert _numbers(sort=sort) == expected


def test_sort_by_updated_puts_the_last_touched_first(backlog):
    ticket = Ticket.objects.get(number=1)
    ticket.save()

    assert _numbers(sort="updated")[0] == 1


def test_status_counts_ignore_the_status_filter_but_keep_the_others(backlog):
    counts = ticket_status_counts(filters=TicketFilters(status=St.SOLVED, category=Cat.BILLING))

    assert counts == {
        "new": 1,
        "open": 0,
        "pending": 1,
        "solved": 0,
        "closed": 0,
        "active": 2,
        "all": 2,
    }


def test_status_counts_over_everything(backlog):
    counts = ticket_status_counts(filters=TicketFilters())

    assert (counts["active"], counts["all"], counts["closed"]) == (3, 5, 1)


def test_ticket_get_by_number_or_error():
    ticket = make_ticket(number=1234)

    assert ticket_get(number=1234) == ticket
    with pytest.raises(ApplicationError) as exc:
        ticket_get(number=4321)
    assert exc.value.message == TICKET_NOT_FOUND
    assert exc.value.extra == {"field": "number", "value": 4321}


def test_ticket_search_stays_within_the_customer_and_limit(backlog):
    make_ticket(number=6, subject="Refund again", customer=backlog["jane"])
    make_ticket(number=9, subject="Refund for someone else")

    mine = ticket_search(query="refund", customer_id=backlog["jane"].pk)

    assert [t.number for t in mine] == [6, 4]
    assert len(ticket_search(query="refund", limit=1)) == 1
    assert {t.number for t in ticket_search(query="refund")} == {4, 6, 9}


def test_ticket_thread_in_order_with_or_without_internal_notes():
    ticket = make_ticket()
    now = timezone.now()
    TicketMessage.objects.create(
        ticket=ticket, author_kind="staff", body="note", is_internal=True, created_at=now
    )
    TicketMessage.objects.create(
        ticket=ticket, author_kind="staff", body="reply", created_at=now + timedelta(seconds=1)
    )

    everything = [m.body for m in ticket_thread(ticket_id=ticket.pk)]
    public = [m.body for m in ticket_thread(ticket_id=ticket.pk, include_internal=False)]

    assert everything == [ticket.body, "note", "reply"]
    assert public == [ticket.body, "reply"]


def test_staff_users_are_active_staff_by_username():
    make_user(username="zed")
    make_user(username="amy")
    make_user(username="customer", staff=False)
    make_user(username="gone", is_active=False)

    assert [u.username for u in staff_users()] == ["amy", "zed"]
