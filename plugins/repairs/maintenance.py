"""Preventive maintenance of the repairs plugin: schedules, the job that opens their
requests ahead of the due date, the admin pages and the desk page.

A schedule (``RepairSchedule``) is "every N days / weeks / months" for one asset, or for
every active asset of a fault category. The hourly job ``repairs.maintenance`` opens a
request ``lead_days`` before ``next_due`` (the organisation's local date) through core
``submit`` and then moves ``next_due`` on by one interval.

Exactly once, even when a run fails half-way or two runs overlap:

1. **Open first, advance last.** Each request of an occurrence (schedule, due date, asset)
   is submitted with the idempotency key ``maintenance:<schedule>:<due>:<asset>`` of the
   organisation's ``maintenance`` service account, so a second run (or a concurrent one)
   gets the first request back instead of a new one; the detail row names the schedule
   and ``due_on``, so a re-run skips what exists with one query.
2. Only when every asset of the occurrence has its request is ``next_due`` moved on, by
   a conditional update (``... WHERE id = ? AND next_due = <old>``): one run wins, a
   concurrent one (or an admin's edit in between) makes the other stop.

A submit that fails leaves the schedule where it was, so the next run tries that asset
again (the others are not opened twice); the run itself then fails (logged, retried by
the runner). At most :data:`RUN_CAP` requests are opened per organisation and run; a
category with more assets is finished by the following runs (its date moves on only
then). When the job was not running for longer than an interval, the missed occurrences
are not opened one by one: the oldest one is (it shows as overdue) and ``next_due``
skips to the first date from today on.
"""

from __future__ import annotations

import logging
from calendar import monthrange
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from babel.dates import format_skeleton
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from plugins.repairs.access import can_manage, staff_only
from plugins.repairs.assets import asset_by_code
from plugins.repairs.form import place_of
from plugins.repairs.guests import forget_phones
from plugins.repairs.hooks import MANAGE_ASSETS, REPAIRS, SLUG
from plugins.repairs.tables import RepairAsset, RepairRequestDetail, RepairSchedule
from web.sdk import (
    OPEN,
    Actor,
    Cursor,
    Form,
    Job,
    JobContext,
    NewRequest,
    Organisation,
    ServiceRequest,
    audit,
    catalogs_loaded,
    current_actor,
    enabled_plugins,
    get_locale,
    load_actor,
    load_catalogs,
    local_today,
    ngettext,
    now,
    render,
    service_account,
    submit,
    use_locale,
    visible_to,
)
from web.sdk import gettext as _

log = logging.getLogger("houqin.repairs.maintenance")

UNITS = ("day", "week", "month")
MAX_COUNT = 365
MAX_LEAD = 60
MAX_AHEAD_YEARS = 10
PAGE = 30
UPCOMING_DAYS = 30
DESK_ROWS = 100
# Requests opened per organisation and run; the rest waits for the next (hourly) run.
RUN_CAP = 200
# Occurrences of one schedule opened in one run (an interval shorter than the lead time
# has several occurrences inside the lead window: every day, three days ahead).
MAX_STEPS = MAX_LEAD + 1
SERVICE_KEY = "maintenance"
# Why "desk": the request is the maintenance team's own planned work, opened on the
# back office's behalf; "api" would count it as an integration's traffic, and "pwa",
# "kiosk" and "qr" as an employee's report.
CHANNEL = "desk"
OPEN_STATUSES = sorted(s.value for s in OPEN)


class MaintenanceFailed(RuntimeError):
    """Some maintenance requests could not be opened (logged; the next run retries)."""


# ---------------------------------------------------------------- the date rule


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def advance(due: date, count: int, unit: str) -> date:
    """The due date one interval after ``due``: ``count`` days, weeks or months.

    Months keep the day of the month and clamp it to the month's last day (31 January
    + 1 month = 28 or 29 February); the clamped day is then the new anchor (no memory
    of the 31st), which keeps the rule a function of the stored date alone.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if unit == "day":
        return due + timedelta(days=count)
    if unit == "week":
        return due + timedelta(weeks=count)
    if unit == "month":
        return _add_months(due, count)
    raise ValueError(f"unknown interval unit {unit!r}")


def generate_on(due: date, lead_days: int) -> date:
    """The day the request of an occurrence due on ``due`` is opened."""
    return due - timedelta(days=max(0, lead_days))


def next_after(due: date, count: int, unit: str, today: date) -> date:
    """The next due date after ``due`` that is not before ``today`` (missed occurrences
    are skipped: the one request already opened for ``due`` covers them)."""
    nxt = advance(due, count, unit)
    while nxt < today:
        nxt = advance(nxt, count, unit)
    return nxt


def interval_label(count: int, unit: str) -> str:
    if unit == "day":
        text = ngettext("Every %(num)d day", "Every %(num)d days", count)
    elif unit == "week":
        text = ngettext("Every %(num)d week", "Every %(num)d weeks", count)
    else:
        text = ngettext("Every %(num)d month", "Every %(num)d months", count)
    return text % {"num": count}


def day_label(day: date | None) -> str:
    """A date in the active language with its weekday (zh: ``11月24日周二``; the year
    only when it is not this year's)."""
    if day is None:
        return ""
    skeleton = "MMMEd" if day.year == date.today().year else "yMMMEd"
    return format_skeleton(skeleton, day, locale=get_locale())


# ---------------------------------------------------------------- the job


def _schedule_columns() -> tuple[Any, ...]:
    return (
        RepairSchedule.id,
        RepairSchedule.title,
        RepairSchedule.asset,
        RepairSchedule.category,
        RepairSchedule.interval_count,
        RepairSchedule.interval_unit,
        RepairSchedule.lead_days,
        RepairSchedule.next_due,
        RepairSchedule.active,
        RepairSchedule.asset.code.as_alias("asset_code"),
        RepairSchedule.asset.name.as_alias("asset_name"),
    )


def _target_columns() -> tuple[Any, ...]:
    return (
        RepairAsset.id,
        RepairAsset.code,
        RepairAsset.name,
        RepairAsset.category,
        RepairAsset.location,
        RepairAsset.location.name.as_alias("room"),
        RepairAsset.location.parent.name.as_alias("floor"),
        RepairAsset.location.parent.parent.name.as_alias("building"),
    )


async def _targets(org_id: int, schedule: dict[str, Any], due: date, limit: int) -> list[dict]:
    """Active assets of the occurrence that have no request yet (at most ``limit``)."""
    done = RepairRequestDetail.select(RepairRequestDetail.asset).where(
        (RepairRequestDetail.org == org_id)
        & (RepairRequestDetail.schedule == schedule["id"])
        & (RepairRequestDetail.due_on == due)
        & RepairRequestDetail.asset.is_not_null()
    )
    where = (RepairAsset.org == org_id) & (RepairAsset.status == "active")
    if schedule["asset"]:
        where &= RepairAsset.id == schedule["asset"]
    else:
        where &= RepairAsset.category == schedule["category"]
    return await (
        RepairAsset.select(*_target_columns())
        .where(where & RepairAsset.id.not_in(done))
        .order_by(RepairAsset.id)
        .limit(limit)
    )


class _Org:
    def __init__(self, row: dict[str, Any], actor: Actor) -> None:
        self.id: int = row["id"]
        self.locale: str = row["default_locale"]
        self.time_zone: str = row["time_zone"]
        self.actor = actor


async def _open_request(org: _Org, schedule: dict[str, Any], asset: dict[str, Any], due: date):
    kind = asset["category"] if schedule["asset"] else schedule["category"]
    location = (
        {"name": asset["room"], "floor": asset["floor"], "building": asset["building"]}
        if asset["location"]
        else None
    )
    with use_locale(org.locale, org.time_zone):
        title = _("Preventive maintenance: %(asset)s") % {"asset": asset["name"]}
        description = _(
            "Planned maintenance of %(asset)s (%(code)s), due on %(due)s."
            " Schedule: %(title)s, %(interval)s."
        ) % {
            "asset": asset["name"],
            "code": asset["code"],
            "due": day_label(due),
            "title": schedule["title"],
            "interval": interval_label(schedule["interval_count"], schedule["interval_unit"]),
        }

    async def write_detail(request_id: int) -> None:
        await RepairRequestDetail.insert(
            RepairRequestDetail(
                org=org.id,
                request=request_id,
                asset=asset["id"],
                location=asset["location"],
                schedule=schedule["id"],
                due_on=due,
            )
        )

    return await submit(
        org.actor,
        REPAIRS,
        NewRequest(
            kind=kind,
            title=title[:200],
            description=description[:5000],
            location=place_of(asset, location),
            priority="normal",
        ),
        channel=CHANNEL,
        idempotency_key=f"{SERVICE_KEY}:{schedule['id']}:{due.isoformat()}:{asset['id']}",
        facts={"category": kind, "preventive": True},
        on_created=write_detail,
    )


async def _advance(org_id: int, schedule: dict[str, Any], due: date, today: date) -> date | None:
    """Move ``next_due`` on from ``due``; None when someone else moved it first."""
    new_due = next_after(due, schedule["interval_count"], schedule["interval_unit"], today)
    done = (
        await RepairSchedule.update(
            {RepairSchedule.next_due: new_due, RepairSchedule.updated_at: now()}
        )
        .where(
            (RepairSchedule.org == org_id)
            & (RepairSchedule.id == schedule["id"])
            & (RepairSchedule.next_due == due)
            & (RepairSchedule.active == True)  # noqa: E712
        )
        .returning(RepairSchedule.id)
    )
    return new_due if done else None


async def _run_schedule(
    org: _Org, schedule: dict[str, Any], today: date, counts: dict[str, int]
) -> None:
    due: date = schedule["next_due"]
    for _step in range(MAX_STEPS):
        if generate_on(due, schedule["lead_days"]) > today:
            return
        budget = RUN_CAP - counts["created"]
        if budget <= 0:
            return
        targets = await _targets(org.id, schedule, due, budget + 1)
        complete = len(targets) <= budget
        for asset in targets[:budget]:
            try:
                result = await _open_request(org, schedule, asset, due)
            except Exception:
                log.exception(
                    "maintenance request for schedule %s, asset %s, due %s failed",
                    schedule["id"],
                    asset["id"],
                    due,
                )
                counts["failed"] += 1
                complete = False
                continue
            if result.created:
                counts["created"] += 1
        if not complete:
            return  # the date stays: the next run opens what is missing
        moved = await _advance(org.id, schedule, due, today)
        if moved is None:
            return  # another run (or an admin's edit) moved it meanwhile
        counts["advanced"] += 1
        due = moved


async def _maintainer(ctx: JobContext, org_id: int, locale: str, time_zone: str) -> Actor | None:
    with use_locale(locale, time_zone):
        name = _("Preventive maintenance")
    user_id = await service_account(org_id, SERVICE_KEY, name)
    return await load_actor(user_id, ctx.registry, ctx.registry.permissions, service_account=True)


async def run_maintenance(
    ctx: JobContext, org_ids: list[int] | None = None, today: str | date | None = None
) -> dict[str, int]:
    """Open the requests of every due schedule, organisation by organisation.

    ``today`` (ISO date) replaces each organisation's local date (tests); ``org_ids``
    limits the run to some organisations. Organisations with the plugin off are skipped.
    """
    counts = {"created": 0, "advanced": 0, "failed": 0}
    if not catalogs_loaded():
        load_catalogs(p.path / "locale" for p in ctx.registry.installed.values())
    orgs = Organisation.select(
        Organisation.id, Organisation.default_locale, Organisation.time_zone
    ).order_by(Organisation.id)
    if org_ids is not None:
        orgs = orgs.where(Organisation.id.is_in(list(org_ids) or [0]))
    for row in await orgs:
        if SLUG not in await enabled_plugins(row["id"], ctx.registry):
            continue
        if today is None:
            day = local_today(row["time_zone"])
        else:
            day = today if isinstance(today, date) else date.fromisoformat(today)
        org_counts = {"created": 0, "advanced": 0, "failed": 0}
        await _run_org(ctx, row, day, org_counts)
        for key, value in org_counts.items():
            counts[key] += value
    if counts["failed"]:
        raise MaintenanceFailed(f"{counts['failed']} maintenance requests could not be opened")
    return counts


async def _run_org(ctx: JobContext, row: dict[str, Any], today: date, counts: dict) -> None:
    schedules = await (
        RepairSchedule.select(*_schedule_columns())
        .where(
            (RepairSchedule.org == row["id"])
            & (RepairSchedule.active == True)  # noqa: E712
            & (RepairSchedule.next_due <= today + timedelta(days=MAX_LEAD))
        )
        .order_by(RepairSchedule.next_due)
        .limit(RUN_CAP)
    )
    due = [s for s in schedules if generate_on(s["next_due"], s["lead_days"]) <= today]
    if not due:
        return
    actor = await _maintainer(ctx, row["id"], row["default_locale"], row["time_zone"])
    if actor is None:
        return
    org = _Org(row, actor)
    for schedule in due:
        if counts["created"] >= RUN_CAP:
            break
        await _run_schedule(org, schedule, today, counts)


JOBS = [
    Job(
        "repairs.maintenance",
        run_maintenance,
        cron="7 * * * *",
        timeout=600,
        description="Open preventive maintenance requests ahead of their due date",
    ),
    Job(
        "repairs.forget_phones",
        forget_phones,
        cron="23 3 * * *",
        description="Blank sticker reporters' phone numbers 90 days after their request closed",
    ),
]


# ---------------------------------------------------------------- queries for pages


async def schedule_page(
    org_id: int, after: int | None = None, limit: int = PAGE
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of schedules by id (keyset), each with its last generated request.

    Two queries whatever the size: the page, then the newest detail row per schedule.
    """
    where = RepairSchedule.org == org_id
    if after:
        where &= RepairSchedule.id > after
    rows = await (
        RepairSchedule.select(*_schedule_columns())
        .where(where)
        .order_by(RepairSchedule.id)
        .limit(limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        last = await _last_generated(org_id, [r["id"] for r in rows])
        for row in rows:
            row["last"] = last.get(row["id"])
    return rows, (rows[-1]["id"] if more else None)


async def _last_generated(org_id: int, schedule_ids: Iterable[int]) -> dict[int, dict]:
    from piccolo.query.functions.aggregate import Max

    newest = (
        RepairRequestDetail.select(Max(RepairRequestDetail.id))
        .where(
            (RepairRequestDetail.org == org_id)
            & RepairRequestDetail.schedule.is_in(list(schedule_ids))
        )
        .group_by(RepairRequestDetail.schedule)
    )
    rows = await RepairRequestDetail.select(
        RepairRequestDetail.schedule,
        RepairRequestDetail.due_on,
        RepairRequestDetail.request.number.as_alias("number"),
        RepairRequestDetail.request.status.as_alias("status"),
    ).where((RepairRequestDetail.org == org_id) & RepairRequestDetail.id.is_in(newest))
    return {r["schedule"]: r for r in rows}


async def get_schedule(org_id: int, schedule_id: int) -> dict[str, Any] | None:
    return (
        await RepairSchedule.select(*_schedule_columns())
        .where((RepairSchedule.org == org_id) & (RepairSchedule.id == schedule_id))
        .first()
    )


async def desk_rows(actor: Actor, today: date) -> tuple[list[dict], list[dict]]:
    """The desk page: open generated requests due up to 30 days ahead (the reader's
    visible ones, core's predicate) and schedules coming due in 30 days. Two queries."""
    horizon = today + timedelta(days=UPCOMING_DAYS)
    opened = await (
        RepairRequestDetail.select(
            RepairRequestDetail.due_on,
            RepairRequestDetail.schedule,
            RepairRequestDetail.schedule.title.as_alias("schedule_title"),
            RepairRequestDetail.asset.code.as_alias("asset_code"),
            RepairRequestDetail.asset.name.as_alias("asset_name"),
            RepairRequestDetail.request.number.as_alias("number"),
            RepairRequestDetail.request.title.as_alias("title"),
            RepairRequestDetail.request.status.as_alias("status"),
            RepairRequestDetail.request.location.as_alias("location"),
            RepairRequestDetail.request.assignee.display_name.as_alias("assignee_name"),
        )
        .where(
            (RepairRequestDetail.org == actor.org_id)
            & RepairRequestDetail.schedule.is_not_null()
            & (RepairRequestDetail.due_on <= horizon)
            & RepairRequestDetail.request.status.is_in(OPEN_STATUSES)
            # core's one predicate, so a row listed here always opens
            & RepairRequestDetail.request.is_in(
                ServiceRequest.select(ServiceRequest.id).where(visible_to(actor))
            )
        )
        .order_by(RepairRequestDetail.due_on)
        .limit(DESK_ROWS)
    )
    planned = await (
        RepairSchedule.select(*_schedule_columns())
        .where(
            (RepairSchedule.org == actor.org_id)
            & (RepairSchedule.active == True)  # noqa: E712
            & (RepairSchedule.next_due <= horizon)
        )
        .order_by(RepairSchedule.next_due)
        .limit(DESK_ROWS)
    )
    for row in opened:
        row["late_days"] = (today - row["due_on"]).days
    for row in planned:
        row["opens_on"] = generate_on(row["next_due"], row["lead_days"])
    return opened, planned


# ---------------------------------------------------------------- pages


def _categories() -> list[tuple[str, str]]:
    return [(k.code, k.label(_)) for k in REPAIRS.kinds]


def _units() -> list[tuple[str, str]]:
    return [("day", _("Days")), ("week", _("Weeks")), ("month", _("Months"))]


def _helpers() -> dict[str, Any]:
    return {
        "day_label": day_label,
        "interval_label": interval_label,
        "category_label": lambda code: REPAIRS.kind_label(code, _),
    }


@get("/maintenance", guards=[staff_only])
async def desk_page(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    today = local_today(actor.time_zone)
    opened, planned = await desk_rows(actor, today)
    return await render(
        request,
        "repairs/maintenance.html",
        {
            "overdue": [r for r in opened if r["late_days"] > 0],
            "coming": [r for r in opened if r["late_days"] <= 0],
            "planned": planned,
            "today": today,
            "can_manage": actor.can(MANAGE_ASSETS),
            "back_url": "/",
            **_helpers(),
        },
    )


@get("/admin/schedules", guards=can_manage)
async def schedules_page(request: Request[Any, Any, Any], after: Cursor = None) -> Template:
    actor = current_actor(request)
    rows, next_after = await schedule_page(actor.org_id, after)
    return await render(
        request,
        "repairs/maintenance_schedules.html",
        {"rows": rows, "next_after": next_after, "back_url": "/admin", **_helpers()},
    )


async def _form_page(
    request: Request[Any, Any, Any], form: Form, schedule_id: int | None, status: int = 200
) -> Template:
    return await render(
        request,
        "repairs/maintenance_form.html",
        {
            "form": form,
            "schedule_id": schedule_id,
            "categories": _categories(),
            "units": _units(),
            "back_url": "/s/repairs/admin/schedules",
        },
        status_code=status,
    )


@get("/admin/schedules/new", guards=can_manage)
async def schedule_new(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    first = local_today(actor.time_zone) + timedelta(days=7)
    form = Form(
        {
            "target": "asset",
            "interval_count": "3",
            "interval_unit": "month",
            "lead_days": "3",
            "next_due": first.isoformat(),
            "active": "on",
        }
    )
    return await _form_page(request, form, None)


async def _schedule_or_404(actor: Actor, schedule_id: int) -> dict[str, Any]:
    row = await get_schedule(actor.org_id, schedule_id)
    if row is None:
        raise NotFoundException()
    return row


@get("/admin/schedules/{schedule_id:int}/edit", guards=can_manage)
async def schedule_edit(request: Request[Any, Any, Any], schedule_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    row = await _schedule_or_404(actor, schedule_id)
    form = Form(
        {
            "title": row["title"],
            "target": "asset" if row["asset"] else "category",
            "asset_code": row["asset_code"] or "",
            "category": row["category"],
            "interval_count": str(row["interval_count"]),
            "interval_unit": row["interval_unit"],
            "lead_days": str(row["lead_days"]),
            "next_due": row["next_due"].isoformat(),
            "active": "on" if row["active"] else "",
        }
    )
    return await _form_page(request, form, schedule_id)


def _whole(form: Form, name: str, low: int, high: int, message: str) -> int:
    value = form.integer(name, low, high, message)
    return low if value is None else value


async def _read_schedule(
    actor: Actor, form: Form, current: dict[str, Any] | None
) -> dict[Any, Any]:
    """Validate the form; the values to store (errors are on ``form``)."""
    title = form.required(
        "title",
        _("Give the schedule a title, e.g. Quarterly air conditioner service."),
        too_long=_("At most 200 characters."),
    )
    target = form.get("target")
    asset_id, category = None, ""
    if target == "asset":
        code = form.get("asset_code")
        found = None
        if code and len(code) <= 50:
            found = await asset_by_code(actor.org_id, code)
        if not code:
            form.error("asset_code", _("Enter the code of the asset, e.g. ZC-0001."))
        elif found is None:
            form.error("asset_code", _("No asset has the code %(code)s.") % {"code": code[:50]})
        elif found["status"] != "active":
            form.error("asset_code", _("This asset is retired; choose one in use."))
        else:
            asset_id = found["id"]
    elif target == "category":
        category = form.get("category")
        if category not in {k.code for k in REPAIRS.kinds}:
            form.error("category", _("Choose a category."))
    else:
        form.error("target", _("Choose one asset or a whole category."))
    count = _whole(form, "interval_count", 1, MAX_COUNT, _("Enter a whole number from 1 to 365."))
    unit = form.get("interval_unit")
    if unit not in UNITS:
        form.error("interval_unit", _("Choose days, weeks or months."))
    lead = _whole(form, "lead_days", 0, MAX_LEAD, _("Enter a whole number of days from 0 to 60."))
    today = local_today(actor.time_zone)
    next_due = None
    try:
        next_due = date.fromisoformat(form.get("next_due"))
    except ValueError:
        form.error("next_due", _("Enter a date as YYYY-MM-DD, e.g. 2025-03-31."))
    if next_due is not None:
        unchanged = current is not None and current["next_due"] == next_due
        if next_due < today and not unchanged:
            form.error("next_due", _("The due date cannot be in the past."))
        elif next_due.year > today.year + MAX_AHEAD_YEARS:
            form.error("next_due", _("The due date is too far ahead."))
    return {
        RepairSchedule.title: title,
        RepairSchedule.asset: asset_id,
        RepairSchedule.category: category,
        RepairSchedule.interval_count: count,
        RepairSchedule.interval_unit: unit,
        RepairSchedule.lead_days: lead,
        RepairSchedule.next_due: next_due,
        RepairSchedule.active: form.get("active") == "on",
    }


@post("/admin/schedules", guards=can_manage)
async def schedule_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    values = await _read_schedule(actor, form, None)
    if not form.ok:
        return await _form_page(request, form, None, 422)
    await RepairSchedule.insert(
        RepairSchedule(
            org=actor.org_id,
            created_by=actor.user_id,
            **{col._meta.name: value for col, value in values.items()},
        )
    )
    await audit(actor.org_id, actor.user_id, "repairs.schedule_saved", values[RepairSchedule.title])
    flash(request, category="success", message=_("The maintenance schedule is saved."))
    return Redirect("/s/repairs/admin/schedules", status_code=303)


@post("/admin/schedules/{schedule_id:int}", guards=can_manage)
async def schedule_update(
    request: Request[Any, Any, Any], schedule_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    current = await _schedule_or_404(actor, schedule_id)
    form = await Form.read(request)
    values = await _read_schedule(actor, form, current)
    if not form.ok:
        return await _form_page(request, form, schedule_id, 422)
    await RepairSchedule.update({**values, RepairSchedule.updated_at: now()}).where(
        (RepairSchedule.org == actor.org_id) & (RepairSchedule.id == schedule_id)
    )
    await audit(actor.org_id, actor.user_id, "repairs.schedule_saved", values[RepairSchedule.title])
    flash(request, category="success", message=_("The maintenance schedule is saved."))
    return Redirect("/s/repairs/admin/schedules", status_code=303)


HANDLERS: list[Any] = [
    desk_page,
    schedules_page,
    schedule_new,
    schedule_edit,
    schedule_create,
    schedule_update,
]
