"""Core JSON API under /api/v1 (OpenAPI at /schema)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get

from web.auth import current_actor


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
