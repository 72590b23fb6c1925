"""The repairs plugin's report sections (``report_sections``, for /desk/reports).

For the repairs requests of the period: mean time to respond (report → first response)
and to repair (report → done) per fault category and per team, the first-time-fix rate
(requests done in the period that were never reopened), repeat failures (assets with
:data:`~plugins.repairs.assets.REPEAT_COUNT` or more reports in the
:data:`~plugins.repairs.assets.REPEAT_WINDOW` up to the period's end, as on the asset
page) and the parts and labour recorded in the period.

Three queries, whatever the number of requests: one grouped by category and team, one
for the work items grouped by category and kind, one for the repeat failures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from plugins.repairs.assets import REPEAT_COUNT, REPEAT_WINDOW
from plugins.repairs.hooks import REPAIRS, SLUG
from web.sdk import (
    NONE,
    Figure,
    Period,
    ReportSection,
    ServiceRequest,
    as_int,
    hours,
    in_period,
    money,
    number,
    percent,
    seconds_between,
)
from web.sdk import gettext as _

REPEAT_LIMIT = 50  # rows of the repeat-failures table

_REQUESTS_SQL = """
SELECT r.kind, r.team_id, t.name AS team_name,
  SUM(CASE WHEN {reported} THEN 1 ELSE 0 END) AS reported,
  SUM(CASE WHEN {responded} THEN 1 ELSE 0 END) AS responded,
  SUM(CASE WHEN {responded} THEN {response_seconds} END) AS response_seconds,
  SUM(CASE WHEN {resolved} THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN {resolved} THEN {repair_seconds} END) AS repair_seconds,
  SUM(CASE WHEN {resolved} AND NOT EXISTS (
        SELECT 1 FROM core_request_event e
         WHERE e.org = r.org AND e.request = r.id
           AND e.kind = 'status' AND e.to_status = 'reopened'
      ) THEN 1 ELSE 0 END) AS first_time
FROM core_request r
LEFT JOIN core_team t ON t.id = r.team_id AND t.org = r.org
WHERE r.org = {{}} AND r.service = {{}} AND ({reported} OR {responded} OR {resolved})
GROUP BY r.kind, r.team_id, t.name
"""

_WORK_SQL = (
    "SELECT r.kind, w.kind AS item, COUNT(*) AS items, SUM(w.cost) AS cost,"
    " SUM(w.minutes) AS minutes"
    " FROM repairs_work_item w JOIN core_request r ON r.id = w.request AND r.org = w.org"
    " WHERE w.org = {} AND w.created_at >= {} AND w.created_at < {}"
    " GROUP BY r.kind, w.kind"
)

_REPEAT_SQL = (
    "SELECT a.code, a.name, a.category, COUNT(*) AS faults"
    " FROM repairs_request_detail d"
    " JOIN core_request r ON r.id = d.request AND r.org = d.org"
    " JOIN repairs_asset a ON a.id = d.asset AND a.org = d.org"
    " WHERE d.org = {} AND r.submitted_at >= {} AND r.submitted_at < {}"
    " GROUP BY a.id, a.code, a.name, a.category"
    " HAVING COUNT(*) >= {}"
    " ORDER BY COUNT(*) DESC, a.code"
    " LIMIT {}"
)

_SUMS = ("reported", "responded", "response_seconds", "resolved", "repair_seconds", "first_time")


def _requests_sql() -> str:
    # the duration expression depends on the engine: built per call
    return _REQUESTS_SQL.format(
        reported=in_period("r.submitted_at"),
        responded=in_period("r.first_response_at"),
        resolved=in_period("r.resolved_at"),
        response_seconds=seconds_between("r.first_response_at", "r.submitted_at"),
        repair_seconds=seconds_between("r.resolved_at", "r.submitted_at"),
    )


def _add(into: dict[str, float], row: dict[str, Any]) -> None:
    for key in _SUMS:
        if row.get(key) is not None:
            into[key] = into.get(key, 0.0) + float(row[key])


def _timing_cells(f: dict[str, float]) -> tuple[str, ...]:
    resolved = as_int(f.get("resolved"))
    return (
        hours(f.get("response_seconds"), as_int(f.get("responded"))),
        number(resolved),
        hours(f.get("repair_seconds"), resolved),
        percent(as_int(f.get("first_time")), resolved),
    )


def _kind_order(code: str) -> tuple[int, str]:
    codes = [k.code for k in REPAIRS.kinds]
    return (codes.index(code) if code in codes else len(codes), code)


async def sections(org_id: int, period: Period) -> list[ReportSection]:
    first, after = period.bounds
    bounds = (first, after)
    # the SELECT uses the ranges six times (CASE), then org, service and three in WHERE
    rows = await ServiceRequest.raw(_requests_sql(), *bounds * 6, org_id, SLUG, *bounds * 3)
    work = await ServiceRequest.raw(_WORK_SQL, org_id, first, after)
    repeats = await ServiceRequest.raw(
        _REPEAT_SQL, org_id, after - REPEAT_WINDOW, after, REPEAT_COUNT, REPEAT_LIMIT + 1
    )

    by_kind: dict[str, dict[str, float]] = {}
    by_team: dict[int | None, dict[str, float]] = {}
    team_names: dict[int | None, str] = {}
    total: dict[str, float] = {}
    for row in rows:
        _add(by_kind.setdefault(row["kind"] or "", {}), row)
        _add(by_team.setdefault(row["team_id"], {}), row)
        _add(total, row)
        if row["team_name"]:
            team_names[row["team_id"]] = row["team_name"]
    costs: dict[str, dict[str, Decimal]] = {}
    for row in work:
        entry = costs.setdefault(row["kind"] or "", {})
        item = "part" if row["item"] == "part" else "labour"
        entry[f"{item}_cost"] = entry.get(f"{item}_cost", Decimal(0)) + Decimal(
            str(row["cost"] or 0)
        )
        if item == "labour":
            entry["minutes"] = entry.get("minutes", Decimal(0)) + Decimal(str(row["minutes"] or 0))
        by_kind.setdefault(row["kind"] or "", {})
    parts_cost = sum((c.get("part_cost", Decimal(0)) for c in costs.values()), Decimal(0))
    labour_cost = sum((c.get("labour_cost", Decimal(0)) for c in costs.values()), Decimal(0))
    minutes = sum((c.get("minutes", Decimal(0)) for c in costs.values()), Decimal(0))
    resolved = as_int(total.get("resolved"))
    first_time = as_int(total.get("first_time"))
    repeat_count = len(repeats)

    kind_rows = tuple(
        (
            REPAIRS.kind_label(code, _) if code else NONE,
            number(as_int(f.get("reported"))),
            *_timing_cells(f),
            money(costs.get(code, {}).get("part_cost")),
            number(as_int(costs.get(code, {}).get("minutes"))),
        )
        for code, f in sorted(by_kind.items(), key=lambda item: _kind_order(item[0]))
    )
    team_rows = tuple(
        (
            team_names.get(team_id, _("No team")) if team_id is not None else _("No team"),
            number(as_int(f.get("reported"))),
            *_timing_cells(f),
        )
        for team_id, f in sorted(
            by_team.items(), key=lambda item: (item[0] is None, team_names.get(item[0], ""))
        )
    )
    repeat_rows = tuple(
        (r["code"], r["name"], REPAIRS.kind_label(r["category"], _), number(as_int(r["faults"])))
        for r in repeats[:REPEAT_LIMIT]
    )
    window_days = REPEAT_WINDOW.days
    timing_columns = (
        lambda _: _("Mean time to respond (h)"),
        lambda _: _("Repaired"),
        lambda _: _("Mean time to repair (h)"),
        lambda _: _("First-time fix"),
    )
    overview = ReportSection(
        key="repairs.overview",
        title=lambda _: _("Repairs"),
        figures=(
            Figure(lambda _: _("Faults reported"), number(as_int(total.get("reported")))),
            Figure(
                lambda _: _("Mean time to respond (hours, wall clock)"),
                hours(total.get("response_seconds"), as_int(total.get("responded"))),
            ),
            Figure(
                lambda _: _("Mean time to repair (hours, wall clock)"),
                hours(total.get("repair_seconds"), resolved),
                _("%(n)s repaired") % {"n": number(resolved)},
            ),
            Figure(
                lambda _: _("First-time fix rate"),
                percent(first_time, resolved),
                _("%(n)s of %(total)s repairs never reopened")
                % {"n": number(first_time), "total": number(resolved)},
            ),
            Figure(
                lambda _: _("Repeat failures"),
                number(min(repeat_count, REPEAT_LIMIT))
                + ("+" if repeat_count > REPEAT_LIMIT else ""),
                _("assets with %(n)d or more faults in %(days)d days")
                % {"n": REPEAT_COUNT, "days": window_days},
            ),
            Figure(lambda _: _("Parts cost"), money(parts_cost)),
            Figure(
                lambda _: _("Labour (minutes)"),
                number(as_int(minutes)),
                _("%(cost)s at the hourly rate") % {"cost": money(labour_cost)}
                if labour_cost
                else "",
            ),
        ),
        columns=(
            lambda _: _("Fault category"),
            lambda _: _("Reported"),
            *timing_columns,
            lambda _: _("Parts cost"),
            lambda _: _("Labour (min)"),
        ),
        rows=kind_rows,
        note=lambda _: _(
            "Response and repair times run from the report to the first response and to "
            "the repair being done (wall-clock hours). First-time fix: repairs done in the "
            "period that were never reopened. Parts and labour: as recorded in the period."
        ),
        order=10,
    )
    teams = ReportSection(
        key="repairs.teams",
        title=lambda _: _("Repairs by team"),
        columns=(lambda _: _("Team"), lambda _: _("Reported"), *timing_columns),
        rows=team_rows,
        order=11,
    )
    repeat = ReportSection(
        key="repairs.repeat_failures",
        title=lambda _: _("Repeat failures"),
        columns=(
            lambda _: _("Asset code"),
            lambda _: _("Asset"),
            lambda _: _("Fault category"),
            lambda _: _("Faults in %(days)d days") % {"days": REPEAT_WINDOW.days},
        ),
        rows=repeat_rows,
        note=lambda _: (
            _(
                "Assets reported broken %(n)d or more times in the %(days)d days up to the end "
                "of the period."
            )
            % {"n": REPEAT_COUNT, "days": REPEAT_WINDOW.days}
        ),
        order=12,
    )
    return [overview, teams, repeat]
