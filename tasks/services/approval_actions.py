"""What an approval authorises: one exact action, stated canonically and hashed.

An action is the tool, its canonical arguments (for a refund: the order number as stored, the
amount as a two-decimal string, the reason with its whitespace collapsed), the task and the run
it was asked in. Its digest is the SHA-256 of that JSON with sorted keys. A request stores
both; execution re-derives the digest from the call it is about to run and pays only on an
exact match, so an approval can never pay for another order, another amount, another task or a
later run that happens to reuse a tool call id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

DIGEST_VERSION = 1


@dataclass(frozen=True)
class Action:
    tool_name: str
    arguments: dict[str, Any]
    task_id: int
    run_number: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "v": DIGEST_VERSION,
            "tool": self.tool_name,
            "arguments": self.arguments,
            "task": self.task_id,
            "run": self.run_number,
        }

    @property
    def digest(self) -> str:
        canonical = json.dumps(
            self.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PreparedAction:
    """A valid call ready to be put before a person: what it covers and how it reads."""

    action: Action
    summary: str
    reason: str
    # What the action touches (``order:<id>``): one pending request per subject.
    subject: str = ""
