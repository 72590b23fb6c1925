"""/admin/sla: response and resolution targets, and the organisation's business calendar
(working hours, public holidays, adjusted working days such as 调休) — data the
organisation edits, not code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core.default_plugin import ADMIN
from core.i18n import gettext as _
from core.identity.service import audit
from core.lifecycle.deadlines import calendar_of
from core.lifecycle.sla import BusinessCalendar
from core.lifecycle.submit import PRIORITIES
from core.parse import decimal, integer
from core.tables import Organisation, SlaPolicy
from web.auth import current_actor, permission_required
from web.forms import Form
from web.routes.requests import priority_label
from web.templating import render

admin_only = [permission_required(ADMIN)]
WEEKDAYS = range(7)
MAX_HOURS = 24 * 365


def weekday_label(day: int) -> str:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")][day]


def _calendar_form(cal: BusinessCalendar) -> Form:
    first = next(iter(cal.weekly.values()), ())
    data: dict[str, Any] = {
        "days": [str(d) for d in cal.weekly],
        "am_start": first[0][0].strftime("%H:%M") if first else "09:00",
        "am_end": first[0][1].strftime("%H:%M") if first else "12:00",
        "pm_start": first[1][0].strftime("%H:%M") if len(first) > 1 else "",
        "pm_end": first[1][1].strftime("%H:%M") if len(first) > 1 else "",
        "holidays": "\n".join(sorted(d.isoformat() for d in cal.holidays)),
        "extra_workdays": "\n".join(sorted(d.isoformat() for d in cal.extra_workdays)),
    }
    return Form(data)


async def _page(
    request: Request[Any, Any, Any], policy_form: Form, cal_form: Form | None, status: int = 200
) -> Template:
    actor = current_actor(request)
    policies = await SlaPolicy.select().where(SlaPolicy.org == actor.org_id).order_by(SlaPolicy.id)
    if cal_form is None:
        cal_form = _calendar_form(await calendar_of(actor.org_id))
    services = request.app.state.services.types
    return await render(
        request,
        "admin/sla.html",
        {
            "policies": policies,
            "form": policy_form,
            "cal": cal_form,
            "service_options": [("*", _("Any service"))]
            + [(s, st.name(_)) for s, (st, _o) in services.items()],
            "priority_options": [("*", _("Any priority"))]
            + [(p, priority_label(p)) for p in PRIORITIES],
            "weekdays": [(d, weekday_label(d)) for d in WEEKDAYS],
            "priority_label": priority_label,
        },
        status_code=status,
    )


@get("/admin/sla", guards=admin_only)
async def sla_page(request: Request[Any, Any, Any]) -> Template:
    return await _page(request, Form({"service": "*", "priority": "*"}), None)


def _hours(form: Form, name: str) -> int:
    """Business hours as typed (``4``, ``0.5``, ``1,5``) → whole minutes, at least one."""
    text = form.get(name).replace(",", ".")
    hours = decimal(text, low=Decimal("0.01"), high=Decimal(MAX_HOURS))
    if hours is None:
        form.error(name, _("Enter business hours, e.g. 4 or 0.5."))
        return 0
    return max(1, round(hours * 60))


@post("/admin/sla", guards=admin_only)
async def policy_save(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    service = form.get("service") or "*"
    if service != "*" and request.app.state.services.get(service) is None:
        form.error("service", _("Choose a service from the list."))
    priority = form.get("priority") or "*"
    if priority != "*" and priority not in PRIORITIES:
        form.error("priority", _("Choose a priority from the list."))
    response, resolution = _hours(form, "response_hours"), _hours(form, "resolution_hours")
    if form.ok and response > resolution:
        form.error(
            "resolution_hours",
            _("The resolution target cannot be shorter than the response target."),
        )
    if not form.ok:
        return await _page(request, form, None, 422)
    await SlaPolicy.insert(
        SlaPolicy(
            org=actor.org_id,
            service=service,
            priority=priority,
            response_minutes=response,
            resolution_minutes=resolution,
        )
    ).on_conflict(
        target=(SlaPolicy.org, SlaPolicy.service, SlaPolicy.priority),
        action="DO UPDATE",
        values=[SlaPolicy.response_minutes, SlaPolicy.resolution_minutes],
    )
    await audit(actor.org_id, actor.user_id, "sla.policy_saved", f"{service}/{priority}")
    flash(request, category="success", message=_("The SLA target is saved."))
    return Redirect("/admin/sla", status_code=303)


@post("/admin/sla/{policy_id:int}/delete", guards=admin_only)
async def policy_delete(request: Request[Any, Any, Any], policy_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    deleted = (
        await SlaPolicy.delete()
        .where((SlaPolicy.id == policy_id) & (SlaPolicy.org == actor.org_id))
        .returning(SlaPolicy.id)
    )
    if not deleted:
        raise NotFoundException()
    await audit(actor.org_id, actor.user_id, "sla.policy_deleted", str(policy_id))
    flash(request, category="success", message=_("The SLA target is deleted."))
    return Redirect("/admin/sla", status_code=303)


@post("/admin/sla/calendar", guards=admin_only)
async def calendar_save(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    days = sorted({d for d in map(integer, form.getall("days")) if d in WEEKDAYS})
    intervals = [[form.get("am_start"), form.get("am_end")]]
    if form.get("pm_start") or form.get("pm_end"):
        intervals.append([form.get("pm_start"), form.get("pm_end")])
    org = (
        await Organisation.select(Organisation.time_zone)
        .where(Organisation.id == actor.org_id)
        .first()
    )
    data = {
        "time_zone": org["time_zone"],
        "weekly": {str(d): intervals for d in days},
        "holidays": [line.strip() for line in form.get("holidays").splitlines() if line.strip()],
        "extra_workdays": [
            line.strip() for line in form.get("extra_workdays").splitlines() if line.strip()
        ],
    }
    try:
        calendar = BusinessCalendar.from_dict(data)
    except ValueError as exc:
        form.error("calendar", _("The calendar cannot be saved: %(why)s") % {"why": str(exc)})
        return await _page(request, Form({"service": "*", "priority": "*"}), form, 422)
    await Organisation.update({Organisation.calendar: calendar.to_dict()}).where(
        Organisation.id == actor.org_id
    )
    await audit(actor.org_id, actor.user_id, "sla.calendar_saved", "")
    flash(request, category="success", message=_("The business calendar is saved."))
    return Redirect("/admin/sla", status_code=303)


SLA_HANDLERS = [sla_page, policy_save, policy_delete, calendar_save]
