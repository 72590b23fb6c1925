"""The repairs issue's acceptance journey, in the browser.

Someone who is not signed in scans an asset's sticker on the phone (opens its URL),
reports the fault with a photo, name and phone → the request is dispatched to the
repairs team's technician automatically → the technician, on a phone of their own
(a second browser context), accepts, says they are on the way, starts and resolves →
the reporter's follow page, open the whole time, shows each step as it happens over
SSE without a reload → the reporter rates it, and the rating is recorded.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from babel.messages.pofile import read_po
from PIL import Image
from playwright.sync_api import expect

from core.config import ROOT
from core.identity.service import create_org, create_user
from core.seed import DEMO_PASSWORD
from core.tables import GuestFollow, Place, Rating, RequestEvent, ServiceRequest, Team, TeamMember
from plugins.repairs.assets import new_token
from plugins.repairs.tables import RepairAsset, RepairRequestDetail
from tests.e2e.conftest import PHONE, Phone
from tests.e2e.test_journeys import sign_in, zh
from tests.e2e.test_lifecycle_modes import (
    LIVE_MS,
    SSE_PROBE_JS,
    in_database,
    listening,
    password_hash,
    press,
)

pytestmark = pytest.mark.browser
REPAIRS_PO = ROOT / "plugins/repairs/locale/zh_CN/LC_MESSAGES/messages.po"


def zh_repairs(msgid: str) -> str:
    """The zh_CN translation of one of the repairs plugin's msgids (read, not guessed)."""
    with REPAIRS_PO.open("rb") as f:
        message = read_po(f, locale="zh_CN").get(msgid)
    assert message is not None and message.string, msgid
    return str(message.string)


async def _world() -> dict[str, Any]:
    slug = f"bx{uuid.uuid4().hex[:8]}"
    org_id = await create_org(slug, f"报修 {slug}", "zh_CN")
    technician = await create_user(
        org_id,
        f"tech@{slug}",
        "赵师傅",
        DEMO_PASSWORD,
        roles=("employee", "agent"),
        password_hash=password_hash(),
    )
    team = Team(
        org=org_id, service="repairs", name="IT 维修组", kinds=["it"], strategy="round_robin"
    )
    await team.save()
    await TeamMember.insert(TeamMember(org=org_id, team=team.id, user=technician))
    room = (
        await Place.insert(
            Place(org=org_id, kind="room", name="A301 会议室", code="A301")
        ).returning(Place.id)
    )[0]["id"]
    token = new_token()
    await RepairAsset.insert(
        RepairAsset(
            org=org_id,
            code="ZC-0042",
            name="会议室投影仪",
            category="it",
            location=room,
            qr_token=token,
        )
    )
    return {"org": org_id, "slug": slug, "technician": technician, "token": token}


def _photo(tmp_path: Any) -> str:
    path = tmp_path / "fault.jpg"
    Image.new("RGB", (320, 240), "navy").save(path, "JPEG")
    return str(path)


def _recorded(url: str, org_id: int, number: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        request = (
            await ServiceRequest.select()
            .where((ServiceRequest.org == org_id) & (ServiceRequest.number == number))
            .first()
        )
        detail = (
            await RepairRequestDetail.select()
            .where(RepairRequestDetail.request == request["id"])
            .first()
        )
        events = (
            await RequestEvent.select(RequestEvent.kind, RequestEvent.to_status, RequestEvent.actor)
            .where((RequestEvent.org == org_id) & (RequestEvent.request == request["id"]))
            .order_by(RequestEvent.id)
        )
        rating = await Rating.select().where(Rating.request == request["id"]).first()
        follows = await GuestFollow.count().where(GuestFollow.request == request["id"])
        return {
            "request": request,
            "detail": detail,
            "events": events,
            "rating": rating,
            "follows": follows,
        }

    return in_database(url, read)


def test_sticker_report_without_login_to_rating(
    browser: Any, live_server: str, live_database_url: str, tmp_path: Any
) -> None:
    world = in_database(live_database_url, _world)
    reporter_ctx = browser.new_context(**PHONE)
    tech_ctx = browser.new_context(**PHONE)
    try:
        for ctx in (reporter_ctx, tech_ctx):
            ctx.set_default_timeout(10_000)
            ctx.add_init_script(SSE_PROBE_JS)
        # 1. the sticker's URL, on a phone that has never signed in
        page = reporter_ctx.new_page()
        page.goto(f"{live_server}/p/repairs/a/{world['token']}")
        expect(page.locator(".repairs-asset-banner")).to_contain_text("会议室投影仪")
        form = page.locator("form.request-form")
        expect(form.locator("input[name=kind][value=it]")).to_be_checked()  # from the asset
        form.locator("#f-title").fill("投影仪开机无画面")
        form.locator("input[name=photos]").set_input_files(_photo(tmp_path))
        form.locator("#f-name").fill("王小明")
        form.locator("#f-phone").fill("13800001234")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/p/follow/[\w-]+\?new=1$"))
        number = page.locator("#live .request-head .mono").inner_text().strip()
        assert number.startswith("BX-"), number
        chip = page.locator("#live .request-head .status")
        expect(chip).to_have_text(zh("Assigned"))  # dispatched at once
        listening(page)

        # 2. the technician, on their own phone
        tech = Phone(tech_ctx, tech_ctx.new_page(), live_server)
        sign_in(tech, f"tech@{world['slug']}")
        tp = tech.page
        tp.goto(tech.url("/tasks"))
        tp.locator(f"a[href='/requests/{number}']").click()
        tp.wait_for_url(tech.url(f"/requests/{number}"))
        work = "form.work-actions"
        press(tp, work, zh("Accept"))
        expect(page.locator("#live .timeline")).to_contain_text(
            zh("Accepted, on it"), timeout=LIVE_MS
        )
        with tp.expect_navigation():  # the technician sets off: the reporter sees it
            tp.locator("button[data-action='repairs.on_the_way']").click()
        expect(page.locator("#live .timeline")).to_contain_text(
            zh_repairs("Technician on the way"), timeout=LIVE_MS
        )
        press(tp, work, zh("Start work"))
        expect(chip).to_have_text(zh("In progress"), timeout=LIVE_MS)
        press(tp, work, zh("Done"))
        expect(chip).to_have_text(zh("Done"), timeout=LIVE_MS)

        # 3. the reporter's page now offers the rating, without a reload
        rating = page.locator("form.rating")
        expect(rating).to_be_visible(timeout=LIVE_MS)
        rating.locator("label[for=star5]").click()
        rating.locator("label.choice-chip", has_text=zh("Fast")).click()
        with page.expect_navigation():
            rating.locator("button[type=submit]").click()
        expect(chip).to_have_text(zh("Closed"))
        expect(page.locator("form.rating")).to_have_count(0)
    finally:
        reporter_ctx.close()
        tech_ctx.close()

    rec = _recorded(live_database_url, world["org"], number)
    req = rec["request"]
    assert req["channel"] == "qr" and req["status"] == "closed"
    assert req["assignee"] == world["technician"] and req["first_response_at"] is not None
    assert rec["detail"]["reporter_name"] == "王小明"
    assert rec["detail"]["reporter_phone"] == "13800001234"
    assert rec["rating"]["score"] == 5 and rec["rating"]["rater"] == req["requester"]
    assert rec["follows"] == 1
    steps = [(e["kind"], e["to_status"]) for e in rec["events"] if e["kind"] != "attachment"]
    for step in (
        ("status", "assigned"),
        ("accepted", ""),
        ("status", "in_progress"),
        ("status", "resolved"),
        ("status", "closed"),
    ):
        assert step in steps, (step, steps)
    by_kind = {e["kind"]: e for e in rec["events"]}
    assert "attachment" in by_kind  # the photo from the phone's camera
    assert by_kind["accepted"]["actor"] == world["technician"]
    assert by_kind["repairs.on_the_way"]["actor"] == world["technician"]


def test_a_refused_boosted_form_shows_its_errors(browser: Any, live_server: str) -> None:
    """Pages are boosted (hx-boost on <body>); a 422 answer must still be shown, or the
    admin presses Save and nothing seems to happen (htmx 2 drops 4xx by default)."""
    ctx = browser.new_context(**PHONE)
    try:
        ctx.set_default_timeout(10_000)
        admin = Phone(ctx, ctx.new_page(), live_server)
        sign_in(admin, "admin@demo")
        page = admin.page
        page.goto(admin.url("/s/repairs/admin/assets/new"))
        page.locator("form button[type=submit]").last.click()
        expect(page.locator(".field__error").first).to_be_visible()
        expect(page.locator("#f-code")).to_be_visible()  # still the form, errors beside it
    finally:
        ctx.close()
