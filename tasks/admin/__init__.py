"""Django admin for tickets, agent work, approvals and API tokens (one module per concern)."""

from tasks.admin import approvals, tickets, tokens, work

__all__ = ["approvals", "tickets", "tokens", "work"]
