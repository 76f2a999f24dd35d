"""The offline model says only what the tools returned: every charge of a duplicated period,
each duplicate refunded on its own approval, an order's own price, the environment a bug
report really names, and a ticket in a language it cannot write handed to a person."""

from __future__ import annotations

import json

from tests.offline_harness import (
    FakeSupport,
    answer_pending,
    iso,
    order,
    run_offline,
    ticket_text,
    with_demo_knowledge,
)


def subscription(number: str, days_ago: float, **kw: object) -> dict:
    fields = {
        "kind": "subscription",
        "description": "Pro plan, monthly",
        "amount": "29.00",
        "refundable_amount": "29.00",
        "billing_period": "2026-10",
        "charged_at": iso(days_ago),
        "status": "paid",
    }
    return order(number, **{**fields, **kw})


def said(support: FakeSupport, tool: str) -> list[str]:
    return [args["body"] for args in support.called(tool)]


def refunded(number: str, refund_id: int) -> str:
    return json.dumps(
        {"refund": {"id": refund_id, "order_number": number, "order_status": "refunded"}}
    )


def test_three_charges_in_one_period_get_two_refunds_each_with_its_own_approval() -> None:
    # given three charges for October: one legitimate, two duplicates
    support = FakeSupport(
        orders=[subscription("ORD-9", 1), subscription("ORD-8", 2), subscription("ORD-7", 5)]
    )
    # when the model runs until its first refund pauses for approval
    first = run_offline(ticket_text(), support, stop_at="issue_refund")
    # then it asked for one refund only, the first duplicate
    assert [a["order_number"] for a in support.called("issue_refund")] == ["ORD-8"]
    # when that one is approved, it asks for the second duplicate in a call of its own
    second = run_offline(
        answer_pending(first, refunded("ORD-8", 1)), support, stop_at="issue_refund"
    )
    assert [a["order_number"] for a in support.called("issue_refund")] == ["ORD-8", "ORD-9"]
    # when the approver rejects the second one, the reply tells both outcomes
    run_offline(answer_pending(second, "Rejected by approver: check with the bank first"), support)
    [reply], [note] = said(support, "reply_to_customer"), said(support, "add_internal_note")
    assert "three subscription charges of $29.00 for October 2026" in reply
    assert "ORD-7" in reply and "ORD-8" in reply and "ORD-9" in reply
    assert "ORD-8 and ORD-9 are duplicates of ORD-7" in reply
    assert "I've refunded $29.00 for the duplicate October 2026 charge ORD-8" in reply
    assert "not able to refund the duplicate October 2026 charge ORD-9" in reply
    assert "check with the bank first" not in reply
    assert "Refund #1" in note and "check with the bank first" in note
    # the rejected one goes to the billing team's queue, who follow up: open, not pending
    assert [a["status"] for a in support.called("set_ticket_status")] == ["open"]
    [escalation] = support.called("escalate_to_human")
    assert escalation["queue"] == "billing" and "ORD-9 was not approved" in escalation["reason"]


def test_an_already_refunded_order_is_described_by_its_price_not_by_what_is_left() -> None:
    support = FakeSupport(
        orders=[
            order(
                "ORD-5",
                amount="49.00",
                status="refunded",
                refunded_amount="49.00",
                refundable_amount="0.00",
                description="Desk lamp",
            )
        ]
    )
    text = ticket_text(category="refund", subject="Refund ORD-5", body="Please refund ORD-5.")
    run_offline(text, support)
    [reply] = said(support, "reply_to_customer")
    assert support.called("issue_refund") == []
    assert "$49.00" in reply and "$0.00" not in reply
    assert "already been refunded" in reply


def bug(body: str) -> str:
    support = FakeSupport()
    run_offline(ticket_text(category="bug_report", subject="Export broken", body=body), support)
    return said(support, "reply_to_customer")[0]


def test_a_bug_report_is_thanked_only_for_the_details_it_gives() -> None:
    # a report with no device, browser or version: none is mentioned
    reply = bug("The app crashes when I open the export page. Please fix the app.")
    assert "device" not in reply and "version" not in reply and "where it happens" not in reply
    # a report naming them: quoted as given
    reply = bug("Steps:\n1. Open Reports\n2. Export\n\nSafari 17.4 on macOS 14.")
    assert "the steps and where it happens (Safari 17.4, macOS 14)" in reply


def test_a_late_order_written_in_spanish_is_checked_and_handed_to_a_person() -> None:
    support = with_demo_knowledge(
        FakeSupport(
            orders=[
                order(
                    "ORD-3",
                    status="shipped",
                    charged_at=iso(20),
                    shipped_at=iso(19),
                    expected_delivery=iso(14)[:10],
                    description="Silla de oficina",
                )
            ]
        )
    )
    body = (
        "Hola, mi pedido ORD-3 todavía no ha llegado y ya pasaron dos semanas. ¿Dónde está mi"
        " pedido? Gracias."
    )
    run_offline(ticket_text(category="shipping", subject="Pedido ORD-3", body=body), support)
    # then no reply in a language the model cannot write, no action, and a note saying why
    assert support.called("reply_to_customer") == []
    [note] = said(support, "add_internal_note")
    assert "Spanish" in note and "no reply" in note
    assert "ORD-3" in note and "business days late" in note
    assert [a["status"] for a in support.called("set_ticket_status")] == ["open"]
    skipped = [a for a in support.called("set_todo_status") if a["status"] == "skipped"]
    assert skipped, "the reply to-do is skipped, not marked done"


def test_english_with_a_foreign_name_is_still_answered() -> None:
    support = with_demo_knowledge(
        FakeSupport(orders=[order("ORD-6", status="paid", charged_at=iso(1))])
    )
    body = "Please send ORD-6 to my new address:\n\nCalle de la Paz 12, 3B\nMadrid 28012\n"
    run_offline(ticket_text(category="shipping", subject="Address", body=body), support)
    assert "Calle de la Paz 12, 3B" in said(support, "reply_to_customer")[0]


def test_time_limits_in_a_reply_come_from_the_knowledge_base_read() -> None:
    cancelled = order("ORD-5", status="cancelled", charged_at=iso(3))
    text = ticket_text(category="refund", subject="ORD-5", body="I cancelled ORD-5, money gone.")
    # with the demo runbook, which says how long a pending amount takes to clear
    support = with_demo_knowledge(FakeSupport(orders=[cancelled]))
    run_offline(text, support)
    assert "within 5-10 business days" in said(support, "reply_to_customer")[0]
    # with a runbook that does not say it, no time is promised
    support = FakeSupport(orders=[cancelled])
    run_offline(text, support)
    reply = said(support, "reply_to_customer")[0]
    assert "never captured" in reply and "business days" not in reply
