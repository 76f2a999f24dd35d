"""Insights for team leads: what the agents came to over a date range, as figures and charts
(Chart.js served from static/vendor, drawn by static/js/insights.js from a JSON data block),
in a fixed number of queries (tasks.insights_selectors)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tasks.forms import InsightsRangeForm
from tasks.insights_selectors import MAX_DAYS, default_range, insights
from tasks.views.access import staff_required


@require_GET
@staff_required
def insights_page(request: HttpRequest) -> HttpResponse:
    default = default_range()
    form = InsightsRangeForm(
        request.GET or None,
        initial={"start": default[0], "end": default[1]},
        max_days=MAX_DAYS,
        default=default,
    )
    start, end = form.range()
    data = insights(start=start, end=end)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "tasks/insights.html",
        {"nav": "insights", "form": form, "insights": data, "chart_data": data.chart_data()},
        status=status,
    )
