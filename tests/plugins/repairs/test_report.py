"""The repairs plugin's report sections: times per category and team, first-time fix,
repeat failures, parts and labour — exact numbers from requests with known timestamps."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from litestar.testing import AsyncTestClient

from core.descriptors import Period
from core.i18n import use_locale
from core.tables import Team
from plugins.repairs.assets import REPEAT_COUNT, REPEAT_WINDOW, new_token
from plugins.repairs.report import sections
from plugins.repairs.tables import RepairAsset, RepairRequestDetail, RepairWorkItem
from tests.conftest import OrgFixture, QueryCounter, login, make_org
from tests.web.test_reports import ROLES as CORE_ROLES
from tests.web.test_reports import add_request, reopen, utc

ROLES = {**CORE_ROLES, "repairs_admin": ("employee", "service_admin:repairs")}

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31), "Asia/Shanghai")


def _label(label) -> str:
    return label(lambda s: s)


async def _asset(org: OrgFixture, code: str, category: str = "it") -> int:
    rows = await RepairAsset.insert(
        RepairAsset(
            org=org.id, code=code, name=f"Asset {code}", category=category, qr_token=new_token()
        )
    ).returning(RepairAsset.id)
    return rows[0]["id"]


async def _about(org: OrgFixture, request_id: int, asset_id: int) -> None:
    await RepairRequestDetail.insert(
        RepairRequestDetail(org=org.id, request=request_id, asset=asset_id)
    )


async def _item(
    org: OrgFixture, request_id: int, kind: str, cost: str, at, minutes: int = 0
) -> None:
    await RepairWorkItem.insert(
        RepairWorkItem(
            org=org.id,
            request=request_id,
            kind=kind,
            cost=Decimal(cost),
            minutes=minutes,
            created_at=at,
        )
    )


async def seed_repairs(org: OrgFixture) -> None:
    """In March: R1 (IT, team "Fix team") answered in 0.5 h, done in 2 h, never reopened;
    R2 (IT, same team) answered in 1.5 h, reopened, done in 24 h; R3 (plumbing, no team)
    answered in 1 h, not done. Asset X: R1, R2 and one in January (3 in 90 days);
    asset Y: two in March and one in December (only 2 in the window). Parts ¥150.50 and
    90 labour minutes in March; a part in April is out."""
    team = Team(org=org.id, service="repairs", name="Fix team")
    await team.save()
    x = await _asset(org, "X-1")
    y = await _asset(org, "Y-1", "plumbing")
    r1 = await add_request(
        org,
        "repairs",
        utc("2026-03-10", 8),
        kind="it",
        responded=utc("2026-03-10", 8, 30),
        resolved=utc("2026-03-10", 10),
        status="closed",
        team_id=team.id,
    )
    r2 = await add_request(
        org,
        "repairs",
        utc("2026-03-11", 8),
        kind="it",
        responded=utc("2026-03-11", 9, 30),
        resolved=utc("2026-03-12", 8),
        status="resolved",
        team_id=team.id,
    )
    await reopen(org, r2, utc("2026-03-11", 20))
    r3 = await add_request(
        org,
        "repairs",
        utc("2026-03-12", 8),
        kind="plumbing",
        responded=utc("2026-03-12", 9),
        status="in_progress",
    )
    old = await add_request(org, "repairs", utc("2026-01-15"), kind="it", status="closed")
    older = await add_request(org, "repairs", utc("2025-12-20"), kind="plumbing", status="closed")
    y2 = await add_request(org, "repairs", utc("2026-03-20"), kind="plumbing", status="submitted")
    for request_id, asset_id in [(r1, x), (r2, x), (old, x), (r3, y), (older, y), (y2, y)]:
        await _about(org, request_id, asset_id)
    # a general request is not a repair
    await add_request(
        org,
        "general",
        utc("2026-03-10"),
        responded=utc("2026-03-10", 5),
        resolved=utc("2026-03-11"),
    )
    await _item(org, r1, "part", "120.50", utc("2026-03-10", 9))
    await _item(org, r1, "part", "30.00", utc("2026-03-10", 9))
    await _item(org, r2, "labour", "75.00", utc("2026-03-12", 7), minutes=90)
    await _item(org, r2, "part", "999.00", utc("2026-04-02"))  # after the period


@pytest.fixture
async def rorg(db) -> OrgFixture:
    return await make_org(ROLES)


async def test_repairs_numbers_are_exact(rorg: OrgFixture, queries: QueryCounter) -> None:
    await seed_repairs(rorg)
    other = await make_org(ROLES)
    await seed_repairs(other)  # never counted for rorg
    queries.reset()
    with use_locale("en"):
        overview, teams, repeat = await sections(rorg.id, MARCH)
    assert queries.count == 3
    figures = {_label(f.label): (f.value, f.hint) for f in overview.figures}
    assert figures["Faults reported"] == ("4", "")  # R1, R2, R3 and Y's second
    assert figures["Mean time to respond (hours, wall clock)"] == ("1.0", "")
    assert figures["Mean time to repair (hours, wall clock)"] == ("13.0", "2 repaired")
    assert figures["First-time fix rate"] == ("50%", "1 of 2 repairs never reopened")
    assert figures["Repeat failures"][0] == "1"
    assert figures["Parts cost"] == ("¥150.50", "")
    assert figures["Labour (minutes)"] == ("90", "¥75.00 at the hourly rate")
    assert [_label(c) for c in overview.columns][:2] == ["Fault category", "Reported"]
    assert overview.rows == (
        ("Plumbing", "2", "1.0", "0", "—", "—", "¥0.00", "0"),
        ("IT equipment", "2", "1.0", "2", "13.0", "50%", "¥150.50", "90"),
    )
    assert teams.rows == (
        ("Fix team", "2", "1.0", "2", "13.0", "50%"),
        ("No team", "2", "1.0", "0", "—", "—"),
    )
    assert repeat.rows == (("X-1", "Asset X-1", "IT equipment", "3"),)
    assert REPEAT_COUNT == 3 and REPEAT_WINDOW.days == 90


async def test_first_time_fix_counts_a_reopen_even_after_the_period(rorg: OrgFixture) -> None:
    r = await add_request(
        rorg,
        "repairs",
        utc("2026-03-02"),
        kind="it",
        responded=utc("2026-03-02", 1),
        resolved=utc("2026-03-02", 2),
        status="resolved",
    )
    with use_locale("en"):
        overview = (await sections(rorg.id, MARCH))[0]
    assert {_label(f.label): f.value for f in overview.figures}["First-time fix rate"] == "100%"
    await reopen(rorg, r, utc("2026-04-05"))
    with use_locale("en"):
        overview = (await sections(rorg.id, MARCH))[0]
    assert {_label(f.label): f.value for f in overview.figures}["First-time fix rate"] == "0%"


async def test_an_empty_period(rorg: OrgFixture) -> None:
    with use_locale("en"):
        overview, teams, repeat = await sections(rorg.id, MARCH)
    values = {_label(f.label): f.value for f in overview.figures}
    assert values["Faults reported"] == "0"
    assert values["Mean time to repair (hours, wall clock)"] == "—"
    assert values["First-time fix rate"] == "—"
    assert overview.rows == () and teams.rows == () and repeat.rows == ()


async def test_the_reports_page_shows_the_repairs_sections(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    await seed_repairs(rorg)
    await login(client, rorg.logins["repairs_admin"])
    page = await client.get("/desk/reports?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text).replace(' class="num"', "")
    # text columns align left, numbers right
    assert '<td>Asset X-1</td><td>IT equipment</td><td class="num">3</td>' in page.text
    assert (
        '<th scope="row">IT equipment</th><td>2</td><td>1.0</td><td>2</td><td>13.0</td>'
        "<td>50%</td><td>¥150.50</td><td>90</td>" in text
    )
    assert '<th scope="row">Fix team</th>' in text and '<th scope="row">X-1</th>' in text
    # sections in their order: core's, then the overview, teams, repeat failures
    order = [text.index(t) for t in ("All services", "First-time fix rate", "Repairs by team")]
    assert order == sorted(order)
    assert text.index("Repairs by team") < text.index("Faults in 90 days")


async def test_chinese_labels(client: AsyncTestClient, db) -> None:
    org = await make_org({"employee": ("employee",), "admin": ("org_admin",)}, locale="zh_CN")
    await login(client, org.logins["admin"])
    page = await client.get("/desk/reports?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200
    for text in ("报表", "全部服务", "一次修复率", "各班组维修情况", "重复故障"):
        assert text in page.text
    assert "First-time fix rate" not in page.text
