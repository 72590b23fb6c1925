"""The suggestion box: write (named or anonymous) and follow on the phone, answer at the desk.

Anonymous submits are answered with the receipt code in the response itself (201, no
redirect, no flash in the session), and their request-log line leaves the user out,
so nothing we control ties the suggestion to its author. Every lookup is scoped to
the actor's organisation; a suggestion that is not yours (or not your organisation's)
answers 404.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core import suggestions
from core.i18n import gettext as _
from core.suggestions import MANAGE, MAX_LENGTH, STATUSES, TOPICS
from web.auth import current_actor, permission_required
from web.errors import Refused
from web.forms import Form
from web.logs import leave_user_out
from web.params import Cursor
from web.templating import render

managers_only = [permission_required(MANAGE)]


def topic_label(code: str) -> str:
    return suggestions.topic_label(code, _)


def status_label(code: str) -> str:
    return suggestions.status_label(code, _)


def _labels() -> dict[str, Any]:
    return {
        "topics": [(t, topic_label(t)) for t in TOPICS],
        "statuses": [(s, status_label(s)) for s in STATUSES],
        "topic_label": topic_label,
        "status_label_of": status_label,
        "status_tone_of": lambda s: suggestions.STATUS_TONE.get(s, "muted"),
        "max_length": MAX_LENGTH,
    }


def _text(form: Form, name: str) -> str:
    """Form text with browser line breaks (CRLF) counted as one character, like maxlength."""
    return form.get(name).replace("\r\n", "\n")


async def _index(
    request: Request[Any, Any, Any], form: Form, before: int | None = None, status: int = 200
) -> Template:
    actor = current_actor(request)
    rows, next_before = await suggestions.mine(actor, before)
    return await render(
        request,
        "suggestions/index.html",
        {
            "form": form,
            "rows": rows,
            "next_before": next_before,
            "daily_limit": suggestions.DAILY_LIMIT,
            **_labels(),
        },
        status_code=status,
    )


def _fresh_form() -> Form:
    return Form({"submit_token": secrets.token_urlsafe(16)})


@get("/suggestions")
async def suggestion_box(request: Request[Any, Any, Any], before: Cursor = None) -> Template:
    return await _index(request, _fresh_form(), before)


@post("/suggestions")
async def send_suggestion(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    anonymous = form.get("anonymous") == "on"
    if anonymous:
        leave_user_out(request.scope)
    token = form.get("submit_token")
    if not token or len(token) > 64:
        raise Refused(_("This form is incomplete. Reload the page and try again."))
    topic = form.get("topic")
    if topic not in TOPICS:
        form.error("topic", _("Choose what your suggestion is about."))
    body = _text(form, "body")
    if not body:
        form.error("body", _("Write your suggestion."))
    elif len(body) > MAX_LENGTH:
        form.error("body", _("At most %(n)d characters.") % {"n": MAX_LENGTH})
    if not form.ok:
        return await _index(request, form, status=422)
    try:
        sent = await suggestions.submit(
            actor,
            topic=topic,
            body=body,
            anonymous=anonymous,
            token=token,
            secret=request.app.state.settings.secret_key,
        )
    except suggestions.QuotaExceeded:
        # The text stays in the form: nothing typed is lost to the limit.
        form.error(
            "body",
            _("You have sent %(n)d suggestions today, the most a day. Please send this tomorrow.")
            % {"n": suggestions.DAILY_LIMIT},
        )
        return await _index(request, form, status=429)
    except suggestions.AlreadySent as exc:
        if exc.author == actor.user_id:
            return Redirect(f"/suggestions/{exc.suggestion_id}", status_code=303)
        return await render(
            request, "suggestions/sent.html", {"code": None, "back_url": "/suggestions"}
        )
    if sent.receipt is None:
        flash(request, category="success", message=_("Thank you. Your suggestion is sent."))
        return Redirect(f"/suggestions/{sent.id}", status_code=303)
    return await render(
        request,
        "suggestions/sent.html",
        {"code": sent.receipt, "back_url": "/suggestions"},
        status_code=201,
    )


@get("/suggestions/{suggestion_id:int}")
async def my_suggestion(request: Request[Any, Any, Any], suggestion_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    row = await suggestions.own(actor, suggestion_id)
    if row is None:
        raise NotFoundException()
    return await render(
        request,
        "suggestions/detail.html",
        {
            "s": row,
            "replies": await suggestions.thread(actor.org_id, row["id"]),
            "back_url": "/suggestions",
            **_labels(),
        },
    )


@get("/suggestions/receipt")
async def receipt_form(request: Request[Any, Any, Any]) -> Template:
    return await render(
        request, "suggestions/receipt.html", {"form": Form(), "back_url": "/suggestions"}
    )


@post("/suggestions/receipt")
async def receipt_lookup(request: Request[Any, Any, Any]) -> Template:
    """The code travels in the body, never in a URL (history, logs)."""
    actor = current_actor(request)
    form = await Form.read(request)
    code = form.get("code")
    row = await suggestions.by_receipt(actor, code) if code else None
    if row is None:
        form.error(
            "code",
            _("No suggestion has this receipt code. Check the code and try again.")
            if code
            else _("Enter the receipt code you were given."),
        )
        return await render(
            request,
            "suggestions/receipt.html",
            {"form": form, "back_url": "/suggestions"},
            status_code=404 if code else 422,
        )
    return await render(
        request,
        "suggestions/detail.html",
        {
            "s": row,
            "replies": await suggestions.thread(actor.org_id, row["id"]),
            "back_url": "/suggestions/receipt",
            "anonymous_view": True,
            **_labels(),
        },
    )


@get("/desk/suggestions", guards=managers_only)
async def desk_suggestions(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    topic: FromQuery[str] = "",
    before: Cursor = None,
) -> Template:
    actor = current_actor(request)
    status = status if status in STATUSES else ""
    topic = topic if topic in TOPICS else ""
    rows, next_before = await suggestions.desk_list(actor, status, topic, before)
    return await render(
        request,
        "desk/suggestions.html",
        {
            "rows": rows,
            "status": status,
            "topic": topic,
            "next_before": next_before,
            "paged": bool(before),
            **_labels(),
        },
    )


async def _received_or_404(request: Request[Any, Any, Any], suggestion_id: int) -> dict[str, Any]:
    row = await suggestions.received(current_actor(request), suggestion_id)
    if row is None:
        raise NotFoundException()
    return row


async def _desk_detail(
    request: Request[Any, Any, Any], row: dict[str, Any], form: Form, status: int = 200
) -> Template:
    actor = current_actor(request)
    return await render(
        request,
        "desk/suggestion.html",
        {
            "s": row,
            "replies": await suggestions.thread(actor.org_id, row["id"]),
            "form": form,
            **_labels(),
        },
        status_code=status,
    )


@get("/desk/suggestions/{suggestion_id:int}", guards=managers_only)
async def desk_suggestion(
    request: Request[Any, Any, Any], suggestion_id: FromPath[int]
) -> Template:
    row = await _received_or_404(request, suggestion_id)
    return await _desk_detail(request, row, Form({"status": row["status"]}))


@post("/desk/suggestions/{suggestion_id:int}", guards=managers_only)
async def answer_suggestion(
    request: Request[Any, Any, Any], suggestion_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    row = await _received_or_404(request, suggestion_id)
    form = await Form.read(request)
    body = _text(form, "body")
    status = form.get("status")
    if status not in STATUSES:
        form.error("status", _("Choose a status from the list."))
    if len(body) > MAX_LENGTH:
        form.error("body", _("At most %(n)d characters.") % {"n": MAX_LENGTH})
    elif not body and status == row["status"]:
        form.error("body", _("Write a reply or choose a new status."))
    if not form.ok:
        return await _desk_detail(request, row, form, 422)
    await suggestions.answer(actor, row, body, status)
    flash(request, category="success", message=_("Your answer is saved."))
    return Redirect(f"/desk/suggestions/{row['id']}", status_code=303)


SUGGESTION_HANDLERS = [
    suggestion_box,
    send_suggestion,
    my_suggestion,
    receipt_form,
    receipt_lookup,
    desk_suggestions,
    desk_suggestion,
    answer_suggestion,
]


def suggestion_notification_text(kind: str) -> str:
    """Words for the notifications a named author gets (``suggestion:…`` kinds)."""
    if kind == "suggestion:replied":
        return _("Your suggestion has a reply")
    status = kind.rsplit(":", 1)[-1]
    return _("Your suggestion is now: %(status)s") % {"status": status_label(status)}


def notification_subject(row: dict[str, Any]) -> str:
    """The line under a notification's text: the request title, or the suggestion topic."""
    if row.get("title"):
        return row["title"]
    data = row.get("data") or {}
    if isinstance(data, dict) and data.get("topic"):
        return _("Suggestion box") + " · " + topic_label(data["topic"])
    return ""


def suggestion_target(data: Any) -> str:
    """Where a suggestion notification opens: the author's own page of it."""
    if isinstance(data, dict) and isinstance(data.get("suggestion"), int):
        return f"/suggestions/{data['suggestion']}"
    return "/notifications"
