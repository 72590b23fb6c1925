"""Login throttling per account and per client address, kept in a Litestar store.

After ``max_failures`` failed attempts within ``window`` seconds the account (or the
address) is locked until the window passes; the caller answers 429 with Retry-After.
Counters live in the "throttle" store (file store embedded, Redis when scaled), so
every worker sees the same counts.
"""

from __future__ import annotations

import hashlib
import time

from litestar.stores.base import Store


class LoginThrottle:
    def __init__(self, store: Store, max_failures: int = 5, window: int = 900) -> None:
        self.store = store
        self.max_failures = max_failures
        self.window = window
        # An address is shared (NAT, an office): it gets more room than one account.
        self.ip_max_failures = max_failures * 4

    @staticmethod
    def _key(kind: str, value: str) -> str:
        return f"login:{kind}:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]

    async def _state(self, key: str) -> tuple[int, float]:
        raw = await self.store.get(key)
        if not raw:
            return 0, 0.0
        count, _, started = raw.decode().partition(":")
        return int(count), float(started)

    async def retry_after(self, login: str, ip: str) -> int:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        now = time.time()
        wait = 0
        for key, limit in (
            (self._key("acct", login), self.max_failures),
            (self._key("ip", ip), self.ip_max_failures),
        ):
            count, started = await self._state(key)
            if count >= limit:
                wait = max(wait, int(started + self.window - now) + 1)
        return max(wait, 0)

    async def failed(self, login: str, ip: str) -> None:
        now = time.time()
        for key in (self._key("acct", login), self._key("ip", ip)):
            count, started = await self._state(key)
            if not count or now - started > self.window:
                count, started = 0, now
            await self.store.set(key, f"{count + 1}:{started}", expires_in=self.window)

    async def succeeded(self, login: str) -> None:
        await self.store.delete(self._key("acct", login))
