"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106).

A hash or a verification costs tens of milliseconds of CPU on purpose, so the async
functions run it in a worker thread instead of stalling every request on the loop.
"""

from __future__ import annotations

from functools import cache

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so both paths cost the same time.

    Made on first use, not at import: a hash costs ~0.4 s, paid by every process that
    imports this module (web workers, CLI commands, tests) whether it logs anyone in.
    """
    return _hasher.hash("houqin-timing-equaliser")


MIN_LENGTH = 8


def hash_password_blocking(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(hash_password_blocking, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends one argon2 verification."""
    return await to_thread.run_sync(_verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
