"""Core's places (/admin/places): the building > floor > room tree, kept by org admins and
service admins, its door stickers (a PDF under the organisation's name) and what a door
sticker opens without signing in (/p/place/<token>)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from core import places
from core.identity.service import set_plugin_enabled
from core.printouts import Branding, Sticker, StickerSheet
from core.tables import AuditEntry, Place
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "admin": ("employee", "org_admin"),
    "service_admin": ("employee", "service_admin:notices"),
}


@pytest.fixture
async def porg(db: object) -> OrgFixture:
    return await make_org(ROLES)


async def test_the_tree_is_kept_by_admins(client: AsyncTestClient, porg: OrgFixture) -> None:
    for who in ("employee", "agent"):
        await login(client, porg.logins[who])
        assert (await client.get("/admin/places")).status_code == 403
        assert (await post(client, "/admin/places", {"kind": "building"})).status_code == 403
    await login(client, porg.logins["service_admin"])  # any service's admin keeps places
    assert (await client.get("/admin/places")).status_code == 200
    made = await post(client, "/admin/places", {"kind": "building", "name": "B 座", "code": "B"})
    assert made.status_code == 303
    building = await Place.objects().where(Place.org == porg.id).first()
    orphan = await post(client, "/admin/places", {"kind": "room", "name": "无主"})
    assert orphan.status_code == 422 and "belongs to a building or floor" in orphan.text
    room = await post(
        client,
        "/admin/places",
        {"kind": "room", "name": "B101", "code": "B101", "parent": str(building.id)},
    )
    assert room.status_code == 303
    made_room = await Place.objects().where(Place.code == "B101").first()
    assert made_room.parent == building.id and made_room.qr_token  # a door-sticker token
    under_room = await post(
        client,
        "/admin/places",
        {"kind": "room", "name": "x", "parent": str(made_room.id)},
    )
    assert under_room.status_code == 422 and "Choose a building or floor" in under_room.text
    renamed = await post(
        client, f"/admin/places/{building.id}", {"name": "B 座办公楼", "code": "B"}
    )
    assert renamed.status_code == 303
    tree = await client.get("/admin/places")
    assert tree.text.index("B 座办公楼") < tree.text.index("B101")
    assert (
        await AuditEntry.count().where(
            (AuditEntry.org == porg.id) & (AuditEntry.action == "place.saved")
        )
        == 3
    )
    # another organisation's place is not found
    other = await make_org(ROLES)
    theirs = await places.add(other.id, "building", "Theirs")
    assert (await post(client, f"/admin/places/{theirs}", {"name": "x"})).status_code == 404
    assert (await post(client, f"/admin/places/{theirs}/qr")).status_code == 404


async def test_door_stickers_and_what_they_open(client: AsyncTestClient, porg: OrgFixture) -> None:
    building = await places.add(porg.id, "building", "行政楼", "A")
    room = await places.add(porg.id, "room", "A301 会议室", "A301", building)
    token = (await places.get(porg.id, room))["qr_token"]
    await login(client, porg.logins["admin"])
    sheet = await client.get("/admin/places/stickers.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert sheet.headers["content-disposition"].startswith("inline")
    # the sticker opens the room's page; with no service offering anything, it says so
    for plugin in ("repairs", "notices"):
        await set_plugin_enabled(porg.id, plugin, False, None)
    await post(client, "/logout")
    door = await client.get(f"/p/place/{token}", headers={"Accept-Language": "en"})
    assert door.status_code == 200 and "A301 会议室" in door.text
    assert "Nothing to do here yet." in door.text
    # a new QR code: the old sticker stops working, like an unknown token
    await login(client, porg.logins["admin"])
    assert (await post(client, f"/admin/places/{room}/qr")).status_code == 303
    await post(client, "/logout")
    assert (await client.get(f"/p/place/{token}")).status_code == 404
    assert (await client.get("/p/place/made-up")).status_code == 404
    assert (await client.get("/p/place/" + "x" * 65)).status_code == 404


def test_a_sticker_sheet_carries_the_organisation_and_escapes_names() -> None:
    sheet = StickerSheet(
        (Sticker('<img src="http://x/">', "A1", "https://houqin.example/p/place/t", "hint"),)
    )
    pdf = sheet.render(Branding("示例单位", "javascript:alert(1)"))
    assert pdf.startswith(b"%PDF")
    assert Branding("x", "not a colour").safe_colour == "#1d64d8"
    assert Branding("x", "#00aa00").safe_colour == "#00aa00"


def test_printouts_fetch_nothing_but_data_uris() -> None:
    from core.printouts import local_only_fetcher

    fetcher = local_only_fetcher()
    for url in ("http://169.254.169.254/", "file:///etc/passwd", "https://example.com/x.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


async def test_a_room_picked_on_a_form_is_one_of_the_organisations(porg: OrgFixture) -> None:
    from core.default_plugin import GENERAL
    from core.i18n import use_locale
    from core.lifecycle.forms import FormContext, PlaceChoice
    from web.forms import Form

    floor = await places.add(porg.id, "floor", "3 层", "A3")
    room = await places.add(porg.id, "room", "A301", "A301", floor)
    theirs = await places.add((await make_org(ROLES)).id, "room", "B101", "B101")
    field = PlaceChoice(required=True)
    ctx = FormContext(None, GENERAL, "pwa", org=porg.id)
    picked = await field.read(Form({"place": str(room)}), ctx)
    assert picked["id"] == room and picked["floor"] == "3 层"
    assert (await field.prepare(Form({}), ctx))["options"] == [(str(room), "3 层 · A301")]
    for bad in (str(theirs), str(floor), "x", ""):
        form = Form({"place": bad})
        with use_locale("en", "UTC"):
            assert await field.read(form, ctx) is None
        assert form.errors == {"place": "Choose a room from the list."}, bad


async def test_the_form_macro_draws_a_time_range_and_a_room_picker(app, porg: OrgFixture) -> None:
    """Core draws every field type of a spec (here the two a booking form needs), with
    each error under its own input."""
    from core.default_plugin import GENERAL
    from core.i18n import use_locale
    from core.lifecycle.forms import DateTimeRange, FormContext, PlaceChoice, ServiceForm
    from web.forms import Form
    from web.service_forms import form_context

    room = await places.add(porg.id, "room", "A301", "A301")
    spec = ServiceForm((DateTimeRange(name="when", label=lambda _: _("When")), PlaceChoice()))
    service = replace(GENERAL, form=spec)
    ctx = FormContext(None, service, "pwa", org=porg.id)
    form = Form({"when_start": "2026-03-31T14:00", "when_end": "nope", "place": str(room)})
    form.error("when_end", "Enter a date and time such as 2026-03-31 15:00.")
    template = app.state.jinja.from_string(
        '{% from "macros/service_form.html" import service_fields with context %}'
        "{{ service_fields(fields, form, extras, form_ctx) }}"
    )
    with use_locale("en", "UTC"):
        html = template.render(form=form, **await form_context(form, ctx))
    assert 'type="datetime-local" name="when_start" value="2026-03-31T14:00"' in html
    assert 'name="when_end" value="nope" aria-invalid="true"' in html
    assert "Enter a date and time such as 2026-03-31 15:00." in html
    assert f'<option value="{room}" selected>A301</option>' in html
