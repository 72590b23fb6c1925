"""The fixture plugin's hooks: a service type (order 10, before core's general service)
and a report section counting its requests in the period with one query."""

from __future__ import annotations

from web.sdk import (
    Figure,
    Kind,
    Period,
    ReportSection,
    ServiceRequest,
    ServiceType,
    hookimpl,
    number,
)

SLUG = "fixture"
SECTION_TITLE = "Fixture figures"
FIGURE_LABEL = "Fixture requests"

FIXTURE = ServiceType(
    slug=SLUG,
    name=lambda _: "Fixture service",
    description=lambda _: "A service of core's tests",
    icon="box",
    prefix="FX",
    kinds=(Kind("it", lambda _: "Kind A"), Kind("other", lambda _: "Kind B")),
    order=10,
)

__all__ = ["register_service_types", "report_sections"]


@hookimpl
def register_service_types() -> list[ServiceType]:
    return [FIXTURE]


@hookimpl
async def report_sections(org_id: int, period: Period) -> list[ReportSection]:
    first, after = period.bounds
    made = await ServiceRequest.count().where(
        (ServiceRequest.org == org_id)
        & (ServiceRequest.service == SLUG)
        & (ServiceRequest.submitted_at >= first)
        & (ServiceRequest.submitted_at < after)
    )
    return [
        ReportSection(
            key="fixture.count",
            title=lambda _: SECTION_TITLE,
            figures=(Figure(lambda _: FIGURE_LABEL, number(made)),),
            order=40,
        )
    ]
