"""Database operations of identity: actors, logins, users, roles, plugin switches, tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from core.clock import now
from core.identity.actor import Actor
from core.identity.passwords import hash_password, needs_rehash, verify_password
from core.identity.roles import ROLES, SCOPED_ROLES, PermissionRegistry
from core.plugins import PluginRegistry
from core.tables import (
    ApiToken,
    AuditEntry,
    Department,
    Organisation,
    PluginSetting,
    RoleGrant,
    User,
)

TOKEN_PREFIX = "hq_"  # noqa: S105 - a marker, not a secret
UNREAD_CAP = 99  # the badge shows "99+" past this; never count further

# The actor of every request in one statement (user, organisation, grants, plugin
# switches, and the two badge counts: unread notifications and open approval tasks,
# each up to the cap). Roles, scopes and plugin slugs are
# identifiers ([a-z0-9_]), so "," ":" and "=" are safe separators.
_ACTOR_SQL_TEMPLATE = """
SELECT u.id, u.org AS org_id, o.slug AS org_slug, o.name AS org_name,
       o.brand_colour, o.default_locale AS org_locale, o.time_zone,
       u.login, u.display_name, u.locale, u.department AS department_id, u.session_epoch,
       (SELECT {agg}(g.role || ':' || g.scope, ',') FROM core_role_grant g
         WHERE g.org = u.org AND g."user" = u.id) AS grants,
       (SELECT {agg}(p.slug || '=' || (CASE WHEN p.enabled THEN '1' ELSE '0' END), ',')
          FROM core_plugin_setting p WHERE p.org = u.org) AS plugins,
       (SELECT count(*) FROM (SELECT 1 FROM core_notification n
         WHERE n.org = u.org AND n."user" = u.id AND n.read_at IS NULL
         LIMIT {cap}) AS unread_rows) AS unread,
       (SELECT count(*) FROM (SELECT 1 FROM core_approval_task t
         WHERE t.org = u.org AND t."user" = u.id AND t.open
         LIMIT {cap}) AS task_rows) AS approvals_waiting
  FROM core_user u JOIN core_organisation o ON o.id = u.org
 WHERE u.id = {{}}{active}
"""
# Keyed by (PostgreSQL?, active users only?).
_ACTOR_SQL = {
    (pg, active): _ACTOR_SQL_TEMPLATE.format(
        agg="string_agg" if pg else "group_concat",
        cap=UNREAD_CAP + 1,
        active=" AND u.is_active" if active else "",
    )
    for pg in (False, True)
    for active in (False, True)
}
SERVICE_LOGIN = "~{key}@{org}"  # "~" never survives the admin's login check: not a person


async def enabled_plugins(org_id: int, registry: PluginRegistry) -> frozenset[str]:
    """Installed plugins the organisation has on (a plugin with no row uses its default)."""
    rows = await PluginSetting.select(PluginSetting.slug, PluginSetting.enabled).where(
        PluginSetting.org == org_id
    )
    return _enabled_from({row["slug"]: row["enabled"] for row in rows}, registry)


def _enabled_from(explicit: dict[str, bool], registry: PluginRegistry) -> frozenset[str]:
    return frozenset(
        slug
        for slug, plugin in registry.installed.items()
        if explicit.get(slug, plugin.settings.get("enabled_by_default", True))
    )


async def set_plugin_enabled(org_id: int, slug: str, enabled: bool, actor_id: int | None) -> None:
    # One statement: two admins switching at once cannot both insert (unique org+slug).
    await PluginSetting.insert(
        PluginSetting(org=org_id, slug=slug, enabled=enabled, updated_at=now())
    ).on_conflict(
        target=(PluginSetting.org, PluginSetting.slug),
        action="DO UPDATE",
        values=[PluginSetting.enabled, PluginSetting.updated_at],
    )
    await audit(org_id, actor_id, "plugin.enabled" if enabled else "plugin.disabled", slug)


async def load_actor(
    user_id: int,
    registry: PluginRegistry,
    permissions: PermissionRegistry,
    *,
    via_token: bool = False,
    service_account: bool = False,
) -> Actor | None:
    """Load an active user with organisation, grants, enabled plugins and the unread
    notification count (capped for the badge), in one statement: it runs on every
    request, so it is plain SQL rather than three ORM queries (see docs/performance.md).
    """
    engine = User._meta.db
    # A service account (see :func:`service_account`) is inactive: nobody signs in as it.
    sql = _ACTOR_SQL[engine.engine_type == "postgres", not service_account]
    rows = await User.raw(sql, user_id)
    if not rows:
        return None
    row = rows[0]
    grants = frozenset(
        tuple(g.split(":", 1))
        for g in (row["grants"] or "").split(",")
        if g  # type: ignore[misc]
    )
    explicit = {
        slug: flag == "1"
        for slug, _, flag in (p.partition("=") for p in (row["plugins"] or "").split(",") if p)
    }
    enabled = _enabled_from(explicit, registry)
    return Actor(
        user_id=row["id"],
        org_id=row["org_id"],
        org_slug=row["org_slug"],
        org_name=row["org_name"],
        brand_colour=row["brand_colour"],
        org_locale=row["org_locale"],
        time_zone=row["time_zone"],
        login=row["login"],
        display_name=row["display_name"],
        locale=row["locale"],
        department_id=row["department_id"],
        grants=grants,
        permissions=permissions.resolve(grants),
        enabled_plugins=enabled,
        via_token=via_token,
        hooks=registry.hooks(enabled),
        unread=row["unread"],
        approvals_waiting=row["approvals_waiting"],
        session_epoch=row["session_epoch"],
    )


async def service_account(org_id: int, key: str, display_name: str) -> int:
    """The id of the organisation's service account ``key`` (created on first use).

    A service account stands for requesters who are not users: people reporting a fault
    from a door sticker without signing in, or a maintenance schedule. It is inactive
    (no sign-in, not offered in people pickers) and holds no roles; its login cannot be
    typed by an admin. Safe under concurrency: the login is unique.
    """
    login = SERVICE_LOGIN.format(key=key, org=org_id)
    found = await User.select(User.id).where((User.login == login) & (User.org == org_id)).first()
    if found is None:
        await User.insert(
            User(
                org=org_id,
                login=login,
                display_name=display_name,
                password_hash="!",  # noqa: S106 - matches no password
                is_active=False,
            )
        ).on_conflict(action="DO NOTHING")
        found = (
            await User.select(User.id).where((User.login == login) & (User.org == org_id)).first()
        )
    return found["id"]


def normalise_login(login: str) -> str:
    return login.strip().lower()


async def authenticate(login: str, password: str) -> dict[str, Any] | None:
    """Return the user row when login and password match an active user, else None."""
    row = (
        await User.select(User.id, User.org, User.password_hash, User.is_active, User.session_epoch)
        .where(User.login == normalise_login(login))
        .first()
    )
    ok = await verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["is_active"]:
        return None
    values: dict[Any, Any] = {User.last_login_at: now()}
    if needs_rehash(row["password_hash"]):
        values[User.password_hash] = await hash_password(password)
    await User.update(values).where(User.id == row["id"])
    return row


async def audit(
    org_id: int, actor_id: int | None, action: str, target: str = "", **detail: Any
) -> None:
    """Append to the audit log: who (``actor_id``, None for the system) did
    ``action`` (``<area>.<verb>``) to ``target``, with ``detail`` as JSON."""
    await AuditEntry.insert(
        AuditEntry(org=org_id, actor_id=actor_id, action=action, target=target, detail=detail)
    )


async def create_org(slug: str, name: str, default_locale: str = "zh_CN") -> int:
    org = Organisation(slug=slug, name=name, default_locale=default_locale)
    await org.save()
    return org.id


async def create_user(
    org_id: int,
    login: str,
    display_name: str,
    password: str,
    *,
    roles: Iterable[str | tuple[str, str]] = ("employee",),
    email: str = "",
    phone: str = "",
    department_id: int | None = None,
    locale: str | None = None,
    password_hash: str | None = None,
) -> int:
    """Create a user and its role grants in one transaction (a given hash skips hashing)."""
    async with User._meta.db.transaction():
        user = User(
            org=org_id,
            login=normalise_login(login),
            display_name=display_name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            department=department_id,
            locale=locale,
            password_hash=password_hash or await hash_password(password),
        )
        await user.save()
        await set_roles(org_id, user.id, roles)
    return user.id


def parse_grant(value: str | tuple[str, str]) -> tuple[str, str]:
    """``"service_admin:repairs"`` → ``("service_admin", "repairs")``; validates the role."""
    role, scope = value if isinstance(value, tuple) else [*value.split(":", 1), ""][:2]
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    if role in SCOPED_ROLES and not scope:
        raise ValueError(f"Role {role!r} needs a service scope, e.g. {role}:repairs.")
    if role not in SCOPED_ROLES:
        scope = ""
    return role, scope


async def set_roles(org_id: int, user_id: int, roles: Iterable[str | tuple[str, str]]) -> None:
    """Replace a user's grants (call inside a transaction)."""
    grants = sorted({parse_grant(r) for r in roles})
    await RoleGrant.delete().where(RoleGrant.user == user_id)
    if grants:
        await RoleGrant.insert(
            *[RoleGrant(org=org_id, user=user_id, role=role, scope=scope) for role, scope in grants]
        )


async def create_department(
    org_id: int, name: str, parent_id: int | None = None, head_user_id: int | None = None
) -> int:
    dept = Department(org=org_id, name=name.strip(), parent=parent_id, head_user_id=head_user_id)
    await dept.save()
    return dept.id


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(org_id: int, user_id: int, name: str) -> str:
    """Create a personal API token; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.insert(
        ApiToken(
            org=org_id,
            user=user_id,
            name=name.strip(),
            token_hash=_hash_token(token),
            prefix=token[:10],
        )
    )
    await audit(org_id, user_id, "token.created", name.strip())
    return token


async def user_for_token(token: str) -> int | None:
    """The owner of a live token (and note its use), or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user)
        .where((ApiToken.token_hash == _hash_token(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == row["id"])
    return row["user"]


async def end_sessions(org_id: int, user_id: int) -> int:
    """End every session and API token of the user (call inside the change's transaction).

    Sessions remember the epoch they began in; raising the user's epoch makes every
    older session sign out on its next request, wherever it is stored. Returns the new
    epoch, for the one session that should go on (the person who changed the password).
    """
    rows = (
        await User.update({User.session_epoch: User.session_epoch + 1})
        .where((User.id == user_id) & (User.org == org_id))
        .returning(User.session_epoch)
    )
    await ApiToken.update({ApiToken.revoked_at: now()}).where(
        (ApiToken.org == org_id) & (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
    )
    return rows[0]["session_epoch"] if rows else 0


async def revoke_token(org_id: int, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's own live tokens; False when not theirs or already revoked."""
    mine = (
        (ApiToken.id == token_id)
        & (ApiToken.org == org_id)
        & (ApiToken.user == user_id)
        & ApiToken.revoked_at.is_null()
    )
    if not await ApiToken.exists().where(mine):
        return False
    await ApiToken.update({ApiToken.revoked_at: now()}).where(mine)
    await audit(org_id, user_id, "token.revoked", str(token_id))
    return True
