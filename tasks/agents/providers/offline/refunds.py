"""Refunds, shared by the billing and refund categories: which refunds the policy allows (one
``issue_refund`` each, each with an approval of its own), and the reply once every refund has an
outcome: made, rejected by the approver, refused by the tool, already pending elsewhere, or not
asked for because the policy (as read) does not allow it.

Every amount, date and order in the reply comes from a tool result; an order is described by
its own price, and the refund by the amount actually refunded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks.agents.providers.offline.facts import Facts, day, money, period_name, plural
from tasks.agents.providers.offline.letters import cur, letter, stated
from tasks.agents.providers.offline.refund_policy import DuplicateCharge, RefundCheck, check_refund
from tasks.agents.providers.offline.types import Findings, Outcome, Outcomes, PlannedCall, Wrapup

REFUND_TOOL = "issue_refund"
# What the refund policy says about where the money goes, quoted when the agent read it.
PAYMENT_METHOD = r"(refunds? go(?:es)? back to the original payment method)"
TEAM_LEAD_WAIT = r"follow up within (\d+ business days?)"


@dataclass(frozen=True)
class RefundItem:
    """One order the findings would refund, with the policy check made before asking."""

    order: dict[str, Any]
    check: RefundCheck
    reason: str

    @property
    def number(self) -> str:
        return str(self.order["number"])

    @property
    def price(self) -> str:
        """What the order cost (never what is left of it)."""
        return money(self.order.get("amount"), cur(self.order))

    @property
    def amount(self) -> str:
        """The refund: what remains refundable, as the policy check computed it."""
        return money(self.check.amount, cur(self.order))

    @property
    def call(self) -> PlannedCall | None:
        if not self.check.allowed:
            return None
        return PlannedCall(
            REFUND_TOOL,
            {
                "order_number": self.number,
                "amount": f"{self.check.amount:.2f}",
                "reason": self.reason,
            },
        )

    def justification(self) -> str:
        """Why the policy allows or blocks it, for the reasoning summary and the note."""
        check, currency = self.check, cur(self.order)
        if check.allowed:
            return (
                f"{self.number} was charged {plural(check.days, 'day')} before the request,"
                f" inside the {check.window_days}-day window and under the"
                f" {money(check.limit, currency)} limit: refund {self.amount} (needs approval)."
            )
        why = {
            "no_policy": "the refund policy could not be read, so a person must decide",
            "already_refunded": "it has already been refunded",
            "status": f"its status '{self.order.get('status')}' is not refundable under the policy",
            "outside_window": f"it was charged {plural(check.days, 'day')} before the request,"
            f" outside the {check.window_days}-day refund window",
            "above_limit": f"{self.amount} is above the agent limit of"
            f" {money(check.limit, currency)}: a team lead must review it",
        }[check.reason]
        return f"No refund on {self.number}: {why}."


def refund_item(facts: Facts, order: dict[str, Any], reason: str) -> RefundItem:
    return RefundItem(order, check_refund(facts, order), reason)


def refund_findings(kind: str, items: list[RefundItem], head: str = "", **data: Any) -> Findings:
    """Findings that refund every allowed item (one call each) and explain the others."""
    calls = tuple(call for item in items if (call := item.call) is not None)
    conclusion = " ".join([head, *(item.justification() for item in items)]).strip()
    return Findings(kind, conclusion, calls, {"items": items, "head": head, **data})


# --- the reply ----------------------------------------------------------------------------


def _state(item: RefundItem, outcomes: Outcomes) -> str:
    """done | rejected | pending_elsewhere | refused | not_asked:<policy reason>."""
    call = item.call
    outcome = outcomes.get(call.key, Outcome("none", {})) if call else Outcome("none", {})
    if call is None or outcome.state == "none":
        return f"not_asked:{item.check.reason}"
    if outcome.state == "refused" and "approval_id" in outcome.result:
        # Another task already asked for this charge: "being reviewed", not "no".
        return "pending_elsewhere"
    return outcome.state


def _what(item: RefundItem, duplicate: DuplicateCharge | None) -> str:
    if duplicate is not None:
        return f"the duplicate {period_name(duplicate.period)} charge {item.number}"
    return f"order {item.number} ({item.order.get('description', 'your order')})"


def _found(items: list[RefundItem], duplicates: list[DuplicateCharge]) -> list[str]:
    """What the tools showed, in full: every charge of each duplicated period."""
    if not duplicates:
        return [
            f"I looked at order {i.number} ({i.order.get('description', '')}, {i.price}, charged"
            f" {day(i.order.get('charged_at'))})."
            for i in items
        ]
    lines = []
    for group in duplicates:
        charges = group.charges
        listed = join_words([f"{o['number']} on {day(o.get('charged_at'))}" for o in charges])
        extra = [o["number"] for o in charges if o is not group.original]
        dupes = (
            f"The {'second' if len(charges) == 2 else 'later'} one is a duplicate."
            if len(extra) == 1
            else f"{join_words(extra)} are duplicates of {group.original['number']}."
        )
        lines.append(
            f"I checked your account and found {_count(len(charges))} subscription charges of"
            f" {money(group.amount, group.currency)} for {period_name(group.period)}: {listed}."
            f" {dupes}"
        )
    return lines


def _count(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" and {words[-1]}"


def _blocked_text(item: RefundItem, what: str, facts: Facts) -> tuple[str, str]:
    """(reply sentence, status) for a refund the policy as read does not allow."""
    check = item.check
    if check.reason == "outside_window":
        warranty = "warranty" in str(facts.runbook.get("body", "")).lower()
        return (
            f"Our refund policy covers orders charged within the last {check.window_days} days,"
            f" and {what} falls outside that window, so I'm not able to refund it. "
            + (
                "The good news is that it's covered by our hardware warranty: if it's faulty,"
                " we'll repair or replace it. Just reply and I'll set that up."
                if warranty
                else "If it isn't working as it should, reply and we'll help troubleshoot it."
            ),
            "solved",
        )
    if check.reason == "above_limit":
        wait = stated(facts, TEAM_LEAD_WAIT)
        return (
            f"A refund of {item.amount} for {what} is more than I can approve myself, so I've"
            " passed your request to a team lead, who will review it and get back to you"
            + (f" within {wait}." if wait else "."),
            "pending",
        )
    if check.reason == "already_refunded":
        return f"{what[0].upper()}{what[1:]} has already been refunded.", "solved"
    if check.reason == "status":
        status = str(item.order.get("status")).replace("_", " ")
        return (
            f"{what[0].upper()}{what[1:]} is currently {status}, which our refund policy doesn't"
            " cover, so I've asked a colleague to look at your case.",
            "pending",
        )
    return (
        "I've passed your request to a colleague who will review it and get back to you.",
        "open",
    )


def refund_wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    """The reply and note once each refund of the findings has its outcome."""
    items: list[RefundItem] = findings.data["items"]
    duplicates: list[DuplicateCharge] = findings.data.get("duplicates") or []
    by_order = {o["number"]: d for d in duplicates for o in d.charges}
    paragraphs = _found(items, duplicates)
    notes: list[str] = []
    statuses: list[str] = []
    done: list[str] = []
    escalations: list[tuple[str, str]] = []
    for item in items:
        state, what = _state(item, outcomes), _what(item, by_order.get(item.number))
        call = item.call
        outcome = outcomes.get(call.key) if call else None
        if state == "done":
            refund = (outcome.result.get("refund") if outcome else None) or {}
            paragraphs.append(f"I've refunded {item.amount} for {what}.")
            notes.append(
                f"Refund #{refund.get('id', '?')} of {item.amount} on {item.number} executed"
                f" after approval (order now {refund.get('order_status', 'refunded')})."
            )
            statuses.append("solved")
            done.append(f"refunded {item.amount} on {item.number}")
        elif state == "rejected":
            paragraphs.append(
                f"After review, we're not able to refund {what} at this time. I've passed your"
                " request to our billing team, who will follow up with you directly about the"
                " options available."
            )
            notes.append(
                f"Refund of {item.amount} on {item.number} was not approved. Approver's"
                f" response: {(outcome.message if outcome else '') or 'no note given'}. Customer"
                " told we cannot refund it now; billing team to follow up."
            )
            statuses.append("pending")
            done.append(f"the approver rejected the refund of {item.amount} on {item.number}")
            escalations.append(
                (
                    "billing",
                    f"The refund of {item.amount} on {item.number} was not approved; the customer"
                    " was told billing will follow up with the options.",
                )
            )
        elif state == "pending_elsewhere":
            paragraphs.append(
                f"A refund request for {what} is already with our team for review, so I haven't"
                " opened a second one. You'll hear from us as soon as it's decided."
            )
            notes.append(
                f"Did not ask for a refund of {item.amount} on {item.number}: another request on"
                " this order is already waiting for an approver's decision. Customer told it is"
                " under review."
            )
            statuses.append("pending")
            done.append(f"a refund on {item.number} is already pending a decision")
        elif state == "refused":
            paragraphs.append(
                f"Unfortunately I can't refund {what} under our refund policy. I've asked a"
                " colleague to review your case and we'll get back to you with the options."
            )
            notes.append(
                f"Tried to refund {item.amount} on {item.number}; the refund tool refused:"
                f" {outcome.message if outcome else ''} Needs a person to review."
            )
            statuses.append("pending")
            done.append(f"the refund tool refused the refund on {item.number}")
            escalations.append(
                (
                    "team_leads",
                    f"The refund tool refused a refund of {item.amount} on {item.number}:"
                    f" {outcome.message if outcome else ''}",
                )
            )
        else:
            text, status = _blocked_text(item, what, facts)
            paragraphs.append(text)
            notes.append(
                f"Team lead review needed: a refund of {item.amount} on {item.number} is above"
                f" the agent limit of {money(item.check.limit, cur(item.order))}. No refund"
                " issued; please decide."
                if item.check.reason == "above_limit"
                else item.justification()
            )
            statuses.append(status)
            done.append(f"no refund on {item.number} ({item.check.reason.replace('_', ' ')})")
            if item.check.reason == "above_limit":
                escalations.append(
                    (
                        "team_leads",
                        f"Refund of {item.amount} on {item.number} asked for; above the agent"
                        f" limit of {money(item.check.limit, cur(item.order))}. Nothing refunded.",
                    )
                )
            elif status != "solved":
                escalations.append(("team_leads", item.justification()))
    if any(s == "solved" for s in statuses) and stated(facts, PAYMENT_METHOD):
        paragraphs.append("The money goes back to the original payment method.")
    if "solved" in statuses and all(s == "solved" for s in statuses):
        paragraphs.append("Sorry for the trouble, and thank you for letting us know.")
    status = "open" if "open" in statuses else "pending" if "pending" in statuses else "solved"
    if findings.data.get("head"):
        notes.insert(0, findings.data["head"])
    # What the agent may not decide goes to people: a refund above its limit or that the
    # policy's other checks stop goes to the team leads; a rejected one to billing.
    escalate = None
    if escalations:
        queue = "team_leads" if any(q == "team_leads" for q, _ in escalations) else "billing"
        escalate = (queue, " ".join(reason for _, reason in escalations))
        status = "open"
    return Wrapup(
        letter(facts, *paragraphs),
        " ".join(notes),
        status,
        "; ".join(done)
        + (f"; handed to {queue.replace('_', ' ')}" if escalate else "")
        + f"; replied, noted and set to {status}",
        escalate,
    )
