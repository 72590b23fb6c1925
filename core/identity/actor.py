"""The acting user of a request, loaded once per request with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.identity.roles import ORG_ADMIN, SERVICE_ADMIN


@dataclass(frozen=True)
class Actor:
    user_id: int
    org_id: int
    org_slug: str
    org_name: str
    brand_colour: str
    org_locale: str
    time_zone: str
    login: str
    display_name: str
    locale: str | None
    department_id: int | None
    grants: frozenset[tuple[str, str]]
    permissions: frozenset[str]
    enabled_plugins: frozenset[str]
    via_token: bool = False
    # The plugin hook callers of this actor's organisation (``PluginRegistry.hooks`` of
    # ``enabled_plugins``), so core code acting for the actor (approval facts) reaches
    # exactly the plugins the organisation has switched on. None outside the app.
    hooks: Any = field(default=None, compare=False, repr=False)
    # Badge counts when the actor was loaded (capped): unread notifications, open
    # approval tasks. None when loaded without them.
    unread: int | None = field(default=None, compare=False)
    approvals_waiting: int | None = field(default=None, compare=False)
    # The user's session epoch: a session begun in an older one has ended (web.auth).
    session_epoch: int = field(default=0, compare=False)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _scope in self.grants)

    def has_role(self, role: str, scope: str | None = None) -> bool:
        if scope is None:
            return role in self.roles
        return (role, scope) in self.grants or (role, "") in self.grants

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_org_admin(self) -> bool:
        return ORG_ADMIN in self.roles

    @property
    def administered_services(self) -> list[str]:
        """Services this actor is a service admin of (sorted; empty for most people)."""
        return sorted(scope for role, scope in self.grants if role == SERVICE_ADMIN and scope)

    def administers(self, slug: str) -> bool:
        return self.is_org_admin or (SERVICE_ADMIN, slug) in self.grants

    @property
    def initials(self) -> str:
        return (self.display_name or self.login)[:1].upper()
