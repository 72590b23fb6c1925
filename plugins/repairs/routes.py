"""Pages of the repairs plugin (/s/repairs/): the asset page for staff, and the admin
pages for assets, CSV and QR stickers. The rooms are core's places (/admin/places); the
report form is core's, drawn from the plugin's spec (form.py) at /new/repairs."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from plugins.repairs import assets as A
from plugins.repairs import maintenance, work
from plugins.repairs.access import can_manage, staff_only
from plugins.repairs.hooks import MANAGE_ASSETS, REPAIRS
from plugins.repairs.tables import RepairAsset
from web.sdk import (
    Actor,
    Cursor,
    Department,
    Form,
    Place,
    Refused,
    audit,
    current_actor,
    pdf_response,
    places,
    qr_svg,
    render,
    visible_to,
)
from web.sdk import gettext as _

MAX_STICKERS = 120


# ---------------------------------------------------------------- asset page (staff)


async def _asset_or_404(actor: Actor, asset_id: int) -> dict[str, Any]:
    row = await A.get_asset(actor.org_id, asset_id)
    if row is None:
        raise NotFoundException()
    return row


@get("/assets/{asset_id:int}", guards=[staff_only])
async def asset_detail(request: Request[Any, Any, Any], asset_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    asset = await _asset_or_404(actor, asset_id)
    location = await places.get(actor.org_id, asset["location"]) if asset["location"] else None
    requests = await A.asset_requests(actor.org_id, asset_id, visible_to(actor))
    faults = await A.recent_fault_count(actor.org_id, asset_id)
    return await render(
        request,
        "repairs/asset.html",
        {
            "asset": asset,
            "place": places.label(location) if location else "",
            "requests": requests,
            "faults": faults,
            "repeat_failure": faults >= A.REPEAT_COUNT,
            "category_label": lambda code: REPAIRS.kind_label(code, _),
            "can_manage": actor.can(MANAGE_ASSETS),
            "report_url": A.report_url(request.app.state.settings.base_url, asset["qr_token"]),
            "back_url": "/s/repairs/admin/assets" if actor.can(MANAGE_ASSETS) else "/",
        },
    )


@get("/assets/{asset_id:int}/qr.svg", guards=[staff_only])
async def asset_qr(request: Request[Any, Any, Any], asset_id: FromPath[int]) -> Response[bytes]:
    actor = current_actor(request)
    asset = await _asset_or_404(actor, asset_id)
    url = A.report_url(request.app.state.settings.base_url, asset["qr_token"])
    return Response(
        qr_svg(url, scale=6),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store"},
    )


# ---------------------------------------------------------------- admin: assets


@get("/admin/assets", guards=can_manage)
async def assets_page(
    request: Request[Any, Any, Any], q: FromQuery[str] = "", after: Cursor = None
) -> Template:
    actor = current_actor(request)
    q = q.strip()[:50]
    rows, next_after = await A.asset_page(actor.org_id, q, after)
    return await render(
        request,
        "repairs/assets.html",
        {
            "rows": rows,
            "q": q,
            "next_after": next_after,
            "category_label": lambda code: REPAIRS.kind_label(code, _),
            "back_url": "/admin",
        },
    )


async def _asset_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    form: Form,
    asset_id: int | None,
    status: int = 200,
) -> Template:
    tree = await places.tree(actor.org_id)
    departments = (
        await Department.select(Department.id, Department.name)
        .where(Department.org == actor.org_id)
        .order_by(Department.name)
    )
    return await render(
        request,
        "repairs/asset_form.html",
        {
            "form": form,
            "asset_id": asset_id,
            "categories": [(k.code, k.label(_)) for k in REPAIRS.kinds],
            "locations": [(str(r["id"]), "— " * r["depth"] + r["name"]) for r in tree],
            "departments": [(str(d["id"]), d["name"]) for d in departments],
            "statuses": [("active", _("In use")), ("retired", _("Retired"))],
            "back_url": f"/s/repairs/assets/{asset_id}" if asset_id else "/s/repairs/admin/assets",
        },
        status_code=status,
    )


@get("/admin/assets/new", guards=can_manage)
async def asset_new(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    return await _asset_form(request, actor, Form({"status": "active"}), None)


@get("/admin/assets/{asset_id:int}/edit", guards=can_manage)
async def asset_edit(request: Request[Any, Any, Any], asset_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    row = await _asset_or_404(actor, asset_id)
    values = {k: ("" if v is None else str(v)) for k, v in row.items()}
    return await _asset_form(request, actor, Form(values), asset_id)


async def _read_asset(actor: Actor, form: Form, asset_id: int | None) -> A.AssetInput:
    data = A.check_asset({k: form.get(k) for k in A.CSV_FIELDS})
    for name in ("location", "department"):
        if not form.get(name):
            continue
        value = form.id(name)
        table = Place if name == "location" else Department
        found = value is not None and await table.exists().where(
            (table.org == actor.org_id) & (table.id == value)
        )
        if found:
            setattr(data, name, value)
        else:
            data.errors[name] = _("Choose one from the list.")
    if data.code and "code" not in data.errors:
        if await A.code_taken(actor.org_id, data.code, asset_id):
            data.errors["code"] = _("Another asset already has the code %(code)s.") % {
                "code": data.code
            }
    for name, message in data.errors.items():
        form.error(name, message)
    return data


@post("/admin/assets", guards=can_manage)
async def asset_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    data = await _read_asset(actor, form, None)
    if not form.ok:
        return await _asset_form(request, actor, form, None, 422)
    values = {col._meta.name: value for col, value in A.asset_values(data).items()}
    row = await RepairAsset.insert(
        RepairAsset(org=actor.org_id, qr_token=A.new_token(), **values)
    ).returning(RepairAsset.id)
    await audit(actor.org_id, actor.user_id, "repairs.asset_saved", data.code)
    flash(request, category="success", message=_("The asset is saved."))
    return Redirect(f"/s/repairs/assets/{row[0]['id']}", status_code=303)


@post("/admin/assets/{asset_id:int}", guards=can_manage)
async def asset_update(
    request: Request[Any, Any, Any], asset_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    await _asset_or_404(actor, asset_id)
    form = await Form.read(request)
    data = await _read_asset(actor, form, asset_id)
    if not form.ok:
        return await _asset_form(request, actor, form, asset_id, 422)
    await RepairAsset.update(A.asset_values(data)).where(
        (RepairAsset.org == actor.org_id) & (RepairAsset.id == asset_id)
    )
    await audit(actor.org_id, actor.user_id, "repairs.asset_saved", data.code)
    flash(request, category="success", message=_("The asset is saved."))
    return Redirect(f"/s/repairs/assets/{asset_id}", status_code=303)


@post("/admin/assets/{asset_id:int}/qr", guards=can_manage)
async def asset_new_qr(request: Request[Any, Any, Any], asset_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    asset = await _asset_or_404(actor, asset_id)
    await A.regenerate_token(actor.org_id, asset_id)
    await audit(actor.org_id, actor.user_id, "repairs.qr_regenerated", asset["code"])
    flash(
        request,
        category="success",
        message=_("A new QR code is made; the old sticker no longer works. Print a new one."),
    )
    return Redirect(f"/s/repairs/assets/{asset_id}", status_code=303)


@get("/admin/assets/export.csv", guards=can_manage)
async def assets_export(request: Request[Any, Any, Any]) -> Response[bytes]:
    actor = current_actor(request)
    body = await A.export_csv(actor.org_id)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="assets.csv"'},
    )


@get("/admin/assets/import", guards=can_manage)
async def assets_import_page(request: Request[Any, Any, Any]) -> Template:
    return await render(
        request,
        "repairs/import.html",
        {"errors": [], "fields": A.CSV_FIELDS, "back_url": "/s/repairs/admin/assets"},
    )


@post("/admin/assets/import", guards=can_manage)
async def assets_import(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    data = await request.form()
    part = data.get("file")
    if not isinstance(part, UploadFile):
        errors = [_("Choose a CSV file to import.")]
    else:
        raw = await part.read()
        result = await A.import_csv(actor.org_id, raw)
        errors = result.errors
    if errors:
        return await render(
            request,
            "repairs/import.html",
            {"errors": errors, "fields": A.CSV_FIELDS, "back_url": "/s/repairs/admin/assets"},
            status_code=422,
        )
    await audit(
        actor.org_id,
        actor.user_id,
        "repairs.assets_imported",
        f"+{result.created} ~{result.updated}",
    )
    flash(
        request,
        category="success",
        message=_("Imported: %(created)d new, %(updated)d updated.")
        % {"created": result.created, "updated": result.updated},
    )
    return Redirect("/s/repairs/admin/assets", status_code=303)


@get("/admin/assets/stickers.pdf", guards=can_manage)
async def stickers_pdf(request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Response[bytes]:
    actor = current_actor(request)
    rows, _more = await A.asset_page(actor.org_id, q.strip()[:50], limit=MAX_STICKERS)
    rows = [r for r in rows if r["status"] == "active"]
    if not rows:
        raise Refused(_("No assets to print."))
    sheet = A.sticker_sheet(rows, request.app.state.settings.base_url)
    return await pdf_response(sheet, actor.org_id)


HANDLERS = [
    *maintenance.HANDLERS,
    *work.HANDLERS,
    asset_detail,
    asset_qr,
    assets_page,
    asset_new,
    asset_edit,
    asset_create,
    asset_update,
    asset_new_qr,
    assets_export,
    assets_import_page,
    assets_import,
    stickers_pdf,
]
