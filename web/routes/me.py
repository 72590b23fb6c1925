"""The signed-in employee's own pages: home, profile, password, API tokens."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core import i18n
from core.descriptors import Tile
from core.i18n import gettext as _
from core.identity.passwords import MIN_LENGTH, hash_password, verify_password
from core.identity.service import audit, end_sessions, issue_token, revoke_token
from core.lifecycle.states import OPEN
from core.tables import ApiToken, ServiceRequest, User
from web.auth import current_actor, keep_session
from web.forms import Form
from web.templating import render

MAX_TOKENS = 20
HOME_CARDS = 5


@get("/")
async def home(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    hooks = request.app.state.plugins.hooks(actor.enabled_plugins)
    services = request.app.state.services.enabled(actor.enabled_plugins)
    service_tiles = [
        Tile(s.slug, s.name, f"/new/{s.slug}", s.icon, order=s.order) for s in services
    ]
    tiles = sorted(
        [*service_tiles, *(t for group in hooks.home_tiles(actor=actor) for t in group)],
        key=lambda t: (t.order, t.slug),
    )
    in_progress = await (
        ServiceRequest.select(
            ServiceRequest.number,
            ServiceRequest.service,
            ServiceRequest.title,
            ServiceRequest.status,
            ServiceRequest.updated_at,
        )
        .where(
            (ServiceRequest.org == actor.org_id)
            & (ServiceRequest.requester == actor.user_id)
            & ServiceRequest.status.is_in([s.value for s in OPEN])
        )
        .order_by(ServiceRequest.id, ascending=False)
        .limit(HOME_CARDS)
    )
    return await render(
        request,
        "home.html",
        {"tiles": tiles, "in_progress": in_progress, "services": request.app.state.services},
    )


async def _profile_context(actor_id: int, org_id: int) -> dict[str, Any]:
    user = (
        await User.select(
            User.display_name,
            User.email,
            User.phone,
            User.locale,
            User.login,
            User.department.name.as_alias("department"),
        )
        .where((User.id == actor_id) & (User.org == org_id))
        .first()
    )
    if user is None:
        raise NotFoundException()
    tokens = (
        await ApiToken.select(
            ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at
        )
        .where(
            (ApiToken.user == actor_id) & (ApiToken.org == org_id) & ApiToken.revoked_at.is_null()
        )
        .order_by(ApiToken.created_at, ascending=False)
        .limit(MAX_TOKENS)
    )
    return {"user": user, "tokens": tokens}


@get("/me")
async def me(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    ctx = await _profile_context(actor.user_id, actor.org_id)
    return await render(
        request, "me.html", {**ctx, "form": Form(dict(ctx["user"])), "pw_form": Form()}
    )


@post("/me")
async def update_profile(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    name = form.required("display_name", _("Enter your name."), 200, _("At most 200 characters."))
    email, phone = form.email(), form.phone()
    locale = form.get("locale")
    if locale and locale not in i18n.LOCALES:
        form.error("locale", _("Choose one of the listed languages."))
    if not form.ok:
        ctx = await _profile_context(actor.user_id, actor.org_id)
        return await render(
            request, "me.html", {**ctx, "form": form, "pw_form": Form()}, status_code=422
        )
    await User.update(
        {User.display_name: name, User.email: email, User.phone: phone, User.locale: locale or None}
    ).where((User.id == actor.user_id) & (User.org == actor.org_id))
    if locale:
        i18n.set_locale(locale)
    flash(request, category="success", message=_("Your profile is saved."))
    return Redirect("/me", status_code=303)


@post("/me/password")
async def change_password(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    current, new, confirm = (str(form.data.get(k, "")) for k in ("current", "new", "confirm"))
    stored = (
        await User.select(User.password_hash)
        .where((User.id == actor.user_id) & (User.org == actor.org_id))
        .first()
    )
    if not await verify_password(stored["password_hash"] if stored else None, current):
        form.error("current", _("Your current password is not correct."))
    if len(new) < MIN_LENGTH:
        form.error("new", _("Use at least %(n)d characters.") % {"n": MIN_LENGTH})
    elif new != confirm:
        form.error("confirm", _("The two new passwords do not match."))
    if not form.ok:
        ctx = await _profile_context(actor.user_id, actor.org_id)
        form.data = {}
        return await render(
            request,
            "me.html",
            {**ctx, "form": Form(dict(ctx["user"])), "pw_form": form},
            status_code=422,
        )
    new_hash = await hash_password(new)
    async with User._meta.db.transaction():
        await User.update({User.password_hash: new_hash}).where(
            (User.id == actor.user_id) & (User.org == actor.org_id)
        )
        epoch = await end_sessions(actor.org_id, actor.user_id)
        await audit(actor.org_id, actor.user_id, "password.changed", actor.login)
    keep_session(request, epoch)
    flash(
        request,
        category="success",
        message=_(
            "Your password is changed. You are signed out everywhere else, "
            "and your API tokens are revoked."
        ),
    )
    return Redirect("/me", status_code=303)


@post("/me/tokens")
async def create_token(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    form = await Form.read(request)
    name = form.required(
        "name",
        _("Name the token, e.g. after the system that will use it."),
        100,
        _("At most 100 characters."),
    )
    ctx = await _profile_context(actor.user_id, actor.org_id)
    if form.ok and len(ctx["tokens"]) >= MAX_TOKENS:
        form.error(
            "name", _("You have %(n)d tokens already. Revoke one first.") % {"n": MAX_TOKENS}
        )
    if not form.ok:
        return await render(
            request,
            "me.html",
            {**ctx, "form": Form(dict(ctx["user"])), "pw_form": Form(), "token_form": form},
            status_code=422,
        )
    token = await issue_token(actor.org_id, actor.user_id, name)
    ctx = await _profile_context(actor.user_id, actor.org_id)
    return await render(
        request,
        "me.html",
        {**ctx, "form": Form(dict(ctx["user"])), "pw_form": Form(), "new_token": token},
        status_code=201,
    )


@post("/me/tokens/{token_id:int}/revoke")
async def revoke(request: Request[Any, Any, Any], token_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    if not await revoke_token(actor.org_id, actor.user_id, token_id):
        raise NotFoundException()
    flash(request, category="success", message=_("The token is revoked."))
    return Redirect("/me", status_code=303)


ME_HANDLERS = [home, me, update_profile, change_password, create_token, revoke]
