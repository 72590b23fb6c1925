"""Business-time arithmetic for SLA targets: golden cases from the design, then properties."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.lifecycle.sla import (
    END_OF_DAY,
    BusinessCalendar,
    add_business_time,
    business_time_between,
    due_at,
    elapsed_business_time,
)

CST = timezone(timedelta(hours=8))
H = timedelta(hours=1)
NINE_TO_SIX = {d: ((time(9), time(18)),) for d in range(5)}
PLAIN = BusinessCalendar(weekly=NINE_TO_SIX)
DEFAULT = BusinessCalendar()


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


# --- golden cases ----------------------------------------------------------------------


def test_friday_evening_rolls_over_the_weekend() -> None:
    due = add_business_time(PLAIN, cst(2026, 11, 27, 17, 55), H)
    assert due == cst(2026, 11, 30, 9, 55)
    assert due.tzinfo is UTC


def test_default_calendar_skips_lunch() -> None:
    assert add_business_time(DEFAULT, cst(2026, 11, 24, 11, 30), H) == cst(2026, 11, 24, 13, 30)
    assert business_time_between(
        DEFAULT, cst(2026, 11, 24, 11), cst(2026, 11, 24, 14)
    ) == timedelta(hours=2)


def test_national_day_holidays_are_skipped() -> None:
    golden_week = frozenset(date(2026, 10, d) for d in range(1, 8))
    cal = BusinessCalendar(weekly=NINE_TO_SIX, holidays=golden_week)
    assert add_business_time(cal, cst(2026, 9, 30, 17), 2 * H) == cst(2026, 10, 8, 10)


def test_adjusted_saturday_is_worked() -> None:
    cal = BusinessCalendar(weekly=NINE_TO_SIX, extra_workdays=frozenset({date(2026, 10, 10)}))
    assert add_business_time(cal, cst(2026, 10, 9, 17, 30), H) == cst(2026, 10, 10, 9, 30)


def test_on_hold_pushes_due_time_and_open_hold_stops_the_clock() -> None:
    start = cst(2026, 11, 23, 9)  # Monday
    closed = [(cst(2026, 11, 23, 10), cst(2026, 11, 23, 11))]
    assert due_at(PLAIN, start, 4 * H, closed) == cst(2026, 11, 23, 14)

    still_open = [(cst(2026, 11, 23, 10), None)]
    assert due_at(PLAIN, start, 4 * H, still_open) is None
    assert elapsed_business_time(PLAIN, start, cst(2026, 11, 23, 12), still_open) == H


def test_hold_time_survives_a_change_of_policy() -> None:
    start = cst(2026, 11, 23, 9)
    pauses = [(cst(2026, 11, 23, 10), cst(2026, 11, 23, 11))]
    now = cst(2026, 11, 23, 15)
    elapsed = elapsed_business_time(PLAIN, start, now, pauses)
    assert elapsed == 5 * H  # 6 h of office time minus the hour on hold

    # The policy changes from 4 h to 6 h: same pauses, the hour on hold stays excluded.
    assert due_at(PLAIN, start, 4 * H, pauses) == cst(2026, 11, 23, 14)
    assert due_at(PLAIN, start, 6 * H, pauses) == cst(2026, 11, 23, 16)
    for target in (4 * H, 6 * H, 9 * H):
        due = due_at(PLAIN, start, target, pauses)
        assert due is not None
        assert elapsed_business_time(PLAIN, start, due, pauses) == target
        assert business_time_between(PLAIN, start, due) == target + H


# --- finer semantics -------------------------------------------------------------------


def test_zero_duration_is_start_itself_and_ending_at_closing_time_stays_there() -> None:
    saturday = cst(2026, 11, 28, 10)
    assert add_business_time(PLAIN, saturday, timedelta(0)) == saturday
    assert add_business_time(PLAIN, cst(2026, 11, 27, 17), H) == cst(2026, 11, 27, 18)


def test_between_is_zero_for_empty_or_reversed_ranges() -> None:
    a, b = cst(2026, 11, 24, 10), cst(2026, 11, 24, 12)
    assert business_time_between(PLAIN, b, a) == timedelta(0)
    assert business_time_between(PLAIN, a, a) == timedelta(0)


def test_any_input_zone_gives_the_same_instant() -> None:
    start = cst(2026, 11, 27, 17, 55)
    for moment in (start, start.astimezone(UTC), start.astimezone(ZoneInfo("America/New_York"))):
        assert add_business_time(PLAIN, moment, H) == cst(2026, 11, 30, 9, 55)


def test_overlapping_pauses_are_merged_and_clipped() -> None:
    start = cst(2026, 11, 23, 9)
    pauses = [
        (cst(2026, 11, 23, 10), cst(2026, 11, 23, 11)),
        (cst(2026, 11, 23, 10, 30), cst(2026, 11, 23, 11, 30)),
        (cst(2026, 11, 23, 8), cst(2026, 11, 23, 9, 15)),  # began before the request
        (cst(2026, 11, 23, 19), cst(2026, 11, 23, 20)),  # outside office hours: no effect
    ]
    now = cst(2026, 11, 23, 13)
    assert elapsed_business_time(PLAIN, start, now, pauses) == timedelta(hours=2, minutes=15)
    assert due_at(PLAIN, start, 4 * H, pauses) == cst(2026, 11, 23, 14, 45)


def test_hold_opened_after_the_deadline_does_not_hide_the_breach() -> None:
    start = cst(2026, 11, 23, 9)
    late_hold = [(cst(2026, 11, 23, 11), None)]
    assert due_at(PLAIN, start, H, late_hold) == cst(2026, 11, 23, 10)
    assert due_at(PLAIN, start, 2 * H, late_hold) == cst(2026, 11, 23, 11)  # exactly at hold
    assert due_at(PLAIN, start, 3 * H, late_hold) is None


def test_holiday_wins_over_extra_workday_and_extra_hours_apply() -> None:
    sat, sun = date(2026, 10, 10), date(2026, 10, 11)
    cal = BusinessCalendar(extra_workdays=frozenset({sat, sun}), holidays=frozenset({sun}))
    assert cal.intervals_on(sat) == DEFAULT.weekly[0]
    assert cal.intervals_on(sun) == ()
    short = BusinessCalendar(
        extra_workdays=frozenset({sat}), extra_workday_hours=((time(10), time(12)),)
    )
    assert short.intervals_on(sat) == ((time(10), time(12)),)
    nothing = BusinessCalendar(weekly={}, extra_workdays=frozenset({sat}))
    assert nothing.intervals_on(sat) == ()


def test_round_the_clock_service() -> None:
    cal = BusinessCalendar(weekly={d: ((time(0), END_OF_DAY),) for d in range(7)})
    start = cst(2026, 11, 24, 23, 30)
    assert add_business_time(cal, start, timedelta(hours=72)) == start + timedelta(hours=72)
    assert cal.to_dict()["weekly"]["0"] == [["00:00", "24:00"]]
    assert BusinessCalendar.from_dict(cal.to_dict()) == cal


def test_dst_days_count_real_elapsed_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    cal = BusinessCalendar(time_zone="Europe/Berlin", weekly={6: ((time(1), time(4)),)})

    def day(d: date) -> timedelta:
        return business_time_between(
            cal, datetime.combine(d, time(0), berlin), datetime.combine(d, time(12), berlin)
        )

    assert day(date(2026, 3, 29)) == 2 * H  # spring forward: 02:00-03:00 never happens
    assert day(date(2026, 10, 25)) == 4 * H  # fall back: 02:00-03:00 happens twice
    assert day(date(2026, 11, 1)) == 3 * H
    start = datetime(2026, 3, 29, 1, 30, tzinfo=berlin)
    assert add_business_time(cal, start, H) == datetime(2026, 3, 29, 3, 30, tzinfo=berlin)

    gap = BusinessCalendar(time_zone="Europe/Berlin", weekly={6: ((time(2, 30), time(5)),)})
    spring = datetime(2026, 3, 29, tzinfo=berlin)
    assert add_business_time(gap, spring, H) == datetime(2026, 3, 29, 4, tzinfo=berlin)
    only_gap = BusinessCalendar(time_zone="Europe/Berlin", weekly={6: ((time(2), time(3)),)})
    assert business_time_between(only_gap, spring, spring + 24 * H) == timedelta(0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_business_time(PLAIN, datetime(2026, 11, 24, 9), H), "timezone-aware"),
        (lambda: add_business_time(PLAIN, cst(2026, 11, 24, 9), -H), "negative"),
        (lambda: due_at(PLAIN, cst(2026, 11, 24, 9), -H), "negative"),
        (lambda: business_time_between(PLAIN, cst(2026, 1, 1), datetime(2026, 1, 2)), "naive"),
        (
            lambda: elapsed_business_time(
                PLAIN, cst(2026, 1, 1), cst(2026, 1, 2), [(cst(2026, 1, 1, 12), cst(2026, 1, 1))]
            ),
            "before it starts",
        ),
        (
            lambda: elapsed_business_time(
                PLAIN, cst(2026, 1, 1), cst(2026, 1, 2), [(datetime(2026, 1, 1), None)]
            ),
            "timezone-aware",
        ),
    ],
)
def test_bad_arguments_raise_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_calendar_without_working_time_fails_instead_of_looping() -> None:
    empty = BusinessCalendar(weekly={})
    with pytest.raises(ValueError, match="working time"):
        add_business_time(empty, cst(2026, 11, 24, 9), H)
    assert add_business_time(empty, cst(2026, 11, 24, 9), timedelta(0)) == cst(2026, 11, 24, 9)
    assert business_time_between(empty, cst(2026, 1, 1), cst(2027, 1, 1)) == timedelta(0)


# --- storage ---------------------------------------------------------------------------


def test_to_dict_is_json_safe_and_readable() -> None:
    cal = BusinessCalendar(
        holidays=frozenset({date(2026, 10, 2), date(2026, 10, 1)}),
        extra_workdays=frozenset({date(2026, 10, 10)}),
        extra_workday_hours=((time(9), time(17, 30)),),
    )
    data = cal.to_dict()
    assert data == {
        "time_zone": "Asia/Shanghai",
        "weekly": {str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(5)},
        "holidays": ["2026-10-01", "2026-10-02"],
        "extra_workdays": ["2026-10-10"],
        "extra_workday_hours": [["09:00", "17:30"]],
    }
    assert BusinessCalendar.from_dict(json.loads(json.dumps(data))) == cal
    assert BusinessCalendar.from_dict({}) == DEFAULT


def test_equal_calendars_compare_and_hash_equal() -> None:
    listed = BusinessCalendar(weekly={4: [(time(9), time(18))], 5: [], 0: [[time(9), time(18)]]})
    tupled = BusinessCalendar(weekly={0: ((time(9), time(18)),), 4: ((time(9), time(18)),)})
    assert listed == tupled
    assert hash(listed) == hash(tupled)
    with pytest.raises(TypeError):
        listed.weekly[1] = ()  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekly": {"0": [["13:00", "18:00"], ["09:00", "12:00"]]}}, "sorted"),
        ({"weekly": {"0": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "overlap"),
        ({"weekly": {"0": [["18:00", "09:00"]]}}, "not after start"),
        ({"weekly": {"0": [["09:00", "09:00"]]}}, "not after start"),
        ({"weekly": {"7": [["09:00", "18:00"]]}}, r"0\.\.6"),
        ({"weekly": {"-1": [["09:00", "18:00"]]}}, r"0\.\.6"),
        ({"weekly": {"mon": [["09:00", "18:00"]]}}, r"0\.\.6"),
        ({"weekly": {"0": [["9am", "18:00"]]}}, "time like"),
        ({"weekly": {"0": [["09:00"]]}}, "pair"),
        ({"weekly": [["09:00", "18:00"]]}, "weekday"),
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"time_zone": ""}, "IANA"),
        ({"holidays": ["2026-13-01"]}, "date like"),
        ({"holidays": "2026-10-01"}, "list of dates"),
        ({"extra_workday_hours": [["10:00", "09:00"]]}, "extra_workday_hours"),
        ({"timezone": "Asia/Shanghai"}, "unknown calendar field"),
    ],
)
def test_from_dict_rejects_bad_data_clearly(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_dict(data)


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match=r"0\.\.6"):
        BusinessCalendar(weekly={7: ((time(9), time(18)),)})
    with pytest.raises(ValueError, match="dates"):
        BusinessCalendar(holidays=frozenset({datetime(2026, 10, 1)}))


# --- properties ------------------------------------------------------------------------

ZONES = ["Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def day_intervals(draw: st.DrawFn) -> tuple[tuple[time, time], ...]:
    """1-3 sorted, disjoint intervals on a minute grid; 24:00 may close the last one."""
    count = draw(st.integers(1, 3))
    points = sorted(
        draw(st.lists(st.integers(0, 1440), min_size=2 * count, max_size=2 * count, unique=True))
    )

    def as_time(minute: int) -> time:
        return END_OF_DAY if minute == 1440 else time(minute // 60, minute % 60)

    return tuple((as_time(a), as_time(b)) for a, b in zip(points[::2], points[1::2], strict=True))


DATES = st.dates(date(2025, 1, 1), date(2027, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        weekly={d: draw(day_intervals()) for d in days},
        holidays=draw(st.frozensets(DATES, max_size=20)),
        extra_workdays=draw(st.frozensets(DATES, max_size=5)),
        extra_workday_hours=draw(st.none() | day_intervals()),
    )


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Whole-minute instants in 2025-2027, expressed in assorted zones."""
    moment = EPOCH + timedelta(minutes=draw(st.integers(0, 3 * 365 * 24 * 60)))
    return moment.astimezone(ZoneInfo(draw(st.sampled_from([*ZONES, "Asia/Kolkata"]))))


@st.composite
def calendar_and_duration(draw: st.DrawFn) -> tuple[BusinessCalendar, timedelta]:
    """A duration up to 200 h, capped so sparse calendars still meet it within months."""
    cal = draw(calendars())
    weekly_minutes = sum(
        (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds() // 60
        + (1 if b == END_OF_DAY else 0)
        for intervals in cal.weekly.values()
        for a, b in intervals
    )
    cap = int(min(200 * 60, weekly_minutes * 20))
    return cal, timedelta(minutes=draw(st.integers(0, cap)))


@FAST
@given(calendar_and_duration(), instants())
def test_between_inverts_add(cal_duration: tuple[BusinessCalendar, timedelta], start: datetime):
    cal, duration = cal_duration
    end = add_business_time(cal, start, duration)
    assert end >= start
    assert business_time_between(cal, start, end) == duration
    if duration:  # the earliest such instant: a second earlier is not enough yet
        assert business_time_between(cal, start, end - timedelta(seconds=1)) < duration


@FAST
@given(calendar_and_duration(), st.integers(0, 600), instants())
def test_add_is_monotonic(
    cal_duration: tuple[BusinessCalendar, timedelta], shorter_by: int, start: datetime
) -> None:
    cal, longer = cal_duration
    shorter = max(longer - timedelta(minutes=shorter_by), timedelta(0))
    assert add_business_time(cal, start, shorter) <= add_business_time(cal, start, longer)


@FAST
@given(calendars(), instants(), st.integers(0, 40 * 24 * 60), st.integers(0, 40 * 24 * 60))
def test_between_is_additive(cal: BusinessCalendar, a: datetime, ab: int, bc: int) -> None:
    b = a + timedelta(minutes=ab)
    c = b + timedelta(minutes=bc)
    total = business_time_between(cal, a, c)
    assert business_time_between(cal, a, b) + business_time_between(cal, b, c) == total
    assert timedelta(0) <= total <= c - a
    assert elapsed_business_time(cal, a, c, []) == total


@FAST
@given(
    calendar_and_duration(),
    instants(),
    st.lists(st.tuples(st.integers(-600, 20000), st.integers(0, 3000)), max_size=4),
)
def test_due_at_agrees_with_elapsed(
    cal_duration: tuple[BusinessCalendar, timedelta],
    start: datetime,
    raw_pauses: list[tuple[int, int]],
) -> None:
    cal, target = cal_duration
    pauses = [
        (start + timedelta(minutes=at), start + timedelta(minutes=at + length))
        for at, length in raw_pauses
    ]
    due = due_at(cal, start, target, pauses)
    assert due is not None
    assert elapsed_business_time(cal, start, due, pauses) == target
    if not pauses:
        assert due == add_business_time(cal, start, target)


@FAST
@given(calendars())
def test_dict_round_trip(cal: BusinessCalendar) -> None:
    data = json.loads(json.dumps(cal.to_dict()))
    assert BusinessCalendar.from_dict(data) == cal
