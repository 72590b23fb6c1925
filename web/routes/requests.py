"""The one-stop inbox on the phone: new request, my requests, request detail, cancel.

Every lookup of a request goes through ``visible_to`` (the same predicate for lists and
detail pages), so a request that is not yours answers 404, never 403.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT

from core import attachments
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle import inbox
from core.lifecycle.actions import ActionRefused, offered
from core.lifecycle.core_actions import CANCEL
from core.lifecycle.editing import may_edit
from core.lifecycle.feedback import TAGS
from core.lifecycle.forms import PRIORITY_LABELS, FormContext, form_of, read_amount, submit_form
from core.lifecycle.kernel import Conflict
from core.lifecycle.outlook import outlook
from core.lifecycle.routing import approval_chain
from core.lifecycle.states import (
    EDITABLE,
    IllegalTransition,
    stepper,
)
from core.lifecycle.submit import PRIORITIES, Submitted
from core.plugins import collect
from core.tables import ApprovalTask
from web.auth import current_actor, visible_or_404
from web.errors import Refused, changed_meanwhile
from web.forms import Form
from web.live import announce
from web.params import Cursor
from web.routes.approvals import step_label
from web.routes.handover import handover_options
from web.service_forms import form_context, prefilled, read_service_form, submit_token
from web.templating import render
from web.uploads import UPLOADS, limits_of, storage_of


def priority_label(code: str) -> str:
    """The priority ``code`` (one of ``PRIORITIES``) in the current language."""
    label = dict(PRIORITY_LABELS).get(code)
    return label(_) if label else code


def _service_or_404(request: Request[Any, Any, Any], actor: Actor, slug: str) -> Any:
    catalog = request.app.state.services
    if not catalog.is_enabled(slug, actor.enabled_plugins):
        raise NotFoundException()
    return catalog.get(slug)


def read_common_fields(form: Form) -> tuple[str, str, str, str]:
    """Title, description, location and priority of an edited request; errors land
    on the form in the user's language."""
    title = form.required(
        "title", _("Say in a few words what you need."), 200, _("At most 200 characters.")
    )
    description = form.get("description")
    if len(description) > 5000:
        form.error("description", _("At most 5000 characters."))
    location = form.get("location")
    if len(location) > 200:
        form.error("location", _("At most 200 characters."))
    priority = form.get("priority") or "normal"
    if priority not in PRIORITIES:
        form.error("priority", _("Choose a priority from the list."))
    return title, description, location, priority


async def _new_page(
    request: Request[Any, Any, Any],
    ctx: FormContext,
    form: Form,
    status: int = 200,
    files_lost: bool = False,
) -> Template:
    return await render(
        request,
        "requests/new.html",
        {
            "service": ctx.service,
            "form": form,
            "upload_limits": limits_of(request),
            "files_lost": files_lost,
            "back_url": "/",
            **await form_context(form, ctx),
        },
        status_code=status,
    )


@get("/new/{slug:str}")
async def new_request(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    """The phone's form of a service, drawn from its spec; the address may prefill the
    spec's fields (``/new/repairs?asset=<sticker token>``)."""
    actor = current_actor(request)
    ctx = FormContext(actor, _service_or_404(request, actor, slug), "pwa")
    return await _new_page(request, ctx, await prefilled(request, ctx))


@post("/new/{slug:str}", opt=UPLOADS)
async def create_request(
    request: Request[Any, Any, Any], slug: FromPath[str]
) -> Template | Redirect:
    actor = current_actor(request)
    ctx = FormContext(actor, _service_or_404(request, actor, slug), "pwa")
    form = await Form.read(request)
    token = submit_token(form)
    reading = await read_service_form(request, form, ctx)
    if reading.filled is None:
        return await _new_page(request, ctx, form, reading.status, reading.files_lost)
    result = await submit_form(
        ctx,
        reading.filled,
        idempotency_key=f"form:{token}",
        attachments=reading.files,
        storage=storage_of(request),
    )
    return show_submitted(request, actor.org_id, result)


def show_submitted(
    request: Request[Any, Any, Any],
    org_id: int,
    result: Submitted,
    message: str | None = None,
) -> Redirect:
    """After a form's submit: tell open pages (if it is new), say so, show the request.

    A replayed form (the same one-time token) shows the request it made, without a
    second "submitted" toast."""
    if result.created:
        announce(request, org_id, result.number)
        flash(
            request,
            category="success",
            message=message or _("Request %(number)s is submitted.") % {"number": result.number},
        )
    return Redirect(f"/requests/{result.number}", status_code=303)


@post("/new/{slug:str}/outlook")
async def new_request_outlook(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    """What will happen to the request being typed (htmx, as the person types): approved
    at once, filed, or the approver by name. A half-typed amount counts as none."""
    actor = current_actor(request)
    service = _service_or_404(request, actor, slug)
    form = await Form.read(request)
    kind = form.get("kind")
    kind = kind if kind in {k.code for k in service.kinds} else ""
    fields = form_of(service).for_channel("pwa")
    amount = read_amount(form, "amount") if any(f.name == "amount" for f in fields) else None
    ctx = FormContext(actor, service, "pwa")
    facts = {f.fact: value for f in fields if f.fact and (value := f.typed(form, ctx))}
    ahead = (
        await outlook(actor, service.slug, kind, amount, facts) if service.uses_approval else None
    )
    return await render(request, "requests/_outlook.html", {"service": service, "outlook": ahead})


@get("/requests")
async def my_requests(
    request: Request[Any, Any, Any],
    show: FromQuery[str] = "open",
    q: FromQuery[str] = "",
    before: Cursor = None,
) -> Template:
    actor = current_actor(request)
    show = show if show in inbox.SHOW else "open"
    rows, next_before = await inbox.my_requests(actor, show, q, before)
    return await render(
        request,
        "requests/list.html",
        {
            "rows": rows,
            "show": show,
            "q": q,
            "next_before": next_before,
            "services": request.app.state.services,
        },
        block="results",
    )


@get("/requests/{number:str}")
async def request_detail(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    actor = current_actor(request)
    return await detail_page(request, actor, await visible_or_404(actor, number))


async def detail_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    row: dict[str, Any],
    *,
    refusal: ActionRefused | None = None,
    form: Form | None = None,
) -> Template:
    """The request page; after a refused action, with the refusal under its field and
    the typed note kept (status 409/422, so nothing looks saved)."""
    events = await inbox.timeline(actor, row)
    files = await attachments.for_request(actor.org_id, row["id"])
    service = request.app.state.services.get(row["service"])
    chain = await approval_chain(actor.org_id, row["id"]) if row["approval_mode"] == "chain" else []
    pending = [s["id"] for s in chain if s["status"] == "pending"]
    my_step = None
    if pending and await ApprovalTask.exists().where(
        (ApprovalTask.org == actor.org_id)
        & (ApprovalTask.step == pending[0])
        & (ApprovalTask.user == actor.user_id)
        & ApprovalTask.open.eq(True)
    ):
        my_step = pending[0]
    panels = await collect(actor.hooks.request_detail_panels(actor=actor, request=row))
    actions = await offered(actor, row)
    return await render(
        request,
        "requests/detail.html",
        {
            "r": row,
            "service": service,
            "events": events,
            "files": files,
            "can_attach": attachments.can_attach(actor, row),
            "upload_limits": limits_of(request),
            "can_edit": row["status"] in EDITABLE and may_edit(actor, row),
            "can_reassign": actor.is_org_admin,
            "handover_to": await handover_options(request, actor, row),
            "is_assignee": row["assignee"] == actor.user_id,
            "is_requester": row["requester"] == actor.user_id,
            "rating_tags": TAGS,
            "chain": chain,
            "my_step": my_step,
            "step_label": step_label,
            "steps": stepper(service.steps, row["status"]) if service else [],
            "priority_label": priority_label,
            "back_url": "/requests",
            "panels": sorted(panels, key=lambda p: p.order),
            "agent_actions": [a for a in actions if a.who == "assignee"],
            "requester_actions": [a for a in actions if a.who == "requester"],
            "refusal": refusal,
            "action_note": form.get("note") if form else "",
        },
        block="live",
        status_code=refusal.status_code if refusal else 200,
    )


async def cancel_or_refuse(
    actor: Actor, row: dict[str, Any], reason: str, version: int | None
) -> None:
    """Cancel for the requester, or answer 409 saying why not (the API's cancel; the page
    takes core's cancel action, whose words for it these are)."""
    try:
        await inbox.cancel(actor, row, reason, version)
    except inbox.NotCancellable as exc:
        words = CANCEL.unavailable(_) if CANCEL.unavailable else changed_meanwhile().detail
        raise Refused(words, HTTP_409_CONFLICT) from exc
    except (IllegalTransition, Conflict) as exc:
        raise changed_meanwhile() from exc


REQUEST_HANDLERS = [
    new_request,
    create_request,
    new_request_outlook,
    my_requests,
    request_detail,
]
