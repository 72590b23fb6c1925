"""The technician's steps on a repair (to be filled in)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.descriptors import Label, Panel
from core.identity.actor import Actor

EVENT_LABELS: dict[str, Label] = {}
HANDLERS: list[Any] = []


async def panels(actor: Actor, request: Mapping[str, Any]) -> list[Panel] | None:
    return None
