"""The key-loans section of the reports page: keys lent in the period, and how many of
them are still out. One query, scoped to the organisation and the period, whatever the
number of loans: the two actions' timeline events of the period, grouped by kind."""

from __future__ import annotations

from houqin_keys.hooks import HANDED_OVER, OUT, RETURNED
from web.sdk import Figure, Period, ReportSection, ServiceRequest, as_int, in_period, number
from web.sdk import gettext as _

OUT_STATUSES = sorted(status.value for status in OUT)

_LOANS_SQL = """
SELECT e.kind, COUNT(*) AS steps,
  COUNT(DISTINCT CASE WHEN r.status IN ({statuses}) THEN r.id END) AS still_out
FROM core_request_event e
JOIN core_request r ON r.id = e.request AND r.org = e.org
WHERE e.org = {{}} AND e.kind IN ({{}}, {{}}) AND {when}
GROUP BY e.kind
"""


def _loans_sql() -> str:
    """The query with a bind parameter per status of :data:`OUT` and the period's two
    (``in_period``); the values go to ``raw()``, never into the text."""
    marks = ", ".join(["{}"] * len(OUT_STATUSES))
    return _LOANS_SQL.format(statuses=marks, when=in_period("e.created_at"))


async def sections(org_id: int, period: Period) -> list[ReportSection]:
    """Keys lent (with how many came back) and keys still out, for ``period``."""
    first, after = period.bounds
    rows = await ServiceRequest.raw(
        _loans_sql(), *OUT_STATUSES, org_id, HANDED_OVER, RETURNED, first, after
    )
    by_kind = {row["kind"]: row for row in rows}
    lent = by_kind.get(HANDED_OVER, {})
    returned = as_int(by_kind.get(RETURNED, {}).get("steps"))
    return [
        ReportSection(
            key="keys.loans",
            title=lambda _: _("Key loans"),
            figures=(
                Figure(
                    lambda _: _("Keys lent"),
                    number(as_int(lent.get("steps"))),
                    _("%(n)s returned") % {"n": number(returned)},
                ),
                Figure(
                    lambda _: _("Still out"),
                    number(as_int(lent.get("still_out"))),
                    _("of the keys lent in the period"),
                ),
            ),
            order=40,
        )
    ]
