"""Database engines built from ``HOUQIN_DATABASE_URL``.

SQLite is the embedded default (a file under var/); PostgreSQL is used in production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.parse import clean_text


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///path`` URL."""
    return Path(url.split("sqlite:///", 1)[1])


def engine_from_url(url: str, *, pool_max: int = 8) -> Engine:
    """Return a Piccolo engine for a database URL (sqlite:///… or postgresql://…)."""
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=15)
    scheme = urlparse(url).scheme
    if scheme in {"postgres", "postgresql"}:
        return PostgresEngine(
            config={"dsn": url.replace("postgres://", "postgresql://", 1)},
            extensions=(),
            log_queries=False,
        )
    raise ValueError(f"Unsupported database URL {url!r}: use sqlite:///… or postgresql://…")


def write_transaction(engine: Engine) -> Any:
    """A transaction for writes that read first: IMMEDIATE on SQLite (take the write
    lock up front instead of failing with "database is locked" on upgrade)."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def bind_engine(engine: Engine) -> None:
    """Give every table class the engine directly.

    Otherwise Piccolo finds it through ``PICCOLO_CONF`` on first use, which imports
    ``piccolo.conf.apps`` and with it black (7 MiB per web worker, for nothing: black
    formats migration files). The CLI and migrations still use ``PICCOLO_CONF``.
    """
    from piccolo.table import Table

    pending = list(Table.__subclasses__())
    while pending:
        table = pending.pop()
        pending.extend(table.__subclasses__())
        table._meta._db = engine


async def start_engine(engine: Engine, *, pool_max: int = 8) -> None:
    """Open what the engine needs at start-up (a pool on PostgreSQL, WAL on SQLite)."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_max)
    elif isinstance(engine, SQLiteEngine):
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def stop_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


# What the drivers raise while the database cannot be reached (a restart, a failover, a
# full connection table): PostgreSQL's connection class 08 and operator intervention
# 57P (admin shutdown, "cannot connect now"), a closed connection or pool, and SQLite's
# "cannot open the file" / "locked past the busy timeout".
_SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked", "disk i/o error")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database is not there right now" (answer 503 and let
    the client retry) rather than a bug (500)."""
    import sqlite3

    import asyncpg

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(
            exc,
            ConnectionError
            | TimeoutError
            | asyncpg.PostgresConnectionError
            | asyncpg.exceptions.OperatorInterventionError
            | asyncpg.exceptions.TooManyConnectionsError,
        ):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
            return True
        if isinstance(exc, sqlite3.OperationalError) and any(
            text in str(exc).lower() for text in _SQLITE_UNAVAILABLE
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1  # type: ignore[assignment]
    return False


async def database_reachable(engine: Engine) -> bool:
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:
        return False
    return True


SEARCH_MAX = 100  # characters of a search that count: no name or title is that long


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains ``text``"; wildcards the user typed are dropped, and
    so is everything past :data:`SEARCH_MAX` (SQLite refuses long patterns)."""
    kept = "".join(c for c in clean_text(text) if c not in "%_\\")
    return "%" + kept[:SEARCH_MAX] + "%"


def like_operator(engine: Any) -> str:
    """Case-insensitive LIKE: PostgreSQL needs ILIKE; SQLite's LIKE already is (ASCII)."""
    return "ILIKE" if isinstance(engine, PostgresEngine) else "LIKE"


def icontains(column: Any, text: str) -> Any:
    """Case-insensitive "contains" on both engines; typed wildcards are dropped."""
    pattern = contains_pattern(text)
    engine = column._meta.table._meta.db
    return column.ilike(pattern) if isinstance(engine, PostgresEngine) else column.like(pattern)
