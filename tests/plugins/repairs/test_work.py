"""The technician's steps on a repair: the panel on the request page, on the way, parts
and labour with the request's cost, waiting for parts, and done with a result photo."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from core import places
from core.config import Settings
from core.identity.service import load_actor
from core.lifecycle.forms import FormContext, submit_form
from core.tables import Attachment, RequestEvent, ServiceRequest, Team, TeamMember
from plugins.repairs import assets as A
from plugins.repairs import work
from plugins.repairs.form import REPAIR_FORM
from plugins.repairs.hooks import REPAIRS
from plugins.repairs.tables import RepairRequestDetail, RepairWorkItem
from tests.conftest import OrgFixture, QueryCounter, login, make_org, post
from tests.plugins.repairs.test_repairs import ROLES, _asset, _place
from web.forms import Form

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """1 MB per file, so "too large" is cheap to test."""
    return replace(settings, upload_max_mb=1)


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "JPEG")
    return out.getvalue()


def stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.var_dir) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@dataclass
class Repair:
    org: OrgFixture
    id: int
    number: str
    asset_id: int


async def _team(org: OrgFixture) -> None:
    team = Team(org=org.id, service="repairs", name="维修组", strategy="round_robin")
    await team.save()
    await TeamMember.insert(TeamMember(org=org.id, team=team.id, user=org.users["agent"]))


async def _report(
    app: Litestar, org: OrgFixture, asset_id: int, guest: tuple[str, str] | None = None
) -> Repair:
    """A fault reported on the asset by the employee (a guest's name and phone on the
    detail when ``guest``), auto-dispatched to the agent."""
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    asset = await A.get_asset(org.id, asset_id)
    location = await places.get(org.id, asset["location"]) if asset["location"] else None
    # the report form's spec, read as the sticker page reads it (the place is given)
    values = {"kind": "it", "title": "投影仪不亮"}
    if guest:
        values |= {"name": guest[0], "phone": guest[1]}
    ctx = FormContext(
        actor,
        REPAIRS,
        "qr" if guest else "pwa",
        given={"place": {"asset": asset, "location": location}},
    )
    filled = await REPAIR_FORM.read(Form(values), ctx)
    assert filled is not None
    made = await submit_form(ctx, filled, idempotency_key=None)
    return Repair(org, made.id, made.number, asset_id)


async def _row(repair: Repair) -> dict:
    return (
        await ServiceRequest.select(
            ServiceRequest.status,
            ServiceRequest.version,
            ServiceRequest.cost,
            ServiceRequest.assignee,
            ServiceRequest.first_response_at,
        )
        .where(ServiceRequest.id == repair.id)
        .first()
    )


@pytest.fixture
async def repair(app: Litestar, db: object) -> Repair:
    org = await make_org(ROLES)
    await _team(org)
    places = await _place(org.id)
    asset = await _asset(org.id, location=places["room"])
    made = await _report(app, org, asset["id"], guest=("王小明", "138 0000 1234"))
    assert (await _row(made))["status"] == "assigned"
    assert (await _row(made))["assignee"] == org.users["agent"]
    return made


async def _start(client: AsyncTestClient, repair: Repair) -> None:
    version = (await _row(repair))["version"]
    started = await post(
        client, f"/requests/{repair.number}/actions/start", {"version": str(version)}
    )
    assert started.status_code == 303, started.text


async def _events(repair: Repair, kind: str) -> list[dict]:
    return await RequestEvent.select(RequestEvent.public, RequestEvent.message).where(
        (RequestEvent.request == repair.id) & (RequestEvent.kind == kind)
    )


async def test_panel_shows_each_person_what_is_theirs(
    client: AsyncTestClient, repair: Repair
) -> None:
    await login(client, repair.org.logins["agent"])
    page = await client.get(f"/requests/{repair.number}")
    assert page.status_code == 200
    text = page.text
    assert "会议室投影仪" in text and "ZC-0001" in text and "A301 会议室" in text
    assert f'href="/s/repairs/assets/{repair.asset_id}"' in text  # staff open the asset
    assert "王小明" in text and 'href="tel:13800001234"' in text
    assert f'formaction="/requests/{repair.number}/actions/repairs.on_the_way"' in text
    assert "Record a part" in text and "Record labour" in text
    assert "No parts or labour recorded yet." in text
    assert "repairs.done" not in text  # assigned: start the work first
    await _start(client, repair)
    await post(
        client,
        f"/s/repairs/requests/{repair.number}/items",
        {"kind": "part", "description": "保险丝 10A", "quantity": "2", "unit_cost": "12.5"},
    )
    text = (await client.get(f"/requests/{repair.number}")).text
    assert "保险丝 10A" in text and "¥25.00" in text
    assert f'href="/requests/{repair.number}/actions/repairs.done"' in text
    assert "Waiting for parts" in text

    await login(client, repair.org.logins["employee"])  # the requester
    text = (await client.get(f"/requests/{repair.number}")).text
    assert "会议室投影仪" in text and "A301 会议室" in text
    assert f'href="/s/repairs/assets/{repair.asset_id}"' not in text
    assert "王小明" not in text and "1380000" not in text  # the sticker reporter is staff-only
    assert "保险丝" not in text and "¥25.00" not in text and "12.50" not in text
    assert "Work recorded by the technician: 1 parts, 0 min of labour." in text
    assert (
        "repairs.on_the_way" not in text
        and "Record a part" not in text
        and "repairs.done" not in text
    )


async def test_panel_reads_with_two_queries_whatever_the_items(
    app: Litestar, repair: Repair, queries: QueryCounter
) -> None:
    agent = await load_actor(repair.org.users["agent"], app.state.plugins, app.state.permissions)
    row = {
        "id": repair.id,
        "number": repair.number,
        "service": "repairs",
        "status": "in_progress",
        "version": 3,
        "assignee": agent.user_id,
        "requester": repair.org.users["employee"],
        "submitted_by": repair.org.users["employee"],
    }
    counts = []
    for extra in (1, 6):
        await RepairWorkItem.insert(
            *(
                RepairWorkItem(org=repair.org.id, request=repair.id, kind="labour", minutes=5)
                for _ in range(extra)
            )
        )
        queries.reset()
        shown = await work.panels(agent, row)
        counts.append(queries.count)
        assert shown and shown[0].template == "repairs/_panel.html"
    assert counts == [2, 2]
    assert shown[0].context["totals"].labour_minutes == 35


async def test_repeat_failure_flag_for_staff(app: Litestar, repair: Repair, client) -> None:
    for _ in range(2):
        await _report(app, repair.org, repair.asset_id)
    await login(client, repair.org.logins["agent"])
    text = (await client.get(f"/requests/{repair.number}")).text
    assert "Repeat failure: 3 fault reports in the last 90 days." in text
    await login(client, repair.org.logins["employee"])
    assert "Repeat failure" not in (await client.get(f"/requests/{repair.number}")).text


async def test_on_the_way_once_and_the_requester_sees_it(
    client: AsyncTestClient, repair: Repair
) -> None:
    await login(client, repair.org.logins["agent"])
    url = f"/requests/{repair.number}/actions/repairs.on_the_way"
    first = await post(client, url)
    assert first.status_code == 303 and first.headers["location"] == f"/requests/{repair.number}"
    second = await post(client, url)  # a second tap: said already, nothing is added
    assert second.status_code == 409
    events = await _events(repair, "repairs.on_the_way")
    assert len(events) == 1 and events[0]["public"] is True
    detail = (
        await RepairRequestDetail.select(RepairRequestDetail.on_the_way_at)
        .where(RepairRequestDetail.request == repair.id)
        .first()
    )
    assert detail["on_the_way_at"] is not None
    assert (await _row(repair))["first_response_at"] is not None  # it answers the report
    page = (await client.get(f"/requests/{repair.number}")).text
    assert url not in page  # the button is gone once said

    await login(client, repair.org.logins["employee"])
    client.headers["accept-language"] = "zh-CN"
    page = (await client.get(f"/requests/{repair.number}")).text
    assert "技师已出发" in page


async def test_on_the_way_is_not_news_while_on_hold(
    client: AsyncTestClient, repair: Repair
) -> None:
    await login(client, repair.org.logins["agent"])
    said = await post(client, f"/requests/{repair.number}/actions/repairs.on_the_way")
    assert said.status_code == 303
    await _start(client, repair)
    assert "repairs-onway" in (await client.get(f"/requests/{repair.number}")).text
    version = (await _row(repair))["version"]
    held = await post(
        client,
        f"/requests/{repair.number}/actions/hold",
        {"version": str(version), "note": "等配件"},
    )
    assert held.status_code == 303
    await login(client, repair.org.logins["employee"])
    page = (await client.get(f"/requests/{repair.number}")).text
    assert "repairs-onway" not in page  # the panel no longer says the technician is coming
    assert "Technician on the way" in page  # the timeline keeps the event


async def test_on_the_way_only_while_coming(client: AsyncTestClient, repair: Repair) -> None:
    await login(client, repair.org.logins["agent"])
    await _start(client, repair)
    version = (await _row(repair))["version"]
    held = await post(
        client,
        f"/requests/{repair.number}/actions/hold",
        {"version": str(version), "note": "等配件"},
    )
    assert held.status_code == 303
    late = await post(client, f"/requests/{repair.number}/actions/repairs.on_the_way")
    assert late.status_code == 409
    assert await _events(repair, "repairs.on_the_way") == []


async def test_parts_and_labour_are_checked_and_nothing_half_written(
    client: AsyncTestClient, repair: Repair
) -> None:
    await login(client, repair.org.logins["agent"])
    url = f"/s/repairs/requests/{repair.number}/items"
    cases = [
        ({"kind": "part", "description": "", "quantity": "1"}, "Say which part"),
        ({"kind": "part", "description": "x" * 201, "quantity": "1"}, "At most 200 characters."),
        ({"kind": "part", "description": "fuse", "quantity": "0"}, "Enter a quantity above 0"),
        ({"kind": "part", "description": "fuse", "quantity": "10000"}, "at most 9999"),
        ({"kind": "part", "description": "fuse", "quantity": "NaN"}, "Enter a quantity"),
        (
            {"kind": "part", "description": "fuse", "quantity": "1", "unit_cost": "-1"},
            "Enter a unit cost from 0 to 1,000,000",
        ),
        (
            {"kind": "part", "description": "fuse", "quantity": "1", "unit_cost": "1000001"},
            "Enter a unit cost from 0 to 1,000,000",
        ),
        ({"kind": "labour", "minutes": "0"}, "Enter the minutes worked, from 1 to 1440."),
        ({"kind": "labour", "minutes": "1441"}, "Enter the minutes worked, from 1 to 1440."),
        ({"kind": "labour", "minutes": "abc"}, "Enter the minutes worked"),
        ({"kind": "travel"}, "Choose a part or labour."),
    ]
    for data, message in cases:
        refused = await post(client, url, data)
        assert refused.status_code == 422, data
        assert message in refused.text, (data, refused.text[-2000:])
    kept = await post(client, url, {"kind": "part", "description": "保险丝", "quantity": "0"})
    assert 'value="保险丝"' in kept.text  # the input comes back with its error
    assert await RepairWorkItem.count().where(RepairWorkItem.request == repair.id) == 0
    assert await _events(repair, "repairs.work_item") == []
    assert (await _row(repair))["cost"] is None


async def test_items_keep_the_request_cost_at_their_sum(
    client: AsyncTestClient, repair: Repair
) -> None:
    await login(client, repair.org.logins["agent"])
    url = f"/s/repairs/requests/{repair.number}/items"
    sent = [
        {"kind": "part", "description": "保险丝", "quantity": "2", "unit_cost": "12.50"},
        {"kind": "part", "description": "扎带", "quantity": "1.5"},  # no cost known
        {"kind": "labour", "minutes": "45", "description": "更换线路"},
        {"kind": "part", "description": "灯管", "quantity": "3", "unit_cost": "0.335"},
    ]
    for data in sent:
        response = await post(client, url, data)
        assert response.status_code == 303, response.text
    rows = (
        await RepairWorkItem.select(
            RepairWorkItem.kind, RepairWorkItem.cost, RepairWorkItem.minutes, RepairWorkItem.author
        )
        .where(RepairWorkItem.request == repair.id)
        .order_by(RepairWorkItem.id)
    )
    assert [work.dec(r["cost"]) for r in rows] == [
        Decimal("25.00"),
        Decimal("0.00"),
        Decimal("0.00"),  # labour: no hourly rate is configured
        Decimal("1.02"),  # 3 × 0.34
    ]
    assert rows[2]["minutes"] == 45 and {r["author"] for r in rows} == {repair.org.users["agent"]}
    assert work.dec((await _row(repair))["cost"]) == Decimal("26.02")
    events = await _events(repair, "repairs.work_item")
    assert len(events) == 4 and not any(e["public"] for e in events)
    assert "保险丝 × 2 · ¥25.00" in {e["message"] for e in events}
    page = await client.get(f"/s/repairs/requests/{repair.number}/work")
    assert page.status_code == 200 and "¥26.02" in page.text and "45 min" in page.text


async def test_items_only_while_in_hand(client: AsyncTestClient, repair: Repair) -> None:
    await login(client, repair.org.logins["agent"])
    await ServiceRequest.update({ServiceRequest.status: "resolved"}).where(
        ServiceRequest.id == repair.id
    )
    late = await post(
        client,
        f"/s/repairs/requests/{repair.number}/items",
        {"kind": "labour", "minutes": "10"},
    )
    assert late.status_code == 409
    assert await RepairWorkItem.count().where(RepairWorkItem.request == repair.id) == 0


async def test_waiting_for_parts_holds_with_a_note(client: AsyncTestClient, repair: Repair) -> None:
    await login(client, repair.org.logins["agent"])
    await _start(client, repair)
    version = (await _row(repair))["version"]
    url = f"/requests/{repair.number}/actions/repairs.waiting_for_parts"
    stale = await post(client, url, {"version": str(version - 1)})
    assert stale.status_code == 409 and (await _row(repair))["status"] == "in_progress"
    held = await post(client, url, {"version": str(version), "note": "压缩机"})
    assert held.status_code == 303
    assert (await _row(repair))["status"] == "on_hold"
    event = (
        await RequestEvent.select(RequestEvent.message)
        .where((RequestEvent.request == repair.id) & (RequestEvent.to_status == "on_hold"))
        .first()
    )
    assert event["message"] == "Waiting for parts: 压缩机"


async def test_done_with_a_photo_stores_it_and_resolves(
    client: AsyncTestClient, repair: Repair, settings: Settings
) -> None:
    await login(client, repair.org.logins["agent"])
    await _start(client, repair)
    form = await client.get(f"/requests/{repair.number}/actions/repairs.done")
    assert form.status_code == 200
    assert 'capture="environment"' in form.text and 'accept="image/*"' in form.text
    version = (await _row(repair))["version"]
    done = await post(
        client,
        f"/requests/{repair.number}/actions/repairs.done",
        {"version": str(version), "note": "已更换灯泡"},
        files={"photos": ("after.jpg", jpeg(), "image/jpeg")},
    )
    assert done.status_code == 303, done.text
    row = await _row(repair)
    assert row["status"] == "resolved" and row["version"] == version + 1
    files = await Attachment.select(Attachment.name, Attachment.uploaded_by).where(
        Attachment.request == repair.id
    )
    assert files == [{"name": "after.jpg", "uploaded_by": repair.org.users["agent"]}]
    assert len(stored_files(settings)) == 2  # the photo and its thumbnail
    resolved = (
        await RequestEvent.select(RequestEvent.message)
        .where((RequestEvent.request == repair.id) & (RequestEvent.to_status == "resolved"))
        .first()
    )
    assert resolved["message"] == "已更换灯泡"
    assert len(await _events(repair, "attachment")) == 1
    await login(client, repair.org.logins["employee"])  # the requester sees the photo
    page = (await client.get(f"/requests/{repair.number}")).text
    assert "/files/" in page and "已更换灯泡" in page


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([], 422, "Take at least one photo of the result."),
        ([("notes.txt", b"just text", "image/jpeg")], 422, "is not a photo or a PDF"),
        ([("report.pdf", PDF, "application/pdf")], 422, "not a PDF"),
        (
            [("huge.jpg", b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10), "image/jpeg")],
            413,
            "too large",
        ),
        (
            [("ok.jpg", jpeg(), "image/jpeg"), ("broken.jpg", b"\xff\xd8\xffnope", "image/jpeg")],
            422,
            "could not be read",
        ),
    ],
)
async def test_done_refused_upload_changes_nothing(
    client: AsyncTestClient,
    repair: Repair,
    settings: Settings,
    files: list,
    status: int,
    message: str,
) -> None:
    await login(client, repair.org.logins["agent"])
    await _start(client, repair)
    version = (await _row(repair))["version"]
    refused = await post(
        client,
        f"/requests/{repair.number}/actions/repairs.done",
        {"version": str(version)},
        files=[("photos", f) for f in files] if files else None,
    )
    assert refused.status_code == status
    assert message in refused.text
    row = await _row(repair)
    assert row["status"] == "in_progress" and row["version"] == version
    assert await Attachment.count().where(Attachment.request == repair.id) == 0
    assert stored_files(settings) == []


async def test_done_with_a_stale_form_is_409_and_leaves_no_files(
    client: AsyncTestClient, repair: Repair, settings: Settings
) -> None:
    await login(client, repair.org.logins["agent"])
    await _start(client, repair)
    version = (await _row(repair))["version"]
    stale = await post(
        client,
        f"/requests/{repair.number}/actions/repairs.done",
        {"version": str(version - 1)},
        files={"photos": ("after.jpg", jpeg(), "image/jpeg")},
    )
    assert stale.status_code == 409
    assert "changed in the meantime" in stale.text
    assert (await _row(repair))["status"] == "in_progress"
    assert await Attachment.count().where(Attachment.request == repair.id) == 0
    assert stored_files(settings) == []


async def test_only_the_assignee_and_only_in_the_org(
    client: AsyncTestClient, app: Litestar, repair: Repair
) -> None:
    number = repair.number
    posts = [
        (f"/requests/{number}/actions/repairs.on_the_way", {}),
        (f"/s/repairs/requests/{number}/items", {"kind": "labour", "minutes": "5"}),
        (f"/requests/{number}/actions/repairs.waiting_for_parts", {}),
        (f"/requests/{number}/actions/repairs.done", {}),
    ]
    gets = [f"/s/repairs/requests/{number}/work", f"/requests/{number}/actions/repairs.done"]
    for who in ("employee", "repairs_admin", "admin"):  # they see it, but it is not theirs
        await login(client, repair.org.logins[who])
        for url, data in posts:
            assert (await post(client, url, data)).status_code == 403, (who, url)
        for url in gets:
            assert (await client.get(url)).status_code == 403, (who, url)
    await login(client, repair.org.logins["notices_admin"])  # may not even see it
    for url, data in posts:
        assert (await post(client, url, data)).status_code == 404, url
    other = await make_org(ROLES)  # another organisation's agent
    await login(client, other.logins["agent"])
    for url, data in posts:
        assert (await post(client, url, data)).status_code == 404, url
    assert await RepairWorkItem.count().where(RepairWorkItem.request == repair.id) == 0
    assert await _events(repair, "repairs.on_the_way") == []
    assert (await _row(repair))["status"] == "assigned"
