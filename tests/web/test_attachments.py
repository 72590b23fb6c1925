"""Photos and PDFs on requests: type by content, limits, EXIF, storage, timeline, API, 404s."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from core import attachments, i18n
from core.attachments import Limits, Upload, UploadRefused, clean_name, prepare, sniff
from core.config import Settings
from core.default_plugin import GENERAL
from core.identity.service import issue_token, load_actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.storage import LocalStorage
from core.tables import Attachment, RequestEvent, ServiceRequest
from tests.conftest import OrgFixture, QueryCounter, login, post

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """1 MB per file, so "too large" is cheap to test (8 files → a 9 MB body limit)."""
    return replace(settings, upload_max_mb=1)


def photo(size: tuple[int, int] = (40, 20), fmt: str = "JPEG", **save: object) -> bytes:
    """A small image: left half red, right half blue (to see a rotation)."""
    image = Image.new("RGB", size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    out = BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def spy_photo() -> bytes:
    """A JPEG lying on its side (EXIF orientation 6) that tells where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "SpyCam"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPS
    return photo(exif=exif, xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">gps-secret</x:xmpmeta>')


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.var_dir) / "uploads"


def stored_files(settings: Settings) -> list[Path]:
    root = uploads_dir(settings)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _form(token: str, **extra: str) -> dict[str, str]:
    return {"kind": "facilities", "title": "窗户坏了", "submit_token": token, **extra}


async def _actor(app, org: OrgFixture, who: str = "employee"):
    return await load_actor(org.users[who], app.state.plugins, app.state.permissions)


async def _number_of(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


async def _request_id(org: OrgFixture, number: str) -> int:
    return (
        await ServiceRequest.select(ServiceRequest.id)
        .where((ServiceRequest.org == org.id) & (ServiceRequest.number == number))
        .first()
    )["id"]


# -- pure checks -------------------------------------------------------------------------


def test_type_comes_from_the_bytes_not_the_name() -> None:
    assert sniff(photo()) == "image/jpeg"
    assert sniff(photo(fmt="PNG")) == "image/png"
    assert sniff(photo(fmt="WEBP")) == "image/webp"
    assert sniff(photo(fmt="GIF")) == "image/gif"
    assert sniff(PDF_BYTES) == "application/pdf"
    assert sniff(b"<html><script>alert(1)</script></html>") is None
    limits = Limits()
    # A ".jpg" that holds a PDF is a PDF, named so; one that holds HTML is refused.
    [doc] = prepare([Upload("scan.jpg", PDF_BYTES)], limits)
    assert (doc.content_type, doc.name, doc.thumbnail) == ("application/pdf", "scan.pdf", None)
    with pytest.raises(UploadRefused) as refused:
        prepare([Upload("cat.jpg", b"<html><script>alert(1)</script></html>")], limits)
    assert refused.value.reason == UploadRefused.WRONG_TYPE and refused.value.status_code == 422
    # Magic bytes right, body garbage: unreadable, not a 500.
    with pytest.raises(UploadRefused) as refused:
        prepare([Upload("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64)], limits)
    assert refused.value.reason == UploadRefused.UNREADABLE
    # A GIF is kept as its first frame, in PNG.
    [gif] = prepare([Upload("anim.gif", photo(fmt="GIF"))], limits)
    assert (gif.content_type, gif.name) == ("image/png", "anim.png")


def test_no_metadata_survives_in_any_image_format() -> None:
    from PIL.PngImagePlugin import PngInfo

    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    text = PngInfo()
    text.add_text("Comment", "gps-secret")
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">gps-secret</x:xmpmeta>'
    sources = [
        Upload("a.png", photo(fmt="PNG", exif=exif, pnginfo=text)),
        Upload("b.webp", photo(fmt="WEBP", exif=exif, xmp=xmp)),
        Upload("c.jpg", photo(exif=exif, xmp=xmp, comment=b"gps-secret")),
    ]
    for source, prepared in zip(sources, prepare(sources, Limits()), strict=True):
        assert b"SpyCam" in source.data or b"gps-secret" in source.data
        for blob in (prepared.data, prepared.thumbnail or b""):
            assert b"SpyCam" not in blob and b"gps-secret" not in blob, prepared.name
        assert not Image.open(BytesIO(prepared.data)).getexif()


def test_names_are_made_harmless() -> None:
    assert clean_name("../../etc/passwd.jpg", ".jpg", "photo-1") == "passwd.jpg"
    assert clean_name("C:\\Users\\me\\报修 照片.JPG", ".jpg", "photo-1") == "报修 照片.jpg"
    assert clean_name("evil\u202egpj.html", ".jpg", "photo-1") == "evilgpj.jpg"  # no bidi trick
    assert clean_name('a"b<c>.png', ".png", "photo-1") == "abc.png"
    assert clean_name("", ".pdf", "file-2") == "file-2.pdf"
    assert clean_name("...", ".jpg", "photo-1") == "photo-1.jpg"
    assert len(clean_name("长" * 300 + ".jpg", ".jpg", "x")) == 84


def test_big_photos_are_downscaled_and_bombs_refused() -> None:
    limits = Limits(max_edge=64)
    [big] = prepare([Upload("big.png", photo((200, 100), "PNG"))], limits)
    assert (big.width, big.height) == (64, 32)
    bomb = BytesIO()
    Image.new("1", (8000, 8000)).save(bomb, "PNG")  # 64 MP in a few kilobytes
    with pytest.raises(UploadRefused) as refused:
        prepare([Upload("bomb.png", bomb.getvalue())], Limits())
    assert refused.value.reason == UploadRefused.TOO_MANY_PIXELS
    i18n.set_locale("en")  # messages are worded in the current language; earlier tests vary it
    assert refused.value.status_code == 413 and "50 megapixels" in refused.value.message()


# -- submit with files ---------------------------------------------------------------------


async def test_phone_submit_with_photos_strips_exif_keeps_orientation(
    client: AsyncTestClient, org: OrgFixture, settings: Settings
) -> None:
    await login(client, org.logins["employee"])
    page = await client.get("/new/general")
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    response = await post(
        client,
        "/new/general",
        _form("f1"),
        files=[
            ("files", ("IMG_0001.jpg", spy_photo(), "image/jpeg")),
            ("files", ("发票.jpg", PDF_BYTES, "image/jpeg")),  # the client lies about the type
        ],
    )
    number = await _number_of(response)
    request_id = await _request_id(org, number)
    rows = (
        await Attachment.select()
        .where((Attachment.org == org.id) & (Attachment.request == request_id))
        .order_by(Attachment.id)
    )
    assert [(r["name"], r["content_type"]) for r in rows] == [
        ("IMG_0001.jpg", "image/jpeg"),
        ("发票.pdf", "application/pdf"),
    ]
    assert rows[0]["uploaded_by"] == org.users["employee"]
    assert (rows[0]["width"], rows[0]["height"]) == (20, 40)  # turned upright
    assert rows[0]["thumb_key"] and not rows[1]["thumb_key"]
    # one public timeline event, between "submitted" and "approved"
    events = (
        await RequestEvent.select(RequestEvent.kind, RequestEvent.public, RequestEvent.data)
        .where(RequestEvent.request == request_id)
        .order_by(RequestEvent.id)
        .output(load_json=True)
    )
    assert [e["kind"] for e in events] == ["status", "attachment", "status"]
    assert events[1]["public"] and events[1]["data"] == {"files": [r["id"] for r in rows]}

    image = await client.get(f"/requests/{number}/files/{rows[0]['id']}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["content-disposition"].startswith("inline;")
    assert image.headers["cache-control"].startswith("private")
    assert "sandbox" in image.headers["content-security-policy"]
    for secret in (b"SpyCam", b"gps-secret", b"Exif"):
        assert secret not in image.content
    shown = Image.open(BytesIO(image.content))
    assert len(shown.getexif()) == 0 and shown.size == (20, 40)
    # upright: after the 90° turn, red (the original left half) is on top
    assert shown.convert("RGB").getpixel((10, 5))[0] > 200
    assert shown.convert("RGB").getpixel((10, 35))[2] > 200
    again = await client.get(
        f"/requests/{number}/files/{rows[0]['id']}",
        headers={"If-None-Match": image.headers["etag"]},
    )
    assert again.status_code == 304 and not again.content

    pdf = await client.get(f"/requests/{number}/files/{rows[1]['id']}")
    assert pdf.content == PDF_BYTES and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf" in pdf.headers["content-disposition"]
    assert (await client.get(f"/requests/{number}/files/{rows[1]['id']}/thumb")).status_code == 404
    thumb = await client.get(f"/requests/{number}/files/{rows[0]['id']}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"

    detail = await client.get(f"/requests/{number}")
    # each file shows once (in the grid); the timeline says they were added and links there
    assert detail.text.count(f"/requests/{number}/files/{rows[0]['id']}/thumb") == 1
    assert detail.text.count(f'href="/requests/{number}/files/{rows[1]["id"]}"') == 1
    assert '<a href="#files-title">Added 2 photos or files</a>' in detail.text
    assert len(stored_files(settings)) == 3  # photo, its thumbnail, the PDF


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        (
            [("files", ("big.jpg", b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10), "image/jpeg"))],
            413,
            "“big.jpg” is too large: each file may be at most 1 MB.",
        ),
        (
            [("files", (f"p{i}.png", photo(fmt="PNG"), "image/png")) for i in range(9)],
            422,
            "At most 8 files per request.",
        ),
        (
            [
                ("files", ("ok.png", photo(fmt="PNG"), "image/png")),
                ("files", ("page.jpg", b"<!doctype html><p>hi", "image/jpeg")),
            ],
            422,
            "“page.jpg” is not a photo or a PDF.",
        ),
    ],
    ids=["too-large", "too-many", "not-a-photo"],
)
async def test_refused_files_leave_no_request_and_no_bytes(
    client: AsyncTestClient,
    org: OrgFixture,
    settings: Settings,
    files: list,
    status: int,
    message: str,
) -> None:
    await login(client, org.logins["employee"])
    response = await post(client, "/new/general", _form("r1"), files=files)
    assert response.status_code == status
    assert message in response.text
    assert 'value="窗户坏了"' in response.text  # the rest of the form is kept
    assert "Choose the files again" in response.text  # all of them: none was kept


async def test_a_form_with_errors_asks_for_the_files_again(
    client: AsyncTestClient, org: OrgFixture, settings: Settings
) -> None:
    await login(client, org.logins["employee"])
    photos = [("files", ("a.png", photo(fmt="PNG"), "image/png"))]
    response = await post(client, "/new/general", _form("e1", title=""), files=photos)
    assert response.status_code == 422 and "Choose the files again" in response.text
    assert stored_files(settings) == []
    response = await post(client, "/new/general", _form("e2", title=""))
    assert response.status_code == 422 and "Choose the files again" not in response.text
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0
    assert await Attachment.count().where(Attachment.org == org.id) == 0
    assert stored_files(settings) == []


async def test_refusals_speak_the_users_language(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    big = b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10)
    response = await post(
        client,
        "/new/general",
        _form("zh1"),
        files=[("files", ("大图.jpg", big, "image/jpeg"))],
        headers=zh,
    )
    assert response.status_code == 413
    assert "“大图.jpg”太大：每个文件不能超过 1 MB。" in response.text
    many = [("files", (f"{i}.png", photo(fmt="PNG"), "image/png")) for i in range(9)]
    response = await post(client, "/new/general", _form("zh2"), files=many, headers=zh)
    assert response.status_code == 422 and "每个请求最多 8 个文件。" in response.text  # plural


def test_upload_settings_are_checked() -> None:
    from core.config import ConfigError, load_settings

    assert load_settings({}).upload_max_mb == 10
    assert load_settings({"HOUQIN_UPLOAD_MAX_MB": "25"}).upload_max_mb == 25
    with pytest.raises(ConfigError, match="HOUQIN_UPLOAD_MAX_MB"):
        load_settings({"HOUQIN_UPLOAD_MAX_MB": "0"})
    with pytest.raises(ConfigError, match="HOUQIN_UPLOAD_STORAGE"):
        load_settings({"HOUQIN_UPLOAD_STORAGE": "s3"})
    assert (
        Limits.from_settings(load_settings({"HOUQIN_UPLOAD_MAX_MB": "2"})).body_limit
        == (8 * 2 + 1) * 1024 * 1024
    )


async def test_a_body_over_the_route_limit_is_refused_early(
    client: AsyncTestClient, org: OrgFixture, settings: Settings
) -> None:
    await login(client, org.logins["employee"])
    body = b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024)  # over 8 files × 1 MB + 1 MB
    response = await post(
        client, "/new/general", _form("b1"), files=[("files", ("x.jpg", body, "image/jpeg"))]
    )
    assert response.status_code == 413
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0


async def test_a_failing_submit_deletes_the_stored_bytes(
    app, org: OrgFixture, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.lifecycle.submit as requests_module

    files = prepare([Upload("a.jpg", photo()), Upload("b.pdf", PDF_BYTES)], Limits())
    original = requests_module.record

    async def record_then_fail(*args: object, **kwargs: object) -> list[int]:
        await original(*args, **kwargs)  # rows written, bytes stored...
        assert len(stored_files(settings)) == 3
        raise RuntimeError("the database went away")  # ...then the transaction fails

    monkeypatch.setattr(requests_module, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        await submit(
            await _actor(app, org),
            GENERAL,
            NewRequest(kind="other", title="x"),
            channel="pwa",
            attachments=files,
            storage=app.state.storage,
        )
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0
    assert await Attachment.count().where(Attachment.org == org.id) == 0
    assert stored_files(settings) == []


# -- adding later ----------------------------------------------------------------------------


async def test_requester_adds_photos_later_others_cannot(
    client: AsyncTestClient, org: OrgFixture, app, settings: Settings
) -> None:
    made = await submit(
        await _actor(app, org), GENERAL, NewRequest(kind="other", title="later"), channel="pwa"
    )
    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}")
    assert f'action="/requests/{made.number}/files"' in page.text
    added = await post(
        client,
        f"/requests/{made.number}/files",
        files=[("files", ("more.png", photo(fmt="PNG"), "image/png"))],
    )
    assert added.status_code == 303
    detail = await client.get(f"/requests/{made.number}")
    assert "1 file added." in detail.text and "Photos and files" in detail.text
    empty = await post(client, f"/requests/{made.number}/files")
    assert empty.status_code == 422 and "Choose at least one photo or PDF." in empty.text

    # The auditor may read the request and its files, but not add to it.
    file_id = (await Attachment.select(Attachment.id).where(Attachment.org == org.id).first())["id"]
    await login(client, org.logins["auditor"])
    page = await client.get(f"/requests/{made.number}")
    assert page.status_code == 200 and f'/requests/{made.number}/files"' not in page.text
    assert (await client.get(f"/requests/{made.number}/files/{file_id}")).status_code == 200
    refused = await post(
        client,
        f"/requests/{made.number}/files",
        files=[("files", ("x.png", photo(fmt="PNG"), "image/png"))],
    )
    assert refused.status_code == 404
    assert await Attachment.count().where(Attachment.org == org.id) == 1

    # Finished requests take no more files.
    await transition(None, org.id, made.id, Action.CANCEL)
    await login(client, org.logins["employee"])
    closed = await post(
        client,
        f"/requests/{made.number}/files",
        files=[("files", ("x.png", photo(fmt="PNG"), "image/png"))],
    )
    assert closed.status_code == 409 and "files can no longer be added" in closed.text
    assert len(stored_files(settings)) == 2  # the one photo and its thumbnail


async def test_concurrent_uploads_cannot_pass_the_count_limit(
    app, org: OrgFixture, settings: Settings
) -> None:
    actor = await _actor(app, org)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="race"), channel="pwa")
    row = {"id": made.id}
    limits = Limits()
    batch = prepare([Upload(f"{i}.pdf", PDF_BYTES) for i in range(5)], limits)
    results = await asyncio.gather(
        *(attachments.add(actor, row, batch, app.state.storage, limits) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["UploadRefused", "list"]
    assert await attachments.count(org.id, made.id) == 5
    assert len(stored_files(settings)) == 5


async def test_detail_page_queries_do_not_grow_with_files(
    client: AsyncTestClient, org: OrgFixture, app, queries: QueryCounter
) -> None:
    actor = await _actor(app, org)
    made = await submit(
        actor,
        GENERAL,
        NewRequest(kind="other", title="q"),
        channel="pwa",
        attachments=prepare([Upload("a.png", photo(fmt="PNG"))], Limits()),
        storage=app.state.storage,
    )
    await login(client, org.logins["employee"])

    async def count() -> int:
        queries.reset()
        assert (await client.get(f"/requests/{made.number}")).status_code == 200
        return queries.count

    before = await count()
    row = {"id": made.id}
    for _ in range(3):
        files = prepare([Upload("b.png", photo(fmt="PNG")), Upload("c.pdf", PDF_BYTES)], Limits())
        await attachments.add(actor, row, files, app.state.storage, Limits())
    assert await attachments.count(org.id, made.id) == 7
    assert await count() == before


# -- API ------------------------------------------------------------------------------------


async def test_api_lists_uploads_and_downloads(client: AsyncTestClient, org: OrgFixture) -> None:
    auth = {"Authorization": f"Bearer {await issue_token(org.id, org.users['employee'], 't')}"}
    created = await client.post(
        "/api/v1/requests",
        json={"service": "general", "kind": "other", "title": "API 报修"},
        headers=auth,
    )
    number = created.json()["number"]
    one = await client.post(
        f"/api/v1/requests/{number}/files",
        files=[("files", ("only.jpg", spy_photo(), "image/jpeg"))],
        headers=auth,
    )
    assert one.status_code == 201, one.text
    [out] = one.json()
    assert out["name"] == "only.jpg" and out["thumbnail_url"].endswith("/thumb")
    two = await client.post(
        f"/api/v1/requests/{number}/files",
        files=[
            ("files", ("a.webp", photo(fmt="WEBP"), "image/webp")),
            ("files", ("b.pdf", PDF_BYTES, "application/pdf")),
        ],
        headers=auth,
    )
    assert two.status_code == 201 and [f["name"] for f in two.json()] == ["a.webp", "b.pdf"]
    listed = await client.get(f"/api/v1/requests/{number}/files", headers=auth)
    assert [f["name"] for f in listed.json()] == ["only.jpg", "a.webp", "b.pdf"]
    download = await client.get(out["url"], headers=auth)
    assert download.status_code == 200 and b"SpyCam" not in download.content
    thumb = await client.get(out["thumbnail_url"], headers=auth)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    events = (await client.get(f"/api/v1/requests/{number}", headers=auth)).json()["events"]
    assert sum(e["kind"] == "attachment" for e in events) == 2

    refused = await client.post(
        f"/api/v1/requests/{number}/files",
        files=[("files", ("x.jpg", b"GIF89a-not-really", "image/jpeg"))],
        headers={**auth, "Accept-Language": "en"},
    )
    assert refused.status_code == 422 and "could not be read" in refused.json()["detail"]
    nothing = await client.post(
        f"/api/v1/requests/{number}/files", files={"note": (None, "x")}, headers=auth
    )
    assert nothing.status_code == 422, nothing.text
    assert nothing.json()["detail"] == "Choose at least one photo or PDF."
    # the API takes writes with a token only, never with the session cookie
    await login(client, org.logins["employee"])
    cookie_only = await client.post(
        f"/api/v1/requests/{number}/files",
        files=[("files", ("x.png", photo(fmt="PNG"), "image/png"))],
    )
    assert cookie_only.status_code == 403
    assert await Attachment.count().where(Attachment.org == org.id) == 3


def test_local_storage_rejects_keys_that_could_escape(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for key in ("../../etc/passwd", "a/b", "", "x" * 200, "short"):
        with pytest.raises(KeyError):
            storage.path_for(key)


async def test_local_storage_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    key = await storage.put(b"hello", "application/pdf")
    assert await storage.read(key) == b"hello"
    assert not list((tmp_path / "uploads").rglob(".*.tmp"))
    await storage.delete(key)
    await storage.delete(key)  # twice is fine
    with pytest.raises(KeyError):
        await storage.read(key)
