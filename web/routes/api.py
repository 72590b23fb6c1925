"""Core JSON API under /api/v1 (OpenAPI at /schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from core.i18n import gettext as _
from core.lifecycle import inbox
from core.lifecycle.actions import ActionRefused, offered, take
from core.lifecycle.forms import FormContext, form_of, submit_form
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import IllegalTransition
from web.auth import current_actor, visible_or_404
from web.errors import Refused
from web.forms import Form
from web.live import announce
from web.params import BodyId, Cursor
from web.routes.actions import action_of, no_longer
from web.routes.requests import cancel_or_refuse


class MeOut(msgspec.Struct):
    id: int
    login: str
    display_name: str
    organisation: str
    locale: str | None
    roles: list[str]
    permissions: list[str]
    enabled_plugins: list[str]


@get("/me", summary="The authenticated user", tags=["identity"])
async def api_me(request: Request[Any, Any, Any]) -> MeOut:
    actor = current_actor(request)
    return MeOut(
        id=actor.user_id,
        login=actor.login,
        display_name=actor.display_name,
        organisation=actor.org_slug,
        locale=actor.locale,
        roles=sorted(f"{r}:{s}" if s else r for r, s in actor.grants),
        permissions=sorted(actor.permissions),
        enabled_plugins=sorted(actor.enabled_plugins),
    )


API_HANDLERS = [api_me]


# -- requests ----------------------------------------------------------------------------


class RequestIn(msgspec.Struct):
    """A new request of ``service``, with its form's fields (``GET /services/{slug}/form``
    lists them): the common ones by name here, a plugin's own in ``fields``. Field
    errors come back as ``errors`` (field → message) with status 422."""

    service: str = ""
    kind: str = ""
    title: str = ""
    description: str = ""
    location: str = ""
    priority: str = "normal"
    amount: str = ""  # ¥ as text ("1500", "199.50"), for services that ask for one
    fields: dict[str, str] = {}


class FieldOptionOut(msgspec.Struct):
    value: str
    label: str


class FieldOut(msgspec.Struct, omit_defaults=True):
    name: str
    type: str
    label: str
    required: bool
    hint: str | None = None
    fact: str | None = None
    max_length: int | None = None
    options: list[FieldOptionOut] | None = None


class FormOut(msgspec.Struct):
    service: str
    title: str
    fields: list[FieldOut]


@get(
    "/services/{slug:str}/form",
    summary="The fields of a service's new-request form",
    description="What `POST /requests` takes for this service: each field's name, type "
    "(text, long_text, choice, amount, phone or a plugin's own), label in the caller's "
    "language, whether it is required, its options and the approval fact it gives.",
    tags=["requests"],
)
async def api_service_form(request: Request[Any, Any, Any], slug: FromPath[str]) -> FormOut:
    actor = current_actor(request)
    catalog = request.app.state.services
    if not catalog.is_enabled(slug, actor.enabled_plugins):
        raise NotFoundException()
    service = catalog.get(slug)
    return msgspec.convert(form_of(service).describe(FormContext(actor, service, "api")), FormOut)


class RequestSummary(msgspec.Struct):
    number: str
    service: str
    kind: str
    title: str
    status: str
    submitted_at: datetime
    updated_at: datetime


class EventOut(msgspec.Struct):
    kind: str
    from_status: str
    to_status: str
    message: str
    actor: str | None
    created_at: datetime


class RequestOut(msgspec.Struct):
    number: str
    service: str
    kind: str
    title: str
    description: str
    location: str
    priority: str
    status: str
    approval_mode: str
    requester: str
    submitted_at: datetime
    updated_at: datetime
    version: int
    events: list[EventOut]


class CancelIn(msgspec.Struct):
    reason: str = ""
    version: BodyId | None = None


def unprocessable(form: Form) -> Response[dict[str, Any]]:
    """422 with the form's errors per field (the API's answer to bad fields)."""
    return Response(
        {"status_code": 422, "detail": _("Please check the fields."), "errors": form.errors},
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


MAX_IDEMPOTENCY_KEY = 120  # stored as "api:<key>" in a 128-character column


def submit_key(header: str | None) -> str | None:
    """The submit's idempotency key for an ``Idempotency-Key`` header (400 if too long)."""
    if header is None:
        return None
    if not 1 <= len(header) <= MAX_IDEMPOTENCY_KEY:
        raise Refused(_("Idempotency-Key must be 1 to 120 characters long."))
    return f"api:{header}"


@post(
    "/requests",
    summary="Submit a request",
    description="Send an `Idempotency-Key` header to make retries safe: a replayed key "
    "returns the first request (200) instead of creating another (201).",
    tags=["requests"],
)
async def api_submit(
    request: Request[Any, Any, Any],
    data: JSONBody[RequestIn],
    idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
) -> Response[Any]:
    actor = current_actor(request)
    catalog = request.app.state.services
    values = msgspec.structs.asdict(data)
    form = Form({**values.pop("fields"), **values})
    if not catalog.is_enabled(data.service, actor.enabled_plugins):
        form.error("service", _("Choose a service from the list."))
        return unprocessable(form)
    key = submit_key(idempotency_key)
    ctx = FormContext(actor, catalog.get(data.service), "api")
    filled = await form_of(ctx.service).read(form, ctx)
    if filled is None:
        return unprocessable(form)
    made = await submit_form(ctx, filled, idempotency_key=key)
    if made.created:
        announce(request, actor.org_id, made.number)
    row = await inbox.visible_request(actor, made.number)
    return Response(
        _request_out(row, await inbox.timeline(actor, row)),
        status_code=HTTP_201_CREATED if made.created else HTTP_200_OK,
        headers={"Location": f"/api/v1/requests/{made.number}"},
    )


@get("/requests", summary="My requests, newest first", tags=["requests"])
async def api_my_requests(
    request: Request[Any, Any, Any],
    show: FromQuery[str] = "open",
    q: FromQuery[str] = "",
    before: Cursor = None,
) -> list[RequestSummary]:
    actor = current_actor(request)
    rows, _next = await inbox.my_requests(actor, show if show in inbox.SHOW else "open", q, before)
    return [RequestSummary(**{k: r[k] for k in RequestSummary.__struct_fields__}) for r in rows]


def _request_out(row: dict[str, Any], events: list[dict[str, Any]]) -> RequestOut:
    return RequestOut(
        number=row["number"],
        service=row["service"],
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        location=row["location"],
        priority=row["priority"],
        status=row["status"],
        approval_mode=row["approval_mode"],
        requester=row["requester_name"],
        submitted_at=row["submitted_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        events=[
            EventOut(
                kind=e["kind"],
                from_status=e["from_status"],
                to_status=e["to_status"],
                message=e["message"],
                actor=e["actor_name"],
                created_at=e["created_at"],
            )
            for e in events
        ],
    )


@get("/requests/{number:str}", summary="One request with its timeline", tags=["requests"])
async def api_request(request: Request[Any, Any, Any], number: FromPath[str]) -> RequestOut:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    return _request_out(row, await inbox.timeline(actor, row))


@post(
    "/requests/{number:str}/cancel", summary="Cancel my request", tags=["requests"], status_code=200
)
async def api_cancel(
    request: Request[Any, Any, Any], number: FromPath[str], data: JSONBody[CancelIn]
) -> RequestOut:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    if row["requester"] != actor.user_id:
        raise NotFoundException()
    await cancel_or_refuse(actor, row, data.reason, data.version)
    announce(request, actor.org_id, number)
    row = await visible_or_404(actor, number)
    return _request_out(row, await inbox.timeline(actor, row))


class ActionOut(msgspec.Struct):
    """An action the caller may take on the request now."""

    code: str
    label: str
    note: str | None
    photos: str | None
    primary: bool


class ActionIn(msgspec.Struct):
    """Taking an action: the note (required by some) and the version last read."""

    note: str = ""
    version: int | None = None


@get("/requests/{number:str}/actions", summary="What I can do on a request now", tags=["requests"])
async def api_actions(request: Request[Any, Any, Any], number: FromPath[str]) -> list[ActionOut]:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    return [
        ActionOut(a.code, a.label(_), a.note, a.photos, i == 0)
        for i, a in enumerate(await offered(actor, row))
    ]


@post(
    "/requests/{number:str}/actions/{code:str}",
    summary="Take an action on a request",
    description="The same actions as the request page's buttons (see GET …/actions). A "
    "stale `version` answers 409; a missing required note 422 with `errors.note`. Actions "
    "that need photos are taken on the page (multipart), not here.",
    tags=["requests"],
    status_code=200,
)
async def api_take_action(
    request: Request[Any, Any, Any],
    number: FromPath[str],
    code: FromPath[str],
    data: JSONBody[ActionIn],
) -> RequestOut | Response[dict[str, Any]]:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    action = await action_of(actor, row, code)
    try:  # take() refuses an action that no longer applies as a Conflict
        await take(actor, row, action, note=data.note, expected_version=data.version)
    except ActionRefused as refusal:
        if refusal.status_code == HTTP_422_UNPROCESSABLE_ENTITY and refusal.field:
            form = Form()
            form.error(refusal.field, refusal.message)
            return unprocessable(form)
        raise Refused(refusal.message, refusal.status_code) from refusal
    except (IllegalTransition, Conflict) as exc:
        refusal = no_longer(action)
        raise Refused(refusal.message, refusal.status_code) from exc
    announce(request, actor.org_id, number)
    row = await visible_or_404(actor, number)
    return _request_out(row, await inbox.timeline(actor, row))


API_HANDLERS += [
    api_service_form,
    api_submit,
    api_my_requests,
    api_request,
    api_cancel,
    api_actions,
    api_take_action,
]
