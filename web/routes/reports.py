"""The reports page: core's figures per service and the enabled plugins' sections.

``GET /desk/reports?start=YYYY-MM-DD&end=YYYY-MM-DD`` (default: the last 30 days up to
today in the organisation's time zone). Org admins, auditors and dispatchers read all
of it; a service admin reads the rows of their services and their plugins' sections
(``core.reports.report_scope``); anyone else gets 403. A period that is not one (a bad
date, the end before the start, more than 366 days) shows the form again with the
message under its field, answered 400, and runs no report query.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromQuery
from litestar.response import Template

from core.clock import local_today
from core.descriptors import Period, ReportSection
from core.reports import (
    DEFAULT_DAYS,
    MAX_DAYS,
    PeriodError,
    build_report,
    day_text,
    parse_period,
    report_scope,
)
from web.auth import current_actor
from web.templating import render

# Characters of a formatted number, percentage, amount or "no data": such columns align right.
_NUMERIC = frozenset("0123456789.,%¥+—- \u00a0")


def numeric_columns(section: ReportSection) -> list[bool]:
    """Per column of ``section``'s table: does it hold numbers only (the first column
    names the row and never does)?"""
    return [
        i > 0 and all(set(row[i]) <= _NUMERIC for row in section.rows if i < len(row))
        for i in range(len(section.columns))
    ]


def _presets(today: Any, time_zone: str) -> list[tuple[str, Period]]:
    from core.i18n import gettext as _

    return [
        (_("Last 7 days"), Period(today - timedelta(days=6), today, time_zone)),
        (
            _("Last 30 days"),
            Period(today - timedelta(days=DEFAULT_DAYS - 1), today, time_zone),
        ),
        (_("This month"), Period(today.replace(day=1), today, time_zone)),
        (_("This year"), Period(today.replace(month=1, day=1), today, time_zone)),
    ]


@get("/desk/reports")
async def reports_page(
    request: Request[Any, Any, Any],
    start: FromQuery[str] = "",
    end: FromQuery[str] = "",
) -> Template:
    actor = current_actor(request)
    catalog = request.app.state.services
    scope = report_scope(actor, catalog)
    if scope is None:
        raise PermissionDeniedException()
    today = local_today(actor.time_zone)
    context: dict[str, Any] = {
        "start": start,
        "end": end,
        "errors": {},
        "sections": [],
        "period": None,
        "presets": _presets(today, actor.time_zone),
        "max_days": MAX_DAYS,
        "scoped": not scope.everything,
    }
    try:
        period = parse_period(start, end, actor.time_zone, today)
    except PeriodError as exc:
        context["errors"] = exc.errors
        return await render(request, "desk/reports.html", context, status_code=400)
    hooks = actor.hooks
    if scope.plugins is not None:  # a service admin: only their plugins are asked
        hooks = request.app.state.plugins.hooks(actor.enabled_plugins & scope.plugins)
    context["period"] = period
    context["period_text"] = {"start": day_text(period.start), "end": day_text(period.end)}
    context["start"], context["end"] = period.start.isoformat(), period.end.isoformat()
    sections = await build_report(actor.org_id, period, hooks=hooks, catalog=catalog, scope=scope)
    context["sections"] = [(s, numeric_columns(s)) for s in sections]
    return await render(request, "desk/reports.html", context)


REPORT_HANDLERS: list[Any] = [reports_page]
