"""The technician's steps on a repair, on top of core's one lifecycle.

Core offers accept, start, hold, resume, done and decline as request actions. Repairs
adds its own actions through the same hook (:func:`actions`), run by core inside its
locked, version-checked transaction, for the request's assignee only:

- **On the way** (once): ``RepairRequestDetail.on_the_way_at`` set by a conditional update,
  and a public event ``repairs.on_the_way`` the requester sees live ("技师已出发"). It counts
  as the first response when nothing was said before.
- **Waiting for parts**: core's HOLD with a ready-made note.
- **Done, with a result photo**: core's RESOLVE with at least one photo, stored as the
  request's attachments all or nothing (core's action page has the camera input). Core's
  plain "Done" stays for work with nothing to photograph (a reset done remotely, say).

And a form of its own on the panel, **parts and labour**: a :class:`RepairWorkItem` row
per part (quantity × unit cost) or labour entry (minutes), and ``ServiceRequest.cost`` kept
at the sum of the items' costs in the same transaction. Labour costs 0: there is no
hourly-rate setting (yet). Items are internal: the event ``repairs.work_item`` is not
public, and the requester's panel says only how many parts and minutes were recorded,
never what they cost.

Everything else on the request page (status, timeline, files, buttons) is core's. The
panel (:func:`panels`) reads the detail with two queries whatever the number of items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from piccolo.query.functions.aggregate import Sum

from plugins.repairs.assets import REPEAT_COUNT, REPEAT_WINDOW
from plugins.repairs.tables import RepairRequestDetail, RepairWorkItem
from web.sdk import (
    IN_HAND,
    PAUSED,
    Action,
    ActionContext,
    Actor,
    Conflict,
    Form,
    Label,
    NothingToDo,
    Panel,
    Refused,
    RequestAction,
    ServiceRequest,
    Status,
    add_event,
    announce,
    changed_meanwhile,
    current_actor,
    is_staff_for,
    legal_from,
    money,
    now,
    places,
    render,
    update_request,
    visible_or_404,
    write_transaction,
)
from web.sdk import gettext as _

SLUG = "repairs"
# Where the plugin's own steps apply, read from core's state machine (never restated):
WORKING = IN_HAND  # the assignee has it in hand: parts and labour are recorded
ON_THE_WAY = IN_HAND - PAUSED  # not while on hold
FINISHING = legal_from(Action.RESOLVE) & IN_HAND  # "done" resolves it
MAX_ITEMS = 100  # per request: bounds the panel and ServiceRequest.cost
MAX_QUANTITY = Decimal("9999")
MAX_UNIT_COST = Decimal("1000000")
MAX_MINUTES = 24 * 60
CENT = Decimal("0.01")

EVENT_LABELS: dict[str, Label] = {
    "repairs.on_the_way": lambda _: _("Technician on the way"),
    "repairs.work_item": lambda _: _("Parts or labour recorded"),
}


def dec(value: Any) -> Decimal:
    """A stored Numeric as an exact Decimal (SQLite hands back floats)."""
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def sees_internals(actor: Actor, row: Mapping[str, Any]) -> bool:
    """Who sees the internal parts of the panel: repairs staff (``access.is_staff``) and
    whoever sees the request's internal notes (assignee, org and service admins)."""
    from plugins.repairs.access import is_staff

    return is_staff(actor) or is_staff_for(actor, dict(row))


# ---------------------------------------------------------------- reading


DETAIL_SQL = """
SELECT d.on_the_way_at, d.reporter_name, d.reporter_phone,
       a.id AS asset_id, a.code AS asset_code, a.name AS asset_name,
       l.name AS name, f.name AS floor, b.name AS building,
       (SELECT COUNT(*) FROM repairs_request_detail d2
          JOIN core_request r2 ON r2.id = d2.request AND r2.org = d2.org
         WHERE d2.org = d.org AND d2.asset = d.asset AND r2.submitted_at >= {}) AS faults
FROM repairs_request_detail d
LEFT JOIN repairs_asset a ON a.id = d.asset AND a.org = d.org
LEFT JOIN core_place l ON l.id = d.location AND l.org = d.org
LEFT JOIN core_place f ON f.id = l.parent AND f.org = d.org
LEFT JOIN core_place b ON b.id = f.parent AND b.org = d.org
WHERE d.org = {} AND d.request = {}
"""


async def detail_of(org_id: int, request_id: int) -> dict[str, Any] | None:
    """The request's repair detail with its asset, place and the asset's fault count in
    the repeat window: one query (raw, for the count beside the joins)."""
    rows = await RepairRequestDetail.raw(DETAIL_SQL, now() - REPEAT_WINDOW, org_id, request_id)
    return rows[0] if rows else None


async def items_of(org_id: int, request_id: int) -> list[dict[str, Any]]:
    """The request's work items, oldest first, with the author's name: one query."""
    return await (
        RepairWorkItem.select(
            RepairWorkItem.id,
            RepairWorkItem.kind,
            RepairWorkItem.description,
            RepairWorkItem.quantity,
            RepairWorkItem.unit_cost,
            RepairWorkItem.minutes,
            RepairWorkItem.cost,
            RepairWorkItem.created_at,
            RepairWorkItem.author.display_name.as_alias("author_name"),
        )
        .where((RepairWorkItem.org == org_id) & (RepairWorkItem.request == request_id))
        .order_by(RepairWorkItem.id)
        .limit(MAX_ITEMS)
    )


@dataclass(frozen=True)
class Totals:
    parts: int
    parts_cost: Decimal
    labour_minutes: int
    total_cost: Decimal


def totals(items: list[dict[str, Any]]) -> Totals:
    parts = [i for i in items if i["kind"] == "part"]
    return Totals(
        parts=len(parts),
        parts_cost=sum((dec(i["cost"]) for i in parts), Decimal("0")),
        labour_minutes=sum(i["minutes"] or 0 for i in items if i["kind"] == "labour"),
        total_cost=sum((dec(i["cost"]) for i in items), Decimal("0")),
    )


def _shown_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **i,
            "quantity": dec(i["quantity"]).normalize(),
            "unit_cost": money(i["unit_cost"]) if i["unit_cost"] is not None else "",
            "cost": money(i["cost"]),
        }
        for i in items
    ]


async def panels(actor: Actor, request: Mapping[str, Any]) -> list[Panel] | None:
    """The repair card on the request page: what and where, and for staff the reporter,
    the repeat-failure flag and the parts and labour; the assignee's buttons. Two queries."""
    detail = await detail_of(actor.org_id, request["id"])
    items = await items_of(actor.org_id, request["id"])
    staff = sees_internals(actor, request)
    is_assignee = request["assignee"] == actor.user_id
    status = request["status"]
    from plugins.repairs.access import is_staff

    sums = totals(items)
    context: dict[str, object] = {
        "number": request["number"],
        "version": request["version"],
        "detail": detail,
        "place": places.label(detail) if detail else "",
        "asset_link": bool(detail and detail["asset_id"] and is_staff(actor)),
        "staff": staff,
        "reporter": (
            (detail["reporter_name"], detail["reporter_phone"])
            if staff and detail and detail["reporter_name"]
            else None
        ),
        "faults": detail["faults"] if detail and detail["asset_id"] else 0,
        "repeat_failure": bool(
            staff and detail and detail["asset_id"] and detail["faults"] >= REPEAT_COUNT
        ),
        # news while the technician is coming or at work, not while it waits on hold;
        # the timeline keeps it afterwards
        "on_the_way_at": detail["on_the_way_at"] if detail and status in ON_THE_WAY else None,
        "items": _shown_items(items) if staff else [],
        "totals": sums,
        "money": money,
        "is_assignee": is_assignee,
        "can_work": is_assignee and status in WORKING,
        "form": Form({"kind": "part", "quantity": "1"}),
    }
    if not detail and not items and not context["can_work"]:
        return None  # a repairs request filed without the plugin's form: nothing to show
    return [Panel("repairs/_panel.html", context, order=10)]


# ---------------------------------------------------------------- guards


async def _assigned_row(actor: Actor, number: str) -> dict[str, Any]:
    """The repairs request ``number`` if the actor may see it (else 404) and is its
    assignee (else 403)."""
    row = await visible_or_404(actor, number)
    if row["service"] != SLUG:
        raise NotFoundException()
    if row["assignee"] != actor.user_id:
        raise PermissionDeniedException()
    return row


# ---------------------------------------------------------------- on the way


async def _set_off(ctx: ActionContext) -> None:
    """Record that the assignee is on the way, once (a conditional update; a second tap
    changes nothing). Core has checked status, holder and version in this transaction."""
    where = (RepairRequestDetail.org == ctx.actor.org_id) & (
        RepairRequestDetail.request == ctx.request["id"]
    )
    done = (
        await RepairRequestDetail.update({RepairRequestDetail.on_the_way_at: ctx.moment})
        .where(where & RepairRequestDetail.on_the_way_at.is_null())
        .returning(RepairRequestDetail.id)
    )
    if not done:
        if await RepairRequestDetail.exists().where(where):
            raise NothingToDo()
        # filed without the plugin's form (core's API): the detail row starts here
        await RepairRequestDetail.insert(
            RepairRequestDetail(
                org=ctx.actor.org_id, request=ctx.request["id"], on_the_way_at=ctx.moment
            )
        )


def on_the_way(already: bool) -> RequestAction:
    """ "I'm on my way": public news for the requester ("技师已出发"), the first response
    when nothing was said before; offered until it has been said."""
    return RequestAction(
        "repairs.on_the_way",
        lambda _: _("I'm on my way"),
        ON_THE_WAY,
        effect=_set_off,
        event="repairs.on_the_way",
        first_response=True,
        when=lambda _row: not already,
        primary=True,
        icon="car",
        done=lambda _: _("The requester sees you are on the way."),
        order=12,
    )


# ---------------------------------------------------------------- parts and labour


@dataclass(frozen=True)
class ItemInput:
    kind: str
    description: str
    quantity: Decimal = Decimal("1")
    unit_cost: Decimal | None = None
    minutes: int = 0

    @property
    def cost(self) -> Decimal:
        if self.kind != "part" or self.unit_cost is None:
            return Decimal("0.00")  # labour: no hourly rate is configured anywhere
        return (self.quantity * self.unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)


def read_item(form: Form) -> ItemInput | None:
    """A part or a labour entry from the form; errors land under their fields."""
    kind = form.get("kind")
    if kind not in ("part", "labour"):  # not typed by anyone: the form's hidden field
        raise Refused(_("Choose a part or labour."), 422)
    if kind == "part":
        description = form.required(
            "description",
            _("Say which part, e.g. “fuse 10 A”."),
            200,
            _("At most 200 characters."),
        )
        quantity = form.decimal(
            "quantity",
            CENT,
            MAX_QUANTITY,
            _("Enter a quantity above 0 and at most 9999."),
            required=False,
        )
        unit_cost = form.decimal(
            "unit_cost",
            Decimal("0"),
            MAX_UNIT_COST,
            _("Enter a unit cost from 0 to 1,000,000, or leave it empty."),
            required=False,
        )
        if not form.ok:
            return None
        return ItemInput("part", description, quantity or Decimal("1"), unit_cost)
    description = form.get("description")
    if len(description) > 200:
        form.error("description", _("At most 200 characters."))
    minutes = form.integer(
        "minutes", 1, MAX_MINUTES, _("Enter the minutes worked, from 1 to 1440.")
    )
    if not form.ok:
        return None
    return ItemInput("labour", description, minutes=minutes)


def _item_message(item: ItemInput) -> str:
    """The internal timeline line, in the technician's language."""
    if item.kind == "labour":
        minutes = _("%(n)d min") % {"n": item.minutes}
        return f"{minutes} · {item.description}" if item.description else minutes
    line = f"{item.description} × {item.quantity.normalize()}"
    return f"{line} · {money(item.cost)}" if item.unit_cost is not None else line


async def add_item(actor: Actor, row: Mapping[str, Any], item: ItemInput) -> Decimal:
    """Record a work item and bring ``ServiceRequest.cost`` to the items' sum, in one
    transaction; returns the new total. :class:`Conflict` when the request is no longer
    in the assignee's hands, ``OverflowError`` at :data:`MAX_ITEMS`."""
    engine = ServiceRequest._meta.db
    org, request_id = actor.org_id, row["id"]
    mine = (RepairWorkItem.org == org) & (RepairWorkItem.request == request_id)
    async with write_transaction(engine):
        if await RepairWorkItem.count().where(mine) >= MAX_ITEMS:
            raise OverflowError(MAX_ITEMS)
        await RepairWorkItem.insert(
            RepairWorkItem(
                org=org,
                request=request_id,
                author=actor.user_id,
                kind=item.kind,
                description=item.description,
                quantity=item.quantity,
                unit_cost=item.unit_cost,
                minutes=item.minutes,
                cost=item.cost,
            )
        )
        summed = await RepairWorkItem.select(Sum(RepairWorkItem.cost).as_alias("total")).where(mine)
        total = dec(summed[0]["total"] if summed else 0)
        # still the assignee's and in hand, else all of this rolls back (Conflict)
        await update_request(actor, request_id, WORKING, changes={ServiceRequest.cost: total})
        await add_event(
            org,
            request_id,
            actor.user_id,
            "repairs.work_item",
            message=_item_message(item),
            public=False,
            data={
                "kind": item.kind,
                "quantity": str(item.quantity),
                "minutes": item.minutes,
                "cost": str(item.cost),
            },
        )
    return total


async def _work_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    row: Mapping[str, Any],
    form: Form,
    status: int = 200,
) -> Template:
    items = await items_of(actor.org_id, row["id"])
    return await render(
        request,
        "repairs/work.html",
        {
            "r": row,
            "form": form,
            "items": _shown_items(items),
            "totals": totals(items),
            "money": money,
            "can_work": row["status"] in WORKING,
            "back_url": f"/requests/{row['number']}",
        },
        status_code=status,
    )


@get("/requests/{number:str}/work")
async def work_page(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    actor = current_actor(request)
    row = await _assigned_row(actor, number)
    return await _work_page(request, actor, row, Form({"kind": "part", "quantity": "1"}))


@post("/requests/{number:str}/items")
async def item_create(
    request: Request[Any, Any, Any], number: FromPath[str]
) -> Template | Redirect:
    actor = current_actor(request)
    row = await _assigned_row(actor, number)
    form = await Form.read(request)
    item = read_item(form)
    if item is None:
        return await _work_page(request, actor, row, form, 422)
    try:
        await add_item(actor, row, item)
    except Conflict as exc:
        raise changed_meanwhile() from exc
    except OverflowError as exc:
        raise Refused(
            _("At most %(n)d parts and labour entries per request.") % {"n": MAX_ITEMS}, 409
        ) from exc
    announce(request, actor.org_id, number)
    flash(
        request,
        category="success",
        message=_("Part recorded.") if item.kind == "part" else _("Labour recorded."),
    )
    return Redirect(f"/requests/{number}", status_code=303)


# ---------------------------------------------------------------- waiting for parts and done

WAITING_FOR_PARTS = RequestAction(
    "repairs.waiting_for_parts",
    lambda _: _("Waiting for parts"),
    legal_from(Action.HOLD) & IN_HAND,
    transition=Action.HOLD,
    note="optional",
    note_prefix=lambda _: _("Waiting for parts"),
    data={"reason": "parts"},
    first_response=True,
    icon="package",
    done=lambda _: _("On hold until the parts arrive."),
    order=61,
)
"""One tap: core's HOLD (the SLA clock pauses) with the note "Waiting for parts"."""

DONE_WITH_PHOTO = RequestAction(
    "repairs.done",
    lambda _: _("Done, with a photo"),
    FINISHING,
    transition=Action.RESOLVE,
    note="optional",
    note_hint=lambda _: _("Note for the requester (optional)"),
    photos="required",
    prompt=lambda _: _(
        "Take a photo of the result: the requester sees it with the news that the repair is done."
    ),
    first_response=True,
    primary=True,
    icon="camera",
    done=lambda _: _("Done: the requester has been told."),
    order=30,
)
"""The repairs rule: done needs a photo of the result (core's plain "Done" stays for work
with nothing to photograph, a reset done remotely, say)."""


async def actions(actor: Actor, request: Mapping[str, Any]) -> list[RequestAction]:
    """The repairs actions of ``request``; one query, only on the assignee's page while
    "on the way" could still be said."""
    already = False
    if request["assignee"] == actor.user_id and Status(request["status"]) in ON_THE_WAY:
        already = await RepairRequestDetail.exists().where(
            (RepairRequestDetail.org == actor.org_id)
            & (RepairRequestDetail.request == request["id"])
            & RepairRequestDetail.on_the_way_at.is_not_null()
        )
    return [on_the_way(already), WAITING_FOR_PARTS, DONE_WITH_PHOTO]


HANDLERS: list[Any] = [work_page, item_create]
