"""Role → permission resolution (fast unit tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.descriptors import Permission
from core.identity.roles import ROLES, PermissionRegistry
from core.identity.service import parse_grant

PERMS = PermissionRegistry(
    [
        Permission("core.admin", lambda _: "", frozenset({"org_admin"})),
        Permission("core.audit.view", lambda _: "", frozenset({"auditor", "org_admin"})),
        Permission("notices.publish", lambda _: "", frozenset({"service_admin"})),
        Permission("repairs.manage", lambda _: "", frozenset({"service_admin"})),
        Permission("repairs.work", lambda _: "", frozenset({"agent"})),
    ]
)


def test_org_admin_holds_everything() -> None:
    assert PERMS.resolve([("org_admin", "")]) == frozenset(PERMS.by_code)


def test_service_admin_is_scoped_to_its_services() -> None:
    held = PERMS.resolve([("service_admin", "notices")])
    assert held == {"notices.publish"}


def test_a_permission_for_any_service_goes_to_every_service_admin() -> None:
    perms = PermissionRegistry(
        [
            Permission("notices.publish", lambda _: "", frozenset({"service_admin"})),
            Permission(
                "core.places.manage",
                lambda _: "",
                frozenset({"service_admin", "org_admin"}),
                any_service=True,
            ),
        ]
    )
    assert perms.resolve([("service_admin", "repairs")]) == {"core.places.manage"}
    assert perms.resolve([("service_admin", "notices")]) == {
        "notices.publish",
        "core.places.manage",
    }
    assert perms.resolve([("agent", ""), ("employee", "")]) == frozenset()


def test_unscoped_roles() -> None:
    assert PERMS.resolve([("auditor", "")]) == {"core.audit.view"}
    assert PERMS.resolve([("employee", "")]) == frozenset()
    assert PERMS.resolve([("agent", "")]) == {"repairs.work"}


grants = st.lists(
    st.tuples(st.sampled_from(ROLES), st.sampled_from(["", "notices", "repairs", "rooms"])),
    max_size=6,
)


@given(grants)
def test_resolution_only_grants_what_some_role_allows(gs: list[tuple[str, str]]) -> None:
    held = PERMS.resolve(gs)
    roles = {r for r, _ in gs}
    for code in held:
        perm = PERMS.by_code[code]
        assert "org_admin" in roles or perm.roles & roles
        if "org_admin" not in roles and perm.roles & roles == {"service_admin"}:
            assert ("service_admin", code.split(".")[0]) in gs


def test_registry_rejects_duplicates_and_unknown_roles() -> None:
    with pytest.raises(ValueError, match="twice"):
        PermissionRegistry([Permission("a.b", lambda _: ""), Permission("a.b", lambda _: "")])
    with pytest.raises(ValueError, match="unknown roles"):
        PermissionRegistry([Permission("a.b", lambda _: "", frozenset({"root"}))])


def test_parse_grant() -> None:
    assert parse_grant("service_admin:repairs") == ("service_admin", "repairs")
    assert parse_grant("employee:ignored") == ("employee", "")
    with pytest.raises(ValueError, match="needs a service scope"):
        parse_grant("service_admin")
    with pytest.raises(ValueError, match="Unknown role"):
        parse_grant("superuser")
