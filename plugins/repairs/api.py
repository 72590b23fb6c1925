"""The repairs plugin's JSON API, mounted at /api/v1/s/repairs (OpenAPI at /schema).

- ``GET /assets`` and ``GET /assets/{code}``: the asset register, for repairs staff
  (``access.is_staff``) only; an asset's page lists its recent requests the caller may
  see (core's ``visible_to``, the same predicate as every list).
- ``GET /requests/{number}/items``: parts and labour of a repair the caller may see and
  may see the internals of (staff, the assignee, admins): 404 for a request that is not
  visible or not a repair, 403 for its requester (costs are internal, as on the page).
- ``POST /reports``: report a fault on an asset code or a room, for anyone in the
  organisation; read by the same form spec as the phone form (form.py: core submit,
  channel ``api``, detail row in the same transaction). ``Idempotency-Key`` makes
  retries safe.

Another organisation's asset code, room or request is not found (404), never forbidden.
Writes need a bearer token (the mount's guard): a session cookie gets 403.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from plugins.repairs import assets as A
from plugins.repairs import work
from plugins.repairs.form import REPAIR_FORM
from plugins.repairs.hooks import REPAIRS
from web.sdk import (
    Actor,
    BodyId,
    Cursor,
    Form,
    FormContext,
    announce,
    current_actor,
    places,
    submit_form,
    submit_key,
    unprocessable,
    visible_or_404,
    visible_to,
)
from web.sdk import gettext as _

TAGS = ["repairs"]
RECENT = 10  # requests on an asset's page


class AssetOut(msgspec.Struct):
    id: int
    code: str
    name: str
    category: str
    model: str
    status: str
    location_id: int | None
    location: str


class AssetPage(msgspec.Struct):
    items: list[AssetOut]
    next_after: int | None


class AssetRequestOut(msgspec.Struct):
    number: str
    title: str
    kind: str
    status: str
    submitted_at: datetime


class AssetDetailOut(msgspec.Struct):
    asset: AssetOut
    serial: str
    department: str | None
    faults_90_days: int
    repeat_failure: bool
    recent_requests: list[AssetRequestOut]


class WorkItemOut(msgspec.Struct):
    id: int
    kind: str
    description: str
    quantity: Decimal
    unit_cost: Decimal | None
    minutes: int
    cost: Decimal
    author: str | None
    created_at: datetime


class WorkItemsOut(msgspec.Struct):
    number: str
    items: list[WorkItemOut]
    parts_cost: Decimal
    labour_minutes: int
    total_cost: Decimal


class ReportIn(msgspec.Struct):
    """A fault on an asset (``asset_code``) or in a room (``room_id``): give one of them.
    Field errors come back as ``errors`` (field → message) with status 422."""

    kind: str = ""
    title: str = ""
    description: str = ""
    priority: str = "normal"
    asset_code: str = ""
    room_id: BodyId | None = None


class ReportOut(msgspec.Struct):
    number: str
    status: str
    location: str
    asset_code: str | None
    room_id: int | None
    url: str


def _staff(actor: Actor) -> None:
    from plugins.repairs.access import is_staff

    if not is_staff(actor):
        raise PermissionDeniedException(_("Only the repairs staff may read the asset register."))


def _asset_out(row: dict[str, Any], place: str = "") -> AssetOut:
    return AssetOut(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        category=row["category"],
        model=row["model"],
        status=row["status"],
        location_id=row["location"],
        location=place or row.get("location_name") or "",
    )


@get("/assets", summary="Assets of my organisation (repairs staff)", tags=TAGS)
async def api_assets(
    request: Request[Any, Any, Any],
    q: FromQuery[str] = "",
    after: Cursor = None,
) -> AssetPage:
    """Pages of 30 by id; pass ``next_after`` as ``after`` for the next page. ``q`` finds
    a code or name containing it."""
    actor = current_actor(request)
    _staff(actor)
    rows, next_after = await A.asset_page(actor.org_id, q.strip()[:50], after)
    return AssetPage([_asset_out(r) for r in rows], next_after)


@get(
    "/assets/{code:str}",
    summary="One asset by its code, with its recent requests (repairs staff)",
    tags=TAGS,
)
async def api_asset(request: Request[Any, Any, Any], code: FromPath[str]) -> AssetDetailOut:
    actor = current_actor(request)
    _staff(actor)
    asset = await A.asset_by_code(actor.org_id, code[:50])
    if asset is None:
        raise NotFoundException()
    location = await places.get(actor.org_id, asset["location"]) if asset["location"] else None
    requests = await A.asset_requests(actor.org_id, asset["id"], visible_to(actor), limit=RECENT)
    faults = await A.recent_fault_count(actor.org_id, asset["id"])
    return AssetDetailOut(
        asset=_asset_out(asset, places.label(location) if location else ""),
        serial=asset["serial"],
        department=asset.get("department_name"),
        faults_90_days=faults,
        repeat_failure=faults >= A.REPEAT_COUNT,
        recent_requests=[
            AssetRequestOut(
                number=r["number"],
                title=r["title"],
                kind=r["kind"],
                status=r["status"],
                submitted_at=r["submitted_at"],
            )
            for r in requests
        ],
    )


@get(
    "/requests/{number:str}/items",
    summary="Parts and labour recorded on a repair (staff and the assignee)",
    tags=TAGS,
)
async def api_items(request: Request[Any, Any, Any], number: FromPath[str]) -> WorkItemsOut:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    if row["service"] != work.SLUG:
        raise NotFoundException()
    if not work.sees_internals(actor, row):
        raise PermissionDeniedException(_("Parts and labour are shown to the repairs staff only."))
    items = await work.items_of(actor.org_id, row["id"])
    sums = work.totals(items)
    return WorkItemsOut(
        number=number,
        items=[
            WorkItemOut(
                id=i["id"],
                kind=i["kind"],
                description=i["description"],
                quantity=work.dec(i["quantity"]),
                unit_cost=work.dec(i["unit_cost"]) if i["unit_cost"] is not None else None,
                minutes=i["minutes"],
                cost=work.dec(i["cost"]),
                author=i["author_name"],
                created_at=i["created_at"],
            )
            for i in items
        ],
        parts_cost=sums.parts_cost,
        labour_minutes=sums.labour_minutes,
        total_cost=sums.total_cost,
    )


@post(
    "/reports",
    summary="Report a fault on an asset or in a room",
    description="Give `asset_code` (an asset in use) or `room_id` (a room of the "
    "organisation). The request is submitted with channel `api`, routed and dispatched "
    "like a report from the phone (the same form: `GET /api/v1/services/repairs/form`). "
    "Send an `Idempotency-Key` header to make retries safe: a replayed key returns the "
    "first request (200) instead of creating another (201). An unknown asset code or "
    "room is a field error (422), as is any other.",
    tags=TAGS,
)
async def api_report(
    request: Request[Any, Any, Any],
    data: JSONBody[ReportIn],
    idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
) -> Response[Any]:
    actor = current_actor(request)
    key = submit_key(idempotency_key)
    form = Form(
        {
            "kind": data.kind,
            "title": data.title,
            "description": data.description,
            "priority": data.priority or "normal",
            "asset_code": data.asset_code,
            "room": "" if data.room_id is None else str(data.room_id),
        }
    )
    if bool(data.asset_code.strip()) == (data.room_id is not None):
        form.error("asset_code", _("Give either an asset code or a room, not both."))
    ctx = FormContext(actor, REPAIRS, "api")
    filled = await REPAIR_FORM.read(form, ctx)
    if filled is None:
        return unprocessable(form)
    made = await submit_form(ctx, filled, idempotency_key=key)
    asset, location = filled.values["room"]["asset"], filled.values["room"]["location"]
    if made.created:
        announce(request, actor.org_id, made.number)
    row = await visible_or_404(actor, made.number)
    return Response(
        ReportOut(
            number=made.number,
            status=row["status"],
            location=row["location"],
            asset_code=asset["code"] if asset else None,
            room_id=location["id"] if location and location["kind"] == "room" else None,
            url=f"/api/v1/requests/{made.number}",
        ),
        status_code=HTTP_201_CREATED if made.created else HTTP_200_OK,
        headers={"Location": f"/api/v1/requests/{made.number}"},
    )


API_HANDLERS: list[Any] = [api_assets, api_asset, api_items, api_report]

__all__ = ["API_HANDLERS"]
