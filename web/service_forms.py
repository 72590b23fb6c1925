"""A service form on a page: prefill it, draw it, read it with its photos.

The spec is core's (``core.lifecycle.forms``); this is what every page that shows one
shares: the phone's ``/new/<slug>``, the desk's form for someone and a plugin's public
page (a sticker's report form). Templates draw the fields with
``macros/service_form.html``'s ``service_fields``, passing what :func:`form_context`
returns.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from core.attachments import PreparedFile, UploadRefused
from core.i18n import gettext as _
from core.lifecycle.forms import Filled, FormContext, ServiceForm, form_of
from web.errors import Refused
from web.forms import Form
from web.uploads import file_parts, read_uploads

MAX_PREFILL = 200  # characters of a value taken from the page's address


async def prefilled(request: Request[Any, Any, Any], ctx: FormContext, **initial: str) -> Form:
    """A fresh form of ``ctx.service``: the choices' defaults, a one-time submit token,
    ``initial`` values, the field values the page's address carries (``?asset=…``), then
    the form's own :meth:`ServiceForm.initial`."""
    spec = form_of(ctx.service)
    values = {**spec.defaults(ctx.channel), "submit_token": secrets.token_urlsafe(16), **initial}
    params = request.query_params
    for name in spec.keeps(ctx.channel):
        if name in params:
            values[name] = params.get(name, "")[:MAX_PREFILL]
    return Form(await spec.initial(values, ctx))


def submit_token(form: Form) -> str:
    """The form's one-time token (its idempotency key); a form without one is refused."""
    token = form.get("submit_token")
    if not token or len(token) > 64:
        raise Refused(_("This form is incomplete. Reload the page and try again."))
    return token


async def form_context(form: Form, ctx: FormContext) -> dict[str, Any]:
    """What ``service_fields`` needs: the fields of the channel, what each field's
    ``prepare`` gives, the context and the spec."""
    spec = form_of(ctx.service)
    fields = spec.for_channel(ctx.channel)
    return {
        "service_form": spec,
        "fields": fields,
        "extras": {f.name: await f.prepare(form, ctx) for f in fields},
        "form_ctx": ctx,
    }


@dataclass
class Reading:
    """A posted service form: ``filled`` when every field is valid and the photos are
    accepted; else ``status`` (422, 413, 415) with the messages on the form."""

    filled: Filled | None
    files: list[PreparedFile] = field(default_factory=list)
    status: int = 200
    files_lost: bool = False

    @property
    def ok(self) -> bool:
        return self.filled is not None


async def read_service_form(
    request: Request[Any, Any, Any], form: Form, ctx: FormContext
) -> Reading:
    """Check every field of ``ctx.channel``, then read the photos (only once the rest is
    valid: a browser cannot refill a file input, so the page says they were lost)."""
    spec: ServiceForm = form_of(ctx.service)
    photos = spec.photos(ctx.channel)
    filled = await spec.read(form, ctx)
    if filled is None:
        lost = photos is not None and bool(file_parts(form.data, photos.name))
        return Reading(None, status=422, files_lost=lost)
    if photos is None:
        return Reading(filled)
    try:
        files = await read_uploads(request, form.data, photos.name)
    except UploadRefused as exc:
        form.error(photos.name, exc.message())
        return Reading(None, status=exc.status_code, files_lost=True)
    return Reading(filled, files)
