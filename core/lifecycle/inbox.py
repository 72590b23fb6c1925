"""Reading requests for the one-stop inbox: the same queries serve pages and the API."""

from __future__ import annotations

from typing import Any

from core.db import contains_pattern, like_operator
from core.identity.actor import Actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import CANCELLABLE, OPEN, Action, Status
from core.lifecycle.visibility import visible_to
from core.tables import RequestEvent, ServiceRequest

PAGE = 20
SHOW = ("open", "closed", "all")


class NotCancellable(Exception):
    """Work on the request has started (or it is already finished)."""


# The inbox is the busiest page: its query is written out (Piccolo's query builder cost
# a quarter of the page's CPU under `make bench`; docs/performance.md). Only constants of
# ours are formatted into the text; every value is a bind parameter.
_OPEN_SQL = ", ".join(f"'{s.value}'" for s in sorted(OPEN))
_INBOX_SQL = (
    "SELECT id, number, service, kind, title, status, submitted_at, updated_at "
    "FROM core_request WHERE org = {} AND (requester = {} OR submitted_by = {})"
)


async def my_requests(
    actor: Actor, show: str = "open", q: str = "", before: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """The actor's own requests (asked by or for them), newest first, keyset-paginated."""
    sql = [_INBOX_SQL]
    args: list[Any] = [actor.org_id, actor.user_id, actor.user_id]
    if show == "open":
        sql.append(f"AND status IN ({_OPEN_SQL})")
    elif show == "closed":
        sql.append(f"AND status NOT IN ({_OPEN_SQL})")
    if q.strip():
        like = like_operator(ServiceRequest._meta.db)
        sql.append(f"AND (number {like} {{}} OR title {like} {{}})")
        args += [contains_pattern(q.strip())] * 2
    if before:
        sql.append("AND id < {}")
        args.append(before)
    sql.append(f"ORDER BY id DESC LIMIT {PAGE + 1}")
    rows = await ServiceRequest.raw(" ".join(sql), *args)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1]["id"] if more else None)


async def visible_request(actor: Actor, number: str) -> dict[str, Any] | None:
    """One request by number if the actor may see it (else None: answer 404)."""
    return (
        await ServiceRequest.select(
            *ServiceRequest.all_columns(),
            ServiceRequest.requester.display_name.as_alias("requester_name"),
            ServiceRequest.assignee.display_name.as_alias("assignee_name"),
        )
        .where(visible_to(actor) & (ServiceRequest.number == number))
        .first()
    )


def is_staff_for(actor: Actor, row: dict[str, Any]) -> bool:
    """Staff see internal notes on the timeline; requesters see public events only."""
    return (
        actor.is_org_admin or actor.administers(row["service"]) or row["assignee"] == actor.user_id
    )


async def timeline(actor: Actor, row: dict[str, Any], limit: int = 200) -> list[dict[str, Any]]:
    where = (RequestEvent.org == actor.org_id) & (RequestEvent.request == row["id"])
    if not is_staff_for(actor, row):
        where &= RequestEvent.public.eq(True)
    return await (
        RequestEvent.select(
            RequestEvent.id,
            RequestEvent.kind,
            RequestEvent.from_status,
            RequestEvent.to_status,
            RequestEvent.message,
            RequestEvent.public,
            RequestEvent.data,
            RequestEvent.created_at,
            RequestEvent.actor.display_name.as_alias("actor_name"),
        )
        .where(where)
        .order_by(RequestEvent.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def cancel(actor: Actor, row: dict[str, Any], reason: str, version: int | None) -> Status:
    """The requester withdraws a request before work starts.

    Raises :class:`NotCancellable`, or ``Conflict``/``IllegalTransition`` from
    :func:`transition` when the request changed meanwhile.
    """
    if Status(row["status"]) not in CANCELLABLE:
        raise NotCancellable(row["number"])
    return await transition(
        actor,
        actor.org_id,
        row["id"],
        Action.CANCEL,
        message=reason[:500],
        expected_version=version,
    )
