"""The embedded default's file store, with reads done in place.

Litestar's :class:`~litestar.stores.file.FileStore` hands every read to a worker
thread. A session file is a few hundred bytes in the page cache, and it is read on
every request: the thread hand-off cost more than the read (measured with py-spy under
``make bench``: ~7 % of a page's CPU). Writes, which replace the file atomically,
still go through the thread like the original.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from litestar.stores.base import StorageObject
from litestar.stores.file import FileStore


class LocalFileStore(FileStore):
    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        path = self._path_from_key(key)
        try:
            data = Path(path).read_bytes()  # noqa: ASYNC240 - tiny file, page cache
        except FileNotFoundError:
            return None
        stored = StorageObject.from_bytes(data)
        if stored.expired:
            await path.unlink(missing_ok=True)
            return None
        if renew_for and stored.expires_at:
            await self.set(key, value=stored.data, expires_in=renew_for)
        return stored.data


__all__ = ["LocalFileStore"]
