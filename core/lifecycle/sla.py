"""Business-time arithmetic for SLA targets.

A promise such as "answer within 4 working hours" only means something against the
organisation's calendar: a request sent on Friday evening must not be overdue on Saturday,
and the national-day week (国庆) or a worked Saturday (调休) must count the way staff
actually work. This module is pure (no database, no I/O) so the same answers come out of
the web layer, background jobs and tests.

Every computation runs on aware UTC instants. Working intervals are local wall-clock times
and are turned into UTC one date at a time, so on a DST day an interval is simply an hour
shorter or longer, and the business time counted is the real time that passed. A wall time
that does not exist (inside a spring-forward gap) stands for the instant of the jump; one
that exists twice (fall-back) means its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[time, time]
Pause = tuple[datetime, datetime | None]

END_OF_DAY = time.max
"""An interval ending at ``END_OF_DAY`` runs up to the next midnight (``"24:00"`` in
``to_dict``), so round-the-clock service has no microsecond hole every night."""

SEARCH_DAYS = 3 * 366
"""How far ``add_business_time`` looks ahead before deciding the target cannot be met."""

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_FOREVER = datetime.max.replace(tzinfo=UTC)  # end of a pause that is still running

_DEFAULT_DAY: tuple[Interval, ...] = ((time(9), time(12)), (time(13), time(18)))
_FIELDS = ("time_zone", "weekly", "holidays", "extra_workdays", "extra_workday_hours")


def _default_weekly() -> Mapping[int, tuple[Interval, ...]]:
    return {day: _DEFAULT_DAY for day in range(5)}


@dataclass(frozen=True)
class BusinessCalendar:
    """When an organisation works; validated and normalised on construction.

    ``weekly`` is stored read-only, sorted by weekday and without empty days, so two
    calendars describing the same hours compare equal (and survive ``to_dict`` round trips).
    """

    time_zone: str = "Asia/Shanghai"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=_default_weekly, hash=False)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    extra_workday_hours: tuple[Interval, ...] | None = None

    def __post_init__(self) -> None:
        _zone(self.time_zone)
        if not isinstance(self.weekly, Mapping):
            raise ValueError(
                f"weekly must map weekday (0=Monday..6) to intervals, got {self.weekly!r}"
            )
        weekly: dict[int, tuple[Interval, ...]] = {}
        for day, intervals in self.weekly.items():
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekly: weekday must be an integer 0..6 (0=Monday), got {day!r}")
            checked = _check_intervals(intervals, f"weekly[{day}]")
            if checked:
                weekly[day] = checked
        set_ = object.__setattr__
        set_(self, "weekly", MappingProxyType(dict(sorted(weekly.items()))))
        set_(self, "holidays", _check_dates(self.holidays, "holidays"))
        set_(self, "extra_workdays", _check_dates(self.extra_workdays, "extra_workdays"))
        if self.extra_workday_hours is not None:
            hours = _check_intervals(self.extra_workday_hours, "extra_workday_hours")
            set_(self, "extra_workday_hours", hours)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances per key

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """Working intervals of one local date.

        A holiday wins over everything (even a date also listed as extra workday); an
        extra workday (调休) works ``extra_workday_hours``, or a normal weekday's hours.
        """
        if day in self.holidays:
            return ()
        if day in self.extra_workdays:
            if self.extra_workday_hours is not None:
                return self.extra_workday_hours
            return next(iter(self.weekly.values()), ())  # first weekday that has hours
        return self.weekly.get(day.weekday(), ())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage; ``from_dict`` reads it back to an equal calendar."""
        return {
            "time_zone": self.time_zone,
            "weekly": {str(day): _dump_intervals(iv) for day, iv in self.weekly.items()},
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
            "extra_workday_hours": (
                None
                if self.extra_workday_hours is None
                else _dump_intervals(self.extra_workday_hours)
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Parse stored (possibly hand-edited) data; bad data raises ``ValueError`` naming
        the offending field, so an admin form can show what to fix. Missing keys take the
        defaults."""
        if not isinstance(data, Mapping):
            raise ValueError(f"calendar data must be an object, got {type(data).__name__}")
        unknown = sorted(str(k) for k in data if k not in _FIELDS)
        if unknown:
            raise ValueError(f"unknown calendar field(s): {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        if "time_zone" in data:
            kwargs["time_zone"] = data["time_zone"]
        if "weekly" in data:
            raw = data["weekly"]
            if not isinstance(raw, Mapping):
                raise ValueError("weekly must be an object keyed by weekday 0..6 (0=Monday)")
            kwargs["weekly"] = {
                _parse_weekday(k): _parse_intervals(v, f"weekly[{k!r}]") for k, v in raw.items()
            }
        for name in ("holidays", "extra_workdays"):
            if name in data:
                kwargs[name] = frozenset(_parse_dates(data[name], name))
        hours = data.get("extra_workday_hours")
        if hours is not None:
            kwargs["extra_workday_hours"] = _parse_intervals(hours, "extra_workday_hours")
        return cls(**kwargs)


def add_business_time(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant (aware, UTC) at which ``duration`` of business time has passed since
    ``start``.

    Ending exactly at closing time gives the closing instant, not next morning's opening:
    that is when the promise falls due. A zero duration returns ``start`` itself (as UTC)
    even outside working hours. Raises ``ValueError`` for a naive ``start``, a negative
    duration, or when the calendar has too little working time in ``SEARCH_DAYS`` days
    (e.g. none at all), instead of searching forever.
    """
    start_utc = _utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if not duration:
        return start_utc
    remaining = duration
    for span_start, span_end in _spans(cal, start_utc):
        if span_end - span_start >= remaining:
            return span_start + remaining
        remaining -= span_end - span_start
    raise ValueError(
        f"the calendar has less than {duration} of working time in the {SEARCH_DAYS} days "
        f"after {start_utc.isoformat()}"
    )


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time within ``[start, end)``; zero when ``end <= start``."""
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    total = _ZERO
    if end_utc <= start_utc:
        return total
    for span_start, span_end in _spans(cal, start_utc, until=end_utc):
        if span_start >= end_utc:
            break
        total += min(span_end, end_utc) - span_start
    return total


def elapsed_business_time(
    cal: BusinessCalendar, start: datetime, now: datetime, pauses: Sequence[Pause]
) -> timedelta:
    """Business time on the SLA clock between ``start`` and ``now``, leaving out pauses
    (on hold, waiting for the requester…).

    A pause ending in ``None`` is still running. Pauses may overlap; their union is removed
    once. The result does not depend on the SLA target, so time on hold stays excluded
    when the ticket's policy changes.
    """
    start_utc, now_utc = _utc(start, "start"), _utc(now, "now")
    total = business_time_between(cal, start_utc, now_utc)
    for pause_start, pause_end in _merge_pauses(pauses, start_utc):
        if pause_start >= now_utc:
            break
        total -= business_time_between(cal, pause_start, min(pause_end, now_utc))
    return max(total, _ZERO)


def due_at(
    cal: BusinessCalendar, start: datetime, target: timedelta, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """When the SLA clock (unpaused business time since ``start``) reaches ``target``.

    Closed pauses push the due time later by exactly the business time they covered;
    pauses after the due time change nothing. If the clock is stopped by a still-running
    pause before reaching the target, the due time is unknown and ``None`` is returned.
    A target already reached before that pause began keeps its (past) due time, so a
    breach is never hidden by putting the ticket on hold afterwards.
    """
    start_utc = _utc(start, "start")
    if target < _ZERO:
        raise ValueError(f"target must not be negative, got {target}")
    cursor, remaining = start_utc, target
    for pause_start, pause_end in _merge_pauses(pauses, start_utc):
        available = business_time_between(cal, cursor, pause_start)
        if available >= remaining:
            return add_business_time(cal, cursor, remaining)
        if pause_end == _FOREVER:
            return None
        remaining -= available
        cursor = pause_end
    return add_business_time(cal, cursor, remaining)


# --- internals -------------------------------------------------------------------------


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"time_zone must be an IANA name such as 'Asia/Shanghai', got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _fmt(t: time) -> str:
    if t == END_OF_DAY:
        return "24:00"
    return t.isoformat("minutes" if not (t.second or t.microsecond) else "auto")


def _check_intervals(intervals: object, where: str) -> tuple[Interval, ...]:
    if isinstance(intervals, (str, bytes)) or not isinstance(intervals, Iterable):
        raise ValueError(f"{where}: expected a list of (start, end) pairs, got {intervals!r}")
    result: list[Interval] = []
    for i, pair in enumerate(intervals):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{where}[{i}]: expected a (start, end) pair, got {pair!r}")
        begin, end = pair
        for t in (begin, end):
            if not isinstance(t, time) or t.tzinfo is not None:
                raise ValueError(f"{where}[{i}]: expected local times without zone, got {t!r}")
        if end <= begin:
            raise ValueError(f"{where}[{i}]: end {_fmt(end)} is not after start {_fmt(begin)}")
        if result and begin < result[-1][1]:
            raise ValueError(
                f"{where}[{i}]: starts at {_fmt(begin)}, before the previous interval ends at "
                f"{_fmt(result[-1][1])} (intervals must be sorted and must not overlap)"
            )
        result.append((begin, end))
    return tuple(result)


def _check_dates(dates: object, where: str) -> frozenset[date]:
    if isinstance(dates, (str, bytes)) or not isinstance(dates, Iterable):
        raise ValueError(f"{where}: expected a set of dates, got {dates!r}")
    result = frozenset(dates)
    for d in result:
        if not isinstance(d, date) or isinstance(d, datetime):
            raise ValueError(f"{where}: expected dates, got {d!r}")
    return result


def _dump_intervals(intervals: tuple[Interval, ...]) -> list[list[str]]:
    return [[_fmt(begin), _fmt(end)] for begin, end in intervals]


def _parse_weekday(key: object) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        day = key
    elif isinstance(key, str) and key.strip().isdigit():
        day = int(key)
    else:
        raise ValueError(f"weekly: weekday must be 0..6 (0=Monday), got {key!r}")
    if not 0 <= day <= 6:
        raise ValueError(f"weekly: weekday must be 0..6 (0=Monday), got {key!r}")
    return day


def _parse_time(value: object, where: str) -> time:
    if value == "24:00":
        return END_OF_DAY
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a time like '09:00', got {value!r}")
    try:
        parsed = time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{where}: expected a time like '09:00', got {value!r}") from exc
    if parsed.tzinfo is not None:
        raise ValueError(f"{where}: times are local to the calendar's zone, got {value!r}")
    return parsed


def _parse_intervals(raw: object, where: str) -> tuple[Interval, ...]:
    if not isinstance(raw, (list, tuple)):
        raise ValueError(f"{where}: expected a list of [start, end] pairs, got {raw!r}")
    result: list[Interval] = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"{where}[{i}]: expected a [start, end] pair, got {pair!r}")
        result.append(
            (_parse_time(pair[0], f"{where}[{i}]"), _parse_time(pair[1], f"{where}[{i}]"))
        )
    return _check_intervals(result, where)


def _parse_dates(raw: object, where: str) -> list[date]:
    if not isinstance(raw, (list, tuple)):
        raise ValueError(f"{where}: expected a list of dates like '2026-10-01', got {raw!r}")
    result: list[date] = []
    for value in raw:
        try:
            result.append(date.fromisoformat(value))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: expected a date like '2026-10-01', got {value!r}") from exc
    return result


def _wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant a naive local wall time stands for (see the module docstring)."""
    guess = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence
    if guess.astimezone(tz).replace(tzinfo=None) == wall:
        return guess
    # In a gap: fold=1 lands before the jump, fold=0 after; bisect for the jump itself.
    before, after = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), guess
    while after - before > _TICK:
        middle = before + (after - before) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


def _day_spans(
    cal: BusinessCalendar, tz: ZoneInfo, day: date
) -> Iterator[tuple[datetime, datetime]]:
    for begin, end in cal.intervals_on(day):
        span_start = _wall_to_utc(datetime.combine(day, begin), tz)
        end_wall = (
            datetime.combine(day + _ONE_DAY, time(0))
            if end == END_OF_DAY
            else datetime.combine(day, end)
        )
        span_end = _wall_to_utc(end_wall, tz)
        if span_start < span_end:  # an interval wholly inside a DST gap has no time
            yield span_start, span_end


def _spans(
    cal: BusinessCalendar, start: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Working spans (UTC, in order) that end after ``start``, clipped to begin no earlier
    than it; up to the local date of ``until``, or ``SEARCH_DAYS`` days ahead."""
    tz = cal.zone
    day = start.astimezone(tz).date() - _ONE_DAY  # one day early: cheap, and no edge cases
    if until is None:
        last = day + timedelta(days=SEARCH_DAYS)
    else:
        last = until.astimezone(tz).date() + _ONE_DAY
    while day <= last:
        for span_start, span_end in _day_spans(cal, tz, day):
            if span_end > start:
                yield max(span_start, start), span_end
        day += _ONE_DAY


def _merge_pauses(pauses: Sequence[Pause], since: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses as sorted, disjoint UTC intervals starting no earlier than ``since``; a
    running pause ends at ``_FOREVER``."""
    cleaned: list[tuple[datetime, datetime]] = []
    for i, pause in enumerate(pauses):
        if not isinstance(pause, (tuple, list)) or len(pause) != 2:
            raise ValueError(f"pauses[{i}]: expected a (start, end or None) pair, got {pause!r}")
        begin = _utc(pause[0], f"pauses[{i}] start")
        end = _FOREVER if pause[1] is None else _utc(pause[1], f"pauses[{i}] end")
        if end < begin:
            raise ValueError(f"pauses[{i}]: ends at {end.isoformat()}, before it starts")
        begin = max(begin, since)
        if end > begin:
            cleaned.append((begin, end))
    cleaned.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in cleaned:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged
