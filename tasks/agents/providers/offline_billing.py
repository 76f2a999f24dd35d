"""Billing questions that need no refund: plan changes, cancellations, payment worries and price
questions, answered from the customer's charges and the subscription billing policy."""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from typing import Any

from tasks.agents.providers.offline_facts import Facts, day, money, parse_when
from tasks.agents.providers.offline_letters import Wrapup, letter, order_line
from tasks.agents.providers.offline_types import Findings

CANCEL = re.compile(r"\bcancel\w*\b", re.I)
PLAN_CHANGE = re.compile(
    r"\b(upgrad\w*|downgrad\w*|prorat\w*|switch\w* (?:to|plan)|change plan)", re.I
)
PAYMENT = re.compile(r"\b(declined|card|expired|payment failed|failed payment|scam)\b", re.I)
PRICE = re.compile(
    r"\b(jump\w*|price increase|more than|went up|higher|why (?:was|am|is|did))", re.I
)
PLAN_NAMES = ("starter", "pro", "business")


def _next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _charges(facts: Facts) -> list[dict[str, Any]]:
    return [o for o in facts.orders if o.get("kind") == "subscription"]


def _prices(facts: Facts) -> dict[str, str]:
    # Prices come only from the billing policy the agent read: never quote one it did not see.
    policy = facts.policy("subscription", "billing") or {}
    rules = policy.get("rules") if isinstance(policy.get("rules"), dict) else {}
    prices = (rules or {}).get("prices")
    return {str(k): str(v) for k, v in prices.items()} if isinstance(prices, dict) else {}


def analyze_billing_question(facts: Facts) -> Findings | None:
    """A billing ticket with no duplicate charge: which question is it?"""
    text = facts.customer_text
    charges = _charges(facts)
    latest = charges[0] if charges else None
    charged = parse_when(latest.get("charged_at")) if latest else None
    data: dict[str, Any] = {
        "latest": latest,
        "charges": charges[:4],
        "next_billing": _next_month(charged) if charged else None,
        "prices": _prices(facts),
        "plan": str(facts.customer.get("plan") or ""),
    }
    if CANCEL.search(text):
        return Findings(
            "billing_cancel",
            "A cancellation: it takes effect at the next billing"
            " date, access until then, no refund for the partial month.",
            data=data,
        )
    if PLAN_CHANGE.search(text):
        wanted = [p for p in PLAN_NAMES if re.search(rf"\b{p}\b", text, re.I) and p != data["plan"]]
        data["target"] = wanted[0] if wanted else ""
        return Findings(
            "billing_plan_change",
            "A plan change question: upgrades are prorated,"
            " downgrades start at the next billing date.",
            data=data,
        )
    if PAYMENT.search(text) and latest is not None:
        return Findings(
            "billing_payment",
            f"Payment worry: the latest charge {latest['number']}"
            f" is {latest.get('status')}; reassure, never ask for card details.",
            data=data,
        )
    if PRICE.search(text) and latest is not None:
        return Findings(
            "billing_price",
            "A price question: explain the charges from the plan prices.",
            data=data,
        )
    return None


def _plan_price(data: dict[str, Any], plan: str) -> str:
    """The plan's monthly price from the policy, or "" when the policy did not give it."""
    price = data["prices"].get(plan)
    return money(price) if price else ""


def billing_question_wrapup(findings: Findings, facts: Facts) -> Wrapup | None:
    data, kind = findings.data, findings.kind
    if kind not in {"billing_cancel", "billing_plan_change", "billing_payment", "billing_price"}:
        return None
    next_date = day(data["next_billing"].isoformat()) if data.get("next_billing") else "your next"
    plan = data.get("plan") or "current"
    if kind == "billing_cancel":
        text = (
            f"I've passed your cancellation to our billing team. It takes effect at the end of the"
            f" current billing period ({next_date}): you keep full access until then, and no"
            " further charges will be made. There's no refund for the partial month, and your"
            " floor plans and data stay available on the Free plan."
        )
        note = f"Cancel the {plan} subscription at period end ({next_date}); confirmed in writing."
        return Wrapup(letter(facts, text), note, "open", f"cancellation at {next_date} confirmed")
    if kind == "billing_plan_change":
        target = data.get("target") or ""
        known = _plan_price(data, target) if target else ""
        price = f" ({known} per month)" if known else ""
        text = (
            f"Good question! An upgrade{' to ' + target.title() if target else ''}{price} is"
            " prorated: today you pay only the difference for the rest of the current billing"
            f" period, and from your next billing date ({next_date}) the full new price."
            " Downgrades take effect at the next billing date, with no refund for the partial"
            " month. You can change plan any time under Billing in your account."
        )
        return Wrapup(
            letter(facts, text),
            "Explained proration of plan changes.",
            "solved",
            "explained plan-change billing; solved",
        )
    latest = data["latest"]
    amount = money(latest.get("amount"), str(latest.get("currency") or "USD"))
    if kind == "billing_payment":
        text = (
            f"I checked your account: your latest charge, {latest['number']} on"
            f" {day(latest.get('charged_at'))} for {amount}, went through and your subscription"
            " is active, so there's nothing you need to do. We never ask for card details by"
            " email or phone; if you'd like to update your card, do it under Billing in your"
            " account."
        )
        return Wrapup(
            letter(facts, text),
            f"Latest charge {latest['number']} paid; no failed"
            " payment on our side. Reassured the customer.",
            "solved",
            "payment status confirmed; solved",
        )
    lines = "\n".join(order_line(o) for o in data["charges"])
    prices = ", ".join(
        f"{p.title()} {_plan_price(data, p)}" for p in PLAN_NAMES if _plan_price(data, p)
    )
    price_line = f"Our monthly prices are {prices}. " if prices else ""
    text = (
        f"Here are your recent subscription charges:\n{lines}\n\n{price_line}Your account is"
        f" on the {plan.title()} plan, so {amount} is the regular price for it. If you expected"
        " a different plan, reply and I'll look into when it changed."
    )
    return Wrapup(
        letter(facts, text),
        f"Explained the {amount} charges from the plan prices.",
        "pending",
        "explained the charges; pending",
    )
