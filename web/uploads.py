"""File uploads in route handlers, for core pages and plugins alike.

A handler that takes files marks itself with ``opt=UPLOADS``; ``create_app`` then
raises that handler's request body limit to what the upload limits allow (every other
route keeps Litestar's default), see :func:`allow_uploads`. In the handler::

    form = await request.form()
    try:
        files = await read_uploads(request, form, "photos")
    except UploadRefused as exc:
        ...  # exc.message() is in the user's language; exc.status_code is 413/422
    await submit(actor, service, data, channel="pwa", attachments=files,
                 storage=storage_of(request))

The form needs ``enctype="multipart/form-data"``; the ``file_picker`` macro in
``macros/files.html`` draws the input (with ``capture="environment"`` for the camera).
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile

from core.attachments import Limits, PreparedFile, Upload, UploadRefused, prepare_async
from core.storage import Storage

UPLOADS: dict[str, Any] = {"uploads": True}


def storage_of(request: Request[Any, Any, Any]) -> Storage:
    """Where the app stores uploaded files."""
    return request.app.state.storage


def limits_of(request: Request[Any, Any, Any]) -> Limits:
    """The upload limits (size, count, types) the app was configured with."""
    return request.app.state.upload_limits


def file_parts(data: FormMultiDict, field: str = "files") -> list[UploadFile]:
    """The file parts of a form field (an untouched picker sends no file part at all:
    Litestar turns a part without a file name into a string, which is skipped)."""
    return [value for value in data.getall(field, []) if isinstance(value, UploadFile)]


async def uploads_from_form(
    data: FormMultiDict, field: str = "files", max_files: int | None = None
) -> list[Upload]:
    """Read the files of a form field (refusing too many before reading any of them)."""
    parts = file_parts(data, field)
    if max_files is not None and len(parts) > max_files:
        raise UploadRefused(UploadRefused.TOO_MANY, limit=max_files)
    uploads = []
    for part in parts:
        uploads.append(Upload(part.filename or "", await part.read()))
        await part.close()
    return uploads


async def read_uploads(
    request: Request[Any, Any, Any], data: FormMultiDict, field: str = "files", existing: int = 0
) -> list[PreparedFile]:
    """Checked, cleaned files of a form field, or :class:`UploadRefused` for all of them.

    ``existing`` is how many files the request already has (0 for a new request).
    """
    limits = limits_of(request)
    uploads = await uploads_from_form(data, field, max(0, limits.max_files - existing))
    if not uploads:
        return []
    return await prepare_async(uploads, limits, existing)


def allow_uploads(handlers: Iterable[Any], limits: Limits) -> list[Any]:
    """Copies of ``opt=UPLOADS`` handlers with the request body limit raised to
    ``limits.body_limit``; other handlers pass unchanged (Litestar's 10 MB default)."""
    out = []
    for handler in handlers:
        if getattr(handler, "opt", {}).get("uploads"):
            handler = copy(handler)
            handler.request_max_body_size = limits.body_limit
        out.append(handler)
    return out


__all__ = [
    "UPLOADS",
    "allow_uploads",
    "file_parts",
    "limits_of",
    "read_uploads",
    "storage_of",
    "uploads_from_form",
]
