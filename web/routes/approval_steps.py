"""Open approval steps for org admins, and passing a stuck one to someone else.

``/admin/approval-steps`` lists the organisation's pending steps, oldest chains first
(keyset pages, two queries a page). A step's page picks the new approver with a
typeahead of at most ``MAX_MATCHES`` people (never a list of every user) and asks for
a reason; saving is ``core.lifecycle.reassign.reassign_step``. Steps of another
organisation are not found (404), like everything else.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT

from core.default_plugin import ADMIN
from core.i18n import gettext as _
from core.lifecycle.reassign import (
    MAX_MATCHES,
    NotAnApprover,
    StepNotPending,
    find_people,
    open_steps,
    pending_step,
    reassign_step,
)
from web.auth import current_actor, permission_required
from web.errors import Refused
from web.forms import Form
from web.live import announce
from web.params import Cursor
from web.routes.approvals import step_label
from web.templating import render

admin_only = [permission_required(ADMIN)]
LIST_URL = "/admin/approval-steps"


@get(LIST_URL, guards=admin_only)
async def steps_list(request: Request[Any, Any, Any], after: Cursor = None) -> Template:
    actor = current_actor(request)
    rows, next_after = await open_steps(actor.org_id, after)
    return await render(
        request,
        "admin/approval_steps.html",
        {
            "rows": rows,
            "next_after": next_after,
            "step_label": step_label,
            "services": request.app.state.services,
        },
    )


def _back(value: str, number: str) -> str:
    """Where to go after saving: the request page or the list (never a free URL)."""
    return f"/requests/{number}" if value == "request" else LIST_URL


async def _step_page(
    request: Request[Any, Any, Any],
    step: dict[str, Any],
    form: Form,
    status: int = 200,
) -> Template:
    actor = current_actor(request)
    q = form.get("q")
    # Neither the requester nor someone who already holds the step is worth offering.
    holding = [a["id"] for a in step["approvers"]]
    people = await find_people(actor.org_id, q, exclude=[step["requester"], *holding])
    chosen = form.id("user")
    if chosen is not None and all(p["id"] != chosen for p in people):
        # A form sent back with an error keeps the person already picked on screen.
        people = await find_people(actor.org_id, "", include=chosen) + people
    return await render(
        request,
        "admin/approval_step.html",
        {
            "step": step,
            "form": form,
            "q": q,
            "people": people,
            "max_matches": MAX_MATCHES,
            "step_label": step_label,
            "services": request.app.state.services,
        },
        status_code=status,
        block="matches",
    )


async def _step_or_404(org_id: int, step_id: int) -> dict[str, Any]:
    step = await pending_step(org_id, step_id)
    if step is None:
        raise NotFoundException()
    return step


@get(LIST_URL + "/{step_id:int}", guards=admin_only)
async def step_page(
    request: Request[Any, Any, Any],
    step_id: FromPath[int],
    q: FromQuery[str] = "",
    back: FromQuery[str] = "",
) -> Template:
    actor = current_actor(request)
    step = await _step_or_404(actor.org_id, step_id)
    return await _step_page(request, step, Form({"q": q[:100], "back": back}))


@post(LIST_URL + "/{step_id:int}", guards=admin_only)
async def step_reassign(
    request: Request[Any, Any, Any], step_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    step = await _step_or_404(actor.org_id, step_id)
    form = await Form.read(request)
    if step["status"] != "pending":
        raise Refused(_("This approval step has already been decided."), HTTP_409_CONFLICT)
    chosen = form.id("user")
    if chosen is None:
        form.error("user", _("Search for a person and choose them."))
    reason = form.get("reason")
    if not reason:
        form.error("reason", _("Say why, for the record."))
    elif len(reason) > 500:
        form.error("reason", _("At most 500 characters."))
    if form.ok:
        try:
            done = await reassign_step(actor, step_id, chosen, reason)
        except LookupError as exc:
            raise NotFoundException() from exc
        except StepNotPending as exc:
            raise Refused(
                _("This approval step has already been decided."), HTTP_409_CONFLICT
            ) from exc
        except NotAnApprover as exc:
            form.error(
                "user",
                _("The requester cannot approve their own request.")
                if exc.reason == "requester"
                else _("Choose an active person of your organisation."),
            )
        else:
            announce(request, actor.org_id, done.number)
            flash(
                request,
                category="success",
                message=_("The approval now waits for %(name)s.") % {"name": done.to_name},
            )
            return Redirect(_back(form.get("back"), done.number), status_code=303)
    return await _step_page(request, step, form, 422)


STEP_HANDLERS = [steps_list, step_page, step_reassign]
