"""Builds the database a browser test's server runs on: ``python -m tests.browser.seed``.

Run in a subprocess with ``DATABASE_URL`` pointing at a throwaway SQLite file: it migrates and
adds a small, fixed data set (a staff user who signs in through the form, a customer with
orders, tickets in a few categories), so tests can assert on known numbers and names."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

STAFF_USERNAME = "browser-staff"
STAFF_PASSWORD = "browser-pass-123"
CUSTOMER_NAME = "Jane Doe"
# Ticket numbers by category, all active.
BILLING_TICKET = 1001
SHIPPING_TICKET = 1002
HOWTO_TICKET = 1003


def seed() -> None:
    from django.utils import timezone

    from tasks.models import Ticket
    from tests.factories import make_customer, make_order, make_ticket, make_user

    now = timezone.now()
    make_user(username=STAFF_USERNAME, password=STAFF_PASSWORD, first_name="Brook")
    make_user(username="second-staff")
    jane = make_customer(name=CUSTOMER_NAME, email="jane@example.com", username="jdoe")
    make_order(
        customer=jane,
        number="ORD-7001",
        kind="subscription",
        description="Deskwise Team plan, monthly",
        amount=Decimal("29.00"),
        billing_period="2026-10",
    )
    make_order(
        customer=jane,
        number="ORD-7002",
        kind="subscription",
        description="Deskwise Team plan, monthly",
        amount=Decimal("29.00"),
        billing_period="2026-10",
    )
    make_ticket(
        customer=jane,
        number=BILLING_TICKET,
        subject="Charged twice for October",
        body="Hi, I see two charges of $29 for October on my card. Please refund one.",
        category=Ticket.Category.BILLING,
        priority=Ticket.Priority.HIGH,
        created_at=now - timedelta(hours=5),
    )
    make_ticket(
        customer=make_customer(name="Omar Haddad"),
        number=SHIPPING_TICKET,
        subject="Where is my standing desk?",
        body="It was supposed to arrive last week.",
        category=Ticket.Category.SHIPPING,
        priority=Ticket.Priority.NORMAL,
        created_at=now - timedelta(days=1),
    )
    make_ticket(
        customer=make_customer(name="Li Wei"),
        number=HOWTO_TICKET,
        subject="How do I export bookings?",
        body="Is there a CSV export for desk bookings?",
        category=Ticket.Category.HOW_TO,
        priority=Ticket.Priority.LOW,
        created_at=now - timedelta(days=2),
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    seed()


if __name__ == "__main__":
    main()
