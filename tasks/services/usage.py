"""Token usage and cost of a task, from the price table in settings (USD per 1M tokens)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

MILLION = Decimal(1_000_000)
COST_PLACES = Decimal("0.000001")


def model_price(model_name: str) -> tuple[Decimal, Decimal] | None:
    """(input, output) USD per 1M tokens, or None for a model missing from the table."""
    prices = settings.MODEL_PRICES
    if model_name in prices:
        return prices[model_name]
    # Dated snapshots ("gpt-5-mini-2025-08-07") cost what their family costs.
    family = max(
        (name for name in prices if model_name.startswith(name + "-")), default="", key=len
    )
    return prices.get(family)


def usage_cost(*, model_name: str, input_tokens: int, output_tokens: int) -> Decimal:
    """The cost in USD (0 for an unknown model; the UI says the price is unknown)."""
    price = model_price(model_name)
    if price is None:
        return Decimal(0)
    cost = (Decimal(input_tokens) * price[0] + Decimal(output_tokens) * price[1]) / MILLION
    return cost.quantize(COST_PLACES)
