"""The repairs plugin's report sections (to be filled in)."""

from __future__ import annotations

from core.descriptors import Period, ReportSection


async def sections(org_id: int, period: Period) -> list[ReportSection]:
    return []
