"""Quiet hours, digest times, event groups and the SMTP settings: no database."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.config import load_settings
from core.notifications.channels import NotificationChannel
from core.notifications.preferences import (
    DIGEST,
    IMMEDIATE,
    OFF,
    Preferences,
    group_of,
    hold_until,
    next_digest,
    parse_hhmm,
    quiet_until,
)

SH = "Asia/Shanghai"
NIGHT = Preferences(quiet_start=time(22, 0), quiet_end=time(8, 0))
LUNCH = Preferences(quiet_start=time(12, 0), quiet_end=time(13, 30))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo(SH))


@pytest.mark.parametrize(
    ("moment", "prefs", "expected"),
    [
        (local(24, 23, 5), NIGHT, local(25, 8)),  # after the start: next morning
        (local(25, 2, 0), NIGHT, local(25, 8)),  # after midnight: this morning
        (local(25, 8, 0), NIGHT, None),  # the end itself is not quiet
        (local(24, 21, 59), NIGHT, None),
        (local(24, 22, 0), NIGHT, local(25, 8)),  # the start is quiet
        (local(24, 12, 40), LUNCH, local(24, 13, 30)),  # a period within one day
        (local(24, 13, 30), LUNCH, None),
        (local(24, 23, 0), Preferences(), None),  # no quiet hours
        (local(24, 23, 0), Preferences(quiet_start=time(9), quiet_end=time(9)), None),
    ],
)
def test_quiet_until(moment: datetime, prefs: Preferences, expected: datetime | None) -> None:
    assert quiet_until(moment.astimezone(UTC), SH, prefs) == expected


def test_quiet_hours_are_local_to_the_organisation() -> None:
    # 23:00 in Shanghai is 15:00 UTC: quiet there, not in London.
    moment = local(24, 23).astimezone(UTC)
    assert quiet_until(moment, SH, NIGHT) == local(25, 8)
    assert quiet_until(moment, "Europe/London", NIGHT) is None


def test_urgent_kinds_get_through_quiet_hours() -> None:
    moment = local(24, 23).astimezone(UTC)
    assert hold_until(moment, SH, NIGHT, "status:resolved") == local(25, 8)
    assert hold_until(moment, SH, NIGHT, "sla:warning") == local(25, 8)
    assert hold_until(moment, SH, NIGHT, "sla:breached:resolution") == moment


def test_digests_fall_due_at_eight_local_after_quiet_hours() -> None:
    assert next_digest(local(24, 7, 59).astimezone(UTC), SH, Preferences()) == local(24, 8)
    assert next_digest(local(24, 8, 0).astimezone(UTC), SH, Preferences()) == local(25, 8)
    assert next_digest(local(24, 15).astimezone(UTC), SH, NIGHT) == local(25, 8)
    late = Preferences(quiet_start=time(22), quiet_end=time(9, 30))
    assert next_digest(local(24, 15).astimezone(UTC), SH, late) == local(25, 9, 30)


def test_groups_of_kinds() -> None:
    assert group_of("approval_needed") == "approvals"
    assert group_of("approval:escalated") == "approvals"
    assert group_of("approval:again") == "progress"  # to the requester: their request
    assert group_of("status:assigned") == "tasks"
    assert group_of("task:withdrawn") == "tasks"
    assert group_of("status:resolved") == "progress"
    assert group_of("sla:breached:response") == "sla"
    assert group_of("something:new") == "progress"


def test_modes_fall_back_to_the_channel_default() -> None:
    chat = NotificationChannel("chat", lambda _: "Chat", default=OFF)
    mail = NotificationChannel("email", lambda _: "E-mail", default=IMMEDIATE)
    prefs = Preferences(choices={"email": {"progress": DIGEST, "tasks": "loud"}})
    assert prefs.mode(mail, "progress") == DIGEST
    assert prefs.mode(mail, "tasks") == IMMEDIATE  # not a mode: the default
    assert prefs.mode(mail, "sla") == IMMEDIATE
    assert prefs.mode(chat, "progress") == OFF


@pytest.mark.parametrize(
    ("text", "expected"),
    [("22:00", time(22)), ("7:05", time(7, 5)), ("24:00", None), ("", None), ("x", None)],
)
def test_parse_hhmm(text: str, expected: time | None) -> None:
    assert parse_hhmm(text) == expected


def test_smtp_settings_from_the_environment() -> None:
    off = load_settings({})
    assert off.smtp_host is None and off.smtp_port == 587 and off.smtp_starttls is None
    on = load_settings(
        {
            "HOUQIN_SMTP_HOST": "mail.example.org",
            "HOUQIN_SMTP_PORT": "465",
            "HOUQIN_SMTP_USER": "houqin",
            "HOUQIN_SMTP_PASSWORD": "s3cret-pass",
            "HOUQIN_SMTP_FROM": "后勤 <hq@example.org>",
            "HOUQIN_SMTP_STARTTLS": "0",
        }
    )
    assert (on.smtp_host, on.smtp_port, on.smtp_user) == ("mail.example.org", 465, "houqin")
    assert on.smtp_from == "后勤 <hq@example.org>" and on.smtp_starttls is False
    assert "s3cret-pass" not in repr(on)  # settings get logged; the password must not
    assert load_settings({"HOUQIN_SMTP_STARTTLS": "yes"}).smtp_starttls is True
