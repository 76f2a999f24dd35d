"""Account access tickets: what the customer needs (password reset, a lost 2FA device, a reset
email that never arrives, an app problem, a team-wide SSO lockout, an email change) and what
the account security policy requires before anything changes."""

from __future__ import annotations

import re

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.facts import Facts
from tasks.agents.providers.offline.letters import letter, stated
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

EMAIL_CHANGE = re.compile(r"chang\w*\b[^.?!\n]{0,40}\be-?mail|new e-?mail address", re.I)
TWO_FACTOR = re.compile(r"2fa|two[- ]factor|authenticator|6-digit code|verification code", re.I)
SSO = re.compile(
    r"\b(sso|saml|single sign-on|azure ad|okta|whole team|none of our|all of our)\b", re.I
)
RESET_MISSING = re.compile(
    r"(?:reset|password)\b[^.!?\n]*\b(?:never|no|not|didn'?t)\b[^.!?\n]*\b(?:arriv\w*|email|come)"
    r"|no email|never arrives?|didn'?t (?:get|receive)",
    re.I,
)
APP = re.compile(r"\b(ios|iphone|ipad|android|mobile app|the app)\b", re.I)
LOCKOUT = re.compile(
    r"locked out|can'?t (?:log|sign)|cannot (?:log|sign)|forgot|password|log ?in", re.I
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
POLICY_SEARCH = "account security two-factor email change verification"
LINK_VALID = r"\(valid (\d+ minutes)\)"


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [PlannedCall("search_policies", {"query": POLICY_SEARCH})]


def analyze(facts: Facts) -> Findings:
    text = facts.customer_text
    flags = {
        "sso": bool(SSO.search(text)),
        "two_factor": bool(TWO_FACTOR.search(text)),
        "reset_missing": bool(RESET_MISSING.search(text)),
        "app": bool(APP.search(text)),
        "email_change": bool(EMAIL_CHANGE.search(text)),
        "lockout": bool(LOCKOUT.search(text)),
    }
    if flags["sso"]:
        return Findings(
            "account_sso",
            "A whole-team SSO lockout: urgent, escalate to the on-call engineer (runbook).",
            data=flags,
        )
    needs = [
        ("two_factor", "send the 2FA reset through the secure link to the email on file"),
        ("reset_missing", "help with the missing reset email (spam, allowlist, resend)"),
        ("app", "treat it as an app problem (update, sign in again)"),
        ("email_change", "hold the email change until identity is verified"),
    ]
    steps = [what for flag, what in needs if flags[flag]] or ["send the password-reset steps"]
    return Findings("account_access", "Account access: " + "; ".join(steps) + ".", data=flags)


def _noreply(facts: Facts) -> str:
    body = str(facts.runbook.get("body", ""))
    match = re.search(r"allowlist\s+([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", body, re.I)
    return match.group(1) if match else "our no-reply address"


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    if findings.kind == "account_sso":
        text = (
            "I'm sorry — a whole-team lockout is urgent, so I've flagged it for our on-call"
            " engineer. It would help them to know which identity provider settings changed,"
            " if you have them to hand."
        )
        note = "URGENT: whole-team SSO lockout. Page the on-call engineer (escalation contacts)."
        return Wrapup(
            letter(facts, text),
            note,
            "open",
            "SSO lockout flagged for on-call; open",
            ("technical", "Whole-team SSO lockout: urgent, for the on-call engineer."),
        )
    flags, on_file = findings.data, str(facts.customer.get("email") or "")
    parts: list[str] = []
    if flags["two_factor"]:
        valid = stated(facts, LINK_VALID)
        parts.append(
            "For your security we reset two-factor authentication only through a secure link"
            " sent to the email address on your account"
            + (f" (valid for {valid})" if valid else "")
            + ". Open it, sign in with your password and set up the authenticator app on your"
            " new phone. We never read out or disable codes by hand."
        )
    if flags["reset_missing"]:
        other = [e for e in EMAIL.findall(facts.customer_text) if e.lower() != on_file.lower()]
        parts.append(
            (
                "The address you mentioned isn't the one on your account: reset emails only go to"
                " the email address on file. "
                if other
                else ""
            )
            + "Please check your spam folder and add"
            f" {_noreply(facts)} to your contacts, then request the reset once more."
        )
    if flags["app"] and not (flags["two_factor"] or flags["reset_missing"]):
        parts.append(
            "Since this happens in the app, could you reply with your device and the app"
            " version? I've asked a colleague to look into it with you."
        )
    if flags["lockout"] and not parts and not flags["email_change"]:
        parts.append(
            "I've asked a colleague to send a password reset link to the email address on your"
            " account; for your security it can only go there."
        )
    if flags["email_change"]:
        parts.append(
            "About changing your login email: for your security we can only do that after"
            " verifying your identity. Please write to us from the address currently on file and"
            " tell us the date and amount of your last charge; then we'll make the change."
        )
    if flags["lockout"] or flags["two_factor"] or flags["reset_missing"]:
        parts.insert(0, "I'm sorry you're having trouble getting in — let's sort it out.")
    note = "Account access: " + findings.conclusion.removeprefix("Account access: ")
    if flags["email_change"]:
        note += " Email change NOT made: waiting for identity verification (security policy)."
    summary = "account help sent" + (
        "; email change held for verification" if flags["email_change"] else ""
    )
    status = (
        "pending"
        if flags["two_factor"] or flags["reset_missing"] or flags["email_change"]
        else "open"
    )
    return Wrapup(letter(facts, *parts), note, status, f"{summary}; {status}")


CATEGORY = Category(
    name="account_access",
    specialist="technical",
    plan=(
        LOOKUP,
        ("policy", "Read the account security policy"),
        ("investigate", "Work out what must be verified before any account change"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
)
