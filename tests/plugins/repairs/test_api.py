"""The repairs JSON API: the asset register for staff, parts and labour of a repair, and
fault reports with a bearer token (idempotent), all within the caller's organisation."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.identity.service import issue_token
from core.tables import RequestEvent, ServiceRequest
from plugins.repairs.tables import RepairAsset, RepairRequestDetail, RepairWorkItem
from tests.conftest import OrgFixture, login, make_org
from tests.plugins.repairs.test_repairs import ROLES, _asset, _place
from tests.plugins.repairs.test_work import _report, _team

API = "/api/v1/s/repairs"


async def _auth(org: OrgFixture, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_token(org.id, org.users[who], 'test')}"}


@pytest.fixture
async def rorg(db: object) -> OrgFixture:
    return await make_org(ROLES)


async def test_asset_register_is_for_staff(client: AsyncTestClient, rorg: OrgFixture) -> None:
    places = await _place(rorg.id)
    for n in range(1, 36):
        await _asset(rorg.id, code=f"ZC-{n:04d}", location=places["room"] if n == 1 else None)
    employee = await _auth(rorg, "employee")
    refused = await client.get(f"{API}/assets", headers={**employee, "Accept-Language": "zh-CN"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有维修人员可以查看资产台账。"
    assert (await client.get(f"{API}/assets/ZC-0001", headers=employee)).status_code == 403
    agent = await _auth(rorg, "agent")
    first = (await client.get(f"{API}/assets", headers=agent)).json()
    assert len(first["items"]) == 30 and first["next_after"] is not None
    assert first["items"][0] == {
        "id": first["items"][0]["id"],
        "code": "ZC-0001",
        "name": "会议室投影仪",
        "category": "it",
        "model": "",
        "status": "active",
        "location_id": places["room"],
        "location": "A301 会议室",
    }
    rest = (await client.get(f"{API}/assets?after={first['next_after']}", headers=agent)).json()
    assert len(rest["items"]) == 5 and rest["next_after"] is None
    found = (await client.get(f"{API}/assets?q=zc-0035", headers=agent)).json()
    assert [a["code"] for a in found["items"]] == ["ZC-0035"]


async def test_asset_detail_lists_only_requests_the_caller_may_see(
    client: AsyncTestClient, app: Litestar, rorg: OrgFixture
) -> None:
    places = await _place(rorg.id)
    asset = await _asset(rorg.id, location=places["room"])
    before_team = await _report(app, rorg, asset["id"])  # nobody dispatched: not the agent's
    await _team(rorg)
    mine = await _report(app, rorg, asset["id"])  # dispatched to the agent
    agent = await _auth(rorg, "agent")
    body = (await client.get(f"{API}/assets/ZC-0001", headers=agent)).json()
    assert body["asset"]["location"] == "行政楼 · 3 层 · A301 会议室"
    assert [r["number"] for r in body["recent_requests"]] == [mine.number]
    assert body["faults_90_days"] == 2 and body["repeat_failure"] is False
    admin = await _auth(rorg, "admin")
    everything = (await client.get(f"{API}/assets/ZC-0001", headers=admin)).json()
    assert {r["number"] for r in everything["recent_requests"]} == {
        mine.number,
        before_team.number,
    }


async def test_another_orgs_asset_and_request_are_not_found(
    client: AsyncTestClient, app: Litestar, rorg: OrgFixture
) -> None:
    other = await make_org(ROLES)
    await _team(other)
    theirs = await _asset(other.id, code="THEIRS-1")
    their_repair = await _report(app, other, theirs["id"])
    for who in ("agent", "admin"):
        auth = await _auth(rorg, who)
        gone = await client.get(f"{API}/assets/THEIRS-1", headers=auth)
        assert gone.status_code == 404 and "THEIRS" not in gone.text
        assert (
            await client.get(f"{API}/requests/{their_repair.number}/items", headers=auth)
        ).status_code == 404
        listed = (await client.get(f"{API}/assets?q=THEIRS", headers=auth)).json()
        assert listed["items"] == []
    reported = await client.post(
        f"{API}/reports",
        json={"kind": "it", "title": "坏了", "asset_code": "THEIRS-1"},
        headers=await _auth(rorg, "employee"),
    )
    # another organisation's code is a field error, as an unknown one is: it reveals nothing
    assert reported.status_code == 422 and "THEIRS" in reported.json()["errors"]["asset_code"]
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 0


async def test_items_for_staff_and_assignee_not_the_requester(
    client: AsyncTestClient, app: Litestar, rorg: OrgFixture
) -> None:
    await _team(rorg)
    asset = await _asset(rorg.id)
    repair = await _report(app, rorg, asset["id"])
    await RepairWorkItem.insert(
        RepairWorkItem(
            org=rorg.id,
            request=repair.id,
            author=rorg.users["agent"],
            kind="part",
            description="保险丝",
            quantity=2,
            unit_cost=12.5,
            cost=25,
        ),
        RepairWorkItem(org=rorg.id, request=repair.id, kind="labour", minutes=45),
    )
    url = f"{API}/requests/{repair.number}/items"
    for who in ("agent", "repairs_admin", "admin"):
        got = await client.get(url, headers=await _auth(rorg, who))
        assert got.status_code == 200, (who, got.text)
        body = got.json()
        assert body["parts_cost"] == "25.00" and body["labour_minutes"] == 45
        assert body["total_cost"] == "25.00"
        assert [i["kind"] for i in body["items"]] == ["part", "labour"]
        assert body["items"][0]["quantity"] == "2.00" and body["items"][0]["unit_cost"] == "12.50"
    requester = await client.get(url, headers=await _auth(rorg, "employee"))
    assert requester.status_code == 403
    outsider = await client.get(url, headers=await _auth(rorg, "notices_admin"))
    assert outsider.status_code == 404
    general = await client.post(
        "/api/v1/requests",
        json={"service": "general", "kind": "cleaning", "title": "打扫"},
        headers=await _auth(rorg, "employee"),
    )
    number = general.json()["number"]
    not_a_repair = await client.get(
        f"{API}/requests/{number}/items", headers=await _auth(rorg, "admin")
    )
    assert not_a_repair.status_code == 404


async def test_report_with_a_token_creates_request_and_detail_once(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    await _team(rorg)
    places = await _place(rorg.id)
    await _asset(rorg.id, location=places["room"])
    auth = {**await _auth(rorg, "employee"), "Idempotency-Key": "scan-42"}
    body = {"kind": "it", "title": "投影仪不亮", "priority": "high", "asset_code": "ZC-0001"}
    first = await client.post(f"{API}/reports", json=body, headers=auth)
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["asset_code"] == "ZC-0001" and made["room_id"] == places["room"]
    assert made["status"] == "assigned"  # routed and dispatched like any report
    assert first.headers["location"] == f"/api/v1/requests/{made['number']}"
    replay = await client.post(f"{API}/reports", json=body, headers=auth)
    assert replay.status_code == 200 and replay.json()["number"] == made["number"]
    req = await ServiceRequest.objects().where(ServiceRequest.org == rorg.id).first()
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 1
    assert req.channel == "api" and req.priority == "high" and req.service == "repairs"
    assert req.requester == rorg.users["employee"] and "ZC-0001" in req.location
    detail = (
        await RepairRequestDetail.objects().where(RepairRequestDetail.request == req.id).first()
    )
    asset_id = (await RepairAsset.select(RepairAsset.id).where(RepairAsset.org == rorg.id).first())[
        "id"
    ]
    assert detail.asset == asset_id and detail.location == places["room"]
    by_room = await client.post(
        f"{API}/reports",
        json={"kind": "plumbing", "title": "漏水", "room_id": places["room"]},
        headers=await _auth(rorg, "employee"),
    )
    assert by_room.status_code == 201 and by_room.json()["asset_code"] is None
    floor = await client.post(
        f"{API}/reports",
        json={"kind": "plumbing", "title": "漏水", "room_id": places["floor"]},
        headers=await _auth(rorg, "employee"),
    )
    assert floor.status_code == 422 and "room" in floor.json()["errors"]  # a floor is no room
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 2


async def test_report_field_errors_are_translated_and_write_nothing(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    auth = {**await _auth(rorg, "employee"), "Accept-Language": "zh-CN"}
    bad = await client.post(
        f"{API}/reports", json={"kind": "nope", "asset_code": "X", "room_id": 1}, headers=auth
    )
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert errors["kind"] == "请选择故障类别。"
    assert errors["asset_code"] == "请填写资产编号或房间（二选一）。"
    assert "title" in errors
    unknown = await client.post(
        f"{API}/reports",
        json={"kind": "it", "title": "x", "asset_code": "NOPE"},
        headers={**auth, "Accept-Language": "en"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {"asset_code": "No asset in use has the code NOPE."}
    too_long = await client.post(
        f"{API}/reports",
        json={"kind": "it", "title": "x", "asset_code": "NOPE"},
        headers={**auth, "Idempotency-Key": "k" * 125},
    )
    assert too_long.status_code == 400
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 0
    assert await RequestEvent.count().where(RequestEvent.org == rorg.id) == 0


async def test_report_with_a_session_cookie_is_refused(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    await _asset(rorg.id)
    await login(client, rorg.logins["employee"])
    refused = await client.post(
        f"{API}/reports", json={"kind": "it", "title": "x", "asset_code": "ZC-0001"}
    )
    assert refused.status_code == 403
    assert (await client.get(f"{API}/assets")).status_code == 403  # and not staff either
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 0


async def test_schema_documents_the_repairs_api(client: AsyncTestClient, db: object) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert paths["/api/v1/s/repairs/reports"]["post"]["summary"] == (
        "Report a fault on an asset or in a room"
    )
    for path in ("/assets", "/assets/{code}", "/requests/{number}/items"):
        assert "get" in paths[f"/api/v1/s/repairs{path}"], path


async def test_core_api_reads_the_repairs_form_too(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    """``POST /api/v1/requests`` reads a repair with the plugin's own form spec: the place
    goes in ``fields``, and the detail row is written with the request, as from the phone.
    ``GET /api/v1/services/repairs/form`` says so."""
    places = await _place(rorg.id)
    auth = {**await _auth(rorg, "employee"), "Accept-Language": "en"}
    described = (await client.get("/api/v1/services/repairs/form", headers=auth)).json()
    assert described["title"] == "Report a fault"
    by_name = {f["name"]: f for f in described["fields"]}
    assert list(by_name) == ["kind", "room", "title", "description", "priority"]
    assert by_name["kind"]["fact"] == "category" and by_name["kind"]["type"] == "choice"
    assert {o["value"] for o in by_name["kind"]["options"]} >= {"it", "plumbing"}
    assert by_name["room"]["type"] == "custom" and by_name["room"]["required"]
    body = {"service": "repairs", "kind": "plumbing", "title": "漏水"}
    missing = await client.post("/api/v1/requests", json=body, headers=auth)
    assert missing.status_code == 422 and "room" in missing.json()["errors"]
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 0
    made = await client.post(
        "/api/v1/requests",
        json={**body, "fields": {"room": str(places["room"])}},
        headers=auth,
    )
    assert made.status_code == 201, made.text
    req = await ServiceRequest.objects().where(ServiceRequest.org == rorg.id).first()
    assert req.channel == "api" and "A301" in req.location
    detail = (
        await RepairRequestDetail.objects().where(RepairRequestDetail.request == req.id).first()
    )
    assert detail.location == places["room"] and detail.asset is None
    # a disabled or unknown service has no form
    assert (await client.get("/api/v1/services/nope/form", headers=auth)).status_code == 404
