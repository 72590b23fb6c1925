"""Raw-SQL migration steps (composite indexes, constraints) shared by core and plugins.

Piccolo's auto migrations do not track composite indexes or CHECK constraints, and a
migration's raw steps run before the tables it creates, so these live in migrations of
their own; this builds their ``forwards``. The statements are plain SQL that both
engines accept, plus optional per-engine ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine


def raw_sql_migration(
    migration_id: str,
    app_name: str,
    description: str,
    statements: Sequence[str],
    *,
    postgres: Sequence[str] = (),
    sqlite: Sequence[str] = (),
) -> Callable[[], Awaitable[MigrationManager]]:
    """A migration's ``forwards`` that runs SQL Piccolo's auto migrations do not track
    (composite indexes, CHECKs, partial unique indexes): ``statements`` on both engines,
    then ``postgres`` or ``sqlite`` for the engine in use."""

    async def forwards() -> MigrationManager:
        manager = MigrationManager(
            migration_id=migration_id, app_name=app_name, description=description
        )

        async def run() -> None:
            engine = engine_finder()
            extra = postgres if isinstance(engine, PostgresEngine) else sqlite
            for sql in [*statements, *extra]:
                await engine.run_ddl(sql)

        manager.add_raw(run)
        return manager

    return forwards
