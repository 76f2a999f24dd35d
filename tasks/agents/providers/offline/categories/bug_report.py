"""Bug reports: a report that matches a known-issue document gets its workaround and fix status
(engineering has it already); a new bug is written up for engineering with the customer's
steps and environment. The reply thanks the customer only for what they actually gave."""

from __future__ import annotations

import re
from typing import Any

from tasks.agents.providers.offline.category import Category
from tasks.agents.providers.offline.facts import Facts, plural
from tasks.agents.providers.offline.knowledge import (
    OWN_WRITEUP_PREFIX,
    KnownIssue,
    Purpose,
    best_article,
    search_call,
    ticket_query,
)
from tasks.agents.providers.offline.letters import letter
from tasks.agents.providers.offline.todos import LOOKUP, REPLY, WRAPUP
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import (
    Findings,
    Has,
    Outcome,
    Outcomes,
    PlannedCall,
    Wrapup,
)

WRITE_TOOL = "write_document"
STEP_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*•]|step \d+:?)\s*(.+)$", re.IGNORECASE)
# Named environments with their version when given ("Safari 17.4", "macOS", "Android 14"), and
# bare versions ("version 5.12"): what the customer told us about where it happens.
ENVIRONMENT = re.compile(
    r"\b(?:safari|chrome|chromium|firefox|edge|opera|brave|macos|mac os|windows|ios|ipados|"
    r"android|linux|ubuntu|iphone|ipad|pixel|galaxy)\b(?:\s+v?\d+(?:\.\d+)*)?"
    r"|\b(?:version|release|build|app version)\s+v?\d+(?:\.\d+)+",
    re.IGNORECASE,
)
WORKAROUND = re.compile(r"workaround|works (?:fine |ok |okay )?(?:in|on|with)\b", re.IGNORECASE)


def knowledge(facts: Facts, ticket: TicketHeader, has: Has) -> list[PlannedCall]:
    return [search_call(has, ticket_query(ticket), "document")]


def research(facts: Facts) -> Purpose | None:
    return "known_issue"


def bug_steps(text: str) -> list[str]:
    steps = [m.group(1).strip() for line in text.splitlines() if (m := STEP_LINE.match(line))]
    if steps:
        return steps[:10]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [s for s in sentences if s][:5]


def environment_of(text: str) -> list[str]:
    """The environments the report names, as written, first mention first."""
    found: list[str] = []
    for match in ENVIRONMENT.finditer(text):
        named = " ".join(match.group(0).split())
        if named.lower() not in {f.lower() for f in found}:
            found.append(named)
    return found[:4]


def analyze(facts: Facts) -> Findings:
    """A known issue gets its workaround and fix status (no new write-up: engineering has it);
    a new bug is written up for engineering with the customer's steps."""
    ticket = facts.ticket
    report = ticket.body if ticket else facts.customer_text
    steps = bug_steps(report)
    environment = environment_of(report)
    data: dict[str, Any] = {
        "steps": steps,
        "numbered": any(STEP_LINE.match(line) for line in report.splitlines()),
        "environment": environment,
    }
    known = best_article(facts, "known_issue")
    if known is not None:
        issue = KnownIssue.read(known)
        return Findings(
            "bug_known_issue",
            f"The report matches known issue {issue.issue_id} ('{issue.title}'): share its"
            " workaround and fix status, and note the issue id; no new write-up.",
            data={**data, "issue": issue},
        )
    title = f"{OWN_WRITEUP_PREFIX}{ticket.subject if ticket else 'customer report'}"[:180]
    who = (
        f"Reported in ticket #{ticket.number} by {facts.customer.get('name') or 'a customer'}"
        f" ({facts.customer.get('plan', 'unknown')} plan)."
        if ticket
        else "Reported by a customer."
    )
    environment_lines = [line.strip() for line in report.splitlines() if ENVIRONMENT.search(line)]
    body = "\n".join(
        [
            who,
            "",
            "Environment: " + (" / ".join(environment_lines[:3]) or "not given"),
            "",
            "Steps to reproduce (from the customer's report):",
            *[f"{i}. {step}" for i, step in enumerate(steps, 1)],
            "",
            "Customer's report, verbatim:",
            report[:4000],
        ]
    )
    return Findings(
        "bug_report",
        f"Bug report with {len(steps)} reproduction steps and no known issue matching it:"
        " write it up for engineering.",
        (PlannedCall(WRITE_TOOL, {"title": title, "body": body}),),
        {**data, "title": title},
    )


def _thanks(findings: Findings) -> str:
    """Thanks for the details the report really has, named as the customer gave them."""
    given = []
    if findings.data.get("numbered"):
        given.append("the steps")
    environment = findings.data.get("environment") or []
    if environment:
        given.append(f"where it happens ({', '.join(environment)})")
    if given:
        return (
            f"Thank you for the report, including {' and '.join(given)} — that makes it much"
            " easier for our engineers."
        )
    return "Thank you for the report — it helps us a lot."


def _bug(findings: Findings, facts: Facts, outcome: Outcome) -> Wrapup:
    doc = outcome.result.get("document") or {}
    steps = len(findings.data.get("steps") or [])
    if outcome.state != "done":
        return Wrapup(
            letter(
                facts,
                _thanks(findings),
                "I've passed it to a colleague, who will make sure it reaches our engineers.",
            ),
            f"Could not write the bug document ({outcome.message or 'no write-up tool'});"
            " a person should write it up for engineering.",
            "open",
            "bug write-up failed; left open for a person",
        )
    text = (
        "I've written it up for our engineering team with"
        + (" your steps to reproduce" if findings.data.get("numbered") else " the details")
        + ", and we'll let you know when there's news."
        + (
            " In the meantime, please keep using the workaround you found."
            if WORKAROUND.search(facts.customer_text)
            else ""
        )
    )
    note = (
        f"Bug written up as document '{doc.get('slug', findings.data['title'])}'"
        f" ({plural(steps, 'detail')} from the report) for engineering."
    )
    return Wrapup(
        letter(facts, _thanks(findings), text), note, "open", "bug written up for engineering; open"
    )


def _workaround(sentence: str) -> str:
    # "Workarounds: use another browser, or ..." reads on as "you can use another browser".
    if sentence[:1].islower():
        return f"Until it's fixed, you can {sentence}"
    return f"In the meantime: {sentence}"


def _known_issue(findings: Findings, facts: Facts) -> Wrapup:
    """The runbook's known-issue answer: the workaround and fix status from the document, the
    issue id in the internal note (engineering already has the bug: nothing new written)."""
    issue: KnownIssue = findings.data["issue"]
    parts = [
        _thanks(findings),
        " ".join(
            ["This is a known issue, and our engineers are already working on it.", *issue.what]
        ),
    ]
    parts += [_workaround(sentence) for sentence in issue.workaround]
    parts.append(
        " ".join([*issue.fix, "We'll let you know when the fix is out."])
        if issue.fix
        else "We'll let you know when it's fixed."
    )
    environment = ", ".join(findings.data.get("environment") or []) or "not given"
    steps = len(findings.data.get("steps") or [])
    note = (
        f"Known issue {issue.issue_id} ('{issue.title}', {issue.slug}): this customer is"
        f" affected, add them to {issue.issue_id}. Shared the documented workaround and fix"
        f" status; no new bug write-up. Report: {plural(steps, 'step')}; environment:"
        f" {environment}."
    )
    return Wrapup(
        letter(facts, *parts),
        note,
        "open",
        f"known issue {issue.issue_id}: workaround and fix status shared; open",
    )


def wrapup(findings: Findings, facts: Facts, outcomes: Outcomes) -> Wrapup:
    if findings.kind == "bug_known_issue":
        return _known_issue(findings, facts)
    [action] = findings.actions
    return _bug(findings, facts, outcomes.get(action.key, Outcome("none", {})))


CATEGORY = Category(
    name="bug_report",
    specialist="technical",
    plan=(
        LOOKUP,
        ("policy", "Read the bug-report runbook and search for a known issue"),
        ("investigate", "Extract the reproduction steps and match them to known issues"),
        ("act", "Write a bug summary for engineering (if it is not a known issue)"),
        REPLY,
        WRAPUP,
    ),
    knowledge=knowledge,
    analyze=analyze,
    wrapup=wrapup,
    research=research,
)
