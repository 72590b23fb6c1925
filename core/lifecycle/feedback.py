"""Ratings: after resolution the requester rates once (1–5, reason tags, comment).

The rating and the closing of the request are one transaction; the unique index on
(org, request) makes a second rating impossible even when two arrive at once. A low
rating (≤ 2) opens a follow-up for the service's admins.
"""

from __future__ import annotations

from typing import Any

from core.db import write_transaction
from core.identity.actor import Actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action, Status
from core.tables import Rating, ServiceRequest

LOW = 2
POSITIVE_TAGS = ("fast", "friendly", "fixed_first_time", "tidy")
NEGATIVE_TAGS = ("slow", "not_fixed", "unfriendly", "messy")
TAGS = POSITIVE_TAGS + NEGATIVE_TAGS


class CannotRate(Exception):
    """Not the requester, not resolved, the resolver themself, or already rated."""


async def rate(
    actor: Actor, row: dict[str, Any], score: int, tags: list[str], comment: str
) -> None:
    """Record the requester's rating (1–5, tags, comment) of a resolved request and
    close it, once: :class:`CannotRate` when this actor may not rate it now."""
    if row["requester"] != actor.user_id or row["assignee"] == actor.user_id:
        raise CannotRate("only the requester, who did not resolve it, rates")
    if Status(row["status"]) != Status.RESOLVED:
        raise CannotRate("only resolved requests are rated")
    if not 1 <= score <= 5:
        raise ValueError(score)
    engine = ServiceRequest._meta.db
    try:
        async with write_transaction(engine):
            await Rating.insert(
                Rating(
                    org=actor.org_id,
                    request=row["id"],
                    rater=actor.user_id,
                    service=row["service"],
                    assignee_id=row["assignee"],
                    score=score,
                    tags=[t for t in tags if t in TAGS],
                    comment=comment[:2000],
                    follow_up="open" if score <= LOW else "",
                )
            )
            await transition(
                actor,
                actor.org_id,
                row["id"],
                Action.CLOSE,
                message=comment[:2000],
                data={"rating": score},
            )
    except CannotRate:
        raise
    except Exception as exc:
        if await Rating.exists().where(
            (Rating.org == actor.org_id) & (Rating.request == row["id"])
        ):
            raise CannotRate("already rated") from exc
        raise


def tag_label(tag: str, _: Any) -> str:
    return {
        "fast": _("Fast"),
        "friendly": _("Friendly"),
        "fixed_first_time": _("Fixed first time"),
        "tidy": _("Left it tidy"),
        "slow": _("Too slow"),
        "not_fixed": _("Not really fixed"),
        "unfriendly": _("Unfriendly"),
        "messy": _("Left a mess"),
    }.get(tag, tag)
