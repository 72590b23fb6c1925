"""The repairs plugin: locations, assets, CSV, QR stickers, the asset page and the report form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from litestar.testing import AsyncTestClient

from core.tables import Place, RequestEvent, ServiceRequest
from plugins.repairs.assets import new_token
from plugins.repairs.tables import RepairAsset, RepairRequestDetail
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "admin": ("employee", "org_admin"),
    "repairs_admin": ("employee", "service_admin:repairs"),
    "notices_admin": ("employee", "service_admin:notices"),
}


async def _place(org_id: int) -> dict[str, int]:
    async def add(kind: str, name: str, code: str, parent: int | None) -> int:
        rows = await Place.insert(
            Place(org=org_id, parent=parent, kind=kind, name=name, code=code)
        ).returning(Place.id)
        return rows[0]["id"]

    building = await add("building", "行政楼", "A", None)
    floor = await add("floor", "3 层", "A3", building)
    room = await add("room", "A301 会议室", "A301", floor)
    return {"building": building, "floor": floor, "room": room}


async def _asset(org_id: int, code: str = "ZC-0001", location: int | None = None) -> dict:
    token = new_token()
    rows = await RepairAsset.insert(
        RepairAsset(
            org=org_id,
            code=code,
            name="会议室投影仪",
            category="it",
            location=location,
            qr_token=token,
        )
    ).returning(RepairAsset.id)
    return {"id": rows[0]["id"], "token": token, "code": code}


@pytest.fixture
async def rorg(db) -> OrgFixture:
    return await make_org(ROLES)


async def test_report_from_a_sticker_writes_request_and_detail_together(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    places = await _place(rorg.id)
    asset = await _asset(rorg.id, location=places["room"])
    await login(client, rorg.logins["employee"])
    form = await client.get(f"/new/repairs?asset={asset['token']}")
    assert form.status_code == 200
    assert "会议室投影仪" in form.text and 'capture="environment"' in form.text
    sent = await post(
        client,
        "/new/repairs",
        {
            "asset": asset["token"],
            "kind": "it",
            "title": "投影仪不亮",
            "priority": "high",
            "submit_token": "tok-1",
        },
    )
    assert sent.status_code == 303, sent.text
    number = sent.headers["location"].rsplit("/", 1)[1]
    assert number.startswith("BX-")
    req = (
        await ServiceRequest.objects()
        .where((ServiceRequest.org == rorg.id) & (ServiceRequest.number == number))
        .first()
    )
    assert req.service == "repairs" and req.kind == "it" and req.channel == "qr"
    assert "A301 会议室" in req.location and "ZC-0001" in req.location
    detail = (
        await RepairRequestDetail.objects().where(RepairRequestDetail.request == req.id).first()
    )
    assert detail.asset == asset["id"] and detail.location == places["room"]
    first = await RequestEvent.objects().where(RequestEvent.request == req.id).first()
    data = json.loads(first.data) if isinstance(first.data, str) else first.data
    assert data["facts"] == {"category": "it"}
    # the same form token again is the same request (double tap)
    again = await post(
        client,
        "/new/repairs",
        {"asset": asset["token"], "kind": "it", "title": "投影仪不亮", "submit_token": "tok-1"},
    )
    assert again.headers["location"].endswith(number)
    assert await RepairRequestDetail.count().where(RepairRequestDetail.org == rorg.id) == 1
    # the home tile leads to core's form, drawn from the repairs spec
    assert 'href="/new/repairs"' in (await client.get("/")).text


async def test_report_by_room_and_validation(client: AsyncTestClient, rorg: OrgFixture) -> None:
    places = await _place(rorg.id)
    await login(client, rorg.logins["employee"])
    page = await client.get("/new/repairs")
    assert "A301 会议室" in page.text
    bad = await post(client, "/new/repairs", {"kind": "nope", "submit_token": "t2"})
    assert bad.status_code == 422
    assert "Choose what kind of fault it is." in bad.text
    assert "Choose the room where the fault is." in bad.text
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 0
    ok = await post(
        client,
        "/new/repairs",
        {"kind": "plumbing", "room": str(places["room"]), "title": "漏水", "submit_token": "t3"},
    )
    assert ok.status_code == 303
    detail = await RepairRequestDetail.objects().where(RepairRequestDetail.org == rorg.id).first()
    assert detail.asset is None and detail.location == places["room"]


async def test_another_orgs_sticker_is_404_and_reveals_nothing(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    other = await make_org(ROLES)
    theirs = await _asset(other.id, code="THEIRS-9")
    await login(client, rorg.logins["employee"])
    for url in (f"/new/repairs?asset={theirs['token']}", "/new/repairs?asset=made-up"):
        response = await client.get(url)
        assert response.status_code == 404 and "THEIRS-9" not in response.text
    sent = await post(
        client,
        "/new/repairs",
        {"asset": theirs["token"], "kind": "it", "title": "x", "submit_token": "t4"},
    )
    assert sent.status_code == 404
    assert await ServiceRequest.count().where(ServiceRequest.org == rorg.id) == 0
    await login(client, rorg.logins["admin"])
    for url in (
        f"/s/repairs/assets/{theirs['id']}",
        f"/s/repairs/assets/{theirs['id']}/qr.svg",
        f"/s/repairs/admin/assets/{theirs['id']}/edit",
    ):
        assert (await client.get(url)).status_code == 404, url
    for url in (
        f"/s/repairs/admin/assets/{theirs['id']}/qr",
        f"/s/repairs/admin/assets/{theirs['id']}",
    ):
        assert (await post(client, url, {"code": "X", "name": "Y"})).status_code == 404, url
    mine = await client.get("/s/repairs/admin/assets")
    assert "THEIRS-9" not in mine.text
    assert "THEIRS-9" not in (await client.get("/s/repairs/admin/assets/export.csv")).text
    unchanged = await RepairAsset.objects().where(RepairAsset.id == theirs["id"]).first()
    assert unchanged.qr_token == theirs["token"] and unchanged.code == "THEIRS-9"


async def test_permissions(client: AsyncTestClient, rorg: OrgFixture) -> None:
    asset = await _asset(rorg.id)
    admin_urls = [
        "/s/repairs/admin/assets",
        "/s/repairs/admin/assets/new",
        "/s/repairs/admin/assets/export.csv",
        "/s/repairs/admin/assets/import",
    ]
    for who in ("employee", "notices_admin", "agent"):
        await login(client, rorg.logins[who])
        for url in admin_urls:
            assert (await client.get(url)).status_code == 403, (who, url)
        assert (await post(client, f"/s/repairs/admin/assets/{asset['id']}/qr")).status_code == 403
    await login(client, rorg.logins["employee"])
    assert (await client.get(f"/s/repairs/assets/{asset['id']}")).status_code == 403
    await login(client, rorg.logins["agent"])  # staff: may look at the asset, not manage it
    page = await client.get(f"/s/repairs/assets/{asset['id']}")
    assert page.status_code == 200 and "ZC-0001" in page.text and '/qr"' not in page.text
    for who in ("repairs_admin", "admin"):
        await login(client, rorg.logins[who])
        for url in admin_urls:
            assert (await client.get(url)).status_code == 200, (who, url)


async def test_asset_form_validates_and_saves(client: AsyncTestClient, rorg: OrgFixture) -> None:
    places = await _place(rorg.id)
    await _asset(rorg.id, code="ZC-0001")
    await login(client, rorg.logins["repairs_admin"])
    bad = await post(
        client,
        "/s/repairs/admin/assets",
        {
            "code": "ZC-0001",
            "name": "",
            "category": "it",
            "purchase_date": "2025-13-01",
            "status": "active",
            "location": "999999",
        },
    )
    assert bad.status_code == 422
    for message in (
        "Another asset already has the code ZC-0001.",
        "Give the asset a name.",
        "Enter a date as YYYY-MM-DD",
        "Choose one from the list.",
    ):
        assert message in bad.text
    assert await RepairAsset.count().where(RepairAsset.org == rorg.id) == 1
    made = await post(
        client,
        "/s/repairs/admin/assets",
        {
            "code": "ZC-0002",
            "name": "立式空调",
            "category": "hvac",
            "location": str(places["room"]),
            "purchase_date": "2024-01-02",
            "warranty_end": "2027-01-01",
            "status": "active",
            "org": "1",
            "qr_token": "chosen",  # not assignable
        },
    )
    assert made.status_code == 303
    row = (
        await RepairAsset.objects()
        .where((RepairAsset.org == rorg.id) & (RepairAsset.code == "ZC-0002"))
        .first()
    )
    assert row.org == rorg.id and row.qr_token != "chosen" and row.location == places["room"]
    edit = await client.get(f"/s/repairs/admin/assets/{row.id}/edit")
    assert "立式空调" in edit.text
    saved = await post(
        client,
        f"/s/repairs/admin/assets/{row.id}",
        {"code": "ZC-0002", "name": "立式空调（二楼）", "category": "hvac", "status": "retired"},
    )
    assert saved.status_code == 303
    row = await RepairAsset.objects().where(RepairAsset.id == row.id).first()
    assert row.name == "立式空调（二楼）" and row.status == "retired"


async def test_zh_validation_messages(client: AsyncTestClient) -> None:
    zh = await make_org(ROLES, locale="zh-CN")
    await login(client, zh.logins["admin"])
    bad = await post(client, "/s/repairs/admin/assets", {"code": "", "name": "x"})
    assert bad.status_code == 422 and "请填写设备编号" in bad.text


async def test_asset_list_search_and_fixed_query_count(
    client: AsyncTestClient, rorg: OrgFixture, queries
) -> None:
    places = await _place(rorg.id)
    await login(client, rorg.logins["repairs_admin"])
    await _asset(rorg.id, code="A-1", location=places["room"])
    queries.reset()
    assert (await client.get("/s/repairs/admin/assets")).status_code == 200
    few = queries.count
    for i in range(2, 40):
        await _asset(rorg.id, code=f"A-{i}", location=places["room"])
    queries.reset()
    page = await client.get("/s/repairs/admin/assets")
    assert queries.count == few
    assert "A-1<" in page.text and "after=" in page.text and "A-35<" not in page.text
    next_url = page.text.split('href="/s/repairs/admin/assets?q=&amp;after=')[1].split('"')[0]
    second = await client.get(f"/s/repairs/admin/assets?after={next_url}")
    assert "A-35<" in second.text and "A-1<" not in second.text
    found = await client.get("/s/repairs/admin/assets?q=A-3")
    assert "A-33<" in found.text and "A-4<" not in found.text


CSV_OK = (
    "\ufeffcode,name,category,model,serial,location_code,department,purchase_date,warranty_end,status\n"
    "ZC-0001,会议室投影仪（新）,it,爱普生,SN1,A301,,2024-01-01,2026-01-01,active\n"
    "ZC-0100,饮水机,plumbing,,,,,,,\n"
)


async def _upload(client: AsyncTestClient, text: str):
    from tests.conftest import csrf_of

    await client.get("/s/repairs/admin/assets/import")
    return await client.post(
        "/s/repairs/admin/assets/import",
        data={"_csrf_token": csrf_of(client)},
        files={"file": ("assets.csv", text.encode("utf-8"), "text/csv")},
    )


async def test_csv_import_upserts_and_export_round_trips(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    places = await _place(rorg.id)
    old = await _asset(rorg.id, code="ZC-0001")
    await login(client, rorg.logins["repairs_admin"])
    response = await _upload(client, CSV_OK)
    assert response.status_code == 303, response.text
    rows = {r.code: r for r in await RepairAsset.objects().where(RepairAsset.org == rorg.id)}
    assert set(rows) == {"ZC-0001", "ZC-0100"}
    assert (
        rows["ZC-0001"].name == "会议室投影仪（新）" and rows["ZC-0001"].location == places["room"]
    )
    assert rows["ZC-0001"].qr_token == old["token"]  # an update keeps the printed sticker valid
    assert rows["ZC-0100"].qr_token and rows["ZC-0100"].category == "plumbing"
    exported = await client.get("/s/repairs/admin/assets/export.csv")
    assert exported.content.startswith("\ufeff".encode())
    assert "ZC-0100,饮水机,plumbing" in exported.text and "A301" in exported.text


async def test_csv_import_bad_rows_write_nothing(client: AsyncTestClient, rorg: OrgFixture) -> None:
    await _asset(rorg.id, code="ZC-0001")
    await login(client, rorg.logins["repairs_admin"])
    bad = (
        "code,name,category,location_code,purchase_date\n"
        "ZC-0001,改名,it,,\n"
        "ZC-0200,,it,,\n"
        "ZC-0201,桌子,sofa,NOPE,2024-02-30\n"
        "ZC-0001,重复,it,,\n"
    )
    response = await _upload(client, bad)
    assert response.status_code == 422
    assert "Line 3: Give the asset a name." in response.text
    assert "Line 4: Unknown fault category sofa." in response.text
    assert "Line 4: No location has the code NOPE." in response.text
    assert "Line 4: Enter a date" in response.text
    assert "Line 5: The code ZC-0001 is already on line 2." in response.text
    rows = await RepairAsset.objects().where(RepairAsset.org == rorg.id)
    assert [(r.code, r.name) for r in rows] == [("ZC-0001", "会议室投影仪")]
    assert (await _upload(client, "name\nx\n")).status_code == 422
    assert (await _upload(client, "\xff")).status_code == 422


async def test_regenerating_the_qr_retires_the_old_sticker(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    asset = await _asset(rorg.id)
    await login(client, rorg.logins["repairs_admin"])
    svg = await client.get(f"/s/repairs/assets/{asset['id']}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg")
    assert (await post(client, f"/s/repairs/admin/assets/{asset['id']}/qr")).status_code == 303
    row = await RepairAsset.objects().where(RepairAsset.id == asset["id"]).first()
    assert row.qr_token != asset["token"] and len(row.qr_token) >= 20
    assert (await client.get(f"/new/repairs?asset={asset['token']}")).status_code == 404
    assert (await client.get(f"/new/repairs?asset={row.qr_token}")).status_code == 200
    assert svg.content != (await client.get(f"/s/repairs/assets/{asset['id']}/qr.svg")).content


async def test_asset_page_lists_its_requests_and_flags_repeat_failures(
    client: AsyncTestClient, rorg: OrgFixture
) -> None:
    asset = await _asset(rorg.id)
    await login(client, rorg.logins["employee"])
    numbers = []
    for i in range(3):
        sent = await post(
            client,
            "/new/repairs",
            {"asset": asset["token"], "kind": "it", "title": f"故障{i}", "submit_token": f"r{i}"},
        )
        numbers.append(sent.headers["location"].rsplit("/", 1)[1])
    await login(client, rorg.logins["repairs_admin"])
    page = await client.get(f"/s/repairs/assets/{asset['id']}")
    assert page.status_code == 200
    assert all(n in page.text for n in numbers)
    assert "Repeat failure: 3 fault reports" in page.text
    # older than 90 days no longer counts
    await ServiceRequest.update(
        {ServiceRequest.submitted_at: datetime.now(UTC) - timedelta(days=91)}
    ).where((ServiceRequest.org == rorg.id) & (ServiceRequest.number == numbers[0]))
    assert "Repeat failure" not in (await client.get(f"/s/repairs/assets/{asset['id']}")).text


async def test_sticker_pdf(client: AsyncTestClient, rorg: OrgFixture, tmp_path) -> None:
    await _asset(rorg.id, code="ZC-PDF-7")
    await login(client, rorg.logins["repairs_admin"])
    response = await client.get("/s/repairs/admin/assets/stickers.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    path = tmp_path / "s.pdf"
    path.write_bytes(response.content)
    text = (await anyio.run_process(["pdftotext", str(path), "-"])).stdout.decode()
    assert "ZC-PDF-7" in text and "会议室投影仪" in text
    assert f"Org {rorg.slug}" in text  # every printout carries the organisation's name
