"""The one clock of houqin: every "now" in core, web and the SDK comes from here, so a
test or a job has one place to look and the time is always aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current moment, timezone-aware, in UTC (stored and compared as such)."""
    return datetime.now(UTC)


def local_today(time_zone: str) -> date:
    """Today's date in ``time_zone`` (an IANA name such as ``Asia/Shanghai``)."""
    return now().astimezone(ZoneInfo(time_zone)).date()


__all__ = ["local_today", "now"]
