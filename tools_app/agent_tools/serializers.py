"""Compact, JSON-able views of business objects for tool results (formats in the contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tools_app.models import Article, Customer, Order


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_dict(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "kind": order.kind,
        "description": order.description,
        "amount": str(order.amount),
        "currency": order.currency,
        "status": order.status,
        "billing_period": order.billing_period,
        "charged_at": iso(order.charged_at),
        "shipped_at": iso(order.shipped_at),
        "expected_delivery": iso(order.expected_delivery),
        "delivered_at": iso(order.delivered_at),
        "refunded_amount": str(order.refunded_amount),
        "refundable_amount": str(order.refundable_amount),
    }


def customer_dict(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "username": customer.username,
        "plan": customer.plan,
        "customer_since": iso(customer.created_at),
    }


def article_dict(article: Article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "kind": article.kind,
        "title": article.title,
        "body": article.body,
        "version": article.version,
        "rules": article.rules,
    }


def excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
