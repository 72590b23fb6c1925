"""Login throttling per account and per client address, counted atomically.

Every sign-in attempt is counted *before* the password is checked, by one atomic
operation that returns the new count: a Redis ``INCR`` (with the window as expiry) when
Redis is configured, else one upsert in the database. Whatever the concurrency, at most
``max_failures`` attempts per account (``4 ×`` that per address) are checked within a
window; the rest get 429 with Retry-After. A successful sign-in clears the account's
count and gives its attempt back to the address, so an office behind one address is
not locked out by its own people signing in.

Keys are HMACs of what is counted under the server's secret: neither logins nor
addresses are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any, Protocol

from litestar.stores.redis import RedisStore

from core.tables import LoginAttempt


class AttemptCounter(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, int]:
        """Count one attempt; the count in the current window and seconds left in it."""

    async def give_back(self, key: str) -> None:
        """Take one attempt off the count (it was a successful sign-in)."""

    async def clear(self, key: str) -> None:
        """Forget the key's count."""


class DatabaseCounter:
    """The embedded default: one upsert per attempt (``core_login_attempt``)."""

    _HIT = (
        "INSERT INTO core_login_attempt (key, count, started) VALUES ({}, 1, {}) "
        "ON CONFLICT (key) DO UPDATE SET "
        "count = CASE WHEN core_login_attempt.started <= {} THEN 1 "
        "ELSE core_login_attempt.count + 1 END, "
        "started = CASE WHEN core_login_attempt.started <= {} THEN excluded.started "
        "ELSE core_login_attempt.started END "
        "RETURNING count, started"
    )

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = int(time.time())
        expired = now - window
        rows = await LoginAttempt.raw(self._HIT, key, now, expired, expired)
        count, started = rows[0]["count"], rows[0]["started"]
        return count, max(started + window - now, 1)

    async def give_back(self, key: str) -> None:
        await LoginAttempt.update({LoginAttempt.count: LoginAttempt.count - 1}).where(
            (LoginAttempt.key == key) & (LoginAttempt.count > 0)
        )

    async def clear(self, key: str) -> None:
        await LoginAttempt.delete().where(LoginAttempt.key == key)


class RedisCounter:
    """Scaled: ``INCR`` plus an expiry set by the first attempt of a window."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store

    def _key(self, key: str) -> str:
        return self.store._make_key(key)

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        name = self._key(key)
        async with self.store._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            pipe.ttl(name)
            count, _set, ttl = await pipe.execute()
        return int(count), max(int(ttl), 1)

    async def give_back(self, key: str) -> None:
        # Only while the window lasts: a DECR on a key that expired would start a new
        # one without an expiry.
        await self.store._redis.eval(
            "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end",
            1,
            self._key(key),
        )

    async def clear(self, key: str) -> None:
        await self.store._redis.delete(self._key(key))


@dataclass
class LoginThrottle:
    counter: AttemptCounter
    secret: str
    max_failures: int = 5
    window: int = 900

    @property
    def ip_max_failures(self) -> int:
        # An address is shared (NAT, an office): it gets more room than one account.
        return self.max_failures * 4

    def _key(self, kind: str, value: str) -> str:
        message = f"login:{kind}:{value.strip().lower()}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()[:48]

    async def attempt(self, login: str, ip: str) -> int:
        """Count a sign-in attempt; 0 when it may go ahead, else seconds to wait."""
        wait = 0
        for key, limit in (
            (self._key("acct", login), self.max_failures),
            (self._key("ip", ip), self.ip_max_failures),
        ):
            count, left = await self.counter.hit(key, self.window)
            if count > limit:
                wait = max(wait, left)
        return wait

    async def succeeded(self, login: str, ip: str) -> None:
        await self.counter.clear(self._key("acct", login))
        await self.counter.give_back(self._key("ip", ip))


def counter_for(store: Any | None) -> AttemptCounter:
    """Redis when the throttle store is on Redis, else the database."""
    return RedisCounter(store) if isinstance(store, RedisStore) else DatabaseCounter()


async def forget_old_attempts(ctx: Any = None, *, window: int | None = None) -> int:
    """Delete the counts of windows that have passed (the job ``core.login_attempts``):
    the table stays as small as the current window. Idempotent."""
    settings = getattr(ctx, "settings", None)
    window = window or getattr(settings, "login_window_seconds", 900)
    gone = (
        await LoginAttempt.delete()
        .where(LoginAttempt.started <= int(time.time()) - window)
        .returning(LoginAttempt.id)
    )
    return len(gone)
