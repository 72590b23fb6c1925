"""Reports: the period, who may read them, core's section per service, plugin sections.

The reports page (``/desk/reports``) shows core's section — per service: requests
submitted and resolved, mean wall-clock hours to first response and to resolution,
reopens and satisfaction — followed by the sections the organisation's enabled plugins
answer to ``report_sections(org_id, period)``, sorted by their ``order``.

Every figure counts what *happened* in the period (local dates of the organisation,
end inclusive): a request submitted in it, a first response given in it, a request
resolved in it (its time to resolve is counted then), a reopen or a rating given in it.
Durations are wall-clock hours from submission, not business hours.

Core's section is three aggregate queries grouped by service, whatever the number of
requests: durations are summed in SQL (engine-specific expressions), means and rates
are worked out here from the sums and counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from core.descriptors import Figure, Period, ReportSection
from core.i18n import get_locale
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.identity.roles import AUDITOR, DISPATCHER
from core.plugins import ServiceCatalog, collect
from core.tables import ServiceRequest

DEFAULT_DAYS = 30  # the last 30 days up to today
MAX_DAYS = 366  # a leap year, no more
MIN_YEAR, MAX_YEAR = 2000, 2999
NONE = "—"  # no data: never a misleading zero


# ---------------------------------------------------------------- the period


class PeriodError(ValueError):
    """A period that cannot be reported on; ``errors`` maps field → message (translated)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def default_period(time_zone: str, today: date) -> Period:
    """The last :data:`DEFAULT_DAYS` days up to ``today`` (the organisation's local date)."""
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today, time_zone)


def _parse_day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if len(text) != 10 or not (MIN_YEAR <= day.year <= MAX_YEAR):
        return None
    return day


def parse_period(start: str, end: str, time_zone: str, today: date) -> Period:
    """The period asked for by ``start``/``end`` (``YYYY-MM-DD``, either may be empty).

    No end means today; no start means :data:`DEFAULT_DAYS` days up to the end. Raises
    :class:`PeriodError` for a date that is not one, an end before the start, or more
    than :data:`MAX_DAYS` days.
    """
    start, end = start.strip(), end.strip()
    errors: dict[str, str] = {}
    last = _parse_day(end) if end else today
    if last is None:
        errors["end"] = _("Enter the last day as a date, for example %(example)s.") % {
            "example": today.isoformat()
        }
    first = _parse_day(start) if start else None
    if start and first is None:
        errors["start"] = _("Enter the first day as a date, for example %(example)s.") % {
            "example": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        }
    if errors:
        raise PeriodError(errors)
    assert last is not None
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise PeriodError({"end": _("The last day is before the first day.")})
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(
            {
                "end": _("A report covers at most %(n)d days: choose a shorter period.")
                % {"n": MAX_DAYS}
            }
        )
    return Period(first, last, time_zone)


# ---------------------------------------------------------------- who may read


@dataclass(frozen=True)
class ReportScope:
    """What an actor may read: ``None`` means everything, else only these services (core
    rows) and these plugins' sections (section keys ``<slug>.…``)."""

    services: frozenset[str] | None = None
    plugins: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.services is None


def report_scope(actor: Actor, catalog: ServiceCatalog) -> ReportScope | None:
    """Org admins, auditors and dispatchers read the whole report; a service admin reads
    the rows of the services they administer (and of the service types their plugins
    own) and those plugins' sections; anyone else nothing (None: answer 403)."""
    if actor.is_org_admin or actor.has_role(AUDITOR) or actor.has_role(DISPATCHER):
        return ReportScope()
    administered = frozenset(actor.administered_services)
    if not administered:
        return None
    return ReportScope(catalog.administered(administered) | administered, administered)


# ---------------------------------------------------------------- formatting


def day_text(day: date) -> str:
    """A date in the active locale (``Nov 24, 2026`` / ``2026年11月24日``)."""
    return format_date(day, format="medium", locale=get_locale())


def number(value: int | float | Decimal) -> str:
    """An integer count in the active locale (``1,234``)."""
    return format_decimal(value, locale=get_locale())


def hours(total_seconds: float | Decimal | None, count: int | None) -> str:
    """The mean of ``count`` durations summed to ``total_seconds``, in hours with one
    decimal (``2.5``); ``—`` when there is nothing to average."""
    if not count or total_seconds is None:
        return NONE
    mean = float(total_seconds) / count / 3600
    return format_decimal(round(mean, 1), format="#,##0.0", locale=get_locale())


def percent(part: int | None, whole: int | None) -> str:
    """``part`` of ``whole`` as a whole percentage (``67%``); ``—`` for nothing."""
    if not whole:
        return NONE
    return format_percent((part or 0) / whole, format="#,##0%", locale=get_locale())


def mean_score(total: int | float | Decimal | None, count: int | None) -> str:
    """A mean rating with one decimal (``4.5``); ``—`` without ratings."""
    if not count or total is None:
        return NONE
    return format_decimal(round(float(total) / count, 1), format="0.0", locale=get_locale())


def money(value: int | float | Decimal | None) -> str:
    """An amount in yuan with two decimals (``¥1,234.50``)."""
    amount = Decimal(str(value or 0)).quantize(Decimal("0.01"))
    return "¥" + format_decimal(amount, format="#,##0.00", locale=get_locale())


def seconds_between(later: str, earlier: str) -> str:
    """SQL for the seconds from ``earlier`` to ``later`` (two timestamp columns), on the
    engine the requests table uses: PostgreSQL subtracts timestamps, SQLite stores them
    as ISO text that ``julianday`` reads (offset included)."""
    if ServiceRequest._meta.db.engine_type == "postgres":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def in_period(column: str) -> str:
    """SQL: ``column`` falls in the period (two bind parameters: start, end exclusive)."""
    return f"({column} >= {{}} AND {column} < {{}})"


def as_int(value: Any) -> int:
    """A count from a query row: None (no rows) is 0."""
    return int(value or 0)


# ---------------------------------------------------------------- core's section

_REQUESTS_SQL = """
SELECT service,
  SUM(CASE WHEN {submitted} THEN 1 ELSE 0 END) AS submitted,
  SUM(CASE WHEN {responded} THEN 1 ELSE 0 END) AS responded,
  SUM(CASE WHEN {responded} THEN {response_seconds} END) AS response_seconds,
  SUM(CASE WHEN {resolved} THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN {resolved} THEN {resolve_seconds} END) AS resolve_seconds
FROM core_request
WHERE org = {{}} AND ({submitted} OR {responded} OR {resolved})
GROUP BY service
"""

_REOPENS_SQL = (
    "SELECT r.service, COUNT(*) AS reopened FROM core_request_event e"
    " JOIN core_request r ON r.id = e.request AND r.org = e.org"
    " WHERE e.org = {} AND e.kind = 'status' AND e.to_status = 'reopened'"
    " AND e.created_at >= {} AND e.created_at < {}"
    " GROUP BY r.service"
)

_RATINGS_SQL = (
    "SELECT service, COUNT(*) AS ratings, SUM(score) AS score_sum,"
    " SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END) AS happy"
    " FROM core_rating WHERE org = {} AND created_at >= {} AND created_at < {}"
    " GROUP BY service"
)


def _requests_sql() -> str:
    return _REQUESTS_SQL.format(
        submitted=in_period("submitted_at"),
        responded=in_period("first_response_at"),
        resolved=in_period("resolved_at"),
        response_seconds=seconds_between("first_response_at", "submitted_at"),
        resolve_seconds=seconds_between("resolved_at", "submitted_at"),
    )


_COUNTS = (
    "submitted",
    "responded",
    "response_seconds",
    "resolved",
    "resolve_seconds",
    "reopened",
    "ratings",
    "score_sum",
    "happy",
)


async def service_figures(org_id: int, period: Period) -> dict[str, dict[str, float]]:
    """Per service: the counts and sums of the period (three queries, grouped by service)."""
    first, after = period.bounds
    bounds = (first, after)
    # the SELECT uses the three ranges twice (CASE), then once more in WHERE
    args = [*bounds * 5, org_id, *bounds * 3]
    requests = await ServiceRequest.raw(_requests_sql(), *args)
    reopens = await ServiceRequest.raw(_REOPENS_SQL, org_id, first, after)
    ratings = await ServiceRequest.raw(_RATINGS_SQL, org_id, first, after)
    out: dict[str, dict[str, float]] = {}
    for rows in (requests, reopens, ratings):
        for row in rows:
            entry = out.setdefault(row["service"], dict.fromkeys(_COUNTS, 0.0))
            for key, value in row.items():
                if key != "service" and value is not None:
                    entry[key] = float(value)
    return out


def _service_order(catalog: ServiceCatalog, slug: str) -> tuple[int, str]:
    service = catalog.get(slug)
    return (service.order if service else 10_000, slug)


def _service_name(catalog: ServiceCatalog, slug: str) -> str:
    service = catalog.get(slug)
    return service.name(_) if service else slug


async def core_section(
    org_id: int,
    period: Period,
    catalog: ServiceCatalog,
    services: Iterable[str] | None = None,
) -> ReportSection:
    """Core's section: totals as figures and a row per service (only ``services`` if
    given: a service admin's)."""
    figures = await service_figures(org_id, period)
    if services is not None:
        allowed = set(services)
        figures = {slug: f for slug, f in figures.items() if slug in allowed}
    total = dict.fromkeys(_COUNTS, 0.0)
    for entry in figures.values():
        for key in _COUNTS:
            total[key] += entry[key]
    rows = tuple(
        (
            _service_name(catalog, slug),
            number(as_int(f["submitted"])),
            number(as_int(f["resolved"])),
            hours(f["response_seconds"], as_int(f["responded"])),
            hours(f["resolve_seconds"], as_int(f["resolved"])),
            number(as_int(f["reopened"])),
            number(as_int(f["ratings"])),
            mean_score(f["score_sum"], as_int(f["ratings"])),
            percent(as_int(f["happy"]), as_int(f["ratings"])),
        )
        for slug, f in sorted(figures.items(), key=lambda item: _service_order(catalog, item[0]))
    )
    responded, resolved, ratings = (as_int(total[k]) for k in ("responded", "resolved", "ratings"))
    return ReportSection(
        key="core.services",
        title=lambda _: _("All services"),
        figures=(
            Figure(lambda _: _("Requests submitted"), number(as_int(total["submitted"]))),
            Figure(lambda _: _("Requests resolved"), number(resolved)),
            Figure(
                lambda _: _("Mean time to first response (hours, wall clock)"),
                hours(total["response_seconds"], responded),
                _("%(n)s first responses") % {"n": number(responded)},
            ),
            Figure(
                lambda _: _("Mean time to resolve (hours, wall clock)"),
                hours(total["resolve_seconds"], resolved),
                _("%(n)s resolved") % {"n": number(resolved)},
            ),
            Figure(lambda _: _("Reopened"), number(as_int(total["reopened"]))),
            Figure(
                lambda _: _("Mean rating (1–5)"),
                mean_score(total["score_sum"], ratings),
                _("%(n)s ratings") % {"n": number(ratings)},
            ),
            Figure(lambda _: _("Rated 4 or 5"), percent(as_int(total["happy"]), ratings)),
        ),
        columns=(
            lambda _: _("Service"),
            lambda _: _("Submitted"),
            lambda _: _("Resolved"),
            lambda _: _("Mean first response (h)"),
            lambda _: _("Mean time to resolve (h)"),
            lambda _: _("Reopened"),
            lambda _: _("Ratings"),
            lambda _: _("Mean rating"),
            lambda _: _("Rated 4–5"),
        ),
        rows=rows,
        note=lambda _: _(
            "Counted when it happened in the period: submissions, first responses, "
            "resolutions (with their time since submission), reopens and ratings. "
            "Hours are wall-clock hours, not business hours."
        ),
        order=0,
    )


async def build_report(
    org_id: int,
    period: Period,
    *,
    hooks: Any,
    catalog: ServiceCatalog,
    scope: ReportScope | None = None,
) -> list[ReportSection]:
    """Core's section first, then the plugin sections ``hooks`` (the organisation's
    enabled plugins) answer, sorted by ``order``; limited to ``scope``."""
    scope = scope or ReportScope()
    sections = [await core_section(org_id, period, catalog, scope.services)]
    answers = await collect(hooks.report_sections(org_id=org_id, period=period))
    extra = [s for s in answers if isinstance(s, ReportSection)]
    if scope.plugins is not None:
        extra = [s for s in extra if s.key.split(".", 1)[0] in scope.plugins]
    sections.extend(sorted(extra, key=lambda s: s.order))
    return sections
