"""Request actions on the page: ``/requests/{number}/actions/{code}``.

The buttons of a request page come from ``request_actions`` (core's and the plugins',
core/lifecycle/actions.py). Every one posts here; an action that takes photos has a page
of its own (GET) with the camera input. A refusal — a missing note, a stale form, a photo
too many — comes back on the page the person was on, under the field it is about, with
the note they typed kept; nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core.attachments import UploadRefused
from core.attachments import count as count_attachments
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.actions import ActionRefused, RequestAction, declared, take
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import IllegalTransition
from web.auth import current_actor, visible_or_404
from web.errors import changed_meanwhile
from web.forms import Form
from web.live import announce
from web.routes.requests import detail_page
from web.templating import render
from web.uploads import UPLOADS, file_parts, limits_of, read_uploads, storage_of

PHOTOS = "photos"


async def action_of(actor: Actor, row: dict[str, Any], code: str) -> RequestAction:
    """The action ``code`` declared for the request: 404 when no plugin declares it, 403
    when it is someone else's to take (the page and the API alike)."""
    action = (await declared(actor, row)).get(code)
    if action is None:
        raise NotFoundException()
    if not action.is_for(actor, row):
        raise PermissionDeniedException()
    return action


def no_longer(action: RequestAction) -> ActionRefused:
    """409 for an action that no longer applies, in its own words when it has them."""
    message = action.unavailable(_) if action.unavailable else changed_meanwhile().detail
    return ActionRefused("", message, 409)


async def run_action(
    request: Request[Any, Any, Any],
    actor: Actor,
    row: dict[str, Any],
    action: RequestAction,
    form: Form,
) -> bool:
    """Take ``action`` with the form's note, photos and version; :class:`ActionRefused`
    (with the field it is about) for anything that stops it, in the user's language."""
    if not action.applies(actor, row):
        raise no_longer(action)
    files = []
    if action.photos is not None:
        try:
            files = await read_uploads(
                request,
                form.data,
                PHOTOS,
                existing=await count_attachments(actor.org_id, row["id"]),
            )
        except UploadRefused as exc:
            raise ActionRefused(PHOTOS, exc.message(), exc.status_code) from exc
        if not all(f.is_image for f in files):
            raise ActionRefused(PHOTOS, _("Photos only (JPEG, PNG or WebP), not a PDF."))
    elif file_parts(form.data, PHOTOS):
        raise ActionRefused(PHOTOS, _("This step takes no photos."))
    try:
        return await take(
            actor,
            row,
            action,
            note=form.get("note"),
            files=files,
            storage=storage_of(request),
            max_files=limits_of(request).max_files,
            expected_version=form.version(),
        )
    except UploadRefused as exc:
        raise ActionRefused(PHOTOS, exc.message(), exc.status_code) from exc
    except (IllegalTransition, Conflict) as exc:
        raise no_longer(action) from exc


async def _action_page(
    request: Request[Any, Any, Any],
    row: dict[str, Any],
    action: RequestAction,
    form: Form,
    error: ActionRefused | None = None,
) -> Template:
    return await render(
        request,
        "requests/action.html",
        {
            "r": row,
            "action": action,
            "form": form,
            "error": error,
            "upload_limits": limits_of(request),
            # a browser cannot refill a file input: say so when files were sent
            "files_lost": error is not None and bool(file_parts(form.data, PHOTOS)),
            "back_url": f"/requests/{row['number']}",
        },
        status_code=error.status_code if error else 200,
    )


@get("/requests/{number:str}/actions/{code:str}")
async def action_form(
    request: Request[Any, Any, Any], number: FromPath[str], code: FromPath[str]
) -> Template | Redirect:
    """The page of an action that takes photos (the camera needs room); any other
    action is a button on the request page, which this sends you back to."""
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    action = await action_of(actor, row, code)
    if action.photos is None or not action.applies(actor, row):
        return Redirect(f"/requests/{number}", status_code=303)
    return await _action_page(request, row, action, Form({"version": str(row["version"])}))


@post("/requests/{number:str}/actions/{code:str}", opt=UPLOADS)
async def take_action(
    request: Request[Any, Any, Any], number: FromPath[str], code: FromPath[str]
) -> Template | Redirect:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    action = await action_of(actor, row, code)
    form = await Form.read(request)
    try:
        done = await run_action(request, actor, row, action, form)
    except ActionRefused as refusal:
        refusal.action = action.code
        if action.photos is not None and refusal.status_code != 409:
            return await _action_page(request, row, action, form, refusal)
        return await detail_page(request, actor, row, refusal=refusal, form=form)
    if done:
        announce(request, actor.org_id, number)
        flash(request, category="success", message=action.done(_) if action.done else _("Saved."))
    else:
        flash(request, category="success", message=_("That was done already."))
    return Redirect("/tasks" if action.then == "tasks" else f"/requests/{number}", status_code=303)


HANDLERS = [action_form, take_action]
