"""Every admin page renders for a superuser, the search box finds rows on every changelist,
and the rules that matter (read-only audit rows, audited ticket edits, pending approvals first)
hold."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from tasks.admin.business import REFUND_RULE_TYPES, RULE_INVALID, RULES_NOT_AN_OBJECT
from tasks.models import (
    ApiToken,
    ApprovalRequest,
    Task,
    TaskEvent,
    Ticket,
    TicketChange,
    TicketMessage,
    Todo,
)
from tasks.services.tickets import ticket_set_status
from tests.factories import (
    make_api_token,
    make_approval,
    make_customer,
    make_order,
    make_refund,
    make_refund_policy,
    make_task,
    make_task_event,
    make_ticket,
    make_todo,
    make_user,
)
from tools_app.models import Article, Customer, Order, Refund

pytestmark = pytest.mark.django_db


@dataclass
class Data:
    customer: Customer
    order: Order
    refund: Refund
    article: Article
    ticket: Ticket
    message: TicketMessage
    change: TicketChange
    task: Task
    todo: Todo
    event: TaskEvent
    approval: ApprovalRequest
    token: ApiToken


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(make_user(username="root", is_superuser=True))
    return client


@pytest.fixture
def data() -> Data:
    customer = make_customer(name="Zelda Fitzgerald", email="zelda@example.com")
    order = make_order(customer=customer, number="ORD-4242", amount=Decimal("80.00"))
    ticket = make_ticket(customer=customer, subject="Double charge on ORD-4242")
    ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN)
    task = make_task(ticket=ticket, title="Investigate the double charge")
    return Data(
        customer=customer,
        order=order,
        refund=make_refund(order=order, reason="Charged twice", task=task),
        article=make_refund_policy(),
        ticket=ticket,
        message=ticket.messages.get(),
        change=ticket.changes.get(),
        task=task,
        todo=make_todo(task=task, text="Check the ledger"),
        event=make_task_event(task=task, type="tool.called", data={"tool": "lookup_customer"}),
        approval=make_approval(task=task, order=order, summary="Refund 40.00 USD on ORD-4242"),
        token=make_api_token(name="ci-pipeline")[0],
    )


# (model, attribute of Data, a search term that finds that row)
PAGES = [
    (Customer, "customer", "zelda"),
    (Order, "order", "ORD-4242"),
    (Refund, "refund", "ORD-4242"),
    (Article, "article", "refund"),
    (Ticket, "ticket", "double charge"),
    (TicketMessage, "message", "Something went wrong"),
    (TicketChange, "change", "open"),
    (Task, "task", "double charge"),
    (Todo, "todo", "ledger"),
    (TaskEvent, "event", "tool.called"),
    (ApprovalRequest, "approval", "40.00"),
    (ApiToken, "token", "ci-pipeline"),
]


def admin_url(model: type[Model], view: str, *args: object) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def test_every_model_of_both_apps_is_registered():
    registered = set(admin.site._registry)
    models = [m for m, _, _ in PAGES]

    assert set(models) <= registered
    for app_models in (Customer, Ticket):
        app = app_models._meta.app_config
        assert set(app.get_models()) <= registered


@pytest.mark.parametrize(("model", "attr", "term"), PAGES, ids=[m.__name__ for m, _, _ in PAGES])
def test_changelist_and_change_page_render(superuser_client, data, model, attr, term):
    obj = getattr(data, attr)

    changelist = superuser_client.get(admin_url(model, "changelist"))
    change = superuser_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert obj.pk in [row.pk for row in changelist.context["cl"].result_list]
    assert change.status_code == 200


@pytest.mark.parametrize(("model", "attr", "term"), PAGES, ids=[m.__name__ for m, _, _ in PAGES])
def test_search_finds_the_row(superuser_client, data, model, attr, term):
    obj = getattr(data, attr)

    found = superuser_client.get(admin_url(model, "changelist"), {"q": term})
    missed = superuser_client.get(admin_url(model, "changelist"), {"q": "no-such-thing-xyz"})

    assert found.status_code == 200
    assert obj.pk in [row.pk for row in found.context["cl"].result_list]
    assert missed.status_code == 200
    assert list(missed.context["cl"].result_list) == []


@pytest.mark.parametrize("term", ["4242", "#1", "1.5", "∑ ünïcode", "99999999999999999999"])
def test_search_never_breaks_on_numbers_or_odd_text(superuser_client, data, term):
    for model, _, _ in PAGES:
        response = superuser_client.get(admin_url(model, "changelist"), {"q": term})
        assert response.status_code == 200, model


@pytest.mark.parametrize("model", [Customer, Order, Article], ids=lambda m: m.__name__)
def test_add_page_renders_where_adding_is_allowed(superuser_client, model):
    assert superuser_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize(
    "model",
    [Refund, Ticket, TicketMessage, TicketChange, Task, Todo, TaskEvent, ApprovalRequest, ApiToken],
    ids=lambda m: m.__name__,
)
def test_records_written_by_services_cannot_be_added_here(superuser_client, model):
    assert superuser_client.get(admin_url(model, "add")).status_code == 403


def test_refunds_and_approvals_cannot_be_edited_or_deleted(superuser_client, data):
    url = admin_url(Refund, "change", data.refund.pk)

    superuser_client.post(url, {"amount": "999.00", "reason": "changed"})
    deleted = superuser_client.post(admin_url(Refund, "delete", data.refund.pk), {"post": "yes"})
    approval_delete = superuser_client.get(admin_url(ApprovalRequest, "delete", data.approval.pk))

    data.refund.refresh_from_db()
    assert data.refund.amount == Decimal("10.00")
    assert deleted.status_code == 403
    assert approval_delete.status_code == 403


def test_pending_approvals_come_first(superuser_client, data):
    decided = make_approval(task=data.task, status=ApprovalRequest.Status.APPROVED)
    older_pending = data.approval
    newer_pending = make_approval(task=data.task)
    expired = make_approval(task=data.task, status=ApprovalRequest.Status.EXPIRED)

    response = superuser_client.get(admin_url(ApprovalRequest, "changelist"))

    order = [row.pk for row in response.context["cl"].result_list]
    assert order == [newer_pending.pk, older_pending.pk, decided.pk, expired.pk]
    assert b"40.00" in response.content
    assert b"ORD-4242" in response.content
    assert b"Zelda Fitzgerald" in response.content


def test_approvals_filter_by_status(superuser_client, data):
    make_approval(task=data.task, status=ApprovalRequest.Status.REJECTED)

    response = superuser_client.get(
        admin_url(ApprovalRequest, "changelist"), {"status__exact": "pending"}
    )

    assert [row.pk for row in response.context["cl"].result_list] == [data.approval.pk]


def test_ticket_edit_goes_through_the_audited_services(superuser_client, data):
    staff = make_user(username="helper")
    ticket = data.ticket
    form = {
        "subject": ticket.subject,
        "customer": ticket.customer_id,
        "requester_email": ticket.requester_email,
        "category": ticket.category,
        "priority": "urgent",
        "status": "solved",
        "assignee": staff.pk,
    }
    for prefix in ("messages", "changes", "tasks"):
        form |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = superuser_client.post(admin_url(Ticket, "change", ticket.pk), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.priority) == ("solved", staff, "urgent")
    changes = list(ticket.changes.values_list("field", "new_value", "actor__username"))
    assert ("status", "solved", "root") in changes
    assert ("assignee", "helper", "root") in changes


def test_ticket_can_only_be_assigned_to_staff(superuser_client, data):
    outsider = make_user(staff=False)
    response = superuser_client.get(admin_url(Ticket, "change", data.ticket.pk))

    choices = response.context["adminform"].form.fields["assignee"].queryset

    assert outsider not in choices


def test_article_rules_must_be_a_json_object(superuser_client, data):
    form = {
        "kind": "policy",
        "title": "Refund policy",
        "slug": "refund-policy",
        "category": "",
        "version": "2",
        "body": "Refunds within 14 days.",
    }

    rejected = superuser_client.post(
        admin_url(Article, "change", data.article.pk), form | {"rules": "[1, 2]"}
    )
    saved = superuser_client.post(
        admin_url(Article, "change", data.article.pk),
        form | {"rules": '{"refund_window_days": 14}'},
    )

    assert RULES_NOT_AN_OBJECT in rejected.context["adminform"].form.errors["rules"]
    assert saved.status_code == 302
    data.article.refresh_from_db()
    assert data.article.rules == {"refund_window_days": 14}
    assert data.article.version == 2


@pytest.mark.parametrize(
    ("rules", "key"),
    [
        ('{"refund_window_days": "two weeks"}', "refund_window_days"),
        ('{"refund_window_days": -1}', "refund_window_days"),
        ('{"max_refund_amount": "lots"}', "max_refund_amount"),
        ('{"refundable_statuses": "paid"}', "refundable_statuses"),
    ],
)
def test_refund_rules_of_the_wrong_type_are_refused(superuser_client, data, rules, key):
    form = {
        "kind": "policy",
        "title": "Refund policy",
        "slug": "refund-policy",
        "category": "",
        "version": "2",
        "body": "Refunds within 14 days.",
        "rules": rules,
    }

    rejected = superuser_client.post(admin_url(Article, "change", data.article.pk), form)

    errors = rejected.context["adminform"].form.errors["rules"]
    assert errors == [RULE_INVALID.format(key=key, expected=REFUND_RULE_TYPES[key])]
    data.article.refresh_from_db()
    assert data.article.rules != json.loads(rules)


def test_task_page_shows_its_todos_events_and_links(superuser_client, data):
    response = superuser_client.get(admin_url(Task, "change", data.task.pk))

    assert b"Check the ledger" in response.content
    assert b"tool.called" in response.content
    assert admin_url(Ticket, "change", data.ticket.pk).encode() in response.content


def test_customer_page_lists_orders_read_only(superuser_client, data):
    response = superuser_client.get(admin_url(Customer, "change", data.customer.pk))

    assert b"ORD-4242" in response.content
    inline = response.context["inline_admin_formsets"][0]
    assert inline.has_add_permission is False
