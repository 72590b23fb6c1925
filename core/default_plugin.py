"""Core's own contributions, registered through the same hooks as any plugin."""

from __future__ import annotations

from core.descriptors import NavItem, Permission
from core.hookspecs import hookimpl
from core.identity.actor import Actor
from core.identity.roles import AUDITOR, ORG_ADMIN

ADMIN = "core.admin"
AUDIT_VIEW = "core.audit.view"


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(ADMIN, lambda _: _("Administer the organisation"), frozenset({ORG_ADMIN})),
        Permission(AUDIT_VIEW, lambda _: _("Read the audit log"), frozenset({AUDITOR, ORG_ADMIN})),
    ]


@hookimpl
def nav_items(actor: Actor) -> list[NavItem]:
    items = [
        NavItem("home", lambda _: _("Home"), "/", "home", order=0),
        NavItem("me", lambda _: _("Me"), "/me", "user", order=900),
    ]
    if actor.can(ADMIN):
        items.append(NavItem("admin", lambda _: _("Admin"), "/admin", "settings", order=800))
    elif actor.can(AUDIT_VIEW):
        items.append(
            NavItem("audit", lambda _: _("Audit log"), "/admin/audit", "list-check", order=800)
        )
    return items
