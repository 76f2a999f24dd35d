"""Portal forms: the backlog filters (lenient) and the ticket actions (thin).

The ticket action forms only parse input; the rules (empty body, closed ticket, valid status,
staff-only assignees) live in ``tasks.services.tickets`` and come back as ``ApplicationError``,
which ``add_application_error`` shows next to the field at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser
from django.http import QueryDict

from tasks.models import Ticket
from tasks.selectors import TicketFilters
from tasks.services.tickets import ASSIGNEE_INVALID
from tools_app.errors import ApplicationError

SEARCH_MAX_LENGTH = 200

STATUS_ACTIVE = "active"
STATUS_ALL = "all"
STATUS_CHOICES = [
    (STATUS_ACTIVE, "Active"),
    *Ticket.Status.choices,
    (STATUS_ALL, "All"),
]
SORT_CHOICES = [
    ("priority", "Priority"),
    ("newest", "Newest"),
    ("oldest", "Oldest"),
    ("updated", "Recently updated"),
]
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
QUEUE_ANY = "any"

# What an absent or invalid parameter falls back to.
BACKLOG_DEFAULTS = {
    "status": STATUS_ACTIVE,
    "category": "",
    "priority": "",
    "assignee": "",
    "queue": "",
    "q": "",
    "sort": "priority",
}


class BacklogFilterForm(forms.Form):
    """Parses the backlog's GET parameters. Never invalid as a whole: an unknown value is
    ignored (falls back to its default) and reported by ``ignored()`` so the page can say so."""

    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    category = forms.ChoiceField(
        required=False, choices=[("", "Any category"), *Ticket.Category.choices]
    )
    priority = forms.ChoiceField(
        required=False, choices=[("", "Any priority"), *Ticket.Priority.choices]
    )
    assignee = forms.ChoiceField(required=False)
    queue = forms.ChoiceField(required=False)
    q = forms.CharField(required=False)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(
        self,
        data: QueryDict,
        *,
        staff: Sequence[AbstractUser],
        queues: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(data)
        queue = self.fields["queue"]
        assert isinstance(queue, forms.ChoiceField)
        queue.choices = [("", "Any queue"), (QUEUE_ANY, "Escalated (any queue)"), *queues]
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = [
            ("", "Anyone"),
            (ASSIGNEE_ME, "Me"),
            (ASSIGNEE_NONE, "Unassigned"),
            *((str(user.pk), user.get_username()) for user in staff),
        ]

    def effective(self) -> dict[str, str]:
        """The filter values actually applied, defaults filled in."""
        self.is_valid()
        values = {}
        for name, default in BACKLOG_DEFAULTS.items():
            value = self.cleaned_data.get(name) if name not in self.errors else None
            values[name] = value or default
        values["q"] = values["q"].strip()[:SEARCH_MAX_LENGTH]
        return values

    def ignored(self) -> list[str]:
        """Parameters that were given but not understood, as ``name=value``."""
        self.is_valid()
        return [f"{name}={self.data.get(name, '')}" for name in self.errors]

    def query(self) -> QueryDict:
        """The effective non-default filters as a query string base (no page)."""
        params = QueryDict(mutable=True)
        for name, value in self.effective().items():
            if value != BACKLOG_DEFAULTS[name]:
                params[name] = value
        return params

    def to_filters(self, *, user: AbstractBaseUser) -> TicketFilters:
        values = self.effective()
        status = "" if values["status"] == STATUS_ALL else values["status"]
        assignee = values["assignee"]
        if assignee == ASSIGNEE_ME:
            assignee = str(user.pk)
        return TicketFilters(
            status=status,
            category=values["category"],
            priority=values["priority"],
            assignee=assignee,
            queue=values["queue"],
            q=values["q"],
            sort=values["sort"],
        )


class ActionForm(forms.Form):
    """Base of the ticket action forms: shows a service's ``ApplicationError`` on the field it
    names, or above the form when it names none of ours (e.g. a closed ticket)."""

    def add_application_error(self, error: ApplicationError) -> None:
        field = error.extra.get("field")
        self.add_error(field if field in self.fields else None, error.message)


class MessageForm(ActionForm):
    """A reply or an internal note. Blank is allowed here so the service's message is shown."""

    body = forms.CharField(required=False, strip=False, widget=forms.Textarea)


class StatusForm(ActionForm):
    status = forms.CharField(required=False)


class AssignForm(ActionForm):
    """``assignee`` is a user id, ``me``, or blank for unassigned. Whether that user may own
    tickets is the service's call; only ids that match no user at all are refused here."""

    assignee = forms.CharField(required=False)

    def __init__(self, *args: Any, acting_user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user

    def clean_assignee(self) -> AbstractBaseUser | None:
        raw = (self.cleaned_data.get("assignee") or "").strip()
        if not raw:
            return None
        if raw == ASSIGNEE_ME:
            return self.acting_user
        user = (
            get_user_model().objects.filter(pk=int(raw)).first()
            if raw.isdecimal() and raw.isascii() and len(raw) <= 18
            else None
        )
        if user is None:
            raise forms.ValidationError(ASSIGNEE_INVALID)
        return user


RANGE_ORDER = "The start date must be on or before the end date."
RANGE_TOO_LONG = "Choose at most {days} days."


class InsightsRangeForm(forms.Form):
    """The Insights page's date range (whole days, inclusive); both default to the last two
    weeks. A wrong date is shown with its field and the page uses the default range."""

    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args: Any, max_days: int, default: tuple[Any, Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.max_days = max_days
        self.default = default

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start = data.get("start") or self.default[0]
        end = data.get("end") or self.default[1]
        if start > end:
            self.add_error("start", RANGE_ORDER)
        elif (end - start).days + 1 > self.max_days:
            self.add_error("start", RANGE_TOO_LONG.format(days=self.max_days))
        data["start"], data["end"] = start, end
        return data

    def range(self) -> tuple[Any, Any]:
        """The range to show: the chosen one if valid, else the default."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.default
