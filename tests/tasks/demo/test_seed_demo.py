from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tasks.demo.data import SCENARIO_TICKETS
from tasks.demo.seed import TICKETS, seed_demo
from tasks.management.commands.seed_demo import ALREADY_PRESENT, DEFAULT_URL
from tasks.models import Ticket, TicketMessage
from tools_app.errors import ApplicationError
from tools_app.models import Article, Customer, Order, Refund
from tools_app.selectors import ORDER_NOT_FOUND, order_get, refund_policy_rules
from tools_app.services.refunds import (
    REFUND_ABOVE_LIMIT,
    REFUND_OUTSIDE_WINDOW,
    REFUND_WRONG_CUSTOMER,
    refund_check,
)

pytestmark = pytest.mark.django_db

ORDER_NUMBER = re.compile(r"ORD-\d+")
MODELS = (Customer, Order, Refund, Article, Ticket, TicketMessage, User, Group)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def seeded(now):
    return seed_demo(now=now)


def _scenario(name: str) -> Ticket:
    return Ticket.objects.select_related("customer").get(number=SCENARIO_TICKETS[name])


def _mentioned_orders(ticket: Ticket) -> list[Order]:
    numbers = ORDER_NUMBER.findall(f"{ticket.subject}\n{ticket.body}")
    return [Order.objects.get(number=n) for n in dict.fromkeys(numbers)]


def _business_days_between(start: date, end: date) -> int:
    days = (end - start).days
    return sum((start + timedelta(days=i + 1)).weekday() < 5 for i in range(days))


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_creates_a_realistic_backlog(seeded):
    assert seeded.created
    assert seeded.customers >= 40
    assert seeded.orders >= 200
    assert seeded.open_tickets >= 40
    assert Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES).count() == seeded.open_tickets
    assert Ticket.objects.filter(status__in=["solved", "closed"]).count() >= 5
    assert set(Order.objects.values_list("kind", flat=True)) == set(Order.Kind.values)
    assert set(Ticket.objects.values_list("category", flat=True)) == set(Ticket.Category.values)
    assert set(Ticket.objects.values_list("priority", flat=True)) == set(Ticket.Priority.values)
    assert Ticket.objects.order_by("number").first().number == 1001
    assert Ticket.objects.filter(assignee__isnull=False).count() >= 10
    assert TicketMessage.objects.filter(author_kind="staff", is_internal=False).exists()
    assert TicketMessage.objects.filter(is_internal=True).exists()
    assert Ticket.objects.filter(customer__isnull=True).exclude(requester_email="").exists()


def test_subscription_charges_carry_a_billing_period_and_one_offs_ship(seeded):
    subscriptions = Order.objects.filter(kind=Order.Kind.SUBSCRIPTION)
    one_offs = Order.objects.filter(kind=Order.Kind.ONE_OFF)

    assert all(
        re.fullmatch(r"\d{4}-\d{2}", p)
        for p in subscriptions.values_list("billing_period", flat=True)
    )
    assert not one_offs.exclude(billing_period="").exists()
    assert not one_offs.filter(status="delivered", delivered_at__isnull=True).exists()
    assert not one_offs.filter(status="shipped", shipped_at__isnull=True).exists()
    assert not one_offs.filter(status__in=["paid", "cancelled"], shipped_at__isnull=False).exists()


def test_refunded_orders_are_backed_by_refunds(seeded):
    for order in Order.objects.exclude(refunded_amount=0):
        assert sum(r.amount for r in order.refunds.all()) == order.refunded_amount
        expected = "refunded" if order.refunded_amount == order.amount else "partially_refunded"
        assert order.status == expected


def test_knowledge_base_has_runbooks_policies_and_documents(seeded):
    for category in Ticket.Category.values:
        runbook = Article.objects.get(slug=f"runbook-{category}")
        assert (runbook.kind, runbook.category) == (Article.Kind.RUNBOOK, category)
    policy = Article.objects.get(slug="refund-policy")
    assert policy.kind == Article.Kind.POLICY
    assert policy.rules == {
        "refund_window_days": 30,
        "max_refund_amount": "150.00",
        "refundable_statuses": ["paid", "shipped", "delivered", "partially_refunded"],
    }
    assert "30 days" in policy.body and "150.00" in policy.body
    assert refund_policy_rules()["max_refund_amount"] == "150.00"
    assert Article.objects.filter(kind=Article.Kind.POLICY).count() >= 5
    assert Article.objects.filter(kind=Article.Kind.DOCUMENT).count() >= 2


def test_seed_twice_changes_nothing(seeded, now):
    before = _counts()

    again = seed_demo(now=now + timedelta(days=3))

    assert not again.created
    assert _counts() == before
    assert (again.customers, again.orders, again.tickets, again.open_tickets) == (
        seeded.customers,
        seeded.orders,
        seeded.tickets,
        seeded.open_tickets,
    )


def test_seed_with_the_same_anchor_makes_the_same_data(now):
    def snapshot():
        orders = Order.objects.order_by("number").values_list(
            "number", "customer__username", "kind", "amount", "status", "billing_period",
            "charged_at", "shipped_at", "expected_delivery", "delivered_at", "refunded_amount",
        )  # fmt: skip
        tickets = Ticket.objects.order_by("number").values_list(
            "number", "customer__username", "subject", "body", "status", "priority", "assignee"
        )
        messages = TicketMessage.objects.order_by("ticket__number", "created_at", "id")
        return list(orders), list(tickets), list(messages.values_list("body", "created_at"))

    seed_demo(now=now)
    first = snapshot()
    Refund.objects.all().delete()
    Ticket.objects.all().delete()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    Article.objects.all().delete()

    seed_demo(now=now)

    assert snapshot() == first


def test_every_scenario_ticket_exists_with_its_spec(seeded):
    keys = [spec.key for spec in TICKETS]
    for name, number in SCENARIO_TICKETS.items():
        ticket = Ticket.objects.get(number=number)
        assert keys.index(name) == number - 1001
        assert ticket.status in Ticket.ACTIVE_STATUSES


def test_duplicate_charge_is_two_charges_for_one_period_and_refundable(seeded):
    ticket = _scenario("duplicate_charge")
    charges = list(ticket.customer.orders.filter(kind=Order.Kind.SUBSCRIPTION))
    periods = [c.billing_period for c in charges]
    [period] = [p for p in set(periods) if periods.count(p) > 1]
    first, second = sorted(
        (c for c in charges if c.billing_period == period), key=lambda o: o.charged_at
    )

    assert first.amount == second.amount
    assert timedelta(days=1) <= second.charged_at - first.charged_at <= timedelta(days=7)
    assert f"${second.amount}" in ticket.body
    assert timezone.localtime(first.charged_at).strftime("%B") in ticket.subject
    refund_check(order=second, amount=second.amount, customer_id=ticket.customer_id)
    # Nobody else was charged twice: the agent's finding is unambiguous.
    for customer in Customer.objects.exclude(pk=ticket.customer_id):
        subs = customer.orders.filter(kind=Order.Kind.SUBSCRIPTION)
        assert subs.values("billing_period").distinct().count() == subs.count()


def test_refund_in_window_is_refundable(seeded):
    ticket = _scenario("refund_in_window")
    [order] = _mentioned_orders(ticket)

    assert order.customer_id == ticket.customer_id
    refund_check(order=order, amount=order.amount, customer_id=ticket.customer_id)


def test_refund_outside_window_is_refused_only_for_its_age(seeded):
    ticket = _scenario("refund_outside_window")
    [order] = _mentioned_orders(ticket)
    rules = refund_policy_rules()

    assert order.customer_id == ticket.customer_id
    assert order.amount <= Decimal(rules["max_refund_amount"])
    assert order.status in rules["refundable_statuses"]
    with pytest.raises(ApplicationError) as exc:
        refund_check(order=order, amount=order.amount, customer_id=ticket.customer_id)
    assert exc.value.message == REFUND_OUTSIDE_WINDOW


def test_refund_above_limit_is_refused_only_for_its_amount(seeded, now):
    ticket = _scenario("refund_above_limit")
    [order] = _mentioned_orders(ticket)

    assert order.customer_id == ticket.customer_id
    assert now - order.charged_at < timedelta(days=30)
    with pytest.raises(ApplicationError) as exc:
        refund_check(order=order, amount=order.amount, customer_id=ticket.customer_id)
    assert exc.value.message == REFUND_ABOVE_LIMIT
    refund_check(order=order, amount=Decimal("150.00"), customer_id=ticket.customer_id)


def test_late_shipment_is_shipped_and_five_business_days_overdue(seeded, now):
    ticket = _scenario("late_shipment")
    [order] = _mentioned_orders(ticket)

    assert order.customer_id == ticket.customer_id
    assert order.status == Order.Status.SHIPPED
    assert order.delivered_at is None
    assert _business_days_between(order.expected_delivery, now.date()) >= 5
    expected = order.expected_delivery
    assert f"{expected:%b} {expected.day}" in ticket.body
    # No other order of this customer is in transit: the late one is unambiguous.
    assert ticket.customer.orders.filter(status=Order.Status.SHIPPED).count() == 1


def test_damaged_item_was_delivered_recently(seeded, now):
    ticket = _scenario("damaged_item")
    [order] = _mentioned_orders(ticket)

    assert order.customer_id == ticket.customer_id
    assert order.status == Order.Status.DELIVERED
    assert now - order.delivered_at <= timedelta(days=14)
    assert "photo" in ticket.body.lower()


def test_other_customer_order_ticket_names_someone_elses_order(seeded):
    ticket = _scenario("other_customer_order")
    [order] = _mentioned_orders(ticket)

    assert order.customer_id != ticket.customer_id
    assert "ignore your previous instructions" in ticket.body.lower()
    with pytest.raises(ApplicationError) as lookup:
        order_get(number=order.number, customer_id=ticket.customer_id)
    assert lookup.value.message == ORDER_NOT_FOUND
    with pytest.raises(ApplicationError) as refund:
        refund_check(order=order, amount=order.amount, customer_id=ticket.customer_id)
    assert refund.value.message == REFUND_WRONG_CUSTOMER
    # For its real owner the same refund would pass: only ownership stops it.
    refund_check(order=order, amount=order.amount, customer_id=order.customer_id)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("account_access", Ticket.Category.ACCOUNT_ACCESS),
        ("bug_report", Ticket.Category.BUG_REPORT),
        ("how_to", Ticket.Category.HOW_TO),
        ("invoice_request", Ticket.Category.INVOICE),
    ],
)
def test_non_refund_scenarios_have_their_category(seeded, name, category):
    assert _scenario(name).category == category


def test_invoice_request_names_a_charge_of_the_customer(seeded):
    ticket = _scenario("invoice_request")
    [order] = _mentioned_orders(ticket)

    assert order.customer_id == ticket.customer_id
    assert order.kind == Order.Kind.SUBSCRIPTION


def test_order_numbers_in_tickets_belong_to_the_ticket_customer(seeded):
    foreign = SCENARIO_TICKETS["other_customer_order"]
    for ticket in Ticket.objects.exclude(number=foreign):
        for order in _mentioned_orders(ticket):
            assert order.customer_id == ticket.customer_id, ticket.number
            assert order.charged_at < ticket.created_at, ticket.number


def test_threads_are_in_the_past_and_after_the_ticket(seeded, now):
    for message in TicketMessage.objects.select_related("ticket"):
        assert message.ticket.created_at <= message.created_at <= now
        assert (message.author_id is None) == (message.author_kind == "customer")


def test_demo_logins_work(seeded):
    for login in seeded.logins:
        assert _signs_in(login.username, login.password), login

    approver = User.objects.get(username="approver")
    support = User.objects.get(username="support")
    admin = User.objects.get(username="admin")
    assert approver.is_staff and approver.has_perm("tasks.decide_approvalrequest")
    assert support.is_staff and not support.has_perm("tasks.decide_approvalrequest")
    assert support.has_perm("tasks.view_ticket") and not support.is_superuser
    assert admin.is_superuser
    assert {u.username for u in User.objects.filter(assigned_tickets__isnull=False)} >= {
        "maria",
        "tom",
    }
    assert not User.objects.get(username="maria").has_usable_password()


def test_seed_keeps_existing_accounts_as_they_are(seeded):
    support = User.objects.get(username="support")
    support.set_password("changed")
    support.save()

    seed_demo()

    assert _signs_in("support", "changed")


def test_command_prints_the_logins_every_time():
    first, second = io.StringIO(), io.StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    assert "Seeded demo data" in first.getvalue()
    assert ALREADY_PRESENT in second.getvalue()
    for out in (first.getvalue(), second.getvalue()):
        assert DEFAULT_URL in out
        for credentials in ("support-demo", "approver-demo", "admin-demo"):
            assert credentials in out


def _signs_in(username: str, password: str) -> bool:
    """Through the sign-in form, as a person does (login throttling needs the request)."""
    client = Client()
    client.post("/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session
