"""What a team lead reads on the Insights page, over a date range, in a fixed number of
queries however many tasks the range holds (eight):

1. finished tasks by outcome (the rates), 2. finished tasks and their cost per day,
3. the tickets they worked on, 4. tasks started per hour of the day, 5. the most frequent
failure reasons, 6. time to resolution of the resolved ones, 7. approvals decided (and their
waits), 8. refunds the agents paid."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import ExtractHour, Left, TruncDate
from django.utils import timezone

from tasks.models import ApprovalRequest, Task
from tools_app.models import Refund

MAX_DAYS = 366
DEFAULT_DAYS = 14
FAILURE_REASONS = 5
REASON_CHARS = 120
Outcome = Task.Outcome
AUTO_RESOLVED = (Outcome.RESOLVED, Outcome.REFUNDED)
TO_PEOPLE = (Outcome.ESCALATED, Outcome.NEEDS_PERSON)


@dataclass
class Insights:
    start: date
    end: date
    finished: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    days: list[dict[str, Any]] = field(default_factory=list)
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    failures: list[tuple[str, int]] = field(default_factory=list)
    resolution_seconds: list[float] = field(default_factory=list)
    approvals: dict[str, int] = field(default_factory=dict)
    approval_waits: list[float] = field(default_factory=list)
    refunds_total: Decimal = Decimal("0")
    refunds_count: int = 0
    cost_total: Decimal = Decimal("0")
    tickets_worked: int = 0

    def _share(self, outcomes: tuple[str, ...]) -> float | None:
        counted = sum(self.outcomes.get(o, 0) for o in outcomes)
        return counted / self.finished if self.finished else None

    @property
    def auto_resolution_rate(self) -> float | None:
        """Finished tasks that replied to the customer or paid a refund, without a person."""
        return self._share(AUTO_RESOLVED)

    @property
    def escalation_rate(self) -> float | None:
        """Finished tasks that handed the ticket to a person or left it for one."""
        return self._share(TO_PEOPLE)

    @property
    def outcome_rows(self) -> list[tuple[str, int]]:
        return [(label, self.outcomes.get(value, 0)) for value, label in Outcome.choices]

    @property
    def median_approval_wait(self) -> float | None:
        return statistics.median(self.approval_waits) if self.approval_waits else None

    @property
    def median_resolution(self) -> float | None:
        return statistics.median(self.resolution_seconds) if self.resolution_seconds else None

    @property
    def cost_per_ticket(self) -> Decimal | None:
        return (self.cost_total / self.tickets_worked) if self.tickets_worked else None

    @property
    def tasks_per_hour(self) -> float:
        hours = ((self.end - self.start).days + 1) * 24
        return sum(self.per_hour) / hours if hours else 0.0

    def chart_data(self) -> dict[str, Any]:
        """What static/js/insights.js draws (read from a JSON script element)."""
        return {
            "days": [d["day"] for d in self.days],
            "tasks_per_day": [d["tasks"] for d in self.days],
            "cost_per_day": [float(d["cost"]) for d in self.days],
            "outcomes": {
                "labels": [label for value, label in Outcome.choices],
                "values": [self.outcomes.get(value, 0) for value, _ in Outcome.choices],
            },
            "per_hour": self.per_hour,
            "approvals": {
                "labels": ["Approved", "Rejected", "Expired"],
                "values": [
                    self.approvals.get(ApprovalRequest.Status.APPROVED, 0),
                    self.approvals.get(ApprovalRequest.Status.REJECTED, 0),
                    self.approvals.get(ApprovalRequest.Status.EXPIRED, 0),
                ],
            },
        }


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def insights(*, start: date, end: date) -> Insights:
    """Tasks that finished, approvals decided and refunds paid from ``start`` to ``end``
    (whole days, inclusive, in the site's time zone); tasks per hour by when they started."""
    since, until = _bounds(start, end)
    result = Insights(start=start, end=end)
    finished = Task.objects.filter(finished_at__gte=since, finished_at__lt=until)

    for outcome, count in finished.order_by().values_list("outcome").annotate(n=Count("id")):
        key = outcome or Outcome.NEEDS_PERSON
        result.outcomes[key] = result.outcomes.get(key, 0) + count
    result.finished = sum(result.outcomes.values())

    per_day = {
        row["day"]: row
        for row in finished.annotate(day=TruncDate("finished_at"))
        .order_by()
        .values("day")
        .annotate(tasks=Count("id"), cost=Sum("cost"))
    }
    day = start
    while day <= end:
        found: dict[str, Any] = dict(per_day.get(day) or {})
        result.days.append(
            {
                "day": day.isoformat(),
                "tasks": found.get("tasks") or 0,
                "cost": found.get("cost") or Decimal("0"),
            }
        )
        day += timedelta(days=1)
    result.cost_total = sum((d["cost"] for d in result.days), Decimal("0"))
    # Over the whole range: a ticket worked on two days is one ticket.
    result.tickets_worked = finished.aggregate(n=Count("ticket", distinct=True))["n"] or 0

    started = Task.objects.filter(created_at__gte=since, created_at__lt=until)
    for row in (
        started.annotate(hour=ExtractHour("created_at"))
        .order_by()
        .values("hour")
        .annotate(n=Count("id"))
    ):
        result.per_hour[int(row["hour"])] = row["n"]

    result.failures = [
        (row["reason"] or "No reason recorded", row["n"])
        for row in finished.filter(status=Task.Status.FAILED)
        .annotate(reason=Left("error", REASON_CHARS))
        .order_by()
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")[:FAILURE_REASONS]
    ]

    result.resolution_seconds = [
        (done - created).total_seconds()
        for created, done in finished.filter(outcome__in=AUTO_RESOLVED).values_list(
            "created_at", "finished_at"
        )
        if done is not None
    ]

    for status, asked, decided in (
        ApprovalRequest.objects.filter(decided_at__gte=since, decided_at__lt=until)
        .exclude(status=ApprovalRequest.Status.PENDING)
        .values_list("status", "created_at", "decided_at")
    ):
        result.approvals[status] = result.approvals.get(status, 0) + 1
        if decided is not None:
            result.approval_waits.append((decided - asked).total_seconds())

    refunds = Refund.objects.filter(
        created_at__gte=since,
        created_at__lt=until,
        status=Refund.Status.EXECUTED,
        task__isnull=False,
    ).aggregate(total=Sum("amount"), n=Count("id"))
    result.refunds_total = refunds["total"] or Decimal("0")
    result.refunds_count = refunds["n"] or 0
    return result


def default_range(today: date | None = None) -> tuple[date, date]:
    end = today or timezone.localdate()
    return end - timedelta(days=DEFAULT_DAYS - 1), end
