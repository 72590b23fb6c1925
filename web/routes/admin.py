"""/admin: users, departments, roles, plugins on/off and the audit log of one organisation.

Every lookup is scoped to the actor's organisation: an id from another organisation
is simply not found (404).
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core import i18n
from core.db import icontains
from core.default_plugin import ADMIN, AUDIT_VIEW
from core.i18n import gettext as _
from core.identity.passwords import MIN_LENGTH, hash_password
from core.identity.roles import ROLES, SCOPED_ROLES, role_label
from core.identity.service import (
    audit,
    end_sessions,
    normalise_login,
    set_plugin_enabled,
    set_roles,
)
from core.tables import AuditEntry, Department, Organisation, RoleGrant, User
from web.auth import current_actor, permission_required
from web.forms import Form
from web.params import Cursor, Offset
from web.templating import render

PAGE = 50
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,149}$")
admin_only = [permission_required(ADMIN)]


def _role_label(role: str) -> str:
    return role_label(role, _)


@get("/", guards=admin_only)
async def admin_home(request: Request[Any, Any, Any]) -> Template:
    # the cards are the admin console's menu (navigation registry, surface "admin")
    return await render(request, "admin/home.html")


# -- users -----------------------------------------------------------------------------


@get("/users", guards=admin_only)
async def users_list(
    request: Request[Any, Any, Any], q: FromQuery[str] = "", after: Offset = 0
) -> Template:
    actor = current_actor(request)
    where = (User.org == actor.org_id) & (User.id > after)
    if q.strip():
        where &= icontains(User.login, q.strip()) | icontains(User.display_name, q.strip())
    rows = await (
        User.select(
            User.id,
            User.login,
            User.display_name,
            User.is_active,
            User.department.name.as_alias("department"),
        )
        .where(where)
        .order_by(User.id)
        .limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    ids = [r["id"] for r in rows]
    grants: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        for g in await RoleGrant.select(RoleGrant.user, RoleGrant.role, RoleGrant.scope).where(
            (RoleGrant.org == actor.org_id) & RoleGrant.user.is_in(ids)
        ):
            grants[g["user"]].append((g["role"], g["scope"]))
    return await render(
        request,
        "admin/users.html",
        {
            "users": rows,
            "grants": grants,
            "q": q,
            "next_after": rows[-1]["id"] if more else None,
            "role_label": _role_label,
        },
        block="results",
    )


async def _departments(org_id: int) -> list[dict[str, Any]]:
    return (
        await Department.select(Department.id, Department.name, Department.parent)
        .where(Department.org == org_id)
        .order_by(Department.name)
        .limit(500)
    )


async def _user_form_context(
    request: Request[Any, Any, Any], form: Form, user_id: int | None = None
) -> dict[str, Any]:
    actor = current_actor(request)
    installed = request.app.state.plugins.installed
    return {
        "form": form,
        "user_id": user_id,
        "department_options": [(d["id"], d["name"]) for d in await _departments(actor.org_id)],
        "services": [(slug, p.info.name(_)) for slug, p in installed.items()],
        "roles": ROLES,
        "scoped_roles": SCOPED_ROLES,
        "role_label": _role_label,
    }


@get("/users/new", guards=admin_only)
async def user_new(request: Request[Any, Any, Any]) -> Template:
    form = Form({"roles": ["employee"], "is_active": "on"})
    return await render(request, "admin/user_form.html", await _user_form_context(request, form))


def _grants_from(form: Form, services: list[str]) -> list[tuple[str, str]]:
    grants = []
    for role in form.getall("roles"):
        if role not in ROLES:
            form.error("roles", _("Choose roles from the list."))
            continue
        if role in SCOPED_ROLES:
            scopes = [s for s in form.getall("service_scopes") if s in services]
            if not scopes:
                form.error("service_scopes", _("A service admin needs at least one service."))
            grants.extend((role, s) for s in scopes)
        else:
            grants.append((role, ""))
    return grants


async def _validate_user(
    form: Form, org_id: int, services: list[str], *, new: bool, user_id: int | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if new:
        login = normalise_login(form.get("login"))
        if not LOGIN_RE.match(login):
            form.error("login", _("3–150 characters: lower-case letters, digits, and . _ @ -"))
        elif await User.exists().where(User.login == login):
            form.error("login", _("This account name is taken."))
        values["login"] = login
    values["display_name"] = form.required(
        "display_name", _("Enter the person's name."), 200, _("At most 200 characters.")
    )
    values["email"], values["phone"] = form.email(), form.phone()
    dept = form.id("department")
    values["department"] = None
    if form.get("department"):
        if dept is None or not await Department.exists().where(
            (Department.id == dept) & (Department.org == org_id)
        ):
            form.error("department", _("Choose a department from the list."))
        else:
            values["department"] = dept
    password = str(form.data.get("password", ""))
    if new or password:
        if len(password) < MIN_LENGTH:
            form.error("password", _("Use at least %(n)d characters.") % {"n": MIN_LENGTH})
        else:
            values["password_hash"] = await hash_password(password)
    values["is_active"] = form.get("is_active") == "on"
    values["grants"] = _grants_from(form, services)
    if not values["grants"]:
        form.error("roles", _("Give the person at least one role."))
    return values


@post("/users", guards=admin_only)
async def user_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    services = request.app.state.plugins.slugs
    values = await _validate_user(form, actor.org_id, services, new=True)
    if not form.ok:
        return await render(
            request,
            "admin/user_form.html",
            await _user_form_context(request, form),
            status_code=422,
        )
    grants = values.pop("grants")
    async with User._meta.db.transaction():
        user = User(org=actor.org_id, **values)
        await user.save()
        await set_roles(actor.org_id, user.id, grants)
        await audit(
            actor.org_id,
            actor.user_id,
            "user.created",
            values["login"],
            roles=[f"{r}:{s}".rstrip(":") for r, s in grants],
        )
    flash(
        request,
        category="success",
        message=_("%(name)s can now sign in.") % {"name": values["display_name"]},
    )
    return Redirect("/admin/users", status_code=303)


async def _org_user(org_id: int, user_id: int) -> dict[str, Any]:
    row = (
        await User.select(
            User.id,
            User.login,
            User.display_name,
            User.email,
            User.phone,
            User.department,
            User.is_active,
        )
        .where((User.id == user_id) & (User.org == org_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


@get("/users/{user_id:int}", guards=admin_only)
async def user_edit(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    row = await _org_user(actor.org_id, user_id)
    grants = await RoleGrant.select(RoleGrant.role, RoleGrant.scope).where(
        (RoleGrant.user == user_id) & (RoleGrant.org == actor.org_id)
    )
    form = Form(
        {
            **{k: ("" if v is None else str(v)) for k, v in row.items()},
            "is_active": "on" if row["is_active"] else "",
            "roles": sorted({g["role"] for g in grants}),
            "service_scopes": sorted({g["scope"] for g in grants if g["scope"]}),
        }
    )
    return await render(
        request, "admin/user_form.html", await _user_form_context(request, form, user_id)
    )


@post("/users/{user_id:int}", guards=admin_only)
async def user_update(
    request: Request[Any, Any, Any], user_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    row = await _org_user(actor.org_id, user_id)
    form = await Form.read(request)
    values = await _validate_user(
        form, actor.org_id, request.app.state.plugins.slugs, new=False, user_id=user_id
    )
    if user_id == actor.user_id and (
        not values["is_active"] or ("org_admin", "") not in values["grants"]
    ):
        form.error("roles", _("You cannot remove your own admin role or deactivate yourself."))
    if not form.ok:
        form.data = (
            {**dict(form.data), "login": row["login"]} if hasattr(form.data, "items") else form.data
        )
        return await render(
            request,
            "admin/user_form.html",
            await _user_form_context(request, form, user_id),
            status_code=422,
        )
    grants = values.pop("grants")
    # A new password, or a switch of the account off or on, ends the person's sessions
    # and tokens: a reactivated account starts clean, a reset password locks out
    # whoever had the old one.
    ends_sessions = "password_hash" in values or values["is_active"] != row["is_active"]
    async with User._meta.db.transaction():
        await User.update({getattr(User, k): v for k, v in values.items()}).where(
            (User.id == user_id) & (User.org == actor.org_id)
        )
        if ends_sessions:
            await end_sessions(actor.org_id, user_id)
        await set_roles(actor.org_id, user_id, grants)
        await audit(
            actor.org_id,
            actor.user_id,
            "user.updated",
            row["login"],
            roles=[f"{r}:{s}".rstrip(":") for r, s in grants],
            active=values["is_active"],
        )
    flash(
        request,
        category="success",
        message=_("Changes to %(name)s are saved.") % {"name": values["display_name"]},
    )
    return Redirect("/admin/users", status_code=303)


# -- departments -----------------------------------------------------------------------


def _tree(rows: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Departments in tree order with their depth."""
    children: dict[int | None, list[dict[str, Any]]] = {}
    ids = {r["id"] for r in rows}
    for r in rows:
        parent = r["parent"] if r["parent"] in ids else None
        children.setdefault(parent, []).append(r)
    out: list[tuple[int, dict[str, Any]]] = []

    def walk(parent: int | None, depth: int) -> None:
        for r in children.get(parent, []):
            out.append((depth, r))
            walk(r["id"], depth + 1)

    walk(None, 0)
    return out


async def _departments_page(
    request: Request[Any, Any, Any], form: Form, status: int = 200, edit_id: int | None = None
) -> Template:
    actor = current_actor(request)
    rows = (
        await Department.select(
            Department.id, Department.name, Department.parent, Department.head_user_id
        )
        .where(Department.org == actor.org_id)
        .order_by(Department.name)
        .limit(1000)
    )
    head_ids = [r["head_user_id"] for r in rows if r["head_user_id"]]
    heads = {}
    if head_ids:
        heads = {
            u["id"]: u
            for u in await User.select(User.id, User.display_name, User.login).where(
                (User.org == actor.org_id) & User.id.is_in(head_ids)
            )
        }
    return await render(
        request,
        "admin/departments.html",
        {
            "tree": _tree(rows),
            "heads": heads,
            "form": form,
            "blank_form": Form(),
            "departments": rows,
            "department_options": [(d["id"], d["name"]) for d in rows],
            "edit_id": edit_id,
        },
        status_code=status,
    )


@get("/departments", guards=admin_only)
async def departments(request: Request[Any, Any, Any]) -> Template:
    return await _departments_page(request, Form())


async def _validate_department(
    form: Form, org_id: int, dept_id: int | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": form.required(
            "name", _("Enter the department's name."), 200, _("At most 200 characters.")
        )
    }
    parent = form.id("parent")
    values["parent"] = None
    if form.get("parent"):
        if parent is None:
            form.error("parent", _("Choose a department from the list."))
        else:
            chain = await Department.select(Department.id, Department.parent).where(
                Department.org == org_id
            )
            parents = {r["id"]: r["parent"] for r in chain}
            node: int | None = parent
            if node not in parents:
                form.error("parent", _("Choose a department from the list."))
            else:
                seen = set()
                while node is not None and node not in seen:
                    if node == dept_id:
                        form.error(
                            "parent",
                            _("A department cannot sit under itself or its own sub-department."),
                        )
                        break
                    seen.add(node)
                    node = parents.get(node)
                values["parent"] = parent
    head = normalise_login(form.get("head_login"))
    values["head_user_id"] = None
    if head:
        found = (
            await User.select(User.id).where((User.login == head) & (User.org == org_id)).first()
        )
        if found is None:
            form.error(
                "head_login",
                _("No one in your organisation has the account name %(login)s.") % {"login": head},
            )
        else:
            values["head_user_id"] = found["id"]
    return values


@post("/departments", guards=admin_only)
async def department_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    values = await _validate_department(form, actor.org_id)
    if not form.ok:
        return await _departments_page(request, form, 422)
    await Department.insert(Department(org=actor.org_id, **values))
    await audit(actor.org_id, actor.user_id, "department.created", values["name"])
    flash(
        request,
        category="success",
        message=_("Department %(name)s is added.") % {"name": values["name"]},
    )
    return Redirect("/admin/departments", status_code=303)


@post("/departments/{dept_id:int}", guards=admin_only)
async def department_update(
    request: Request[Any, Any, Any], dept_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    if not await Department.exists().where(
        (Department.id == dept_id) & (Department.org == actor.org_id)
    ):
        raise NotFoundException()
    form = await Form.read(request)
    values = await _validate_department(form, actor.org_id, dept_id)
    if not form.ok:
        return await _departments_page(request, form, 422, edit_id=dept_id)
    await Department.update({getattr(Department, k): v for k, v in values.items()}).where(
        (Department.id == dept_id) & (Department.org == actor.org_id)
    )
    await audit(actor.org_id, actor.user_id, "department.updated", values["name"])
    flash(
        request,
        category="success",
        message=_("Department %(name)s is saved.") % {"name": values["name"]},
    )
    return Redirect("/admin/departments", status_code=303)


# -- organisation settings -------------------------------------------------------------

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


async def _org_page(request: Request[Any, Any, Any], form: Form, status: int = 200) -> Template:
    return await render(
        request,
        "admin/organisation.html",
        {"form": form, "locale_options": list(i18n.LANGUAGE_NAMES.items())},
        status_code=status,
    )


@get("/organisation", guards=admin_only)
async def organisation_page(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    row = (
        await Organisation.select(
            Organisation.name,
            Organisation.default_locale,
            Organisation.time_zone,
            Organisation.brand_colour,
        )
        .where(Organisation.id == actor.org_id)
        .first()
    )
    return await _org_page(request, Form({k: str(v) for k, v in (row or {}).items()}))


@post("/organisation", guards=admin_only)
async def organisation_update(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    name = form.required(
        "name", _("Enter the organisation's name."), 200, _("At most 200 characters.")
    )
    locale = form.get("default_locale")
    if locale not in i18n.LOCALES:
        form.error("default_locale", _("Choose one of the listed languages."))
    time_zone = form.get("time_zone")
    try:
        if len(time_zone) > 64:  # the longest IANA name has 32 characters
            raise ValueError(time_zone)
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        form.error("time_zone", _("Enter a time zone such as Asia/Shanghai."))
    colour = form.get("brand_colour")
    if not HEX_COLOUR.match(colour):
        form.error("brand_colour", _("Enter a colour as # and six hex digits, e.g. #1d64d8."))
    if not form.ok:
        return await _org_page(request, form, 422)
    await Organisation.update(
        {
            Organisation.name: name,
            Organisation.default_locale: locale,
            Organisation.time_zone: time_zone,
            Organisation.brand_colour: colour.lower(),
        }
    ).where(Organisation.id == actor.org_id)
    await audit(actor.org_id, actor.user_id, "organisation.updated", name)
    flash(request, category="success", message=_("The organisation's settings are saved."))
    return Redirect("/admin/organisation", status_code=303)


# -- plugins ---------------------------------------------------------------------------


@get("/plugins", guards=admin_only)
async def plugins_page(request: Request[Any, Any, Any]) -> Template:
    registry = request.app.state.plugins
    return await render(
        request, "admin/plugins.html", {"plugins": list(registry.installed.values())}
    )


@post("/plugins/{slug:str}", guards=admin_only)
async def plugin_toggle(request: Request[Any, Any, Any], slug: FromPath[str]) -> Redirect:
    actor = current_actor(request)
    registry = request.app.state.plugins
    if slug not in registry.installed:
        raise NotFoundException()
    form = await Form.read(request)
    enabled = form.get("enabled") == "on"
    await set_plugin_enabled(actor.org_id, slug, enabled, actor.user_id)
    name = registry.installed[slug].info.name(_)
    message = (
        _("%(name)s is on for your organisation.")
        if enabled
        else _("%(name)s is off for your organisation.")
    )
    flash(request, category="success", message=message % {"name": name})
    return Redirect("/admin/plugins", status_code=303)


# -- audit log -------------------------------------------------------------------------


def _action_label(request: Request[Any, Any, Any], action: str) -> str:
    label = request.app.state.audit_labels.get(action)
    return label(_) if label else action


@get("/audit", guards=[permission_required(AUDIT_VIEW)])
async def audit_log(request: Request[Any, Any, Any], before: Cursor = None) -> Template:
    actor = current_actor(request)
    where = AuditEntry.org == actor.org_id
    if before:
        where &= AuditEntry.id < before
    rows = (
        await AuditEntry.select(
            AuditEntry.id,
            AuditEntry.actor_id,
            AuditEntry.action,
            AuditEntry.target,
            AuditEntry.created_at,
        )
        .where(where)
        .order_by(AuditEntry.id, ascending=False)
        .limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    actor_ids = sorted({r["actor_id"] for r in rows if r["actor_id"]})
    names = {}
    if actor_ids:
        names = {
            u["id"]: u["display_name"]
            for u in await User.select(User.id, User.display_name).where(
                (User.org == actor.org_id) & User.id.is_in(actor_ids)
            )
        }
    return await render(
        request,
        "admin/audit.html",
        {
            "entries": rows,
            "names": names,
            "next_before": rows[-1]["id"] if more else None,
            "action_label": lambda action: _action_label(request, action),
        },
    )


ADMIN_HANDLERS = [
    admin_home,
    users_list,
    user_new,
    user_create,
    user_edit,
    user_update,
    departments,
    department_create,
    department_update,
    organisation_page,
    organisation_update,
    plugins_page,
    plugin_toggle,
    audit_log,
]
