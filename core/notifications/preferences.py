"""Who wants what, how and when: event groups, per-user choices, quiet hours, digests.

DESIGN §9: "per-user choice per event type (immediate, digest, off), quiet hours for
non-urgent ones". The in-app list always gets everything; the choices here steer the
other channels. The time arithmetic is pure (tested without a database); the two
functions at the end read and write ``core_notification_preference``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.clock import now
from core.descriptors import Label
from core.tables import NotificationPreference

if TYPE_CHECKING:
    from core.notifications.channels import NotificationChannel

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
MODES = (IMMEDIATE, DIGEST, OFF)
# Digests fall due at this local time (the organisation's time zone), once a day.
DIGEST_AT = time(8, 0)
# Kinds that get through quiet hours: a missed target needs someone now.
URGENT_KINDS = frozenset({"sla:breached:response", "sla:breached:resolution"})


@dataclass(frozen=True)
class Group:
    """A family of notification kinds a user decides about at once."""

    code: str
    label: Label
    hint: Label


GROUPS: tuple[Group, ...] = (
    Group(
        "approvals",
        lambda _: _("Approvals waiting for me"),
        lambda _: _("New approvals, reminders and overdue approvals passed to you."),
    ),
    Group(
        "progress",
        lambda _: _("Progress of my requests"),
        lambda _: _("Approved, started, on hold, done."),
    ),
    Group(
        "tasks",
        lambda _: _("Tasks assigned to me"),
        lambda _: _("New tasks, and tasks cancelled or reopened."),
    ),
    Group(
        "sla",
        lambda _: _("SLA warnings"),
        lambda _: _("Targets due soon or missed."),
    ),
)
GROUP_CODES = tuple(g.code for g in GROUPS)
# Kinds sent to approvers, and to assignees; the rest tell requesters about progress.
_APPROVER_KINDS = frozenset(
    {"approval_needed", "approval:reminder", "approval:escalated", "approval:reassigned"}
)
_ASSIGNEE_KINDS = frozenset({"status:assigned", "status:cancelled", "status:reopened"})


def group_of(kind: str) -> str:
    """The group a notification kind belongs to (unknown kinds count as progress)."""
    if kind in _APPROVER_KINDS:
        return "approvals"
    if kind.startswith("sla:"):
        return "sla"
    if kind in _ASSIGNEE_KINDS or kind.startswith("task:"):
        return "tasks"
    return "progress"


def parse_hhmm(value: str) -> time | None:
    """ "22:00" → time(22, 0); anything else → None."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class Preferences:
    """One user's choices; ``choices[channel][group]`` is a mode, missing = the default."""

    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    quiet_start: time | None = None
    quiet_end: time | None = None

    def mode(self, channel: NotificationChannel, group: str) -> str:
        chosen = self.choices.get(channel.name, {}).get(group)
        return chosen if chosen in MODES else channel.default

    @property
    def has_quiet_hours(self) -> bool:
        return (
            self.quiet_start is not None
            and self.quiet_end is not None
            and self.quiet_start != self.quiet_end
        )


DEFAULT = Preferences()


def _local(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(time_zone))


def _at(day: datetime, when: time) -> datetime:
    """``when`` on the local day of ``day`` (aware, same zone)."""
    return datetime.combine(day.date(), when, tzinfo=day.tzinfo)


def quiet_until(moment: datetime, time_zone: str, prefs: Preferences) -> datetime | None:
    """The end of the quiet period ``moment`` falls in, or None when it falls in none.

    Quiet hours are local times in the organisation's time zone; a period that crosses
    midnight (22:00–08:00) ends on the next morning.
    """
    if not prefs.has_quiet_hours:
        return None
    start, end = prefs.quiet_start, prefs.quiet_end
    assert start is not None and end is not None
    local = _local(moment, time_zone)
    now = local.time()
    if start < end:
        inside = start <= now < end
    else:
        inside = now >= start or now < end
    if not inside:
        return None
    finish = _at(local, end)
    if finish <= local:
        finish += timedelta(days=1)
    return finish


def hold_until(moment: datetime, time_zone: str, prefs: Preferences, kind: str) -> datetime:
    """When a non-digest message may go: now, or the end of quiet hours unless urgent."""
    if kind in URGENT_KINDS:
        return moment
    return quiet_until(moment, time_zone, prefs) or moment


def next_digest(moment: datetime, time_zone: str, prefs: Preferences) -> datetime:
    """The next digest time (:data:`DIGEST_AT` local) after ``moment``, past quiet hours."""
    local = _local(moment, time_zone)
    due = _at(local, DIGEST_AT)
    if due <= local:
        due += timedelta(days=1)
    return quiet_until(due, time_zone, prefs) or due


def _from_row(row: Mapping[str, Any]) -> Preferences:
    choices = row.get("choices") or {}
    return Preferences(
        choices=choices if isinstance(choices, dict) else {},
        quiet_start=parse_hhmm(row.get("quiet_start") or ""),
        quiet_end=parse_hhmm(row.get("quiet_end") or ""),
    )


async def load_preferences(org_id: int, user_ids: Iterable[int]) -> dict[int, Preferences]:
    """Choices of these users (one query); users who never chose are left out."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await (
        NotificationPreference.select(
            NotificationPreference.user,
            NotificationPreference.choices,
            NotificationPreference.quiet_start,
            NotificationPreference.quiet_end,
        )
        .where((NotificationPreference.org == org_id) & NotificationPreference.user.is_in(ids))
        .output(load_json=True)
    )
    return {row["user"]: _from_row(row) for row in rows}


async def save_preferences(org_id: int, user_id: int, prefs: Preferences) -> None:
    """Store one user's choices (an upsert on the unique (org, user) index)."""
    fmt = "%H:%M"
    quiet = prefs.has_quiet_hours
    values = {
        "choices": {ch: dict(groups) for ch, groups in prefs.choices.items()},
        "quiet_start": prefs.quiet_start.strftime(fmt) if quiet and prefs.quiet_start else "",
        "quiet_end": prefs.quiet_end.strftime(fmt) if quiet and prefs.quiet_end else "",
    }
    await NotificationPreference.insert(
        NotificationPreference(org=org_id, user=user_id, updated_at=now(), **values)
    ).on_conflict(
        target=(NotificationPreference.org, NotificationPreference.user),
        action="DO UPDATE",
        values=[
            NotificationPreference.choices,
            NotificationPreference.quiet_start,
            NotificationPreference.quiet_end,
            NotificationPreference.updated_at,
        ],
    )
