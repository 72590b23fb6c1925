"""The desk submits on someone's behalf: a phone call, a walk-in at the service window.

The person is found with a typeahead (at most ``MAX_MATCHES`` rows, never a list of
every user); the request is theirs (requester, department) and records who typed it
(``submitted_by``) and the channel ``desk``. Dispatchers, org admins and service admins
may do it; the same one-time form token as on the phone makes a double submit harmless.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.descriptors import ServiceType
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.forms import FormContext, form_of, submit_form
from core.lifecycle.reassign import MAX_MATCHES, find_people
from core.lifecycle.submit import Submitted
from core.tables import User
from web.auth import current_actor
from web.forms import Form
from web.routes.desk import dispatches, may_dispatch
from web.routes.requests import show_submitted
from web.service_forms import form_context, prefilled, submit_token
from web.templating import render

URL = "/desk/new"


def staff_only(request: Request[Any, Any, Any], service: str | None = None) -> Actor:
    """The actor, if they may enter requests for others (of ``service``, or of any
    service they dispatch: dispatchers, org admins, the service's admins); else 403."""
    actor = current_actor(request)
    if not (dispatches(request, actor, service) if service else may_dispatch(request, actor)):
        raise PermissionDeniedException()
    return actor


def _services(request: Request[Any, Any, Any], actor: Actor) -> list[Any]:
    """The services the actor may enter requests of: enabled, and dispatched by them."""
    return [
        s
        for s in request.app.state.services.enabled(actor.enabled_plugins)
        if dispatches(request, actor, s.slug)
    ]


async def chosen_person(actor: Actor, form: Form) -> dict[str, Any] | None:
    """The active member of the actor's organisation picked in the form (``user``), or
    None with the form's error set."""
    chosen = form.id("user")
    person = None
    if chosen is not None:
        person = await (
            User.select(User.id, User.display_name, User.department)
            .where((User.org == actor.org_id) & (User.id == chosen) & User.is_active.eq(True))
            .first()
        )
    if person is None:
        form.error("user", _("Search for a person and choose them."))
    return person


async def desk_page(
    request: Request[Any, Any, Any], actor: Actor, form: Form, status: int = 200
) -> Template:
    """The "new request for someone" page: the person picker, then the chosen service's
    form for the desk (its spec's fields on channel ``desk``)."""
    services = _services(request, actor)
    if not services:
        raise NotFoundException()
    wanted = form.get("service") or request.path_params.get("slug", "")
    service = next((s for s in services if s.slug == wanted), services[0])
    q = form.get("q")
    people = await find_people(actor.org_id, q)
    chosen = form.id("user")
    if chosen is not None and all(p["id"] != chosen for p in people):
        # Sent back with an error: the person already picked stays on screen.
        people = await find_people(actor.org_id, "", include=chosen) + people
    return await render(
        request,
        "desk/new.html",
        {
            "form": form,
            "services": services,
            "service": service,
            "q": q,
            "people": people,
            "max_matches": MAX_MATCHES,
            "form_action": f"{URL}/{service.slug}",
            "page_url": URL,
            **await form_context(form, _desk_context(actor, service)),
        },
        status_code=status,
        block="matches",
    )


def _desk_context(actor: Actor, service: ServiceType) -> FormContext:
    return FormContext(actor, service, "desk", for_others=True)


@get(URL)
async def new_for_someone(
    request: Request[Any, Any, Any], q: FromQuery[str] = "", service: FromQuery[str] = ""
) -> Template:
    actor = staff_only(request)
    services = _services(request, actor)
    chosen = next((s for s in services if s.slug == service[:64]), None)
    if chosen is None and services:
        chosen = services[0]
    if chosen is None:
        raise NotFoundException()
    form = await prefilled(request, _desk_context(actor, chosen), q=q[:100], service=chosen.slug)
    return await desk_page(request, actor, form)


@post(URL + "/{slug:str}")
async def submit_for_someone(
    request: Request[Any, Any, Any], slug: FromPath[str]
) -> Template | Redirect:
    actor = staff_only(request)
    service = next((s for s in _services(request, actor) if s.slug == slug), None)
    if service is None:
        raise NotFoundException()
    form = await Form.read(request)
    token = submit_token(form)
    person = await chosen_person(actor, form)
    ctx = _desk_context(actor, service)
    filled = await form_of(service).read(form, ctx)
    if filled is None or person is None:
        return await desk_page(request, actor, form, 422)
    result = await submit_form(
        ctx,
        filled,
        idempotency_key=f"form:{token}",
        requester_id=person["id"],
        department_id=person["department"],
    )
    return submitted_for(request, actor, result, person)


def submitted_for(
    request: Request[Any, Any, Any], actor: Actor, result: Submitted, person: dict[str, Any]
) -> Redirect:
    """After a submit for someone: as :func:`show_submitted`, naming the person."""
    message = _("Request %(number)s is submitted for %(name)s.") % {
        "number": result.number,
        "name": person["display_name"],
    }
    return show_submitted(request, actor.org_id, result, message)


DESK_NEW_HANDLERS = [new_for_someone, submit_for_someone]
