"""Locations, assets, CSV import/export and QR stickers of the repairs plugin.

Everything here takes the organisation id explicitly and scopes every query to it;
the route handlers add the actor's rights on top.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from plugins.repairs.hooks import REPAIRS
from plugins.repairs.tables import RepairAsset, RepairRequestDetail
from web.sdk import (
    CsvError,
    Department,
    ServiceRequest,
    Sticker,
    StickerSheet,
    csv_text,
    icontains,
    places,
    read_rows,
    write_transaction,
)
from web.sdk import gettext as _

PAGE = 30
STATUSES = ("active", "retired")
CSV_FIELDS = (
    "code",
    "name",
    "category",
    "model",
    "serial",
    "location_code",
    "department",
    "purchase_date",
    "warranty_end",
    "status",
)
MAX_IMPORT_ROWS = 5000
REPEAT_WINDOW = timedelta(days=90)
REPEAT_COUNT = 3


def new_token() -> str:
    """An opaque sticker token: random, unguessable, never derived from the id."""
    return secrets.token_urlsafe(16)


def report_url(base_url: str, token: str) -> str:
    """What an asset sticker's QR code points at: the public report page of the asset's
    token, which works without signing in. (A room's door sticker is core's: it opens
    /p/place/<token>, which leads to /p/repairs/l/<token>.)"""
    return f"{base_url}/p/repairs/a/{token}"


def categories() -> set[str]:
    return {k.code for k in REPAIRS.kinds}


# ---------------------------------------------------------------- assets


def _asset_columns() -> tuple[Any, ...]:
    return (
        RepairAsset.id,
        RepairAsset.code,
        RepairAsset.name,
        RepairAsset.category,
        RepairAsset.model,
        RepairAsset.serial,
        RepairAsset.status,
        RepairAsset.location,
        RepairAsset.department,
        RepairAsset.purchase_date,
        RepairAsset.warranty_end,
        RepairAsset.qr_token,
        RepairAsset.location.name.as_alias("location_name"),
        RepairAsset.location.code.as_alias("location_code"),
        RepairAsset.department.name.as_alias("department_name"),
    )


async def asset_page(
    org_id: int, q: str = "", after: int | None = None, limit: int = PAGE
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of assets by id (keyset on the (org, id) index), one query whatever the size."""
    where = RepairAsset.org == org_id
    if q:
        where &= icontains(RepairAsset.code, q[:50]) | icontains(RepairAsset.name, q[:50])
    if after:
        where &= RepairAsset.id > after
    rows = await (
        RepairAsset.select(*_asset_columns()).where(where).order_by(RepairAsset.id).limit(limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


async def get_asset(org_id: int, asset_id: int) -> dict[str, Any] | None:
    return (
        await RepairAsset.select(*_asset_columns())
        .where((RepairAsset.org == org_id) & (RepairAsset.id == asset_id))
        .first()
    )


async def asset_by_code(org_id: int, code: str) -> dict[str, Any] | None:
    """The organisation's asset with this code (in use or retired: callers decide), in
    one query on the (org, code) unique index."""
    return (
        await RepairAsset.select(*_asset_columns())
        .where((RepairAsset.org == org_id) & (RepairAsset.code == code))
        .first()
    )


async def asset_by_token(org_id: int, token: str) -> dict[str, Any] | None:
    """The active asset a sticker token names, in this organisation only."""
    if not token or len(token) > 64:
        return None
    return (
        await RepairAsset.select(*_asset_columns())
        .where(
            (RepairAsset.org == org_id)
            & (RepairAsset.qr_token == token)
            & (RepairAsset.status == "active")
        )
        .first()
    )


async def regenerate_token(org_id: int, asset_id: int) -> str | None:
    """Give the asset a new sticker token; the old sticker stops working at once."""
    token = new_token()
    done = (
        await RepairAsset.update({RepairAsset.qr_token: token})
        .where((RepairAsset.org == org_id) & (RepairAsset.id == asset_id))
        .returning(RepairAsset.id)
    )
    return token if done else None


async def asset_requests(
    org_id: int, asset_id: int, visible: Any, limit: int = 50
) -> list[dict[str, Any]]:
    """Requests about this asset that the reader may see (``visible``: core's predicate)."""
    ids = RepairRequestDetail.select(RepairRequestDetail.request).where(
        (RepairRequestDetail.org == org_id) & (RepairRequestDetail.asset == asset_id)
    )
    return await (
        ServiceRequest.select(
            ServiceRequest.id,
            ServiceRequest.number,
            ServiceRequest.title,
            ServiceRequest.kind,
            ServiceRequest.status,
            ServiceRequest.submitted_at,
        )
        .where(visible & ServiceRequest.id.is_in(ids))
        .order_by(ServiceRequest.id, ascending=False)
        .limit(limit)
    )


async def recent_fault_count(org_id: int, asset_id: int, now: datetime | None = None) -> int:
    """Requests about the asset in the last 90 days (all of them: a count reveals no content)."""
    since = (now or datetime.now(UTC)) - REPEAT_WINDOW
    return await ServiceRequest.count().where(
        (ServiceRequest.org == org_id)
        & (ServiceRequest.submitted_at >= since)
        & ServiceRequest.id.is_in(
            RepairRequestDetail.select(RepairRequestDetail.request).where(
                (RepairRequestDetail.org == org_id) & (RepairRequestDetail.asset == asset_id)
            )
        )
    )


# ---------------------------------------------------------------- validation


@dataclass
class AssetInput:
    code: str = ""
    name: str = ""
    category: str = "other"
    model: str = ""
    serial: str = ""
    location: int | None = None
    department: int | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None
    status: str = "active"
    errors: dict[str, str] = field(default_factory=dict)


def _date(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD, e.g. 2025-03-31.")
        return None


def check_asset(values: dict[str, str]) -> AssetInput:
    """Validate asset fields (form or CSV row); errors are in the user's language.

    ``location`` and ``department`` arrive already resolved to ids of this organisation
    (or ``None``); the caller reports unknown ones.
    """
    out = AssetInput()
    errors = out.errors
    out.code = values.get("code", "").strip()
    if not out.code:
        errors["code"] = _("Give the asset a code, e.g. ZC-0001.")
    elif len(out.code) > 50:
        errors["code"] = _("The asset code is at most 50 characters.")
    out.name = values.get("name", "").strip()
    if not out.name:
        errors["name"] = _("Give the asset a name.")
    elif len(out.name) > 200:
        errors["name"] = _("The asset name is at most 200 characters.")
    out.category = values.get("category", "").strip() or "other"
    if out.category not in categories():
        errors["category"] = _("Unknown fault category %(value)s.") % {"value": out.category}
    for name in ("model", "serial"):
        value = values.get(name, "").strip()
        if len(value) > 100:
            errors[name] = _("At most 100 characters.")
        setattr(out, name, value)
    out.purchase_date = _date(values.get("purchase_date", "").strip(), "purchase_date", errors)
    out.warranty_end = _date(values.get("warranty_end", "").strip(), "warranty_end", errors)
    if out.purchase_date and out.warranty_end and out.warranty_end < out.purchase_date:
        errors["warranty_end"] = _("The warranty cannot end before the purchase date.")
    out.status = values.get("status", "").strip() or "active"
    if out.status not in STATUSES:
        errors["status"] = _("Status is active or retired.")
    return out


def asset_values(data: AssetInput) -> dict[Any, Any]:
    """The columns a form or import may set (never org, id or qr_token: no mass assignment)."""
    return {
        RepairAsset.code: data.code,
        RepairAsset.name: data.name,
        RepairAsset.category: data.category,
        RepairAsset.model: data.model,
        RepairAsset.serial: data.serial,
        RepairAsset.location: data.location,
        RepairAsset.department: data.department,
        RepairAsset.purchase_date: data.purchase_date,
        RepairAsset.warranty_end: data.warranty_end,
        RepairAsset.status: data.status,
    }


async def code_taken(org_id: int, code: str, except_id: int | None = None) -> bool:
    where = (RepairAsset.org == org_id) & (RepairAsset.code == code)
    if except_id:
        where &= RepairAsset.id != except_id
    return await RepairAsset.exists().where(where)


# ---------------------------------------------------------------- CSV


async def export_csv(org_id: int) -> str:
    """All assets as CSV (UTF-8 with BOM so that Excel opens the Chinese names right;
    cells that a spreadsheet would run as formulas are written as text)."""
    lines: list[list[Any]] = []
    after = None
    while True:
        rows, after = await asset_page(org_id, after=after, limit=1000)
        for r in rows:
            lines.append(
                [
                    r["code"],
                    r["name"],
                    r["category"],
                    r["model"],
                    r["serial"],
                    r["location_code"] or "",
                    r["department_name"] or "",
                    r["purchase_date"].isoformat() if r["purchase_date"] else "",
                    r["warranty_end"].isoformat() if r["warranty_end"] else "",
                    r["status"],
                ]
            )
        if after is None:
            break
    return csv_text(CSV_FIELDS, lines)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _unreadable(exc: CsvError) -> str:
    return _(
        "Line %(line)d cannot be read as CSV: a field is longer than 128 KB, or a "
        "quotation mark is not closed."
    ) % {"line": exc.line}


def _check_row(
    values: dict[str, str],
    line: int,
    locations: dict[str, int],
    departments: dict[str, int],
    seen: dict[str, int],
    parsed: list[AssetInput],
    result: ImportResult,
) -> None:
    """Check one import row; its errors go to ``result`` with the line number."""
    if not any(v.strip() for v in values.values()):
        return
    data = check_asset(values)
    location_code = values.get("location_code", "").strip()
    if location_code:
        data.location = locations.get(location_code)
        if data.location is None:
            data.errors["location_code"] = _("No location has the code %(code)s.") % {
                "code": location_code
            }
    department = values.get("department", "").strip()
    if department:
        data.department = departments.get(department)
        if data.department is None:
            data.errors["department"] = _("No department is named %(name)s.") % {"name": department}
    if data.code and data.code in seen:
        data.errors["code"] = _("The code %(code)s is already on line %(line)d.") % {
            "code": data.code,
            "line": seen[data.code],
        }
    seen.setdefault(data.code, line)
    for message in data.errors.values():
        result.errors.append(_("Line %(line)d: %(error)s") % {"line": line, "error": message})
    parsed.append(data)


async def import_csv(org_id: int, raw: bytes) -> ImportResult:
    """Upsert assets by code from CSV, all or nothing.

    Every row is checked first; any error (named by its line number) means nothing is
    written. Then one write transaction inserts new codes and updates existing ones;
    the (org, code) unique index settles a race with a concurrent import.
    """
    result = ImportResult()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and retry."))
        return result
    try:
        header, reader = read_rows(text)
    except CsvError as exc:
        result.errors.append(_unreadable(exc))
        return result
    missing = [f for f in ("code", "name") if f not in header]
    if missing:
        result.errors.append(
            _("The first line must name the columns; missing: %(cols)s.")
            % {"cols": ", ".join(missing)}
        )
        return result
    locations = await places.ids_by_code(org_id)
    departments = {
        r["name"]: r["id"]
        for r in await Department.select(Department.id, Department.name).where(
            Department.org == org_id
        )
    }
    parsed: list[AssetInput] = []
    seen: dict[str, int] = {}
    try:
        for line, values in reader:
            if len(parsed) >= MAX_IMPORT_ROWS:
                result.errors.append(_("At most %(n)d rows per import.") % {"n": MAX_IMPORT_ROWS})
                break
            _check_row(values, line, locations, departments, seen, parsed, result)
    except CsvError as exc:
        result.errors.append(_unreadable(exc))
    if result.errors:
        return result
    if not parsed:
        result.errors.append(_("The file has no asset rows."))
        return result
    async with write_transaction(RepairAsset._meta.db):
        existing = {
            r["code"]: r["id"]
            for r in await RepairAsset.select(RepairAsset.id, RepairAsset.code).where(
                (RepairAsset.org == org_id) & RepairAsset.code.is_in([d.code for d in parsed])
            )
        }
        new = []
        for data in parsed:
            if data.code in existing:
                await RepairAsset.update(asset_values(data)).where(
                    (RepairAsset.org == org_id) & (RepairAsset.id == existing[data.code])
                )
                result.updated += 1
            else:
                new.append(
                    RepairAsset(
                        org=org_id,
                        qr_token=new_token(),
                        **{col._meta.name: value for col, value in asset_values(data).items()},
                    )
                )
        if new:
            await RepairAsset.insert(*new)
            result.created = len(new)
    return result


# ---------------------------------------------------------------- QR and stickers


def sticker_sheet(assets: list[dict[str, Any]], base_url: str) -> StickerSheet:
    """The A4 sheet of the assets' stickers (core's printout): each the QR code of the
    asset's public report page, its name and code, and what scanning it does."""
    hint = _("Scan to report a fault")
    return StickerSheet(
        tuple(
            Sticker(a["name"], a["code"], report_url(base_url, a["qr_token"]), hint) for a in assets
        )
    )
