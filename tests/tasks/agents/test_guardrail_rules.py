"""The rule-based guardrails, as pure functions: what a customer reply may not say."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.agents.guardrails import ReplyFacts, reply_check

RUNBOOK = (
    "Duplicate charges: confirm both charges in the billing system, then refund the second one."
    " Internal: never offer store credit above fifty dollars without a team lead signing off"
    " on the exception in the escalation channel first."
)


@pytest.mark.parametrize(
    ("body", "paid"),
    [
        ("I've refunded $29.00 for the second October charge.", ["29.00"]),
        ("Once a colleague approves it, we'll refund the $29.00.", []),
        ("A refund request is with our billing team; they will decide within a day.", []),
        ("We can refund the item or send a replacement, whichever you prefer.", []),
        ("I'm not able to refund this order under our refund policy.", []),
        ("Your order ORD-1 costs $68.95 and ships tomorrow.", []),
    ],
)
def test_honest_replies_pass(body, paid):
    facts = ReplyFacts(internal_texts=[RUNBOOK], refunds_paid=[Decimal(p) for p in paid])
    assert reply_check(body, facts) is None


@pytest.mark.parametrize(
    ("body", "paid", "why"),
    [
        ("We have refunded your order in full.", [], "promises a refund"),
        ("We refunded you.", [], "promises a refund"),
        ("Your refund has been issued and is on its way.", [], "promises a refund"),
        ("You will receive a full refund of $99.00.", [], "promises a refund"),
        ("I've refunded $99.00 for the October charge.", ["29.00"], "promises a refund"),
        (
            "Our note says: never offer store credit above fifty dollars without a team lead"
            " signing off on the exception in the escalation channel first.",
            [],
            "quotes internal text",
        ),
    ],
)
def test_replies_that_break_a_rule_are_held(body, paid, why):
    facts = ReplyFacts(internal_texts=[RUNBOOK], refunds_paid=[Decimal(p) for p in paid])
    finding = reply_check(body, facts)
    assert finding is not None and why in finding.reason


def test_another_customers_data_is_held_and_named():
    facts = ReplyFacts(foreign_emails=["ann@example.com"], foreign_orders=["ORD-7"])
    finding = reply_check("See ann@example.com and ORD-7.", facts)
    assert finding is not None
    assert "another customer's data (ann@example.com, ORD-7)" in finding.reason
