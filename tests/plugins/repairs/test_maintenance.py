"""Preventive maintenance: the date rule, the schedule admin, the job, the desk page."""

from __future__ import annotations

import asyncio
from calendar import monthrange
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from core.identity.service import SERVICE_LOGIN, set_plugin_enabled
from core.jobs import JobContext
from core.tables import AuditEntry, ServiceRequest, User
from plugins.repairs import maintenance as M
from plugins.repairs.assets import new_token
from plugins.repairs.tables import (
    Place,
    RepairAsset,
    RepairRequestDetail,
    RepairSchedule,
)
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "dispatcher": ("employee", "dispatcher"),
    "admin": ("employee", "org_admin"),
    "repairs_admin": ("employee", "service_admin:repairs"),
}

# ---------------------------------------------------------------- the date rule

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
UNIT = st.sampled_from(M.UNITS)
COUNT = st.integers(min_value=1, max_value=M.MAX_COUNT)


def test_advance_examples() -> None:
    assert M.advance(date(2025, 1, 31), 1, "month") == date(2025, 2, 28)
    assert M.advance(date(2024, 1, 31), 1, "month") == date(2024, 2, 29)
    assert M.advance(date(2025, 3, 31), 1, "month") == date(2025, 4, 30)
    assert M.advance(date(2025, 11, 30), 3, "month") == date(2026, 2, 28)
    assert M.advance(date(2025, 12, 15), 1, "month") == date(2026, 1, 15)
    assert M.advance(date(2025, 1, 1), 12, "month") == date(2026, 1, 1)
    assert M.advance(date(2025, 2, 27), 2, "day") == date(2025, 3, 1)
    assert M.advance(date(2025, 12, 29), 1, "week") == date(2026, 1, 5)
    # clamped, then the clamped day is the anchor (kept simple on purpose)
    assert M.advance(M.advance(date(2025, 1, 31), 1, "month"), 1, "month") == date(2025, 3, 28)
    assert M.generate_on(date(2025, 3, 3), 3) == date(2025, 2, 28)
    assert M.generate_on(date(2025, 3, 3), 0) == date(2025, 3, 3)
    with pytest.raises(ValueError):
        M.advance(date(2025, 1, 1), 1, "year")
    with pytest.raises(ValueError):
        M.advance(date(2025, 1, 1), 0, "day")


@given(DAYS, COUNT, UNIT)
def test_advance_moves_forward_by_the_interval(day: date, count: int, unit: str) -> None:
    nxt = M.advance(day, count, unit)
    assert nxt > day
    if unit == "day":
        assert (nxt - day).days == count
    elif unit == "week":
        assert (nxt - day).days == 7 * count and nxt.weekday() == day.weekday()
    else:
        months = (nxt.year - day.year) * 12 + nxt.month - day.month
        assert months == count
        assert nxt.day == min(day.day, monthrange(nxt.year, nxt.month)[1])
        assert nxt.day <= day.day


@given(DAYS, DAYS, COUNT, UNIT)
def test_advance_keeps_order(a: date, b: date, count: int, unit: str) -> None:
    early, late = sorted((a, b))
    assert M.advance(early, count, unit) <= M.advance(late, count, unit)


@given(DAYS, st.integers(min_value=0, max_value=M.MAX_LEAD))
def test_generate_on_is_lead_days_before(day: date, lead: int) -> None:
    opens = M.generate_on(day, lead)
    assert opens <= day and (day - opens).days == lead


@given(DAYS, st.integers(min_value=0, max_value=2000), COUNT, UNIT)
def test_next_after_skips_missed_dates_only(due: date, late: int, count: int, unit: str) -> None:
    today = due + timedelta(days=late)
    nxt = M.next_after(due, count, unit, today)
    assert nxt > due and nxt >= today
    # it is an occurrence of the schedule, and no later one would do
    step = M.advance(due, count, unit)
    while step < nxt:
        assert step < today
        step = M.advance(step, count, unit)
    assert step == nxt


# ---------------------------------------------------------------- fixtures


@pytest.fixture
async def morg(db) -> OrgFixture:
    return await make_org(ROLES)


def _ctx(app) -> JobContext:
    return JobContext(settings=app.state.settings, registry=app.state.plugins)


async def _room(org_id: int) -> int:
    async def add(kind: str, name: str, parent: int | None) -> int:
        rows = await Place.insert(
            Place(org=org_id, parent=parent, kind=kind, name=name, code=name)
        ).returning(Place.id)
        return rows[0]["id"]

    building = await add("building", "行政楼", None)
    floor = await add("floor", "3 层", building)
    return await add("room", "A301", floor)


async def _asset(
    org_id: int,
    code: str,
    category: str = "hvac",
    name: str = "立式空调",
    location: int | None = None,
    status: str = "active",
) -> int:
    rows = await RepairAsset.insert(
        RepairAsset(
            org=org_id,
            code=code,
            name=name,
            category=category,
            location=location,
            status=status,
            qr_token=new_token(),
        )
    ).returning(RepairAsset.id)
    return rows[0]["id"]


async def _schedule(
    org_id: int,
    *,
    asset: int | None = None,
    category: str = "",
    next_due: date,
    count: int = 1,
    unit: str = "month",
    lead: int = 3,
    title: str = "Quarterly service",
) -> int:
    rows = await RepairSchedule.insert(
        RepairSchedule(
            org=org_id,
            title=title,
            asset=asset,
            category=category,
            interval_count=count,
            interval_unit=unit,
            lead_days=lead,
            next_due=next_due,
        )
    ).returning(RepairSchedule.id)
    return rows[0]["id"]


async def _next_due(schedule_id: int) -> date:
    row = await RepairSchedule.select(RepairSchedule.next_due).where(
        RepairSchedule.id == schedule_id
    )
    return row[0]["next_due"]


async def _requests(org_id: int) -> list[dict]:
    return await (
        ServiceRequest.select().where(ServiceRequest.org == org_id).order_by(ServiceRequest.id)
    )


# ---------------------------------------------------------------- admin pages


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "空调季度保养",
        "target": "asset",
        "asset_code": "PM-0002",
        "category": "",
        "interval_count": "3",
        "interval_unit": "month",
        "lead_days": "5",
        "next_due": (date.today() + timedelta(days=20)).isoformat(),
        "active": "on",
    }
    return {**data, **overrides}


async def test_schedule_admin_validates_creates_and_edits(
    client: AsyncTestClient, morg: OrgFixture
) -> None:
    asset = await _asset(morg.id, "PM-0002")
    await login(client, morg.logins["repairs_admin"])
    empty = await client.get("/s/repairs/admin/schedules")
    assert empty.status_code == 200 and "No maintenance schedules yet." in empty.text
    assert (await client.get("/s/repairs/admin/schedules/new")).status_code == 200

    bad = await post(
        client,
        "/s/repairs/admin/schedules",
        _form(
            title="",
            asset_code="NOPE-1",
            interval_count="0",
            interval_unit="year",
            lead_days="61",
            next_due=(date.today() - timedelta(days=3)).isoformat(),
        ),
    )
    assert bad.status_code == 422
    for message in (
        "Give the schedule a title",
        "No asset has the code NOPE-1.",
        "Enter a whole number from 1 to 365.",
        "Choose days, weeks or months.",
        "Enter a whole number of days from 0 to 60.",
        "The due date cannot be in the past.",
    ):
        assert message in bad.text, message
    assert 'value="NOPE-1"' in bad.text  # the input is kept
    neither = await post(
        client, "/s/repairs/admin/schedules", _form(target="", next_due="31/12/2030")
    )
    assert neither.status_code == 422
    assert "Choose one asset or a whole category." in neither.text
    assert "Enter a date as YYYY-MM-DD" in neither.text
    no_cat = await post(client, "/s/repairs/admin/schedules", _form(target="category"))
    assert no_cat.status_code == 422 and "Choose a category." in no_cat.text
    assert await RepairSchedule.count().where(RepairSchedule.org == morg.id) == 0

    ok = await post(client, "/s/repairs/admin/schedules", _form())
    assert ok.status_code == 303 and ok.headers["location"] == "/s/repairs/admin/schedules"
    row = await RepairSchedule.objects().where(RepairSchedule.org == morg.id).first()
    assert (row.asset, row.category, row.interval_count, row.interval_unit) == (
        asset,
        "",
        3,
        "month",
    )
    assert row.lead_days == 5 and row.active and row.created_by == morg.users["repairs_admin"]
    assert await AuditEntry.exists().where(
        (AuditEntry.org == morg.id) & (AuditEntry.action == "repairs.schedule_saved")
    )
    listing = await client.get("/s/repairs/admin/schedules")
    assert "空调季度保养" in listing.text and "PM-0002" in listing.text
    assert "Every 3 months" in listing.text and "None yet" in listing.text

    edit = await client.get(f"/s/repairs/admin/schedules/{row.id}/edit")
    assert edit.status_code == 200 and 'value="PM-0002"' in edit.text
    changed = await post(
        client,
        f"/s/repairs/admin/schedules/{row.id}",
        _form(target="category", category="hvac", interval_count="2", interval_unit="week"),
    )
    assert changed.status_code == 303
    row = await RepairSchedule.objects().where(RepairSchedule.id == row.id).first()
    assert row.asset is None and row.category == "hvac" and row.interval_unit == "week"
    # a due date already in the past may stay when the rest is edited
    await RepairSchedule.update({RepairSchedule.next_due: date(2020, 1, 1)}).where(
        RepairSchedule.id == row.id
    )
    kept = await post(
        client,
        f"/s/repairs/admin/schedules/{row.id}",
        _form(target="category", category="hvac", next_due="2020-01-01", active=""),
    )
    assert kept.status_code == 303
    row = await RepairSchedule.objects().where(RepairSchedule.id == row.id).first()
    assert not row.active and row.next_due == date(2020, 1, 1)


async def test_zh_messages_on_the_schedule_form(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES, locale="zh_CN")
    await login(client, org.logins["repairs_admin"])
    bad = await post(client, "/s/repairs/admin/schedules", _form(title="", asset_code=""))
    assert bad.status_code == 422
    assert "请" in bad.text and "Give the schedule a title" not in bad.text


async def test_another_orgs_asset_and_schedule_are_out_of_reach(
    client: AsyncTestClient, morg: OrgFixture
) -> None:
    other = await make_org(ROLES)
    theirs = await _asset(other.id, "THEIRS-1")
    their_schedule = await _schedule(other.id, asset=theirs, next_due=date(2030, 1, 1))
    await login(client, morg.logins["repairs_admin"])
    sent = await post(client, "/s/repairs/admin/schedules", _form(asset_code="THEIRS-1"))
    assert sent.status_code == 422 and "No asset has the code THEIRS-1." in sent.text
    assert await RepairSchedule.count().where(RepairSchedule.org == morg.id) == 0
    edit = await client.get(f"/s/repairs/admin/schedules/{their_schedule}/edit")
    assert edit.status_code == 404
    await _asset(morg.id, "MINE-1")
    changed = await post(
        client, f"/s/repairs/admin/schedules/{their_schedule}", _form(asset_code="MINE-1")
    )
    assert changed.status_code == 404
    assert (
        await RepairSchedule.objects().where(RepairSchedule.id == their_schedule).first()
    ).asset == theirs
    listing = await client.get("/s/repairs/admin/schedules")
    assert "Quarterly service" not in listing.text


async def test_retired_asset_cannot_be_scheduled(client: AsyncTestClient, morg: OrgFixture) -> None:
    await _asset(morg.id, "OLD-1", status="retired")
    await login(client, morg.logins["admin"])
    sent = await post(client, "/s/repairs/admin/schedules", _form(asset_code="OLD-1"))
    assert sent.status_code == 422 and "retired" in sent.text


async def test_who_may_open_the_pages(client: AsyncTestClient, morg: OrgFixture) -> None:
    schedule = await _schedule(morg.id, category="hvac", next_due=date(2030, 1, 1))
    await login(client, morg.logins["employee"])
    for url in (
        "/s/repairs/admin/schedules",
        "/s/repairs/admin/schedules/new",
        f"/s/repairs/admin/schedules/{schedule}/edit",
        "/s/repairs/maintenance",
    ):
        assert (await client.get(url)).status_code == 403, url
    sent = await post(client, "/s/repairs/admin/schedules", _form(target="category", category="it"))
    assert sent.status_code == 403
    assert await RepairSchedule.count().where(RepairSchedule.org == morg.id) == 1
    assert "/s/repairs/maintenance" not in (await client.get("/me")).text
    await login(client, morg.logins["agent"])
    assert (await client.get("/s/repairs/maintenance")).status_code == 200
    assert (await client.get("/s/repairs/admin/schedules")).status_code == 403
    assert "/s/repairs/maintenance" in (await client.get("/me")).text
    await login(client, morg.logins["admin"])
    admin = await client.get("/admin")
    assert "/s/repairs/admin/schedules" in admin.text


async def test_schedule_list_pages_with_a_fixed_query_count(
    client: AsyncTestClient, morg: OrgFixture, queries
) -> None:
    asset = await _asset(morg.id, "PM-1")
    for i in range(3):
        await _schedule(morg.id, asset=asset, next_due=date(2030, 1, 1), title=f"S{i}")
    await login(client, morg.logins["repairs_admin"])
    queries.reset()
    assert (await client.get("/s/repairs/admin/schedules")).status_code == 200
    few = queries.count
    for i in range(3, M.PAGE + 5):
        await _schedule(morg.id, category="it", next_due=date(2030, 1, 1), title=f"S{i}")
    queries.reset()
    first = await client.get("/s/repairs/admin/schedules")
    assert queries.count == few
    assert "S0" in first.text and f"S{M.PAGE + 2}" not in first.text
    after = first.text.split("after=")[1].split('"')[0]
    rest = await client.get(f"/s/repairs/admin/schedules?after={after}")
    assert f"S{M.PAGE + 2}" in rest.text and ">S0<" not in rest.text


# ---------------------------------------------------------------- the job


async def test_job_opens_the_request_ahead_of_the_due_date_once(app, morg: OrgFixture) -> None:
    room = await _room(morg.id)
    asset = await _asset(morg.id, "PM-0002", location=room)
    due = date(2030, 3, 31)
    schedule = await _schedule(morg.id, asset=asset, next_due=due, lead=3)
    ctx = _ctx(app)
    early = await M.run_maintenance(ctx, org_ids=[morg.id], today=due - timedelta(days=4))
    assert early["created"] == 0 and await _requests(morg.id) == []
    assert await _next_due(schedule) == due

    counts = await M.run_maintenance(ctx, org_ids=[morg.id], today=due - timedelta(days=3))
    assert counts == {"created": 1, "advanced": 1, "failed": 0}
    (req,) = await _requests(morg.id)
    assert req["title"] == "Preventive maintenance: 立式空调"
    assert req["kind"] == "hvac" and req["channel"] == "desk" and req["priority"] == "normal"
    assert req["service"] == "repairs" and "A301" in req["location"]
    requester = await User.objects().where(User.id == req["requester"]).first()
    assert requester.login == SERVICE_LOGIN.format(key="maintenance", org=morg.id)
    assert not requester.is_active
    detail = (
        await RepairRequestDetail.objects().where(RepairRequestDetail.request == req["id"]).first()
    )
    assert (detail.asset, detail.location, detail.schedule, detail.due_on) == (
        asset,
        room,
        schedule,
        due,
    )
    assert await _next_due(schedule) == date(2030, 4, 30)

    again = await M.run_maintenance(ctx, org_ids=[morg.id], today=due - timedelta(days=3))
    assert again["created"] == 0
    assert len(await _requests(morg.id)) == 1
    assert await _next_due(schedule) == date(2030, 4, 30)


async def test_request_is_worded_in_the_orgs_language(app, db) -> None:
    org = await make_org(ROLES, locale="zh_CN")
    asset = await _asset(org.id, "PM-9", name="会议室投影仪", category="it")
    await _schedule(org.id, asset=asset, next_due=date(2030, 1, 10), lead=0)
    await M.run_maintenance(_ctx(app), org_ids=[org.id], today=date(2030, 1, 10))
    (req,) = await _requests(org.id)
    assert req["title"] == "预防性维护：会议室投影仪"
    assert "计划" in req["description"] or "保养" in req["description"]


async def test_org_without_the_plugin_is_skipped(app, morg: OrgFixture) -> None:
    asset = await _asset(morg.id, "PM-1")
    schedule = await _schedule(morg.id, asset=asset, next_due=date(2030, 1, 10))
    await set_plugin_enabled(morg.id, "repairs", False, None)
    counts = await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=date(2030, 1, 10))
    assert counts["created"] == 0 and await _requests(morg.id) == []
    assert await _next_due(schedule) == date(2030, 1, 10)
    await set_plugin_enabled(morg.id, "repairs", True, None)
    await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=date(2030, 1, 10))
    assert len(await _requests(morg.id)) == 1


async def test_category_schedule_opens_one_request_per_active_asset(app, morg: OrgFixture) -> None:
    first = await _asset(morg.id, "AC-1")
    second = await _asset(morg.id, "AC-2", name="中央空调")
    await _asset(morg.id, "AC-3", status="retired")
    await _asset(morg.id, "PC-1", category="it", name="台式电脑")
    other = await make_org(ROLES)
    await _asset(other.id, "AC-X")  # another org's air conditioner is not ours
    schedule = await _schedule(
        morg.id, category="hvac", next_due=date(2030, 6, 1), count=2, unit="week", lead=7
    )
    ctx = _ctx(app)
    counts = await M.run_maintenance(ctx, org_ids=[morg.id, other.id], today=date(2030, 5, 25))
    assert counts["created"] == 2
    details = await RepairRequestDetail.select(
        RepairRequestDetail.asset, RepairRequestDetail.due_on, RepairRequestDetail.schedule
    ).where(RepairRequestDetail.org == morg.id)
    assert sorted(d["asset"] for d in details) == [first, second]
    assert {(d["due_on"], d["schedule"]) for d in details} == {(date(2030, 6, 1), schedule)}
    assert {r["kind"] for r in await _requests(morg.id)} == {"hvac"}
    assert await _requests(other.id) == []
    assert await _next_due(schedule) == date(2030, 6, 15)
    await M.run_maintenance(ctx, org_ids=[morg.id], today=date(2030, 5, 25))
    assert len(await _requests(morg.id)) == 2


async def test_a_failed_submit_keeps_the_due_date_and_the_next_run_finishes(
    app, morg: OrgFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _asset(morg.id, "AC-1")
    broken = await _asset(morg.id, "AC-2")
    schedule = await _schedule(morg.id, category="hvac", next_due=date(2030, 6, 1))
    real_submit = M.submit

    async def flaky(actor, service, data, **kwargs):
        if kwargs["idempotency_key"].endswith(f":{broken}"):
            raise RuntimeError("database went away")
        return await real_submit(actor, service, data, **kwargs)

    monkeypatch.setattr(M, "submit", flaky)
    with pytest.raises(M.MaintenanceFailed):
        await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=date(2030, 6, 1))
    assert len(await _requests(morg.id)) == 1
    assert await _next_due(schedule) == date(2030, 6, 1)  # not lost: still due
    monkeypatch.setattr(M, "submit", real_submit)
    counts = await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=date(2030, 6, 1))
    assert counts == {"created": 1, "advanced": 1, "failed": 0}
    assert len(await _requests(morg.id)) == 2  # the first one was not opened twice
    assert await _next_due(schedule) == date(2030, 7, 1)


async def test_overlapping_runs_open_each_request_once(app, morg: OrgFixture) -> None:
    for i in range(3):
        await _asset(morg.id, f"AC-{i}")
    schedule = await _schedule(morg.id, category="hvac", next_due=date(2030, 6, 1))
    ctx = _ctx(app)
    await asyncio.gather(
        *(M.run_maintenance(ctx, org_ids=[morg.id], today=date(2030, 6, 1)) for _ in range(2))
    )
    assert len(await _requests(morg.id)) == 3
    assert await RepairRequestDetail.count().where(RepairRequestDetail.org == morg.id) == 3
    assert await _next_due(schedule) == date(2030, 7, 1)


async def test_short_interval_and_missed_dates(app, morg: OrgFixture) -> None:
    asset = await _asset(morg.id, "PM-1")
    # every day, two days ahead: today, tomorrow and the day after are opened at once
    daily = await _schedule(
        morg.id, asset=asset, next_due=date(2030, 1, 10), count=1, unit="day", lead=2
    )
    await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=date(2030, 1, 10))
    dues = sorted(
        r["due_on"]
        for r in await RepairRequestDetail.select(RepairRequestDetail.due_on).where(
            RepairRequestDetail.schedule == daily
        )
    )
    assert dues == [date(2030, 1, 10), date(2030, 1, 11), date(2030, 1, 12)]
    assert await _next_due(daily) == date(2030, 1, 13)
    # months missed while nothing ran: one (overdue) request, then from today on
    monthly = await _schedule(morg.id, asset=asset, next_due=date(2030, 1, 5), lead=0)
    await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=date(2030, 4, 20))
    assert await RepairRequestDetail.count().where(RepairRequestDetail.schedule == monthly) == 1
    assert await _next_due(monthly) == date(2030, 5, 5)


# ---------------------------------------------------------------- the desk page


async def test_desk_page_shows_overdue_and_upcoming(
    app, client: AsyncTestClient, morg: OrgFixture, queries
) -> None:
    today = M.local_today("Asia/Shanghai")
    late = await _asset(morg.id, "AC-LATE", name="会议室空调")
    soon = await _asset(morg.id, "PC-SOON", category="it", name="前台电脑")
    await _schedule(morg.id, asset=late, next_due=today - timedelta(days=4), title="Late one")
    await _schedule(morg.id, asset=soon, next_due=today + timedelta(days=2), title="Soon one")
    await _schedule(morg.id, category="it", next_due=today + timedelta(days=20), title="Later one")
    await _schedule(morg.id, category="it", next_due=today + timedelta(days=45), title="Far one")
    await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=today)
    numbers = {r["title"]: r["number"] for r in await _requests(morg.id)}
    late_number = numbers["Preventive maintenance: 会议室空调"]
    soon_number = numbers["Preventive maintenance: 前台电脑"]

    await login(client, morg.logins["dispatcher"])
    queries.reset()
    page = await client.get("/s/repairs/maintenance")
    assert page.status_code == 200
    few = queries.count
    overdue, rest = page.text.split('id="maint-open"')
    assert f'href="/requests/{late_number}"' in overdue and "overdue 4 days" in overdue
    assert "due--breached" in overdue and soon_number not in overdue
    assert f'href="/requests/{soon_number}"' in rest and "in 2 days" in rest
    assert "Later one" in rest and "Far one" not in rest

    # done is done: a resolved maintenance request is not overdue any more
    await ServiceRequest.update({ServiceRequest.status: "resolved"}).where(
        (ServiceRequest.org == morg.id) & (ServiceRequest.number == late_number)
    )
    for i in range(4):
        extra = await _asset(morg.id, f"AC-X{i}")
        await _schedule(morg.id, asset=extra, next_due=today - timedelta(days=1), title=f"X{i}")
    await M.run_maintenance(_ctx(app), org_ids=[morg.id], today=today)
    queries.reset()
    page = await client.get("/s/repairs/maintenance")
    assert queries.count == few
    overdue = page.text.split('id="maint-open"')[0]
    assert late_number not in overdue and overdue.count("overdue 1 day") == 4

    # the same predicate as the request pages: an agent sees only their own
    await login(client, morg.logins["agent"])
    mine = await client.get("/s/repairs/maintenance")
    assert late_number not in mine.text and soon_number not in mine.text
    assert "No maintenance is overdue." in mine.text
