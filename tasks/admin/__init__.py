"""Django admin for tickets, agent work, approvals, API tokens and the business systems the
agent acts on (one module per concern)."""

from tasks.admin import approvals, business, tickets, tokens, work

__all__ = ["approvals", "business", "tickets", "tokens", "work"]
