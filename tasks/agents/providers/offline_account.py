"""Account access tickets: what the customer needs (password reset, a lost 2FA device, a reset
email that never arrives, an app problem, a team-wide SSO lockout, an email change) and what
the account security policy requires before anything changes."""

from __future__ import annotations

import re

from tasks.agents.providers.offline_facts import Facts
from tasks.agents.providers.offline_letters import Wrapup, letter
from tasks.agents.providers.offline_types import Findings

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
RESET_STEPS = (
    '1. Go to the sign-in page and choose "Forgot password".\n'
    "2. Enter the email address on your account; we'll send a reset link.\n"
    "3. Open the link and choose a new password."
)


def analyze_account(facts: Facts) -> Findings:
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


def account_wrapup(findings: Findings, facts: Facts) -> Wrapup | None:
    if findings.kind == "account_sso":
        text = (
            "I'm sorry — a whole-team lockout is urgent, so I've escalated it to our on-call"
            " engineer, who will contact you as a priority. It would help them to know which"
            " identity provider settings changed, if you have them to hand."
        )
        note = "URGENT: whole-team SSO lockout. Page the on-call engineer (escalation contacts)."
        return Wrapup(letter(facts, text), note, "open", "SSO lockout escalated to on-call; open")
    if findings.kind != "account_access":
        return None
    flags, on_file = findings.data, str(facts.customer.get("email") or "")
    parts: list[str] = []
    if flags["two_factor"]:
        parts.append(
            "For your security we reset two-factor authentication only through a secure link"
            " sent to the email address on your account (valid for 30 minutes). Open it, sign in"
            " with your password and set up the authenticator app on your new phone. We never"
            " read out or disable codes by hand."
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
            "Since this happens in the app, please update it to the latest version and sign out"
            " and in again. If it still happens, reply with your device and app version and I'll"
            " pass it to our engineers."
        )
    if flags["lockout"] and not parts and not flags["email_change"]:
        parts.append(f"Here's how to reset your password:\n{RESET_STEPS}")
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
    return Wrapup(letter(facts, *parts), note, "pending", summary + "; pending")
