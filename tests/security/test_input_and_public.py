"""Bad input that once reached the database or a spreadsheet, and public pages that once
ignored the plugin switch or showed strangers an employee's report."""

from __future__ import annotations

import csv
import io

from litestar.testing import AsyncTestClient

from core.identity.service import issue_token, set_plugin_enabled
from core.tables import GuestFollow, Rating, ServiceRequest
from core.tabular import csv_text, safe_cell
from plugins.repairs.tables import RepairAsset
from tests.conftest import login, make_org, post
from tests.plugins.repairs.test_repairs import ROLES, _asset
from tests.web.test_requests import _form

DANGEROUS = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+86 1", "-2+3", "\tcmd", "\rx"]


async def test_control_characters_are_dropped_at_the_edge(client: AsyncTestClient, db) -> None:
    org = await make_org()
    await login(client, org.logins["employee"])
    page = await post(client, "/new/general", _form("nul-1", title="空调\x00不\x07制冷\x1b"))
    assert page.status_code == 303
    token = await issue_token(org.id, org.users["employee"], "nul")
    api = await client.post(
        "/api/v1/requests",
        json={"service": "general", "kind": "facilities", "title": "灯\u0000坏了\u009b"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 201, api.text
    titles = {
        r["title"]
        for r in await ServiceRequest.select(ServiceRequest.title).where(
            ServiceRequest.org == org.id
        )
    }
    assert titles == {"空调不制冷", "灯坏了"}


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for text in DANGEROUS:
        assert safe_cell(text) == "'" + text
    assert safe_cell("投影仪") == "投影仪" and safe_cell(-2) == -2 and safe_cell(None) == ""
    document = csv_text(["name"], [[t] for t in DANGEROUS])
    cells = [row[0] for row in csv.reader(io.StringIO(document.removeprefix("\ufeff")))][1:]
    assert all(cell.startswith("'") for cell in cells)


async def test_asset_export_writes_formulas_as_text(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    for i, name in enumerate(DANGEROUS):
        asset = await _asset(org.id, code=f"F-{i}")
        await RepairAsset.update({RepairAsset.name: name}).where(RepairAsset.id == asset["id"])
    await login(client, org.logins["repairs_admin"])
    exported = await client.get("/s/repairs/admin/assets/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert sorted(r["name"] for r in rows) == sorted("'" + n for n in DANGEROUS)


async def test_an_oversized_csv_field_is_a_line_error(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["repairs_admin"])
    huge = "code,name\nZC-1," + "长" * 140_000 + "\n"
    response = await post(
        client,
        "/s/repairs/admin/assets/import",
        files={"file": ("assets.csv", huge.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "Line 2 cannot be read as CSV" in response.text
    assert await RepairAsset.count().where(RepairAsset.org == org.id) == 0


async def test_a_room_id_no_row_can_have_is_a_400(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    token = await issue_token(org.id, org.users["employee"], "api")
    response = await client.post(
        "/api/v1/s/repairs/reports",
        json={"kind": "it", "title": "灯坏了", "room_id": 2**63},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "room_id" in response.json()["detail"]


async def test_public_pages_follow_the_plugin_switch(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    asset = await _asset(org.id)
    sent = await post(
        client,
        f"/p/repairs/a/{asset['token']}",
        {
            "kind": "it",
            "title": "灯坏了",
            "name": "王",
            "phone": "13800000000",
            "submit_token": "p1",
        },
    )
    assert sent.status_code == 303
    follow = sent.headers["location"].split("/")[-1].split("?")[0]
    request = await ServiceRequest.objects().where(ServiceRequest.org == org.id).first()
    await ServiceRequest.update({ServiceRequest.status: "resolved"}).where(
        ServiceRequest.id == request.id
    )
    assert (await client.get(f"/p/follow/{follow}")).status_code == 200
    await set_plugin_enabled(org.id, "repairs", False, None)
    assert (await client.get(f"/p/follow/{follow}")).status_code == 404
    assert (await client.get(f"/p/follow/{follow}/live")).status_code == 404
    rated = await post(client, f"/p/follow/{follow}/rate", {"score": "5"})
    assert rated.status_code == 404
    assert await Rating.count().where(Rating.request == request.id) == 0
    joined = await post(
        client,
        f"/p/repairs/a/{asset['token']}/join",
        {"number": request.number, "name": "李", "phone": "13900000000"},
    )
    assert joined.status_code == 404


def test_every_public_route_names_whose_page_it_is(app) -> None:
    from tests.security.routes import routes_of
    from web.auth import RESOLVE_ORG

    public = [r for r in routes_of(app) if r.path.startswith("/p/")]
    assert public and all(callable(r.handler.opt.get(RESOLVE_ORG)) for r in public)


async def test_a_sticker_does_not_open_an_employees_own_report(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    asset = await _asset(org.id)
    await login(client, org.logins["employee"])
    mine = await post(
        client,
        "/new/repairs",
        {
            "asset": asset["token"],
            "kind": "it",
            "title": "我办公室的投影仪 私事",
            "submit_token": "own-1",
            "new": "1",
        },
    )
    assert mine.status_code == 303, mine.text
    request = await ServiceRequest.objects().where(ServiceRequest.org == org.id).first()
    await post(client, "/logout")
    client.cookies.clear()
    page = await client.get(f"/p/repairs/a/{asset['token']}", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Already reported" in page.text  # it may say so, with the status…
    assert "私事" not in page.text and "Follow this report" not in page.text  # …nothing more
    joined = await post(
        client,
        f"/p/repairs/a/{asset['token']}/join",
        {"number": request.number, "name": "路人", "phone": "13900000000"},
    )
    assert joined.status_code == 422
    assert await GuestFollow.count().where(GuestFollow.request == request.id) == 0
