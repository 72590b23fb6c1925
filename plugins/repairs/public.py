"""Public pages of the repairs plugin (to be filled in)."""

from __future__ import annotations

from typing import Any

PUBLIC_HANDLERS: list[Any] = []
