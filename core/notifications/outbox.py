"""The outbox: delivery rows written with the notification, sent later by jobs.

``plan_deliveries`` runs inside the transaction that writes the in-app notification
(``core.lifecycle.notify``), so a notification and its e-mail (or chat message) are
committed together or not at all, and nothing is lost when a process dies before
sending. Per recipient and channel it writes one ``core_notification_delivery`` row:
``skipped`` when the user turned the group off, else ``queued`` with the time it may
go (now, the end of the user's quiet hours, or the next digest).

Sending is a job (``core.deliver_notifications``): queued after commit by
``deliver_soon`` for speed, and every minute as a sweep, so a lost enqueue only
delays a message. Each run *claims* due rows with a conditional update (status
``sending``, ``due_at`` pushed to the end of a lease, ``attempts`` + 1), so two runs
never send the same row, and a run that dies mid-way leaves rows that the next sweep
takes again once the lease ends (delivery is at least once). A failure puts the row
back in the queue with exponential backoff; after :data:`MAX_ATTEMPTS` it is
``failed`` with the error. A failing channel never reaches the user's request: the
request committed long before.
"""

from __future__ import annotations

import inspect
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from core import i18n, jobs
from core.clock import now
from core.i18n import gettext as _
from core.i18n import ngettext
from core.identity.service import enabled_plugins
from core.notifications.channels import (
    ChannelSet,
    Item,
    Message,
    Recipient,
    Undeliverable,
    collect_channels,
    current_channels,
)
from core.notifications.preferences import (
    DEFAULT,
    DIGEST,
    IMMEDIATE,
    OFF,
    group_of,
    hold_until,
    load_preferences,
    next_digest,
)
from core.notifications.text import notification_text
from core.tables import NotificationDelivery, Organisation

log = logging.getLogger("houqin.notifications")

DELIVER_JOB = "core.deliver_notifications"
DIGEST_JOB = "core.notification_digest"
QUEUED, SENDING, SENT, FAILED, SKIPPED = "queued", "sending", "sent", "failed", "skipped"
STATUSES = (QUEUED, SENDING, SENT, FAILED, SKIPPED)
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
BATCH = 100
ERROR_MAX = 500
# Reasons stored in ``last_error`` of skipped rows (worded by the log pages).
OFF_REASON, NO_CHANNEL, INACTIVE = "off", "channel_unavailable", "inactive"


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the n-th failed attempt: 1, 2, 4, 8 … minutes."""
    return timedelta(minutes=2 ** max(0, attempts - 1))


# -- writing (inside the notification's transaction) ----------------------------------


async def plan_deliveries(
    org_id: int, kind: str, notifications: Sequence[tuple[int, int]], moment: datetime | None = None
) -> int:
    """Write the delivery rows of freshly inserted notifications ``(id, user)``.

    Costs nothing when this process has no channel (no SMTP host, no plugin channel);
    else one query for the recipients' preferences, one for the organisation's time
    zone when someone has quiet hours or a digest, and one for the plugin switches
    when a plugin owns a channel. Returns the number of rows written.
    """
    channels = current_channels()
    if not channels or not notifications:
        return 0
    moment = moment or now()
    if channels.needs_plugin_check:
        from core.notifications.channels import process_context

        _settings, registry = process_context()
        channels = channels.enabled(await enabled_plugins(org_id, registry))
        if not channels:
            return 0
    group = group_of(kind)
    prefs = await load_preferences(org_id, (user for _nid, user in notifications))
    time_zone: str | None = None
    rows = []
    for notification_id, user_id in notifications:
        pref = prefs.get(user_id, DEFAULT)
        for channel in channels:
            mode = pref.mode(channel, group)
            row = NotificationDelivery(
                org=org_id,
                notification=notification_id,
                user=user_id,
                channel=channel.name,
                mode=DIGEST if mode == DIGEST else IMMEDIATE,
                status=SKIPPED if mode == OFF else QUEUED,
                last_error=OFF_REASON if mode == OFF else "",
                due_at=moment,
                created_at=moment,
            )
            if mode == DIGEST or (mode == IMMEDIATE and pref.has_quiet_hours):
                time_zone = time_zone or await _time_zone(org_id)
                row.due_at = (
                    next_digest(moment, time_zone, pref)
                    if mode == DIGEST
                    else hold_until(moment, time_zone, pref, kind)
                )
            rows.append(row)
    await NotificationDelivery.insert(*rows)
    return len(rows)


async def _time_zone(org_id: int) -> str:
    row = await Organisation.select(Organisation.time_zone).where(Organisation.id == org_id).first()
    return row["time_zone"] if row else "Asia/Shanghai"


async def deliver_soon(org_id: int) -> None:
    """Queue the sending job after a commit (the minute sweep is the fallback).

    Does nothing inside a transaction that is still open (the rows are not visible to
    the job yet; the outermost caller or the sweep sends them) or when this process has
    no channel. Never raises into the caller's request.
    """
    try:
        if NotificationDelivery._meta.db.transaction_exists() or not current_channels():
            return
        await jobs.enqueue(DELIVER_JOB, org=org_id)
    except Exception:
        log.exception("could not queue notification delivery for org %s", org_id)


# -- sending (jobs) ---------------------------------------------------------------------


async def _org_ids() -> list[int]:
    return [r["id"] for r in await Organisation.select(Organisation.id).order_by(Organisation.id)]


async def deliver_notifications(ctx: jobs.JobContext, org: int | None = None) -> dict[str, int]:
    """Job: send every due immediate delivery (of one organisation, or all)."""
    counts: Counter[str] = Counter()
    for org_id in [org] if org else await _org_ids():
        counts.update(await deliver_due(ctx, org_id, now()))
    return dict(counts)


async def send_digests(ctx: jobs.JobContext) -> dict[str, int]:
    """Job (hourly): send the digests that fell due, one message per user and channel."""
    counts: Counter[str] = Counter()
    for org_id in await _org_ids():
        counts.update(await deliver_due(ctx, org_id, now(), digest=True))
    return dict(counts)


async def deliver_due(
    ctx: jobs.JobContext, org_id: int, moment: datetime, *, digest: bool = False
) -> dict[str, int]:
    """Claim this organisation's due deliveries, send them, record each outcome.

    ``moment`` is "now" (tests pass a later one to play retries and quiet hours).
    """
    due = await (
        NotificationDelivery.select(NotificationDelivery.id)
        .where(
            (NotificationDelivery.org == org_id)
            & NotificationDelivery.status.is_in([QUEUED, SENDING])
            & (NotificationDelivery.due_at <= moment)
            & (NotificationDelivery.mode == (DIGEST if digest else IMMEDIATE))
        )
        .order_by(NotificationDelivery.due_at)
        .limit(BATCH)
    )
    if not due:
        return {}
    claimed = await _claim(org_id, [r["id"] for r in due], moment)
    if not claimed:
        return {}
    rows = await _details(org_id, claimed)
    channels = collect_channels(ctx.settings, ctx.registry)
    enabled: frozenset[str] | None = None
    if channels.needs_plugin_check:
        enabled = await enabled_plugins(org_id, ctx.registry)
    if not i18n.catalogs_loaded():
        i18n.load_catalogs(p.path / "locale" for p in ctx.registry.installed.values())
    hooks = ctx.registry.hooks(enabled)
    counts: Counter[str] = Counter()
    for message_rows in _batches(rows, digest):
        message = _message(ctx, org_id, message_rows, digest)
        outcome = await _send(ctx, hooks, channels.enabled(enabled), message, message_rows)
        await _finish(org_id, message_rows, outcome, moment)
        counts[outcome[0]] += len(message_rows)
    return dict(counts)


async def _claim(org_id: int, ids: list[int], moment: datetime) -> list[int]:
    """Take the rows nobody else took (conditional update); returns the ids taken."""
    taken = (
        await NotificationDelivery.update(
            {
                NotificationDelivery.status: SENDING,
                NotificationDelivery.due_at: moment + LEASE,
                NotificationDelivery.attempts: NotificationDelivery.attempts + 1,
            }
        )
        .where(
            (NotificationDelivery.org == org_id)
            & NotificationDelivery.id.is_in(ids)
            & NotificationDelivery.status.is_in([QUEUED, SENDING])
            & (NotificationDelivery.due_at <= moment)
        )
        .returning(NotificationDelivery.id)
    )
    return [r["id"] for r in taken]


async def _details(org_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """Everything a message needs about the claimed rows, in one query."""
    d = NotificationDelivery
    return await (
        d.select(
            d.id,
            d.channel,
            d.attempts,
            d.created_at,
            d.user.as_alias("user_id"),
            d.notification.as_alias("notification_id"),
            d.notification.kind.as_alias("kind"),
            d.notification.request.number.as_alias("number"),
            d.notification.request.title.as_alias("title"),
            d.user.display_name.as_alias("name"),
            d.user.email.as_alias("email"),
            d.user.phone.as_alias("phone"),
            d.user.locale.as_alias("locale"),
            d.user.is_active.as_alias("active"),
            d.org.name.as_alias("org_name"),
            d.org.default_locale.as_alias("org_locale"),
            d.org.time_zone.as_alias("time_zone"),
        )
        .where((d.org == org_id) & d.id.is_in(ids))
        .order_by(d.id)
    )


def _batches(rows: Iterable[dict[str, Any]], digest: bool) -> list[list[dict[str, Any]]]:
    """One message per row, or per (user, channel) in a digest."""
    if not digest:
        return [[row] for row in rows]
    grouped: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(row["user_id"], row["channel"])].append(row)
    return list(grouped.values())


def _message(
    ctx: jobs.JobContext, org_id: int, rows: list[dict[str, Any]], digest: bool
) -> Message:
    """Word the message in the recipient's language (user's choice, else the org's)."""
    first = rows[0]
    locale = i18n.normalise(first["locale"]) or i18n.normalise(first["org_locale"])
    recipient = Recipient(
        user_id=first["user_id"],
        org_id=org_id,
        name=first["name"] or "",
        email=first["email"] or "",
        phone=first["phone"] or "",
        locale=locale or i18n.DEFAULT_LOCALE,
        time_zone=first["time_zone"] or "Asia/Shanghai",
    )
    base = ctx.settings.base_url
    with i18n.use_locale(recipient.locale, recipient.time_zone):
        items = tuple(
            Item(
                notification_id=row["notification_id"],
                kind=row["kind"],
                group=group_of(row["kind"]),
                text=notification_text(row["kind"]),
                request_number=row["number"] or "",
                request_title=row["title"] or "",
                url=f"{base}/requests/{row['number']}"
                if row["number"]
                else f"{base}/notifications",
                created_at=row["created_at"],
            )
            for row in rows
        )
        if digest:
            subject = ngettext(
                "%(org)s: %(num)d update", "%(org)s: %(num)d updates", len(items)
            ) % {"org": first["org_name"], "num": len(items)}
        elif items[0].request_number:
            subject = _("%(what)s: %(title)s (%(number)s)") % {
                "what": items[0].text,
                "title": items[0].request_title,
                "number": items[0].request_number,
            }
        else:
            subject = items[0].text
    return Message(
        channel=first["channel"],
        recipient=recipient,
        org_name=first["org_name"] or "",
        subject=subject,
        items=items,
        digest=digest,
        settings_url=f"{base}/me/notifications",
        delivery_ids=tuple(row["id"] for row in rows),
    )


async def _send(
    ctx: jobs.JobContext,
    hooks: Any,
    channels: ChannelSet,
    message: Message,
    rows: list[dict[str, Any]],
) -> tuple[str, str]:
    """Hand the message to its channel; returns (status, detail) for the log."""
    if not all(row["active"] for row in rows):
        return SKIPPED, INACTIVE
    if channels.get(message.channel) is None:
        return SKIPPED, NO_CHANNEL
    try:
        with i18n.use_locale(message.recipient.locale, message.recipient.time_zone):
            handled = await _call_channel(hooks, message, ctx)
    except Undeliverable as exc:
        return SKIPPED, exc.reason[:ERROR_MAX]
    except Exception as exc:
        log.warning("notification delivery %s failed: %r", message.delivery_ids, exc)
        return QUEUED, error_text(exc)
    return (SENT, "") if handled else (SKIPPED, NO_CHANNEL)


def error_text(exc: BaseException) -> str:
    """The error for the log: the server's own answer when it gave one (SMTP code and
    text), else the exception's name and message."""
    code, text = getattr(exc, "code", None), getattr(exc, "message", None)
    detail = f"{code} {text}" if isinstance(code, int) and text else str(exc)
    return f"{type(exc).__name__}: {detail}"[:ERROR_MAX]


async def _call_channel(hooks: Any, message: Message, ctx: jobs.JobContext) -> bool:
    """Call ``deliver_notification`` on every plugin; the channel's owner answers True.

    Every coroutine is awaited (an implementation for another channel returns None);
    the first error is raised after all have run.
    """
    handled = False
    error: BaseException | None = None
    for result in hooks.deliver_notification(message=message, ctx=ctx):
        try:
            value = await result if inspect.isawaitable(result) else result
        except Exception as exc:
            error = error or exc
            continue
        handled = handled or value is not None
    if error is not None:
        raise error
    return handled


async def _finish(
    org_id: int, rows: list[dict[str, Any]], outcome: tuple[str, str], moment: datetime
) -> None:
    """Record the outcome on the claimed rows (only while still ours: status sending)."""
    status, detail = outcome
    values: dict[Any, Any] = {NotificationDelivery.last_error: detail}
    if status == SENT:
        values[NotificationDelivery.status] = SENT
        values[NotificationDelivery.sent_at] = now()
    elif status == SKIPPED:
        values[NotificationDelivery.status] = SKIPPED
    else:
        attempts = max(row["attempts"] for row in rows)
        if attempts >= MAX_ATTEMPTS:
            values[NotificationDelivery.status] = FAILED
        else:
            values[NotificationDelivery.status] = QUEUED
            values[NotificationDelivery.due_at] = moment + retry_delay(attempts)
    await NotificationDelivery.update(values).where(
        (NotificationDelivery.org == org_id)
        & NotificationDelivery.id.is_in([row["id"] for row in rows])
        & (NotificationDelivery.status == SENDING)
    )


JOBS = [
    jobs.Job(
        DELIVER_JOB,
        deliver_notifications,
        cron="* * * * *",
        description="Send queued notifications (e-mail and plugin channels)",
    ),
    jobs.Job(
        DIGEST_JOB,
        send_digests,
        cron="3 * * * *",
        description="Daily digests (due at 08:00 in each organisation's time zone)",
    ),
]
