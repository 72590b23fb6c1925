"""The desk reports a fault for someone: asset by code or a room, the detail row written."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.tables import ServiceRequest
from plugins.repairs.tables import RepairRequestDetail
from tests.conftest import login, make_org, post
from tests.plugins.repairs.test_repairs import _asset, _place

ROLES = {
    "employee": ("employee",),
    "dispatcher": ("employee", "dispatcher"),
}


async def test_desk_reports_for_someone_by_asset_code_or_room(
    client: AsyncTestClient, db: object
) -> None:
    org = await make_org(ROLES)
    places = await _place(org.id)
    asset = await _asset(org.id, location=places["room"])
    await login(client, org.logins["dispatcher"])
    # core's desk form, drawn from the repairs spec (asset code or room)
    page = await client.get("/desk/new?service=repairs")
    assert page.status_code == 200 and "Asset code" in page.text and "A301 会议室" in page.text
    who = str(org.users["employee"])
    bad = await post(
        client,
        "/desk/new/repairs",
        {"user": who, "kind": "it", "title": "x", "asset_code": "NOPE-1", "submit_token": "d1"},
    )
    assert bad.status_code == 422 and "No asset in use has the code NOPE-1." in bad.text
    no_place = await post(
        client, "/desk/new/repairs", {"kind": "it", "title": "x", "submit_token": "d2"}
    )
    assert no_place.status_code == 422
    assert "Search for a person and choose them." in no_place.text
    assert "choose the room where the fault is" in no_place.text
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0
    sent = await post(
        client,
        "/desk/new/repairs",
        {
            "user": who,
            "kind": "it",
            "title": "投影仪不亮",
            "asset_code": asset["code"],
            "submit_token": "d3",
        },
    )
    assert sent.status_code == 303, sent.text
    req = await ServiceRequest.objects().where(ServiceRequest.org == org.id).first()
    assert req.requester == org.users["employee"] and req.submitted_by == org.users["dispatcher"]
    assert req.channel == "desk" and "ZC-0001" in req.location
    detail = (
        await RepairRequestDetail.objects().where(RepairRequestDetail.request == req.id).first()
    )
    assert detail.asset == asset["id"] and detail.location == places["room"]
    by_room = await post(
        client,
        "/desk/new/repairs",
        {
            "user": who,
            "kind": "hvac",
            "title": "空调不制冷",
            "room": str(places["room"]),
            "submit_token": "d4",
        },
    )
    assert by_room.status_code == 303
    assert (
        await RepairRequestDetail.count().where(
            (RepairRequestDetail.org == org.id) & RepairRequestDetail.asset.is_null()
        )
        == 1
    )


async def test_desk_form_is_for_staff_only(client: AsyncTestClient, db: object) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["employee"])
    assert (await client.get("/desk/new?service=repairs")).status_code == 403
    refused = await post(client, "/desk/new/repairs", {"submit_token": "x"})
    assert refused.status_code == 403
