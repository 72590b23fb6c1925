"""The repairs plugin's JSON API (to be filled in)."""

from __future__ import annotations

from typing import Any

API_HANDLERS: list[Any] = []
