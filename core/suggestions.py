"""The suggestion box (意见箱): employees write, the logistics office answers.

Anonymity is the point, so it is kept by construction rather than by promise: an
anonymous suggestion stores no author (NULL), writes no audit entry, is timestamped
to the hour only, and its author is handed a one-time receipt code of which only the
SHA-256 is stored. The daily limit per author is counted under an HMAC of
(org, user, day) keyed with the server's secret, so even the quota table holds no
user id. Named suggestions keep their author, who sees them under "my suggestions"
and is notified in the app when they are answered.

Pages and tests share these functions; core never imports web.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.db import write_transaction
from core.identity.actor import Actor
from core.identity.service import audit
from core.tables import Notification, Suggestion, SuggestionQuota, SuggestionReply

MANAGE = "core.suggestions.manage"
MAX_LENGTH = 2000
DAILY_LIMIT = 10
PAGE = 50

TOPICS: tuple[str, ...] = ("canteen", "environment", "facilities", "services", "other")
STATUSES: tuple[str, ...] = ("new", "acknowledged", "planned", "done", "declined")
# Status chips speak the same colour language as requests (UX.md).
STATUS_TONE = {
    "new": "submitted",
    "acknowledged": "progress",
    "planned": "waiting",
    "done": "done",
    "declined": "muted",
}

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16  # 80 random bits


def topic_label(code: str, _: Callable[[str], str]) -> str:
    return {
        "canteen": _("Canteen"),
        "environment": _("Environment and cleanliness"),
        "facilities": _("Buildings and facilities"),
        "services": _("Logistics services"),
        "other": _("Something else"),
    }.get(code, code)


def status_label(code: str, _: Callable[[str], str]) -> str:
    return {
        "new": _("New"),
        "acknowledged": _("Acknowledged"),
        "planned": _("Planned"),
        "done": _("Done"),
        "declined": _("Not taken up"),
    }.get(code, code)


class QuotaExceeded(Exception):
    """The author has sent ``DAILY_LIMIT`` suggestions today."""


class AlreadySent(Exception):
    """The form's submit token was used before (a replayed or double-tapped submit)."""

    def __init__(self, suggestion_id: int, author: int | None) -> None:
        super().__init__(suggestion_id)
        self.suggestion_id = suggestion_id
        self.author = author


@dataclass(frozen=True)
class Sent:
    """A stored suggestion; ``receipt`` is the code to show once (anonymous only)."""

    id: int
    receipt: str | None


def new_receipt_code() -> str:
    """A random code, grouped in fours for reading: ``7K3M-Q9XD-2HPA-TB4W``."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt(code: str) -> str:
    """What the author typed, as the generator wrote it: case, spaces, dashes and the
    usual misreadings (O for 0, I or L for 1) do not matter."""
    cleaned = code.upper().translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return "".join(c for c in cleaned if c in RECEIPT_ALPHABET)


def receipt_hash(code: str) -> str:
    """SHA-256 of the normalised code (80 random bits need no slow hash)."""
    return hashlib.sha256(normalise_receipt(code).encode()).hexdigest()


def _day(actor: Actor, when: datetime) -> str:
    return when.astimezone(ZoneInfo(actor.time_zone)).strftime("%Y%m%d")


def quota_key(secret: str, org_id: int, user_id: int, day: str) -> str:
    """The author's key for one day; without the server's secret it names nobody."""
    message = f"suggestion-quota:{org_id}:{user_id}:{day}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def _take_quota(secret: str, actor: Actor, day: str) -> None:
    """Count one suggestion against today's limit, in the caller's transaction.

    One upsert whose update only happens under the limit: no row back means the
    limit is reached, and concurrent submits cannot both take the last place.
    """
    key = quota_key(secret, actor.org_id, actor.user_id, day)
    await SuggestionQuota.delete().where(
        (SuggestionQuota.org == actor.org_id) & (SuggestionQuota.day < day)
    )
    rows = await SuggestionQuota.raw(
        "INSERT INTO core_suggestion_quota (org, key, day, used) VALUES ({}, {}, {}, 1) "
        "ON CONFLICT (org, key, day) DO UPDATE SET used = core_suggestion_quota.used + 1 "
        "WHERE core_suggestion_quota.used < {} RETURNING used",
        actor.org_id,
        key,
        day,
        DAILY_LIMIT,
    )
    if not rows:
        raise QuotaExceeded()


async def _sent_before(org_id: int, token: str) -> AlreadySent | None:
    row = (
        await Suggestion.select(Suggestion.id, Suggestion.author)
        .where((Suggestion.org == org_id) & (Suggestion.submit_token == token))
        .first()
    )
    return AlreadySent(row["id"], row["author"]) if row else None


async def submit(
    actor: Actor,
    *,
    topic: str,
    body: str,
    anonymous: bool,
    token: str,
    secret: str,
    when: datetime | None = None,
) -> Sent:
    """Store a suggestion once per form token, within the author's daily limit.

    Raises ``AlreadySent`` for a replayed token and ``QuotaExceeded`` over the limit;
    either way nothing is written. The caller has validated topic and body.
    """
    if topic not in TOPICS or not body or len(body) > MAX_LENGTH:
        raise ValueError("validate topic and body first")
    when = when or datetime.now(UTC)
    if earlier := await _sent_before(actor.org_id, token):
        raise earlier
    code = new_receipt_code() if anonymous else None
    stamp = when.replace(minute=0, second=0, microsecond=0) if anonymous else when
    engine = Suggestion._meta.db
    try:
        async with write_transaction(engine):
            await _take_quota(secret, actor, _day(actor, when))
            rows = await Suggestion.insert(
                Suggestion(
                    org=actor.org_id,
                    author=None if anonymous else actor.user_id,
                    topic=topic,
                    body=body,
                    receipt_hash=receipt_hash(code) if code else None,
                    submit_token=token,
                    created_at=stamp,
                    updated_at=stamp,
                )
            ).returning(Suggestion.id)
    except QuotaExceeded:
        raise
    except Exception:
        # The unique (org, submit_token) index refused a concurrent replay.
        if earlier := await _sent_before(actor.org_id, token):
            raise earlier from None
        raise
    return Sent(rows[0]["id"], code)


def _columns() -> list[Any]:
    return [
        Suggestion.id,
        Suggestion.topic,
        Suggestion.body,
        Suggestion.status,
        Suggestion.author,
        Suggestion.created_at,
        Suggestion.updated_at,
        Suggestion.replied_at,
    ]


async def mine(actor: Actor, before: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """The actor's named suggestions, newest first, keyset-paged by id."""
    where = (Suggestion.org == actor.org_id) & (Suggestion.author == actor.user_id)
    if before:
        where &= Suggestion.id < before
    rows = (
        await Suggestion.select(*_columns())
        .where(where)
        .order_by(Suggestion.id, ascending=False)
        .limit(PAGE + 1)
    )
    return rows[:PAGE], rows[PAGE - 1]["id"] if len(rows) > PAGE else None


async def own(actor: Actor, suggestion_id: int) -> dict[str, Any] | None:
    """One named suggestion of the actor (None for anyone else's: the page says 404)."""
    return (
        await Suggestion.select(*_columns())
        .where(
            (Suggestion.id == suggestion_id)
            & (Suggestion.org == actor.org_id)
            & (Suggestion.author == actor.user_id)
        )
        .first()
    )


async def by_receipt(actor: Actor, code: str) -> dict[str, Any] | None:
    """The anonymous suggestion of this receipt code, within the actor's organisation."""
    if len(normalise_receipt(code)) != RECEIPT_LENGTH:
        return None
    return (
        await Suggestion.select(*_columns())
        .where(
            (Suggestion.org == actor.org_id)
            & (Suggestion.receipt_hash == receipt_hash(code))
            & Suggestion.author.is_null()
        )
        .first()
    )


async def thread(org_id: int, suggestion_id: int) -> list[dict[str, Any]]:
    """The answers to a suggestion, oldest first, with who answered."""
    return (
        await SuggestionReply.select(
            SuggestionReply.id,
            SuggestionReply.body,
            SuggestionReply.status,
            SuggestionReply.created_at,
            SuggestionReply.author.display_name.as_alias("author_name"),
        )
        .where((SuggestionReply.org == org_id) & (SuggestionReply.suggestion == suggestion_id))
        .order_by(SuggestionReply.id)
    )


async def desk_list(
    actor: Actor, status: str = "", topic: str = "", before: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Received suggestions, newest first, filtered; one query whatever the row count.

    Served by the (org, status, id), (org, topic, id) and (org, id) indexes.
    """
    where = Suggestion.org == actor.org_id
    if status in STATUSES:
        where &= Suggestion.status == status
    if topic in TOPICS:
        where &= Suggestion.topic == topic
    if before:
        where &= Suggestion.id < before
    rows = (
        await Suggestion.select(*_columns(), Suggestion.author.display_name.as_alias("author_name"))
        .where(where)
        .order_by(Suggestion.id, ascending=False)
        .limit(PAGE + 1)
    )
    return rows[:PAGE], rows[PAGE - 1]["id"] if len(rows) > PAGE else None


async def received(actor: Actor, suggestion_id: int) -> dict[str, Any] | None:
    """One suggestion of the actor's organisation, for those who answer them."""
    return (
        await Suggestion.select(*_columns(), Suggestion.author.display_name.as_alias("author_name"))
        .where((Suggestion.id == suggestion_id) & (Suggestion.org == actor.org_id))
        .first()
    )


async def answer(
    actor: Actor, row: dict[str, Any], body: str, status: str, when: datetime | None = None
) -> None:
    """Reply and/or set a new status; a named author is notified in the same transaction.

    ``status`` equal to the current one means "unchanged". The reply is stored even
    when the status is unchanged, and vice versa; both empty is the caller's 422.
    """
    if status not in STATUSES or len(body) > MAX_LENGTH:
        raise ValueError("validate body and status first")
    changed = status != row["status"]
    if not body and not changed:
        raise ValueError("nothing to answer")
    when = when or datetime.now(UTC)
    values: dict[Any, Any] = {Suggestion.updated_at: when, Suggestion.status: status}
    if body:
        values[Suggestion.replied_at] = when
    kind = "suggestion:replied" if body else f"suggestion:status:{status}"
    engine = Suggestion._meta.db
    async with write_transaction(engine):
        await SuggestionReply.insert(
            SuggestionReply(
                org=actor.org_id,
                suggestion=row["id"],
                author=actor.user_id,
                body=body,
                status=status if changed else "",
                created_at=when,
            )
        )
        await Suggestion.update(values).where(
            (Suggestion.id == row["id"]) & (Suggestion.org == actor.org_id)
        )
        # Who answered is recorded; the author of an anonymous suggestion never is.
        await audit(
            actor.org_id,
            actor.user_id,
            "suggestion.answered",
            f"#{row['id']}",
            status=status,
            replied=bool(body),
        )
        if row["author"] and row["author"] != actor.user_id:
            await Notification.insert(
                Notification(
                    org=actor.org_id,
                    user=row["author"],
                    request=None,
                    kind=kind,
                    data={"suggestion": row["id"], "topic": row["topic"]},
                    created_at=when,
                )
            )


DEMO = (
    # (who, topic, status, body)
    (
        "employee",
        "canteen",
        "planned",
        "午餐能否增加一个素菜窗口？中午排队的人很多。\n"
        "Could the canteen add a vegetarian counter? The lunch queue is long.",
    ),
    (
        None,
        "environment",
        "acknowledged",
        "三楼东侧洗手间经常没有洗手液。\nThe 3rd-floor east washroom often has no soap.",
    ),
    ("approver", "facilities", "new", "停车场晚上的照明太暗，建议加装路灯。"),
)
# The anonymous demo suggestion opens with this receipt code (README's demo tour).
DEMO_RECEIPT = "HQ26-DEM0-CAFE-2026"


async def seed_demo_suggestions(org_id: int, users: dict[str, int]) -> None:
    """A few suggestions for the demo tour: one answered and planned, one anonymous."""
    rows = await Suggestion.insert(
        *[
            Suggestion(
                org=org_id,
                author=users.get(who) if who else None,
                topic=topic,
                status=status,
                body=body,
                submit_token=f"demo-{n}",
                receipt_hash=None if who else receipt_hash(DEMO_RECEIPT),
            )
            for n, (who, topic, status, body) in enumerate(DEMO)
        ]
    ).returning(Suggestion.id)
    now = datetime.now(UTC)
    admin = users.get("org_admin")
    await SuggestionReply.insert(
        SuggestionReply(
            org=org_id,
            suggestion=rows[0]["id"],
            author=admin,
            body="谢谢建议！下月起二楼餐厅增设素菜窗口。\n"
            "Thank you! A vegetarian counter opens on the 2nd floor next month.",
            status="planned",
            created_at=now,
        ),
        SuggestionReply(
            org=org_id,
            suggestion=rows[1]["id"],
            author=admin,
            body="已通知保洁，每天下午加查一次。\nCleaning now checks it every afternoon too.",
            status="acknowledged",
            created_at=now,
        ),
    )
    await Suggestion.update({Suggestion.replied_at: now}).where(
        Suggestion.id.is_in([rows[0]["id"], rows[1]["id"]])
    )
