"""Preventive maintenance schedules of the repairs plugin (to be filled in)."""

from __future__ import annotations

from typing import Any

JOBS: list[Any] = []
HANDLERS: list[Any] = []
