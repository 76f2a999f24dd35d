"""What the offline model makes of the different requests within a category (synthetic orders,
the demo's own knowledge base, no database): each gets the answer its runbook and policy call
for, stating only what they say."""

from __future__ import annotations

from typing import Any

import pytest

from tests.offline_harness import (
    FakeSupport,
    iso,
    order,
    run_offline,
    ticket_text,
    with_demo_knowledge,
)


def charge(number: str, days_ago: float, amount: str = "29.00") -> dict[str, Any]:
    return order(
        number,
        kind="subscription",
        description="Pro plan, monthly",
        amount=amount,
        refundable_amount=amount,
        billing_period=iso(days_ago)[:7],
        charged_at=iso(days_ago),
        status="paid",
    )


def support_with(*orders: dict[str, Any], customer: bool = True) -> FakeSupport:
    support = with_demo_knowledge(FakeSupport(orders=list(orders)))
    if not customer:
        support.customer = None
    return support


CASES = [
    pytest.param(
        "billing",
        "Upgrade to Business?",
        "If I upgrade to Business today, is it prorated?",
        [charge("ORD-1", 12)],
        "is prorated",
        "solved",
        id="billing-plan-change",
    ),
    pytest.param(
        "billing",
        "Cancel please",
        "Please cancel my subscription at the end of the month.",
        [charge("ORD-1", 12)],
        "no further charges",
        "open",
        id="billing-cancel",
    ),
    pytest.param(
        "billing",
        "Payment declined?",
        "My bank says a payment was declined. Is my card expired?",
        [charge("ORD-1", 12)],
        "went through",
        "solved",
        id="billing-payment",
    ),
    pytest.param(
        "billing",
        "Why $29?",
        "Why did our bill jump to $29 this month?",
        [charge("ORD-1", 12, "29.00")],
        "regular price",
        "pending",
        id="billing-price",
    ),
    pytest.param(
        "billing",
        "Why $99?",
        "Why did our bill jump to $99 this month?",
        [charge("ORD-1", 12, "99.00")],
        "asked a colleague from billing",
        "open",
        id="billing-price-not-the-plan-price",
    ),
    pytest.param(
        "refund",
        "Cancelled order ORD-5",
        "I cancelled ORD-5 but the money is gone.",
        [order("ORD-5", status="cancelled", charged_at=iso(3))],
        "never captured",
        "solved",
        id="refund-cancelled-order",
    ),
    pytest.param(
        "shipping",
        "New address for ORD-6",
        "Please send ORD-6 to my new address:\n\n12 High St, Flat 3\nLondon N1 2AB\n\nThanks!",
        [order("ORD-6", status="paid", charged_at=iso(1))],
        "12 High St, Flat 3\nLondon N1 2AB",
        "solved",
        id="shipping-address-change",
    ),
    pytest.param(
        "shipping",
        "Do you ship abroad?",
        "Can you ship to Canada?",
        [],
        "asked a colleague",
        "open",
        id="shipping-question",
    ),
    pytest.param(
        "account_access",
        "Team locked out",
        "Since the SSO change none of our staff can log in.",
        [],
        "on-call engineer",
        "open",
        id="account-sso",
    ),
    pytest.param(
        "account_access",
        "No reset email",
        "The password reset email never arrives.",
        [],
        "no-reply@deskwise.example",
        "pending",
        id="account-reset-email",
    ),
    pytest.param(
        "account_access",
        "iPhone app",
        "Web works but the iOS app logs me out.",
        [],
        "device and the app version",
        "open",
        id="account-app",
    ),
    pytest.param(
        "invoice",
        "All invoices",
        "Can I download all invoices at once?",
        [charge("ORD-1", 12)],
        "ZIP",
        "solved",
        id="invoice-bulk",
    ),
    pytest.param(
        "invoice",
        "Wrong address on invoices",
        "Our invoices show our old address.",
        [charge("ORD-1", 12)],
        "last 12 months",
        "pending",
        id="invoice-correction",
    ),
    pytest.param(
        "damaged_item",
        "Lamp flickers",
        "The lamp ORD-7 flickers, video attached.",
        [order("ORD-7", delivered_at=iso(2), description="Desk lamp")],
        "Thank you for the video",
        "open",
        id="damaged-with-video",
    ),
    pytest.param(
        "damaged_item",
        "Keyboard keys missing",
        "Keys missing on ORD-8, photo attached.",
        [order("ORD-8", delivered_at=iso(20))],
        "warranty",
        "pending",
        id="damaged-after-window",
    ),
]


@pytest.mark.parametrize(("category", "subject", "body", "orders", "expected", "status"), CASES)
def test_each_request_gets_the_answer_its_runbook_calls_for(
    category: str, subject: str, body: str, orders: list, expected: str, status: str
) -> None:
    support = support_with(*orders)
    convo = run_offline(ticket_text(category=category, subject=subject, body=body), support)
    [reply] = [args["body"] for args in support.called("reply_to_customer")]
    assert expected in reply
    assert [args["status"] for args in support.called("set_ticket_status")] == [status]
    assert support.called("issue_refund") == []
    assert convo.final.startswith(f"Ticket #1001 — {subject}")


OTHER = [
    pytest.param(
        "Reseller partnership",
        "We are a reseller and want to partner with you.",
        "partners@deskwise.example",
        id="partnership",
    ),
    pytest.param(
        "GDPR", "Under GDPR please delete my account and data.", "within 30 days", id="deletion"
    ),
    pytest.param(
        "Is this you?",
        "I got an email from billing@evil.example asking for my card"
        " details. Is this really from you?",
        "deskwise.example and app.deskwise.example",
        id="phishing",
    ),
    pytest.param(
        "Thanks", "Just wanted to say thank you, great job!", "made our day", id="feedback"
    ),
]


@pytest.mark.parametrize(("subject", "body", "expected"), OTHER)
def test_other_requests_follow_the_runbook_even_without_a_customer_account(
    subject: str, body: str, expected: str
) -> None:
    support = support_with(customer=False)
    text = ticket_text(
        category="other",
        subject=subject,
        body=body,
        customer="unknown (requester someone@example.org)",
    )
    run_offline(text, support)
    [reply] = [args["body"] for args in support.called("reply_to_customer")]
    assert reply.startswith("Hi there,") and expected in reply
    assert [args["status"] for args in support.called("set_ticket_status")] == ["solved"]


def test_a_phishing_note_records_the_sender_for_security() -> None:
    support = support_with(customer=False)
    body = "An email from billing@evil.example wants my card details. Is this you?"
    run_offline(ticket_text(category="other", subject="Phishing?", body=body), support)
    [note] = [args["body"] for args in support.called("add_internal_note")]
    assert "billing@evil.example" in note
