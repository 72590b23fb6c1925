"""Roles and the permissions they carry.

Roles are fixed; permissions are registered by core and plugins
(``register_permissions``). An org admin holds every permission; a service admin
holds the service-admin permissions of the services named in its grants' scopes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from core.descriptors import Permission

EMPLOYEE = "employee"
APPROVER = "approver"
AGENT = "agent"
DISPATCHER = "dispatcher"
SERVICE_ADMIN = "service_admin"
ORG_ADMIN = "org_admin"
AUDITOR = "auditor"

ROLES: tuple[str, ...] = (EMPLOYEE, APPROVER, AGENT, DISPATCHER, SERVICE_ADMIN, ORG_ADMIN, AUDITOR)
SCOPED_ROLES = frozenset({SERVICE_ADMIN})


def role_label(role: str, _: Callable[[str], str]) -> str:
    labels = {
        EMPLOYEE: _("Employee"),
        APPROVER: _("Approver"),
        AGENT: _("Service agent"),
        DISPATCHER: _("Dispatcher"),
        SERVICE_ADMIN: _("Service admin"),
        ORG_ADMIN: _("Organisation admin"),
        AUDITOR: _("Auditor"),
    }
    return labels.get(role, role)


class PermissionRegistry:
    """All permissions known to this process, and which roles hold them."""

    def __init__(self, permissions: Iterable[Permission]) -> None:
        self.by_code: dict[str, Permission] = {}
        for perm in permissions:
            if perm.code in self.by_code:
                raise ValueError(f"Permission {perm.code!r} is registered twice.")
            unknown = set(perm.roles) - set(ROLES)
            if unknown:
                raise ValueError(f"Permission {perm.code!r} names unknown roles {sorted(unknown)}.")
            self.by_code[perm.code] = perm

    def resolve(self, grants: Iterable[tuple[str, str]]) -> frozenset[str]:
        """The permission codes held by a user with these (role, scope) grants."""
        grants = list(grants)
        roles = {role for role, _scope in grants}
        if ORG_ADMIN in roles:
            return frozenset(self.by_code)
        scopes = {scope for role, scope in grants if role == SERVICE_ADMIN}
        held = set()
        for code, perm in self.by_code.items():
            for role in perm.roles & roles:
                if role in SCOPED_ROLES:
                    if code.split(".", 1)[0] in scopes or (perm.any_service and scopes):
                        held.add(code)
                else:
                    held.add(code)
        return frozenset(held)
