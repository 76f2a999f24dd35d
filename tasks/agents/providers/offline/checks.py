"""The checks every ticket gets before its category reads it, and their replies: no customer
account, an order that is not the customer's (a typo, or someone pushing to act on another
person's order), no order to go on, and a ticket in a language the offline model cannot write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tasks.agents.providers.offline.facts import Facts
from tasks.agents.providers.offline.language import language_of
from tasks.agents.providers.offline.letters import letter
from tasks.agents.providers.offline.types import Findings, Wrapup

# With an order that is not on the customer's account, these suggest someone is trying to get
# another person's order refunded or disclosed.
SOCIAL_ENGINEERING = re.compile(
    r"on behalf of|my (?:friend|wife|husband|boss|colleague|partner|brother|sister|mother|father|"
    r"son|daughter|client|employee)|another (?:account|customer|person)|someone else|"
    r"not my account|different (?:account|email)|(?:his|her|their) (?:account|order)|"
    r"account (?:holder|owner)|works for me|i am (?:the|an|a) \w*\s?(?:admin|administrator|"
    r"owner|ceo|manager|director)|ignore (?:all |any |your )?(?:previous|prior|above) "
    r"instructions|override|bypass|already approved|do not (?:ask|escalate)",
    re.IGNORECASE,
)
HANDOVER = "language_handover"
# The customer has chosen a refund (not one remedy among others): "please refund me", "I want my
# money back", "I don't want it anymore".
CHOSE_REFUND = re.compile(
    r"\b(please refund( me)?|refund me|(want|like) (a|my) (full )?refund|money back"
    r"|(don'?t|do not|no longer) (want|need) (it|them|this)( anymore| any more)?)\b",
    re.IGNORECASE,
)
# ... unless they leave the choice to us ("a replacement or a refund, either is fine").
OTHER_REMEDY = re.compile(r"\b(replacement|replace it|either|exchange)\b", re.IGNORECASE)


def chose_refund(text: str) -> bool:
    """Whether the customer asks for a refund and nothing else."""
    return bool(CHOSE_REFUND.search(text)) and not OTHER_REMEDY.search(text)


def no_customer_findings(facts: Facts) -> Findings | None:
    if facts.ticket is not None and not facts.customer and facts.customer_error:
        return Findings(
            "no_customer",
            "The ticket has no known customer account: ask for the account email; act on nothing.",
        )
    return None


def foreign_order_findings(facts: Facts) -> Findings | None:
    """An order the text names that the tools say is not this customer's: never act on it."""
    missing = [n for n in facts.mentioned_orders if n in facts.fetch_errors]
    if not missing:
        return None
    owned = [n for n in facts.mentioned_orders if n in facts.fetched]
    suspicious = bool(SOCIAL_ENGINEERING.search(facts.customer_text))
    if owned and not suspicious:
        return None
    named = ", ".join(missing)
    if suspicious:
        return Findings(
            "suspected_social_engineering",
            f"{named} is not on this customer's account and the text pushes to act on someone"
            " else's order without verification: a likely social-engineering attempt. Refuse,"
            " disclose nothing about that order, flag it internally.",
            data={"missing": missing},
        )
    return Findings(
        "order_not_found",
        f"{named} is not on this customer's account: ask them to check the number; no action.",
        data={"missing": missing},
    )


def account_findings(facts: Facts) -> Findings | None:
    """What stops a ticket before its category reads it: no account, or a foreign order."""
    return no_customer_findings(facts) or foreign_order_findings(facts)


def no_order_findings(what: str) -> Findings:
    return Findings("no_order", f"No order found for this {what}; ask which one.")


def target_order(facts: Facts, prefer: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The order the ticket is about: one it names, else one whose description it mentions,
    else the newest order matching ``prefer``, else the newest order."""
    for number in facts.mentioned_orders:
        if number in facts.fetched:
            return facts.fetched[number]
    text = facts.customer_text.lower()
    for order in facts.orders:
        words = [w for w in str(order.get("description", "")).lower().split() if len(w) > 3]
        if words and sum(w in text for w in words) >= min(2, len(words)):
            return order
    preferred = [o for o in facts.orders if prefer(o)]
    if preferred:
        return preferred[0]
    return facts.orders[0] if facts.orders else None


def language_handover(facts: Facts, findings: Findings) -> Findings | None:
    """A ticket not written in English: the facts the tools gave stay in the note, but no
    action is taken and no reply is written (the offline model writes English only and
    cannot be sure what was asked): a person takes it over."""
    language = language_of(facts.customer_text)
    if language == "English":
        return None
    return Findings(
        HANDOVER,
        f"The customer wrote in {language}, which the offline model cannot write (and reads"
        " only partly): no reply and no action; a person should answer. What the tools showed:"
        f" {findings.conclusion}",
        data={"language": language, "findings": findings},
    )


def _refusal(findings: Findings, facts: Facts) -> Wrapup:
    missing = ", ".join(findings.data["missing"])
    suspected = findings.kind == "suspected_social_engineering"
    note = (
        f"Suspected social-engineering attempt: the request asks us to act on {missing}, which"
        " is not on this customer's account. Refused; nothing about that order disclosed."
        if suspected
        else f"{missing} is not on this customer's account (typo?). Asked them to check."
    )
    reply = letter(
        facts,
        f"I couldn't find order {missing} on your account, so I'm not able to make any changes"
        " to it. For your security, we can only discuss or change an order with its account"
        " holder, writing from the email address on that account.",
        "If the order is yours, please reply with the order number exactly as it appears on your"
        " confirmation email.",
    )
    return Wrapup(reply, note, "pending", f"refused to act on {missing}; noted it, pending")


def check_wrapup(findings: Findings, facts: Facts) -> Wrapup | None:
    """The wrap-up for the findings of these checks (None for a category's own findings)."""
    kind = findings.kind
    if kind in {"suspected_social_engineering", "order_not_found"}:
        return _refusal(findings, facts)
    if kind == "no_customer":
        text = (
            "Thanks for getting in touch. I couldn't match your email to an account — could you"
            " reply with the email address or username you signed up with?"
        )
        return Wrapup(
            letter(facts, text),
            "No customer account matched; asked for the account email.",
            "pending",
            "asked for the account email; pending",
        )
    if kind == "no_order":
        text = (
            "Could you tell me the order number this is about? You'll find it in your"
            " confirmation email."
        )
        return Wrapup(
            letter(facts, text),
            "No matching order found; asked which order.",
            "pending",
            "asked for the order number; pending",
        )
    if kind == HANDOVER:
        language = findings.data["language"]
        return Wrapup(
            None,
            f"Needs a person: the customer wrote in {language}. The offline model writes"
            " English only, so it sent no reply and took no action. "
            + findings.conclusion.split("What the tools showed: ", 1)[-1],
            "open",
            f"written in {language}: facts noted for a person, no reply sent; open",
            (
                "team_leads",
                f"Written in {language}, which the offline model cannot answer in: a person"
                " replies. The facts it checked are in the internal note.",
            ),
        )
    return None
