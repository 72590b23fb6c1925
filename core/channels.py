"""Names shared by everyone who publishes or listens to live-progress channels."""

from __future__ import annotations

# Redis key prefix of the channels backend (web processes and `houqin worker` alike).
REDIS_KEY_PREFIX = "houqin_channels"


def request_channel(org_id: int, number: str) -> str:
    """The channel a request's open pages listen to."""
    return f"request:{org_id}:{number}"
