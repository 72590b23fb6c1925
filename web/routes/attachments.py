"""Photos and PDFs of a request: add later, download, thumbnails; and the same in the API.

Every route first finds the request through ``inbox.visible_request`` (the one
visibility predicate), then the file *within that request and organisation*: a file
id of another request or organisation is simply not found (404), never forbidden.
Adding is for the people the request is for and about and those who run the service
(``core.attachments.may_attach``); everyone else who can see it gets 404 too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect
from litestar.status_codes import HTTP_304_NOT_MODIFIED, HTTP_409_CONFLICT

from core import attachments
from core.attachments import PreparedFile, UploadRefused
from core.i18n import gettext as _
from core.i18n import ngettext
from core.identity.actor import Actor
from core.lifecycle.states import TERMINAL, Status
from web.auth import current_actor, visible_or_404
from web.errors import Refused
from web.live import announce
from web.uploads import UPLOADS, limits_of, read_uploads, storage_of

CACHE = "private, max-age=3600"  # a file never changes under its id; only its viewers may keep it
FILE_CSP = "default-src 'none'; img-src 'self'; sandbox"


def disposition(kind: str, name: str) -> str:
    """``inline``/``attachment`` with an ASCII fallback name and the exact UTF-8 name."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def serve_file(
    request: Request[Any, Any, Any], number: str, file_id: int, *, thumbnail: bool = False
) -> Response[bytes]:
    """The stored bytes with the type found at upload, never sniffed by the browser.

    Images are shown inline, PDFs always downloaded; both under a CSP sandbox, so even
    a file opened on its own cannot run anything in the site's origin.
    """
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    item = await attachments.one(actor.org_id, row["id"], file_id)
    key = item and (item["thumb_key"] if thumbnail else item["storage_key"])
    if not item or not key:
        raise NotFoundException()
    etag = f'"{item["sha256"][:32]}{"-t" if thumbnail else ""}"'
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": FILE_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    try:
        data = await storage_of(request).read(key)
    except KeyError as exc:
        raise NotFoundException() from exc
    content_type = "image/jpeg" if thumbnail else item["content_type"]
    inline = content_type.startswith("image/")
    headers["Content-Disposition"] = disposition("inline" if inline else "attachment", item["name"])
    return Response(data, media_type=content_type, headers=headers)


async def _add(
    request: Request[Any, Any, Any], actor: Actor, row: dict[str, Any], data: Any
) -> list[int]:
    """Check who and when, read and check the files, store and record them; or refuse."""
    if not attachments.may_attach(actor, row):
        raise NotFoundException()
    if Status(row["status"]) in TERMINAL:
        raise Refused(UploadRefused(UploadRefused.CLOSED).message(), HTTP_409_CONFLICT)
    try:
        files: list[PreparedFile] = await read_uploads(
            request, data, existing=await attachments.count(actor.org_id, row["id"])
        )
        if not files:
            raise Refused(_("Choose at least one photo or PDF."), 422)
        ids = await attachments.add(actor, row, files, storage_of(request), limits_of(request))
    except UploadRefused as exc:
        raise Refused(exc.message(), exc.status_code) from exc
    announce(request, actor.org_id, row["number"])
    return ids


@post("/requests/{number:str}/files", opt=UPLOADS)
async def add_files(request: Request[Any, Any, Any], number: FromPath[str]) -> Redirect:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    ids = await _add(request, actor, row, await request.form())
    flash(
        request,
        category="success",
        message=ngettext("%(n)d file added.", "%(n)d files added.", len(ids)) % {"n": len(ids)},
    )
    return Redirect(f"/requests/{number}", status_code=303)


@get("/requests/{number:str}/files/{file_id:int}")
async def download_file(
    request: Request[Any, Any, Any], number: FromPath[str], file_id: FromPath[int]
) -> Response[bytes]:
    return await serve_file(request, number, file_id)


@get("/requests/{number:str}/files/{file_id:int}/thumb")
async def file_thumbnail(
    request: Request[Any, Any, Any], number: FromPath[str], file_id: FromPath[int]
) -> Response[bytes]:
    return await serve_file(request, number, file_id, thumbnail=True)


ATTACHMENT_HANDLERS = [add_files, download_file, file_thumbnail]


# -- API ---------------------------------------------------------------------------------


class FileOut(msgspec.Struct):
    id: int
    name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    uploaded_by: str | None
    created_at: datetime
    url: str
    thumbnail_url: str | None


class FilesIn(msgspec.Struct):
    """One or more ``files`` parts (JPEG, PNG, WebP, GIF or PDF), each with a file name."""

    files: list[UploadFile] = msgspec.field(default_factory=list)


def _files_out(number: str, rows: list[dict[str, Any]], only: list[int] | None = None) -> list:
    base = f"/api/v1/requests/{number}/files"
    return [
        FileOut(
            id=r["id"],
            name=r["name"],
            content_type=r["content_type"],
            size=r["size"],
            width=r["width"],
            height=r["height"],
            uploaded_by=r["uploaded_by_name"],
            created_at=r["created_at"],
            url=f"{base}/{r['id']}",
            thumbnail_url=f"{base}/{r['id']}/thumb" if r["thumb_key"] else None,
        )
        for r in rows
        if only is None or r["id"] in only
    ]


@get("/requests/{number:str}/files", summary="Photos and PDFs of a request", tags=["requests"])
async def api_files(request: Request[Any, Any, Any], number: FromPath[str]) -> list[FileOut]:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    return _files_out(number, await attachments.for_request(actor.org_id, row["id"]))


@post(
    "/requests/{number:str}/files",
    summary="Attach photos or PDFs to a request",
    description="`multipart/form-data` with one or more `files` parts. The type is read "
    "from the bytes (JPEG, PNG, WebP, GIF, PDF); images are re-encoded without EXIF. "
    "Refusals: 413 (too large), 422 (type, count), 409 (request finished), 404 (not yours "
    "to add to). All files of one call are taken, or none.",
    tags=["requests"],
    opt=UPLOADS,
    status_code=201,
)
async def api_add_files(
    request: Request[Any, Any, Any],
    number: FromPath[str],
    data: Annotated[FilesIn, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> list[FileOut]:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    ids = await _add(request, actor, row, await request.form())
    return _files_out(number, await attachments.for_request(actor.org_id, row["id"]), ids)


@get(
    "/requests/{number:str}/files/{file_id:int}",
    summary="Download a file",
    tags=["requests"],
    media_type="application/octet-stream",
)
async def api_download_file(
    request: Request[Any, Any, Any], number: FromPath[str], file_id: FromPath[int]
) -> Response[bytes]:
    return await serve_file(request, number, file_id)


@get(
    "/requests/{number:str}/files/{file_id:int}/thumb",
    summary="A photo's thumbnail (JPEG)",
    tags=["requests"],
    media_type="image/jpeg",
)
async def api_file_thumbnail(
    request: Request[Any, Any, Any], number: FromPath[str], file_id: FromPath[int]
) -> Response[bytes]:
    return await serve_file(request, number, file_id, thumbnail=True)


API_ATTACHMENT_HANDLERS = [api_files, api_add_files, api_download_file, api_file_thumbnail]
