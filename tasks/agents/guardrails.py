"""Input guardrails over what a customer wrote (the ticket and its later messages), run before
each run of a task. Rule-based, so they work offline: text that tries to instruct the agent
(prompt injection) takes the money tools away from the run and marks the task for a person's
review; the run itself goes on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

INJECTION_GUARDRAIL = "prompt_injection"
INJECTION = re.compile(
    r"ignore (?:all |any |your |the )?(?:previous|prior|above|earlier|other) instructions"
    r"|disregard (?:all |any |your |the )?(?:previous|prior|above|earlier) (?:instructions|rules)"
    r"|new instructions from (?:your|the) (?:developers?|admins?|system|company|team)"
    r"|system message|(?:^|\n)\s*(?:system|assistant)\s*:"
    r"|authori[sz]ed override|developer mode|you are now|pre-?approved|already approved"
    r"|do not (?:ask|escalate|verify)|without (?:asking|approval|verification)",
    re.IGNORECASE,
)
EXCERPT_CHARS = 120


@dataclass(frozen=True)
class GuardrailFinding:
    guardrail: str
    reason: str


def injection_check(texts: Iterable[tuple[str, str]]) -> GuardrailFinding | None:
    """The first text (``(where, text)``) that tries to instruct the agent, if any."""
    for where, text in texts:
        match = INJECTION.search(text or "")
        if match is None:
            continue
        start = max(0, match.start() - 30)
        excerpt = " ".join(text[start : match.end() + 60].split())[:EXCERPT_CHARS]
        return GuardrailFinding(
            INJECTION_GUARDRAIL,
            f"The {where} tries to instruct the agent (\u201c{excerpt}\u201d): the run goes on"
            " without the money tools, and a person should review the task.",
        )
    return None
