"""What a user receives beyond the in-app list, and the delivery logs.

``/me/notifications``: per event group and channel, immediately / daily digest / off,
and quiet hours; ``/me/notifications/log``: the user's last deliveries;
``/admin/notifications``: the organisation's delivery log with a status filter (org
admins). Every read is scoped to the actor's organisation (and, on /me, to the actor).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core.default_plugin import ADMIN
from core.i18n import format_dt, pgettext
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.notifications.channels import ChannelSet, collect_channels
from core.notifications.outbox import (
    FAILED,
    INACTIVE,
    NO_CHANNEL,
    OFF_REASON,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    STATUSES,
)
from core.notifications.preferences import (
    DEFAULT,
    DIGEST,
    GROUPS,
    IMMEDIATE,
    MODES,
    OFF,
    Preferences,
    load_preferences,
    parse_hhmm,
    save_preferences,
)
from core.notifications.text import notification_text
from core.tables import NotificationDelivery, User
from web.auth import current_actor, permission_required
from web.forms import Form
from web.params import Cursor
from web.templating import render

MY_LOG = 50
ADMIN_LOG = 100
TONES = {QUEUED: "waiting", SENDING: "progress", SENT: "done", FAILED: "rejected", SKIPPED: "muted"}


def mode_label(mode: str) -> str:
    return {
        IMMEDIATE: _("Immediately"),
        DIGEST: _("Daily digest"),
        OFF: pgettext("notification mode", "Off"),
    }[mode]


def status_word(status: str) -> str:
    return {
        QUEUED: _("Waiting"),
        SENDING: _("Sending"),
        SENT: _("Sent"),
        FAILED: _("Failed"),
        SKIPPED: _("Not sent"),
    }.get(status, status)


def _reason(code: str) -> str:
    return {
        OFF_REASON: _("Turned off in the notification settings"),
        "no_address": _("No e-mail address in the profile"),
        NO_CHANNEL: _("This channel is not set up"),
        INACTIVE: _("The account is deactivated"),
    }.get(code, code)


def _detail(row: dict[str, Any], *, show_errors: bool) -> str:
    """One line under the status: when it went, when it will go, or why not."""
    status = row["status"]
    if status == SENT:
        return _("Sent %(when)s") % {"when": format_dt(row["sent_at"])}
    if status == SKIPPED:
        return _reason(row["last_error"])
    if status == FAILED:
        return row["last_error"] if show_errors else _("Gave up after several attempts")
    when = format_dt(row["due_at"])
    if row["mode"] == DIGEST and not row["attempts"]:
        return _("In the digest of %(when)s") % {"when": when}
    if row["attempts"]:
        retry = _("Trying again %(when)s") % {"when": when}
        return f"{retry} · {row['last_error']}" if show_errors else retry
    if row["due_at"] and row["due_at"] > datetime.now(UTC):
        return _("Held for quiet hours until %(when)s") % {"when": when}
    return _("Goes out in a moment")


def _channels(request: Request[Any, Any, Any], actor: Actor) -> ChannelSet:
    state = request.app.state
    return collect_channels(state.settings, state.plugins).enabled(actor.enabled_plugins)


def _log_rows(
    rows: list[dict[str, Any]], channels: ChannelSet, *, show_errors: bool
) -> list[dict[str, Any]]:
    worded = []
    for row in rows:
        channel = channels.get(row["channel"])
        worded.append(
            {
                **row,
                "what": notification_text(row["kind"]),
                "channel_label": channel.label(_) if channel else row["channel"],
                "status_word": status_word(row["status"]),
                "tone": TONES.get(row["status"], "muted"),
                "detail": _detail(row, show_errors=show_errors),
            }
        )
    return worded


def _log_columns() -> list[Any]:
    d = NotificationDelivery
    return [
        d.id,
        d.channel,
        d.mode,
        d.status,
        d.attempts,
        d.last_error,
        d.created_at,
        d.due_at,
        d.sent_at,
        d.notification.kind.as_alias("kind"),
        d.notification.request.number.as_alias("number"),
        d.notification.request.title.as_alias("title"),
    ]


# -- preferences ----------------------------------------------------------------------


def _form_of(prefs: Preferences, channels: ChannelSet) -> Form:
    data: dict[str, Any] = {
        f"{channel.name}.{group.code}": prefs.mode(channel, group.code)
        for channel in channels
        for group in GROUPS
    }
    if prefs.has_quiet_hours and prefs.quiet_start and prefs.quiet_end:
        data |= {
            "quiet": "on",
            "quiet_start": prefs.quiet_start.strftime("%H:%M"),
            "quiet_end": prefs.quiet_end.strftime("%H:%M"),
        }
    else:
        data |= {"quiet": "", "quiet_start": "22:00", "quiet_end": "08:00"}
    return Form(data)


async def _settings_page(
    request: Request[Any, Any, Any], actor: Actor, form: Form, status_code: int = 200
) -> Template:
    user = (
        await User.select(User.email)
        .where((User.id == actor.user_id) & (User.org == actor.org_id))
        .first()
    )
    return await render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "channels": list(_channels(request, actor)),
            "groups": GROUPS,
            "modes": [(m, mode_label(m)) for m in MODES],
            "email": (user or {}).get("email", ""),
            "time_zone": actor.time_zone,
            "back_url": "/me",
        },
        status_code=status_code,
    )


@get("/me/notifications")
async def notification_settings(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    prefs = (await load_preferences(actor.org_id, [actor.user_id])).get(actor.user_id, DEFAULT)
    return await _settings_page(request, actor, _form_of(prefs, _channels(request, actor)))


@post("/me/notifications")
async def save_notification_settings(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    saved = (await load_preferences(actor.org_id, [actor.user_id])).get(actor.user_id, DEFAULT)
    # Only the fields this page shows are read; choices for channels not offered now
    # (a plugin switched off) are kept as they were.
    choices = {channel: dict(groups) for channel, groups in saved.choices.items()}
    for channel in _channels(request, actor):
        for group in GROUPS:
            name = f"{channel.name}.{group.code}"
            mode = form.get(name) or channel.default
            if mode not in MODES:
                form.error(name, _("Choose one of the listed options."))
            choices.setdefault(channel.name, {})[group.code] = mode
    start = end = None
    if form.get("quiet") == "on":
        start, end = parse_hhmm(form.get("quiet_start")), parse_hhmm(form.get("quiet_end"))
        for name, value in (("quiet_start", start), ("quiet_end", end)):
            if value is None:
                form.error(name, _("Enter a time such as 22:00."))
        if start is not None and start == end:
            form.error("quiet_end", _("Quiet hours must end at another time than they start."))
    if not form.ok:
        return await _settings_page(request, actor, form, status_code=422)
    await save_preferences(
        actor.org_id,
        actor.user_id,
        Preferences(choices=choices, quiet_start=start, quiet_end=end),
    )
    flash(request, category="success", message=_("Your notification settings are saved."))
    return Redirect("/me/notifications", status_code=303)


# -- delivery logs ----------------------------------------------------------------------


@get("/me/notifications/log")
async def my_delivery_log(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    d = NotificationDelivery
    rows = await (
        d.select(*_log_columns())
        .where((d.org == actor.org_id) & (d.user == actor.user_id))
        .order_by(d.id, ascending=False)
        .limit(MY_LOG)
    )
    return await render(
        request,
        "notifications/log.html",
        {
            "rows": _log_rows(rows, _channels(request, actor), show_errors=False),
            "back_url": "/me/notifications",
        },
    )


@get("/admin/notifications", guards=[permission_required(ADMIN)])
async def admin_delivery_log(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    before: Cursor = None,
) -> Template:
    actor = current_actor(request)
    d = NotificationDelivery
    where = d.org == actor.org_id
    if status in STATUSES:
        where &= d.status == status
    else:
        status = ""
    if before:
        where &= d.id < before
    rows = await (
        d.select(*_log_columns(), d.user.display_name.as_alias("name"))
        .where(where)
        .order_by(d.id, ascending=False)
        .limit(ADMIN_LOG + 1)
    )
    more = len(rows) > ADMIN_LOG
    rows = rows[:ADMIN_LOG]
    settings = request.app.state.settings
    return await render(
        request,
        "admin/notifications.html",
        {
            "rows": _log_rows(rows, _channels(request, actor), show_errors=True),
            "status": status,
            "filters": [("", _("All")), *((s, status_word(s)) for s in STATUSES)],
            "next_before": rows[-1]["id"] if more and rows else None,
            "email_on": bool(settings.smtp_host),
        },
    )


NOTIFICATION_SETTINGS_HANDLERS = [
    notification_settings,
    save_notification_settings,
    my_delivery_log,
    admin_delivery_log,
]
