"""The acting user of a request, loaded once per request with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

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
