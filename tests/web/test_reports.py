"""The reports page (/desk/reports): who may read it, the period, core's figures per
service (exact numbers from requests with known timestamps), plugin sections of enabled
plugins only, and a fixed number of queries.

The app here has only core and the fixture plugin (tests/fixture_plugin): core's report
needs none of the built-in plugins."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.clock import local_today
from core.config import Settings
from core.descriptors import Period
from core.i18n import use_locale
from core.identity.service import set_plugin_enabled
from core.reports import MAX_DAYS, PeriodError, core_section, parse_period
from core.tables import Rating, RequestEvent, ServiceRequest
from tests.conftest import OrgFixture, QueryCounter, login, make_org
from tests.fixtures import fixture_plugin

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "admin": ("employee", "org_admin"),
    "auditor": ("employee", "auditor"),
    "dispatcher": ("employee", "dispatcher"),
    "fixture_admin": ("employee", "service_admin:fixture"),
}
MARCH = "/desk/reports?start=2026-03-01&end=2026-03-31"
_numbers = count(1)


def utc(day: str, hour: int = 0, minute: int = 0) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=UTC)


async def add_request(
    org: OrgFixture,
    service: str,
    submitted: datetime,
    *,
    kind: str = "other",
    responded: datetime | None = None,
    resolved: datetime | None = None,
    status: str = "submitted",
    team_id: int | None = None,
) -> int:
    rows = await ServiceRequest.insert(
        ServiceRequest(
            org=org.id,
            number=f"T-{next(_numbers):06d}",
            service=service,
            kind=kind,
            title="test",
            requester=org.users["employee"],
            status=status,
            team_id=team_id,
            submitted_at=submitted,
            first_response_at=responded,
            resolved_at=resolved,
        )
    ).returning(ServiceRequest.id)
    return rows[0]["id"]


async def reopen(org: OrgFixture, request_id: int, at: datetime) -> None:
    await RequestEvent.insert(
        RequestEvent(
            org=org.id,
            request=request_id,
            kind="status",
            from_status="resolved",
            to_status="reopened",
            created_at=at,
        )
    )


async def rate(org: OrgFixture, request_id: int, service: str, score: int, at: datetime) -> None:
    await Rating.insert(
        Rating(
            org=org.id,
            request=request_id,
            rater=org.users["employee"],
            service=service,
            score=score,
            created_at=at,
        )
    )


async def seed_general(org: OrgFixture) -> None:
    """General requests around March 2026 (Asia/Shanghai, UTC+8).

    In March: submitted A, B, C, E (E at 23:30 local on the 31st; F at 00:30 local on
    1 April is out); first responses A (1 h) and B (3 h); resolved A (4 h), B (24 h) and
    D (submitted in February, resolved 08:00 local on 1 March: 216 h); one reopen (B);
    ratings 5, 3 and 4."""
    a = await add_request(
        org,
        "general",
        utc("2026-03-02", 9),
        responded=utc("2026-03-02", 10),
        resolved=utc("2026-03-02", 13),
        status="closed",
    )
    b = await add_request(
        org,
        "general",
        utc("2026-03-03", 9),
        responded=utc("2026-03-03", 12),
        resolved=utc("2026-03-04", 9),
        status="resolved",
    )
    await add_request(org, "general", utc("2026-03-05", 9))
    d = await add_request(
        org,
        "general",
        utc("2026-02-20"),
        responded=utc("2026-02-20", 1),
        resolved=utc("2026-03-01"),
        status="closed",
    )
    await add_request(org, "general", utc("2026-03-31", 15, 30))  # 23:30 local: in
    await add_request(org, "general", utc("2026-03-31", 16, 30))  # 00:30 on 1 April: out
    await add_request(org, "general", utc("2026-02-28", 15, 59))  # 23:59 on 28 Feb: out
    await reopen(org, b, utc("2026-03-03", 15))
    await reopen(org, d, utc("2026-02-25"))  # before the period
    await rate(org, a, "general", 5, utc("2026-03-02", 14))
    await rate(org, b, "general", 3, utc("2026-03-04", 10))
    await rate(org, d, "general", 4, utc("2026-03-01", 1))


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """Core and the fixture plugin only."""
    return replace(settings, plugins_file=fixture_plugin(tmp_path / "plugins"))


@pytest.fixture
async def rorg(db) -> OrgFixture:
    return await make_org(ROLES)


# ---------------------------------------------------------------- the period


def test_period_parsing() -> None:
    today = date(2026, 3, 31)
    zone = "Asia/Shanghai"
    with use_locale("en"):
        assert parse_period("", "", zone, today) == Period(date(2026, 3, 2), today, zone)
        assert parse_period("2026-01-01", "2026-01-31", zone, today).end == date(2026, 1, 31)
        assert parse_period("", "2026-01-31", zone, today).start == date(2026, 1, 2)
        # a leap year's 366 days are allowed, one more is not
        assert parse_period("2024-01-01", "2024-12-31", zone, today).start == date(2024, 1, 1)
        for start, end, field in [
            ("2024-01-01", "2025-01-01", "end"),
            ("2026-03-05", "2026-03-04", "end"),
            ("2026-13-01", "", "start"),
            ("yesterday", "", "start"),
            ("", "2026-3-1", "end"),
            ("0001-01-01", "", "start"),
            ("", "9999-12-31", "end"),
        ]:
            with pytest.raises(PeriodError) as caught:
                parse_period(start, end, zone, today)
            assert field in caught.value.errors, (start, end)
    # the bounds are local midnights in UTC, end exclusive
    first, after = Period(date(2026, 3, 1), date(2026, 3, 31), zone).bounds
    assert first == utc("2026-02-28", 16) and after == utc("2026-03-31", 16)


# ---------------------------------------------------------------- who may read


async def test_who_may_read_the_reports(client: AsyncTestClient, rorg: OrgFixture) -> None:
    await login(client, rorg.logins["employee"])
    assert (await client.get("/desk/reports")).status_code == 403
    assert 'href="/desk/reports"' not in (await client.get("/me")).text
    for who in ("auditor", "admin", "dispatcher", "fixture_admin"):
        client.cookies.clear()
        await login(client, rorg.logins[who])
        page = await client.get("/desk/reports")
        assert page.status_code == 200, who
        assert "All services" in page.text
        assert 'href="/desk/reports"' in page.text  # the desk side navigation
    client.cookies.clear()
    await login(client, rorg.logins["agent"])
    assert (await client.get("/desk/reports")).status_code == 403


async def test_defaults_to_the_last_30_days(client: AsyncTestClient, rorg: OrgFixture) -> None:
    await login(client, rorg.logins["auditor"])
    page = await client.get("/desk/reports")
    assert page.status_code == 200
    today = local_today("Asia/Shanghai")
    start = today - timedelta(days=29)
    assert f'name="start" type="date" value="{start.isoformat()}"' in page.text
    assert f'name="end" type="date" value="{today.isoformat()}"' in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-02-30&end=2026-03-31", "Enter the first day as a date"),
        ("start=2026-03-10&end=2026-03-01", "The last day is before the first day."),
        ("start=2024-01-01&end=2025-01-01", f"A report covers at most {MAX_DAYS} days"),
        ("start=2026-03-01&end=soon", "Enter the last day as a date"),
    ],
)
async def test_a_bad_period_is_400_with_the_form(
    client: AsyncTestClient, rorg: OrgFixture, queries: QueryCounter, query: str, message: str
) -> None:
    await login(client, rorg.logins["auditor"])
    queries.reset()
    page = await client.get(f"/desk/reports?{query}")
    assert page.status_code == 400
    assert message in page.text and 'aria-invalid="true"' in page.text
    assert "All services" not in page.text  # no report for a period that is not one
    assert queries.count <= 3  # the actor only: no report query ran


async def test_a_bad_period_in_chinese(client: AsyncTestClient, db) -> None:
    org = await make_org({"employee": ("employee",), "auditor": ("auditor",)}, locale="zh_CN")
    await login(client, org.logins["auditor"])
    page = await client.get("/desk/reports?start=2026-03-10&end=2026-03-01")
    assert page.status_code == 400
    assert "The last day is before the first day." not in page.text
    assert 'role="alert"' in page.text


# ---------------------------------------------------------------- core's figures


async def test_core_figures_per_service_are_exact(app: Litestar, rorg: OrgFixture) -> None:
    await seed_general(rorg)
    other = await make_org(ROLES)
    await seed_general(other)  # another organisation's requests never count
    await add_request(rorg, "fixture", utc("2026-03-10", 1))
    period = Period(date(2026, 3, 1), date(2026, 3, 31), "Asia/Shanghai")
    with use_locale("en"):
        section = await core_section(rorg.id, period, app.state.services)
        figures = {f.label(lambda s: s): (f.value, f.hint) for f in section.figures}
    # rows in the services' order: the fixture (order 10) before general (900)
    assert section.rows == (
        ("Fixture service", "1", "0", "—", "—", "0", "0", "—", "—"),
        ("General request", "4", "3", "2.0", "81.3", "1", "3", "4.0", "67%"),
    )
    assert figures["Requests submitted"] == ("5", "")
    assert figures["Requests resolved"] == ("3", "")
    assert figures["Mean time to first response (hours, wall clock)"] == (
        "2.0",
        "2 first responses",
    )
    assert figures["Mean time to resolve (hours, wall clock)"] == ("81.3", "3 resolved")
    assert figures["Reopened"] == ("1", "")
    assert figures["Mean rating (1–5)"] == ("4.0", "3 ratings")
    assert figures["Rated 4 or 5"] == ("67%", "")
    # a service admin's rows: their services only, totals from those rows
    with use_locale("en"):
        mine = await core_section(rorg.id, period, app.state.services, {"fixture"})
    assert [r[0] for r in mine.rows] == ["Fixture service"]
    assert mine.figures[0].value == "1"


async def test_the_page_shows_the_figures(client: AsyncTestClient, rorg: OrgFixture) -> None:
    await seed_general(rorg)
    await login(client, rorg.logins["admin"])
    page = await client.get(MARCH)
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text).replace(' class="num"', "")
    assert "Mar 1, 2026" in text and "Mar 31, 2026" in text
    assert (
        '<th scope="row">General request</th><td>4</td><td>3</td><td>2.0</td><td>81.3</td>'
        "<td>1</td><td>3</td><td>4.0</td><td>67%</td>" in text
    )
    assert '<span class="report-figure__value">81.3</span>' in text


async def test_a_service_admin_sees_only_their_services(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    await seed_general(rorg)
    await add_request(rorg, "fixture", utc("2026-03-10", 1))
    await login(client, rorg.logins["fixture_admin"])
    page = await client.get(MARCH)
    assert page.status_code == 200
    assert "Only the services you administer." in page.text
    assert "General request" not in page.text
    assert '<th scope="row">Fixture service</th>' in page.text and "Fixture figures" in page.text


async def test_a_disabled_plugin_adds_no_section(client: AsyncTestClient, rorg: OrgFixture) -> None:
    await login(client, rorg.logins["auditor"])
    page = await client.get(MARCH)
    assert "Fixture figures" in page.text and "Fixture requests" in page.text
    await set_plugin_enabled(rorg.id, "fixture", False, rorg.users["admin"])
    page = await client.get(MARCH)
    assert page.status_code == 200
    assert "All services" in page.text
    assert "Fixture figures" not in page.text and "Fixture requests" not in page.text
    await set_plugin_enabled(rorg.id, "fixture", True, rorg.users["admin"])
    assert "Fixture figures" in (await client.get(MARCH)).text


async def test_the_query_count_does_not_grow_with_rows(
    client: AsyncTestClient, rorg: OrgFixture, queries: QueryCounter
) -> None:
    await login(client, rorg.logins["admin"])
    await client.get(MARCH)  # warm up: first-request set-up is not the page's cost
    queries.reset()
    assert (await client.get(MARCH)).status_code == 200
    before = queries.count
    await seed_general(rorg)
    for i in range(30):
        rid = await add_request(
            rorg,
            "fixture" if i % 2 else "general",
            utc("2026-03-10", i % 24),
            kind="it",
            responded=utc("2026-03-11"),
            resolved=utc("2026-03-12"),
            status="resolved",
        )
        await reopen(rorg, rid, utc("2026-03-13"))
    queries.reset()
    assert (await client.get(MARCH)).status_code == 200
    assert queries.count == before
    # the actor (at most 3), core's 3 aggregates and the fixture plugin's 1
    assert before <= 7
