"""The group's open-enrollment window: when employees may answer (issue 22 item 4).

The broker sets a start and an end (``EmployerGroup.oe_starts_on`` / ``oe_ends_on``). Without them:

- the window **starts** the day the group was created with the carrier (or saved, for a draft);
- it **ends** ``ENROLLMENT_OE_LEAD_DAYS`` (default 10) days before the requested effective date, so that the
  broker can still finalize (the carrier answers in minutes, retries take hours) and the 834 file can be
  sent, processed and its rejections corrected before coverage starts. Before this window existed employees
  could answer until the day before the effective date, which left no time to finalize.

The employee pages close at the end of the last day (America/New_York, the carrier's business day).

Rules (shown beside the field, English and Spanish):

- **OEW-001**: the end is at least ``ENROLLMENT_OE_LEAD_DAYS`` days before the effective date;
- **OEW-002**: the start is on or before the end;
- **OEW-003**: the end is not before today (a window that already ended cannot be set again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import EmployerGroup

CARRIER_ZONE = ZoneInfo("America/New_York")


def lead_days() -> int:
    return int(getattr(settings, "ENROLLMENT_OE_LEAD_DAYS", 10))


@dataclass(frozen=True)
class Window:
    starts_on: date | None
    ends_on: date | None
    set_by_broker: bool

    @property
    def ends_at(self) -> datetime | None:
        """The last moment employees may answer: the end of ``ends_on`` on the carrier's clock."""
        if self.ends_on is None:
            return None
        return datetime.combine(self.ends_on, time(23, 59, 59), tzinfo=CARRIER_ZONE)


def default_ends_on(group: EmployerGroup) -> date | None:
    if group.requested_effective_date is None:
        return None
    return group.requested_effective_date - timedelta(days=lead_days())


def default_starts_on(group: EmployerGroup) -> date:
    moment = group.carrier_created_at or group.created_at or timezone.now()
    return moment.astimezone(CARRIER_ZONE).date()


def oe_window(*, group: EmployerGroup) -> Window:
    """The group's window: the broker's dates where set, else the defaults."""
    return Window(
        starts_on=group.oe_starts_on or default_starts_on(group),
        ends_on=group.oe_ends_on or default_ends_on(group),
        set_by_broker=bool(group.oe_starts_on or group.oe_ends_on),
    )


def oe_window_problems(
    *, group: EmployerGroup, starts_on: date | None, ends_on: date | None, today: date
) -> dict[str, str]:
    """Field -> "RULE: what is wrong. What to do." for a window the broker proposes."""
    problems: dict[str, str] = {}
    latest = default_ends_on(group)
    if ends_on is not None and latest is not None and ends_on > latest:
        problems["oe_ends_on"] = _(
            "OEW-001: The window must end at least %(days)s days before the effective date (%(effective)s), "
            "so the group can be finalized and the enrollment file sent in time. "
            "End it on %(latest)s or earlier."
        ) % {"days": lead_days(), "effective": group.requested_effective_date, "latest": latest}
    elif ends_on is not None and ends_on < today:
        problems["oe_ends_on"] = _("OEW-003: The end is in the past. Choose today or a later day.")
    if starts_on is not None and ends_on is not None and starts_on > ends_on:
        problems["oe_starts_on"] = _(
            "OEW-002: The window starts after it ends. Start it on or before its end."
        )
    return problems


def group_set_oe_window(
    *,
    group: EmployerGroup,
    starts_on: date | None,
    ends_on: date | None,
    by: User | None,
    today: date,
) -> EmployerGroup:
    """Set (or clear, with None: back to the defaults) the broker's window; ValidationError by field."""
    problems = oe_window_problems(group=group, starts_on=starts_on, ends_on=ends_on, today=today)
    if problems:
        raise ValidationError(problems)
    group.oe_starts_on, group.oe_ends_on = starts_on, ends_on
    group.save(update_fields=["oe_starts_on", "oe_ends_on", "updated_at"])
    return group
