"""The ticket categories the offline model knows, one module each (its plan, the knowledge it
reads, its analysis and its replies), registered in one table. A category it does not know is
worked as "other"."""

from __future__ import annotations

from tasks.agents.providers.offline.categories import (
    account_access,
    billing,
    bug_report,
    damaged_item,
    how_to,
    invoice,
    other,
    refund,
    shipping,
)
from tasks.agents.providers.offline.category import Category

CATEGORIES: dict[str, Category] = {
    module.CATEGORY.name: module.CATEGORY
    for module in (
        billing,
        refund,
        shipping,
        damaged_item,
        account_access,
        bug_report,
        how_to,
        invoice,
        other,
    )
}


def category_for(name: str) -> Category:
    return CATEGORIES.get(name, CATEGORIES["other"])
