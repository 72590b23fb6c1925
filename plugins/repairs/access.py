"""Who may do what in the repairs plugin: the guards its pages share."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import PermissionDeniedException

from plugins.repairs.hooks import MANAGE_ASSETS
from web.sdk import AGENT, AUDITOR, DISPATCHER, Actor, current_actor, permission_required

can_manage = [permission_required(MANAGE_ASSETS)]


def is_staff(actor: Actor) -> bool:
    """Who may open an asset's page: the people who look after or oversee repairs."""
    return (
        actor.can(MANAGE_ASSETS)
        or actor.has_role(AGENT)
        or actor.has_role(DISPATCHER)
        or actor.has_role(AUDITOR)
    )


async def staff_only(connection: Any, _handler: Any) -> None:
    """Guard: repairs staff (:func:`is_staff`); otherwise 403."""
    if not is_staff(current_actor(connection)):
        raise PermissionDeniedException()
