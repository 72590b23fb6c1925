"""Where uploaded bytes live: a small ``Storage`` protocol and its local implementation.

Files are stored under opaque random keys (never a user-supplied name), so a key
cannot be guessed, cannot walk out of the storage root and says nothing about the
file. The database row (``core_attachment``) holds the key plus everything shown to
people; the storage only holds bytes. ``storage_from_settings`` picks the backend
from ``HOUQIN_UPLOAD_STORAGE``, so object storage (S3 and the like) can be added as a
second class with the same three methods without touching callers.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

import anyio.to_thread

from core.config import UPLOAD_STORAGES, ConfigError, Settings

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def new_key() -> str:
    """A fresh opaque key: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


@runtime_checkable
class Storage(Protocol):
    """Bytes under opaque keys. Implementations must be safe to call concurrently."""

    async def put(self, data: bytes, content_type: str) -> str:
        """Store ``data`` under a new random key and return the key."""
        ...

    async def read(self, key: str) -> bytes:
        """The bytes stored under ``key``; ``KeyError`` when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key``; deleting a missing key is not an error."""
        ...


class LocalStorage:
    """Files under a directory (``<var>/uploads``), two-character fan-out by key.

    Writes go to a temporary name first and are renamed into place, so a reader never
    sees half a file. Blocking file I/O runs in a worker thread.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise KeyError(key)
        return self.root / key[:2] / key

    async def put(self, data: bytes, content_type: str) -> str:
        key = new_key()
        path = self.path_for(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{key}.tmp")
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)

        await anyio.to_thread.run_sync(write)
        return key

    async def read(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError as exc:
            raise KeyError(key) from exc

    async def delete(self, key: str) -> None:
        try:
            path = self.path_for(key)
        except KeyError:
            return
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))


def storage_from_settings(settings: Settings) -> Storage:
    """The storage backend the settings ask for (only ``local`` exists so far)."""
    if settings.upload_storage == "local":
        return LocalStorage(Path(settings.var_dir) / "uploads")
    raise ConfigError(
        f"HOUQIN_UPLOAD_STORAGE must be one of {', '.join(UPLOAD_STORAGES)}, "
        f"not {settings.upload_storage!r}."
    )


__all__ = ["KEY_PATTERN", "LocalStorage", "Storage", "new_key", "storage_from_settings"]
