"""Editing a request before work starts: the requester, or the desk on their behalf.

The page shows the generic fields; saving goes through ``core.lifecycle.editing``,
which re-runs the approval decision and may send the request back to approval. A
request the actor cannot see, or may not edit, answers 404 (DESIGN §7); one whose
work has started, or that changed since the form was opened, answers 409 with a
message saying so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT

from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle import inbox
from core.lifecycle.editing import Edit, NotEditable, edit_request, may_edit
from core.lifecycle.forms import read_amount
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import EDITABLE, IllegalTransition, Status
from core.lifecycle.submit import PRIORITIES
from web.auth import current_actor
from web.errors import Refused, changed_meanwhile
from web.forms import Form
from web.live import announce
from web.routes.requests import priority_label, read_common_fields
from web.templating import render


async def _editable_or_404(actor: Actor, number: str) -> dict[str, Any]:
    row = await inbox.visible_request(actor, number)
    if row is None or not may_edit(actor, row):
        raise NotFoundException()
    return row


def _not_editable() -> Refused:
    return Refused(
        _("This request can no longer be edited: work on it has started."), HTTP_409_CONFLICT
    )


def _asks_amount(service: Any, row: dict[str, Any]) -> bool:
    return bool(service and service.uses_amount) or row["amount"] is not None


async def _page(
    request: Request[Any, Any, Any], row: dict[str, Any], form: Form, status: int = 200
) -> Template:
    service = request.app.state.services.get(row["service"])
    return await render(
        request,
        "requests/edit.html",
        {
            "r": row,
            "service": service,
            "form": form,
            "asks_amount": _asks_amount(service, row),
            "priorities": [(p, priority_label(p)) for p in PRIORITIES],
            "back_url": f"/requests/{row['number']}",
        },
        status_code=status,
    )


@get("/requests/{number:str}/edit")
async def edit_page(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    actor = current_actor(request)
    row = await _editable_or_404(actor, number)
    if Status(row["status"]) not in EDITABLE:
        raise _not_editable()
    form = Form(
        {
            "title": row["title"],
            "description": row["description"],
            "location": row["location"],
            "priority": row["priority"],
            "amount": "" if row["amount"] is None else str(row["amount"]),
            "version": str(row["version"]),
        }
    )
    return await _page(request, row, form)


def read_edit(form: Form, row: dict[str, Any], asks_amount: bool) -> Edit | None:
    """Validate the edited fields; errors land on the form in the user's language."""
    title, description, location, priority = read_common_fields(form)
    amount: Decimal | None = row["amount"]
    if asks_amount:
        amount = read_amount(form, "amount")
        # optional on a service that asks for it, but an amount once given stays: removing
        # it would route the request past the approval its amount needs
        if amount is None and "amount" not in form.errors and row["amount"] is not None:
            form.error("amount", _("Enter the amount, e.g. 5000 or 199.50."))
    if not form.ok:
        return None
    return Edit(
        title=title, description=description, location=location, priority=priority, amount=amount
    )


@post("/requests/{number:str}/edit")
async def edit_save(request: Request[Any, Any, Any], number: FromPath[str]) -> Template | Redirect:
    actor = current_actor(request)
    row = await _editable_or_404(actor, number)
    if Status(row["status"]) not in EDITABLE:
        raise _not_editable()
    form = await Form.read(request)
    service = request.app.state.services.get(row["service"])
    if service is None:
        raise NotFoundException()
    edit = read_edit(form, row, _asks_amount(service, row))
    if edit is None:
        return await _page(request, row, form, 422)
    try:
        result = await edit_request(actor, service, row["id"], edit, form.version())
    except NotEditable as exc:
        raise _not_editable() from exc
    except (Conflict, IllegalTransition) as exc:
        raise changed_meanwhile() from exc
    if not result.changed:
        flash(request, category="success", message=_("Nothing changed."))
        return Redirect(f"/requests/{number}", status_code=303)
    announce(request, actor.org_id, number)
    rule = result.rule_name or "—"
    if result.reapproval == "chain":
        message = _(
            "Saved. The change needs approval again (rule “%(rule)s”); "
            "nothing is done until it is approved."
        ) % {"rule": rule}
    elif result.reapproval == "filing":
        message = _("Saved. The change is filed (备案) under the rule “%(rule)s”.") % {"rule": rule}
    else:
        message = _("Saved.")
    flash(request, category="success", message=message)
    return Redirect(f"/requests/{number}", status_code=303)


EDIT_HANDLERS = [edit_page, edit_save]
