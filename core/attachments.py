"""Photos and PDFs on requests: checked, cleaned, stored and put on the timeline.

The rules (DESIGN §7 "upload size/type limits with EXIF stripped", §9 "one timeline"):

- **Type by content**: the first bytes decide (JPEG, PNG, WebP, GIF, PDF); the file
  name and the client's content type are never trusted. Pillow is only allowed to
  open the format the magic bytes named.
- **Limits**: ``HOUQIN_UPLOAD_MAX_MB`` per file, :data:`MAX_FILES` per request, and
  :data:`MAX_PIXELS` per image, checked from the header before any pixel is decoded
  (decompression bombs are refused, not decoded).
- **Images are re-encoded**: orientation applied (``ImageOps.exif_transpose``), every
  piece of metadata dropped (EXIF with GPS, XMP, comments, text chunks), the long
  edge brought down to :data:`MAX_EDGE`, and a small JPEG thumbnail made. PDFs are
  kept byte for byte and are only ever served as downloads.
- **Nothing half-written**: :func:`prepare` checks and converts every file before
  anything is stored; :func:`staged` puts the bytes into storage and deletes them
  again if the database transaction that records them fails. ``submit()`` takes
  prepared files (``attachments=``) and records them in its own transaction, so a
  refused or failed submit leaves neither a request nor stored bytes behind.

Plugins call :func:`prepare` (via ``web.uploads.read_uploads``) and pass the result
to ``core.lifecycle.submit.submit``; the request page adds files later through
:func:`add`. Reading goes through the request's visibility (``visible_to``): whoever
may see a request may see its files, nobody else.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import anyio
import anyio.to_thread

from core.config import Settings
from core.db import write_transaction
from core.i18n import gettext as _
from core.i18n import ngettext
from core.identity.actor import Actor
from core.identity.roles import DISPATCHER
from core.lifecycle.states import TERMINAL, Status
from core.storage import Storage
from core.tables import Attachment, RequestEvent, ServiceRequest

MB = 1024 * 1024
MAX_FILES = 8  # per request, whatever the channel
MAX_EDGE = 2560  # px, long edge of a stored image
THUMB_EDGE = 480  # px, long edge of a thumbnail (sharp at 2x in a 240 px tile)
MAX_PIXELS = 50_000_000  # refused before decoding: 50 MP covers today's phone cameras

JPEG, PNG, GIF, WEBP, PDF = "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"
# What each sniffed type is stored as: (content type, extension, Pillow format or "").
STORED_AS = {
    JPEG: (JPEG, ".jpg", "JPEG"),
    PNG: (PNG, ".png", "PNG"),
    GIF: (PNG, ".png", "PNG"),  # first frame, as PNG: no animation, no GIF comments
    WEBP: (WEBP, ".webp", "WEBP"),
    PDF: (PDF, ".pdf", ""),
}
PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}
_UNSAFE_NAME_CHARS = set('"\\/<>:|?*')


@dataclass(frozen=True)
class Limits:
    """Upload limits of this installation (from settings)."""

    max_bytes: int = 10 * MB
    max_files: int = MAX_FILES
    max_edge: int = MAX_EDGE
    max_pixels: int = MAX_PIXELS

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(max_bytes=settings.upload_max_mb * MB)

    @property
    def max_mb(self) -> int:
        return max(1, self.max_bytes // MB)

    @property
    def body_limit(self) -> int:
        """Largest request body an upload route accepts: every file at its limit + the form."""
        return self.max_files * self.max_bytes + MB


@dataclass(frozen=True)
class Upload:
    """One file as received: the client's name (display only) and the raw bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class PreparedFile:
    """A checked file, ready to store: cleaned bytes, the type found in them, a preview."""

    name: str
    content_type: str
    data: bytes
    sha256: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass(frozen=True)
class StoredFile:
    file: PreparedFile
    key: str
    thumb_key: str = ""


class UploadRefused(Exception):
    """A file (or the set of files) cannot be taken; :meth:`message` says why, translated.

    Raised from worker threads too, so it carries a reason code and the values for the
    message, and is worded only when shown (in the caller's locale).
    """

    TOO_MANY = "too_many"
    TOO_LARGE = "too_large"
    TOO_MANY_PIXELS = "too_many_pixels"
    WRONG_TYPE = "wrong_type"
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    CLOSED = "closed"

    def __init__(self, reason: str, name: str = "", limit: int = 0) -> None:
        super().__init__(reason, name, limit)
        self.reason, self.name, self.limit = reason, name, limit

    @property
    def status_code(self) -> int:
        """413 for sizes, 409 for a closed request, 422 for everything else."""
        if self.reason in (self.TOO_LARGE, self.TOO_MANY_PIXELS):
            return 413
        return 409 if self.reason == self.CLOSED else 422

    def message(self) -> str:
        values = {"name": self.name, "limit": self.limit}
        if self.reason == self.TOO_MANY:
            return (
                ngettext(
                    "At most %(limit)d file per request.",
                    "At most %(limit)d files per request.",
                    self.limit,
                )
                % values
            )
        if self.reason == self.TOO_LARGE:
            return _("“%(name)s” is too large: each file may be at most %(limit)d MB.") % values
        if self.reason == self.TOO_MANY_PIXELS:
            return (
                _("“%(name)s” has too many pixels: photos may have at most %(limit)d megapixels.")
                % values
            )
        if self.reason == self.WRONG_TYPE:
            return (
                _("“%(name)s” is not a photo or a PDF. Attach JPEG, PNG, WebP, GIF or PDF files.")
                % values
            )
        if self.reason == self.EMPTY:
            return _("“%(name)s” is empty.") % values
        if self.reason == self.CLOSED:
            return _("This request is finished: files can no longer be added.")
        return _("“%(name)s” could not be read. Take the photo again or choose another file.") % (
            values
        )


def sniff(data: bytes) -> str | None:
    """The type the bytes themselves announce (magic numbers), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _safe_base(raw: str) -> str:
    """The last path part of a client's file name, without control or bidi characters."""
    base = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(
        c for c in base if unicodedata.category(c)[0] != "C" and c not in _UNSAFE_NAME_CHARS
    )
    return base.strip(" .")


def shown_name(raw: str) -> str:
    """How a refused file is named in the message (its own name, made harmless)."""
    base = _safe_base(raw)
    return base if len(base) <= 60 else base[:57] + "…"


def clean_name(raw: str, extension: str, fallback: str) -> str:
    """A display/download name: the client's name made harmless, with the extension of
    the type found in the bytes (``invoice.html`` holding a PDF becomes ``invoice.pdf``)."""
    base = _safe_base(raw)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:80].strip(" .")
    return (stem or fallback) + extension


def prepare(uploads: Sequence[Upload], limits: Limits, existing: int = 0) -> list[PreparedFile]:
    """Check and convert every upload, or refuse them all (:class:`UploadRefused`).

    CPU-bound (image decoding); call :func:`prepare_async` from async code.
    ``existing`` is how many files the request already has.
    """
    if existing + len(uploads) > limits.max_files:
        raise UploadRefused(UploadRefused.TOO_MANY, limit=limits.max_files)
    kinds = []
    for upload in uploads:  # the cheap checks for all files first
        shown = shown_name(upload.filename)
        if not upload.data:
            raise UploadRefused(UploadRefused.EMPTY, shown)
        if len(upload.data) > limits.max_bytes:
            raise UploadRefused(UploadRefused.TOO_LARGE, shown, limits.max_mb)
        kind = sniff(upload.data)
        if kind is None:
            raise UploadRefused(UploadRefused.WRONG_TYPE, shown)
        kinds.append(kind)
    return [
        _convert(upload, kind, limits, position)
        for position, (upload, kind) in enumerate(zip(uploads, kinds, strict=True), start=1)
    ]


async def prepare_async(
    uploads: Sequence[Upload], limits: Limits, existing: int = 0
) -> list[PreparedFile]:
    """:func:`prepare` in a worker thread, so decoding photos never stalls the event loop."""
    return await anyio.to_thread.run_sync(prepare, uploads, limits, existing)


def _convert(upload: Upload, kind: str, limits: Limits, position: int) -> PreparedFile:
    content_type, extension, out_format = STORED_AS[kind]
    name = clean_name(
        upload.filename, extension, f"{'file' if kind == PDF else 'photo'}-{position}"
    )
    if kind == PDF:
        return PreparedFile(name, PDF, upload.data, hashlib.sha256(upload.data).hexdigest())
    data, thumbnail, width, height = _reencode(upload, kind, out_format, limits)
    return PreparedFile(
        name, content_type, data, hashlib.sha256(data).hexdigest(), width, height, thumbnail
    )


def _reencode(
    upload: Upload, kind: str, out_format: str, limits: Limits
) -> tuple[bytes, bytes, int, int]:
    from PIL import Image, ImageOps

    shown = shown_name(upload.filename)
    try:
        with Image.open(BytesIO(upload.data), formats=[PILLOW_FORMAT[kind]]) as source:
            if source.width * source.height > limits.max_pixels:
                raise UploadRefused(
                    UploadRefused.TOO_MANY_PIXELS, shown, limits.max_pixels // 1_000_000
                )
            if kind == JPEG:  # decode at a reduced scale when the photo is far too big anyway
                source.draft("RGB", (limits.max_edge, limits.max_edge))
            icc = source.info.get("icc_profile") if source.mode != "CMYK" else None
            image = ImageOps.exif_transpose(source)  # a new image, orientation applied
    except UploadRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRefused(
            UploadRefused.TOO_MANY_PIXELS, shown, limits.max_pixels // 1_000_000
        ) from exc
    except Exception as exc:  # untrusted bytes: any parser failure means "unreadable"
        raise UploadRefused(UploadRefused.UNREADABLE, shown) from exc
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if out_format == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    else:
        image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((limits.max_edge, limits.max_edge), Image.Resampling.LANCZOS)
    image.info = {}  # no EXIF, XMP, comments or text chunks travel on
    options: dict[str, Any] = {
        "JPEG": {"quality": 85, "optimize": True, "progressive": True},
        "PNG": {"compress_level": 6},
        "WEBP": {"quality": 85, "method": 4},
    }[out_format]
    if icc:
        options["icc_profile"] = icc
    out = BytesIO()
    image.save(out, out_format, **options)
    preview = image.copy()
    preview.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    if preview.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", preview.size, "white")
        flat.paste(preview, mask=preview.getchannel("A"))
        preview = flat
    thumb = BytesIO()
    preview.convert("RGB").save(thumb, "JPEG", quality=78, optimize=True)
    return out.getvalue(), thumb.getvalue(), image.width, image.height


@asynccontextmanager
async def staged(
    storage: Storage | None, files: Sequence[PreparedFile]
) -> AsyncIterator[list[StoredFile]]:
    """Put the files' bytes into storage; delete them again if the block fails.

    Wrap the transaction that records the files in this block: if it raises (refusal,
    conflict, crash, cancellation), no stored bytes are left behind.
    """
    if not files:
        yield []
        return
    if storage is None:
        raise ValueError("files need a storage")
    keys: list[str] = []
    try:
        stored = []
        for item in files:
            key = await storage.put(item.data, item.content_type)
            keys.append(key)
            thumb_key = ""
            if item.thumbnail:
                thumb_key = await storage.put(item.thumbnail, JPEG)
                keys.append(thumb_key)
            stored.append(StoredFile(item, key, thumb_key))
        yield stored
    except BaseException:
        with anyio.CancelScope(shield=True):
            for key in keys:
                try:
                    await storage.delete(key)
                except Exception:  # noqa: S112 - best effort; the original error matters more
                    continue
        raise


async def record(
    org_id: int,
    request_id: int,
    actor_id: int | None,
    stored: Sequence[StoredFile],
    moment: datetime | None = None,
) -> list[int]:
    """Insert the attachment rows and one public timeline event (inside a transaction)."""
    if not stored:
        return []
    moment = moment or datetime.now(UTC)
    rows = await Attachment.insert(
        *(
            Attachment(
                org=org_id,
                request=request_id,
                uploaded_by=actor_id,
                name=s.file.name,
                content_type=s.file.content_type,
                size=len(s.file.data),
                storage_key=s.key,
                thumb_key=s.thumb_key,
                sha256=s.file.sha256,
                width=s.file.width,
                height=s.file.height,
                created_at=moment,
            )
            for s in stored
        )
    ).returning(Attachment.id)
    ids = sorted(r["id"] for r in rows)
    await RequestEvent.insert(
        RequestEvent(
            org=org_id,
            request=request_id,
            actor=actor_id,
            kind="attachment",
            public=True,
            data={"files": ids},
            created_at=moment,
        )
    )
    return ids


def may_attach(actor: Actor, row: dict[str, Any]) -> bool:
    """Who may add files to a request they can see: the people it is for and about —
    requester (or whoever filed it for them), assignee — and those who run the service
    (org admins, dispatchers, its service admins). Everyone else gets 404."""
    return (
        actor.user_id in (row["requester"], row["submitted_by"], row["assignee"])
        or actor.has_role(DISPATCHER)
        or actor.administers(row["service"])
    )


def can_attach(actor: Actor, row: dict[str, Any]) -> bool:
    """:func:`may_attach`, and the request is not finished (closed, cancelled, rejected)."""
    return Status(row["status"]) not in TERMINAL and may_attach(actor, row)


async def count(org_id: int, request_id: int) -> int:
    """How many files a request carries (its limit is :attr:`Limits.max_files`)."""
    return await Attachment.count().where(
        (Attachment.org == org_id) & (Attachment.request == request_id)
    )


async def add(
    actor: Actor,
    row: dict[str, Any],
    files: Sequence[PreparedFile],
    storage: Storage,
    limits: Limits,
) -> list[int]:
    """Attach prepared files to an existing request, in one transaction.

    The request row is updated first (``updated_at``), which locks it on PostgreSQL
    (and SQLite's IMMEDIATE transaction locks the database), so two concurrent uploads
    cannot both slip under :data:`MAX_FILES`. Raises :class:`UploadRefused` when the
    request is finished or would have too many files; the bytes are then deleted.
    """
    engine = Attachment._meta.db
    async with staged(storage, files) as stored, write_transaction(engine):
        moment = datetime.now(UTC)
        locked = (
            await ServiceRequest.update({ServiceRequest.updated_at: moment})
            .where((ServiceRequest.id == row["id"]) & (ServiceRequest.org == actor.org_id))
            .returning(ServiceRequest.status)
        )
        if not locked:
            raise LookupError(row["id"])
        if Status(locked[0]["status"]) in TERMINAL:
            raise UploadRefused(UploadRefused.CLOSED)
        if await count(actor.org_id, row["id"]) + len(stored) > limits.max_files:
            raise UploadRefused(UploadRefused.TOO_MANY, limit=limits.max_files)
        return await record(actor.org_id, row["id"], actor.user_id, stored, moment)


FILE_COLUMNS = (
    Attachment.id,
    Attachment.name,
    Attachment.content_type,
    Attachment.size,
    Attachment.width,
    Attachment.height,
    Attachment.thumb_key,
    Attachment.created_at,
)


async def for_request(org_id: int, request_id: int) -> list[dict[str, Any]]:
    """A request's files, oldest first, with the uploader's name: one query."""
    return await (
        Attachment.select(
            *FILE_COLUMNS, Attachment.uploaded_by.display_name.as_alias("uploaded_by_name")
        )
        .where((Attachment.org == org_id) & (Attachment.request == request_id))
        .order_by(Attachment.id)
        .limit(MAX_FILES * 4)  # bounded even if the limit was raised after uploads
    )


async def one(org_id: int, request_id: int, file_id: int) -> dict[str, Any] | None:
    """One file of one request (the caller has already checked the request is visible)."""
    return (
        await Attachment.select(*FILE_COLUMNS, Attachment.storage_key, Attachment.sha256)
        .where(
            (Attachment.org == org_id)
            & (Attachment.request == request_id)
            & (Attachment.id == file_id)
        )
        .first()
    )


__all__ = [
    "MAX_EDGE",
    "MAX_FILES",
    "MAX_PIXELS",
    "Limits",
    "PreparedFile",
    "StoredFile",
    "Upload",
    "UploadRefused",
    "add",
    "can_attach",
    "clean_name",
    "count",
    "for_request",
    "may_attach",
    "one",
    "prepare",
    "prepare_async",
    "record",
    "shown_name",
    "sniff",
    "staged",
]
