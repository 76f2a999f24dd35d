"""The offline model: a rule-based support agent behind the Agents SDK's ``Model`` interface,
for running without an AI provider. Pure Python (no Django): it reads only the conversation
the SDK hands it, so every fact it states comes from a tool result in that conversation.

- ``model``, ``turn``, ``stream``: the SDK adapter (one decided turn as Responses API items
  and stream events).
- ``engine``: the stages of a ticket run; ``followup``: staff follow-ups and free-text tasks.
- ``categories/``: one module per ticket category (plan, knowledge, analysis, replies),
  registered in ``categories.CATEGORIES``; ``category`` is what a category provides.
- Shared pieces: ``transcript`` (the conversation read into tool exchanges), ``facts`` (what
  the tool results say), ``checks`` (no account, another customer's order, another language),
  ``refunds`` and ``refund_policy`` (refunds for billing and refund tickets), ``knowledge``
  (which article answers), ``letters`` (reply formats, facts quoted from what was read),
  ``language``, ``todos``, ``types``.
"""

from tasks.agents.providers.offline.model import OfflineSupportModel

__all__ = ["OfflineSupportModel"]
