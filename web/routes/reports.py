"""The reports page (to be filled in)."""

from __future__ import annotations

from typing import Any

REPORT_HANDLERS: list[Any] = []
