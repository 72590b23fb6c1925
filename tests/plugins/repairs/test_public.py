"""The public sticker pages of the repairs plugin: report without signing in, join an open
report, follow it, rate it; tokens that reveal nothing; rate limits; room stickers."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from core import guests
from core.config import Settings
from core.identity.service import set_plugin_enabled
from core.tables import (
    Attachment,
    GuestFollow,
    Place,
    Rating,
    RequestEvent,
    ServiceRequest,
    Team,
    TeamMember,
    User,
)
from plugins.repairs import guests as G
from plugins.repairs.public import PUBLIC_POSTS_PER_HOUR
from plugins.repairs.tables import RepairRequestDetail
from tests.conftest import OrgFixture, login, make_org, post
from tests.plugins.repairs.test_repairs import ROLES, _asset, _place


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """1 MB per photo, so "too large" is cheap to test."""
    return replace(settings, upload_max_mb=1)


@pytest.fixture(autouse=True)
def _english(client: AsyncTestClient) -> None:
    """A visitor's phone without a session: the language comes from its browser."""
    client.headers["accept-language"] = "en"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    return out.getvalue()


async def _report(client: AsyncTestClient, url: str, **extra: object):
    data = {
        "kind": "it",
        "title": "投影仪不亮",
        "name": "王小明",
        "phone": "138 0000 1234",
        "submit_token": extra.pop("submit_token", "s-1"),
        **extra,
    }
    return await post(client, url, data)


async def _with_team(org: OrgFixture) -> None:
    team = Team(org=org.id, service="repairs", name="维修组", strategy="round_robin")
    await team.save()
    await TeamMember.insert(TeamMember(org=org.id, team=team.id, user=org.users["agent"]))


async def test_guest_reports_from_an_asset_sticker_and_follows_it(
    client: AsyncTestClient, db: object
) -> None:
    org = await make_org(ROLES)
    await _with_team(org)
    places = await _place(org.id)
    asset = await _asset(org.id, location=places["room"])
    page = await client.get(f"/p/repairs/a/{asset['token']}")
    assert page.status_code == 200, page.text
    assert "会议室投影仪" in page.text and "Your phone" in page.text
    photo = ("fault.jpg", _jpeg(), "image/jpeg")
    sent = await post(
        client,
        f"/p/repairs/a/{asset['token']}",
        {
            "kind": "it",
            "title": "投影仪不亮",
            "name": "王小明",
            "phone": "13800001234",
            "submit_token": "s-1",
        },
        files={"photos": photo},
    )
    assert sent.status_code == 303, sent.text
    follow_url = sent.headers["location"]
    assert follow_url.startswith("/p/follow/")
    token = follow_url.split("/")[-1].split("?")[0]
    req = await ServiceRequest.objects().where(ServiceRequest.org == org.id).first()
    assert req.channel == "qr" and req.service == "repairs"
    assert req.assignee == org.users["agent"] and req.status == "assigned"  # auto-dispatched
    requester = await User.objects().where(User.id == req.requester).first()
    assert requester.org == org.id and requester.is_active is False  # the service account
    detail = (
        await RepairRequestDetail.objects().where(RepairRequestDetail.request == req.id).first()
    )
    assert detail.reporter_name == "王小明" and detail.reporter_phone == "13800001234"
    assert detail.asset == asset["id"] and detail.location == places["room"]
    assert await Attachment.count().where(Attachment.request == req.id) == 1
    follow = await GuestFollow.objects().where(GuestFollow.request == req.id).first()
    assert (
        follow.reporter
        and follow.token_hash == guests.hash_token(token)
        and token not in follow.token_hash
    )
    shown = await client.get(follow_url)
    assert shown.status_code == 200 and req.number in shown.text and "投影仪不亮" in shown.text
    assert "13800001234" not in shown.text  # the phone is for staff only
    assert (await client.get("/p/follow/not-a-real-token")).status_code == 404
    # a link given out before follow pages were core's still leads there
    older = await client.get(f"/p/repairs/f/{token}")
    assert older.status_code == 301 and older.headers["location"] == f"/p/follow/{token}"
    # the service account cannot sign in
    assert (
        await client.post("/login", data={"login": requester.login, "password": ""})
    ).status_code != 303


async def test_guest_rates_once_resolved_and_only_the_reporter(
    client: AsyncTestClient, db: object
) -> None:
    org = await make_org(ROLES)
    await _with_team(org)
    asset = await _asset(org.id)
    sent = await _report(client, f"/p/repairs/a/{asset['token']}")
    token = sent.headers["location"].split("/")[-1].split("?")[0]
    req = await ServiceRequest.objects().where(ServiceRequest.org == org.id).first()
    early = await post(client, f"/p/follow/{token}/rate", {"score": "5"})
    assert early.status_code == 409
    await ServiceRequest.update({ServiceRequest.status: "resolved"}).where(
        ServiceRequest.id == req.id
    )
    page = await client.get(f"/p/follow/{token}")
    assert "How did it go?" in page.text
    bad = await post(client, f"/p/follow/{token}/rate", {"score": "9"})
    assert bad.status_code == 422
    # a second person who joined the report may follow it but not rate it
    joined = await post(
        client,
        f"/p/repairs/a/{asset['token']}/join",
        {"number": req.number, "name": "李四", "phone": "13900000000"},
    )
    assert joined.status_code == 422  # resolved: no longer open to join
    other_token = await guests.add_follow(org.id, req.id, "李四", "139", reporter=False)
    refused = await post(client, f"/p/follow/{other_token}/rate", {"score": "1"})
    assert refused.status_code == 403
    rated = await post(client, f"/p/follow/{token}/rate", {"score": "4", "tags": "fast"})
    assert rated.status_code == 303, rated.text
    rating = await Rating.objects().where(Rating.request == req.id).first()
    assert rating.score == 4 and rating.rater == req.requester
    assert (
        await ServiceRequest.objects().where(ServiceRequest.id == req.id).first()
    ).status == "closed"
    again = await post(client, f"/p/follow/{token}/rate", {"score": "5"})
    assert again.status_code == 409
    assert await Rating.count().where(Rating.request == req.id) == 1


async def test_open_report_offers_to_follow_instead_of_a_second_one(
    client: AsyncTestClient, db: object
) -> None:
    org = await make_org(ROLES)
    asset = await _asset(org.id)
    url = f"/p/repairs/a/{asset['token']}"
    await _report(client, url, submit_token="first")
    req = await ServiceRequest.objects().where(ServiceRequest.org == org.id).first()
    page = await client.get(url)
    assert "Already reported" in page.text and req.number in page.text
    missing = await post(client, f"{url}/join", {"number": req.number})
    assert missing.status_code == 422 and "Enter your name" in missing.text
    joined = await post(
        client, f"{url}/join", {"number": req.number, "name": "李四", "phone": "13900000000"}
    )
    assert joined.status_code == 303
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 1
    event = (
        await RequestEvent.objects()
        .where((RequestEvent.request == req.id) & (RequestEvent.kind == "repairs.also_reported"))
        .first()
    )
    assert event is not None
    followed = await client.get(joined.headers["location"])
    assert req.number in followed.text and "Also reported" in followed.text
    # a different fault can still be reported
    anyway = await client.get(f"{url}?new=1")
    assert "Already reported" not in anyway.text and "Report the fault" in anyway.text
    # a signed-in colleague follows it with one tap from the phone form
    await login(client, org.logins["employee"])
    form = await client.get(f"/new/repairs?asset={asset['token']}")
    assert "Already reported" in form.text
    mine = await post(client, f"{url}/join", {"number": req.number})
    assert mine.status_code == 303
    follower = (
        await GuestFollow.objects()
        .where(GuestFollow.request == req.id)
        .order_by(GuestFollow.id, ascending=False)
        .first()
    )
    member = await User.objects().where(User.id == org.users["employee"]).first()
    assert follower.name == member.display_name and not follower.reporter


async def test_bad_input_and_tokens_that_reveal_nothing(
    client: AsyncTestClient, db: object
) -> None:
    org = await make_org(ROLES)
    asset = await _asset(org.id)
    url = f"/p/repairs/a/{asset['token']}"
    missing = await post(client, url, {"kind": "", "title": "", "submit_token": "x"})
    assert missing.status_code == 422
    for message in (
        "Choose what kind of fault it is.",
        "Say in a few words what is wrong.",
        "Enter your name",
        "Enter a phone number the technician can call.",
    ):
        assert message in missing.text
    bad_phone = await _report(client, url, phone="call me maybe", submit_token="y")
    assert bad_phone.status_code == 422
    not_image = await post(
        client,
        url,
        {"kind": "it", "title": "t", "name": "n", "phone": "1", "submit_token": "z"},
        files={"photos": ("x.jpg", b"not an image at all", "image/jpeg")},
    )
    assert not_image.status_code in (413, 415, 422)
    big = await post(
        client,
        url,
        {"kind": "it", "title": "t", "name": "n", "phone": "1", "submit_token": "b"},
        files={"photos": ("big.jpg", b"\xff\xd8" + b"0" * 1_200_000, "image/jpeg")},
    )
    assert big.status_code == 413
    assert "“big.jpg” is too large: each file may be at most 1 MB." in big.text
    assert 'value="t"' in big.text  # what was typed is kept; only the photo must be chosen again
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0
    # unknown, other organisation's with the plugin off, retired: the same 404
    other = await make_org(ROLES)
    theirs = await _asset(other.id, code="THEIRS-9")
    await set_plugin_enabled(other.id, "repairs", False, None)
    for target in ("/p/repairs/a/made-up", f"/p/repairs/a/{theirs['token']}", "/p/repairs/x/abc"):
        response = await client.get(target)
        assert response.status_code == 404 and "THEIRS-9" not in response.text
    sent = await _report(client, f"/p/repairs/a/{theirs['token']}", submit_token="w")
    assert sent.status_code == 404
    assert await ServiceRequest.count().where(ServiceRequest.org == other.id) == 0


async def test_room_sticker_and_rate_limit(client: AsyncTestClient, db: object) -> None:
    org = await make_org(ROLES)
    places = await _place(org.id)
    await Place.update({Place.qr_token: "room-token-1"}).where(Place.id == places["room"])
    url = "/p/repairs/l/room-token-1"
    # the door sticker (core's /p/place/) leads straight here: repairs is all it offers
    door = await client.get("/p/place/room-token-1")
    assert door.status_code == 303 and door.headers["location"] == url
    page = await client.get(url)
    assert page.status_code == 200 and "A301 会议室" in page.text
    sent = await _report(client, url, kind="hvac", title="空调不制冷", submit_token="r1")
    assert sent.status_code == 303
    detail = await RepairRequestDetail.objects().where(RepairRequestDetail.org == org.id).first()
    assert detail.asset is None and detail.location == places["room"]
    # the same address keeps posting: refused once the hour's allowance is spent
    codes = []
    for n in range(PUBLIC_POSTS_PER_HOUR):
        response = await post(client, url, {"kind": "", "submit_token": f"x{n}"})
        codes.append(response.status_code)
    assert codes[-1] == 429 and set(codes[:-1]) == {422}
    # an admin regenerates the door sticker: the old one stops working
    await login(client, org.logins["admin"])
    sheet = await client.get("/admin/places/stickers.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert (await post(client, f"/admin/places/{places['room']}/qr")).status_code == 303
    assert (await client.get(url)).status_code == 404
    employee_login = org.logins["employee"]
    await post(client, "/logout")
    await login(client, employee_login)
    assert (await client.get("/admin/places/stickers.pdf")).status_code == 403


async def test_disabling_repairs_is_for_that_organisation_only(
    client: AsyncTestClient, db: object
) -> None:
    off, on = await make_org(ROLES), await make_org(ROLES)
    off_asset, on_asset = await _asset(off.id), await _asset(on.id)
    await set_plugin_enabled(off.id, "repairs", False, None)
    # the public sticker pages
    assert (await client.get(f"/p/repairs/a/{off_asset['token']}")).status_code == 404
    assert (await client.get(f"/p/repairs/a/{on_asset['token']}")).status_code == 200
    # the signed-in pages, tile, API and the hook-driven parts of the request page
    await login(client, off.logins["admin"])
    assert (await client.get("/new/repairs")).status_code == 404
    assert (await client.get("/s/repairs/admin/assets")).status_code == 404
    assert (await client.get("/api/v1/s/repairs/assets")).status_code == 404
    assert "/new/repairs" not in (await client.get("/")).text
    await post(client, "/logout")
    await login(client, on.logins["admin"])
    assert (await client.get("/new/repairs")).status_code == 200
    assert "/new/repairs" in (await client.get("/")).text


async def test_reporters_phones_are_forgotten_90_days_after_closing(
    client: AsyncTestClient, db: object
) -> None:
    from datetime import UTC, datetime, timedelta

    from core.tables import AuditEntry

    org = await make_org(ROLES)
    asset = await _asset(org.id)
    await _report(client, f"/p/repairs/a/{asset['token']}", submit_token="old")
    await _report(
        client, f"/p/repairs/a/{asset['token']}?new=1", submit_token="new", title="另一个"
    )
    old, new = (
        await ServiceRequest.objects()
        .where(ServiceRequest.org == org.id)
        .order_by(ServiceRequest.id)
    )
    moment = datetime.now(UTC)
    await ServiceRequest.update(
        {ServiceRequest.status: "closed", ServiceRequest.closed_at: moment - timedelta(days=91)}
    ).where(ServiceRequest.id == old.id)
    await ServiceRequest.update(
        {ServiceRequest.status: "closed", ServiceRequest.closed_at: moment - timedelta(days=10)}
    ).where(ServiceRequest.id == new.id)
    assert await G.forget_phones(now=moment) == 1  # the detail row (repairs' job)
    assert await guests.forget_phones(now=moment) == 1  # the follow link (core's job)
    assert await G.forget_phones(now=moment) == 0  # nothing left to do
    assert await guests.forget_phones(now=moment) == 0
    details = {
        d.request: d
        for d in await RepairRequestDetail.objects().where(RepairRequestDetail.org == org.id)
    }
    assert details[old.id].reporter_phone == "" and details[old.id].reporter_name == "王小明"
    assert details[new.id].reporter_phone == "138 0000 1234"
    follow = await GuestFollow.objects().where(GuestFollow.request == old.id).first()
    assert follow.phone == ""
    entry = (
        await AuditEntry.objects()
        .where((AuditEntry.org == org.id) & (AuditEntry.action == "repairs.phones_forgotten"))
        .first()
    )
    assert entry is not None
