"""Repair locations and sticker follow links become core's: on a database made before
they moved, ``repairs_location`` is renamed to ``core_place`` and ``repairs_follow`` to
``core_guest_follow``, keeping every id, token and the foreign keys that point at them
(assets and repair details follow the rename on both engines).

A database made since never had the old tables (the first repairs migration points at
core's): nothing to do. Core's tables are new in the same upgrade, so they are empty; if
one is not, the migration stops before changing anything rather than drop or merge rows
by guesswork.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T19:05:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "repair locations and follow links move to core"

MOVES = (
    (
        "repairs_location",
        "core_place",
        ("repairs_location_org_parent", "repairs_location_org_kind_code"),
        (
            "CREATE INDEX IF NOT EXISTS core_place_org_parent ON core_place (org, parent)",
            "CREATE INDEX IF NOT EXISTS core_place_org_kind_code ON core_place (org, kind, code)",
        ),
    ),
    (
        "repairs_follow",
        "core_guest_follow",
        ("repairs_follow_org_request",),
        (
            "CREATE INDEX IF NOT EXISTS core_guest_follow_org_request "
            "ON core_guest_follow (org, request)",
        ),
    ),
)


def _exists_sql(engine) -> str:
    if isinstance(engine, PostgresEngine):
        return "SELECT to_regclass({}) IS NOT NULL AS found"
    return "SELECT count(*) AS found FROM sqlite_master WHERE type = 'table' AND name = {}"


async def _query(engine, sql: str, *args):
    from piccolo.querystring import QueryString

    return await engine.run_querystring(QueryString(sql, *args))


async def _move(engine, old: str, new: str, old_indexes, new_indexes) -> None:
    if not (await _query(engine, _exists_sql(engine), old))[0]["found"]:
        return
    await engine.run_ddl(f"DROP TABLE {new}")
    await engine.run_ddl(f"ALTER TABLE {old} RENAME TO {new}")
    for index in old_indexes:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {index}")
    for sql in new_indexes:
        await engine.run_ddl(sql)
    if isinstance(engine, PostgresEngine):
        await engine.run_ddl(
            f"SELECT setval(pg_get_serial_sequence('{new}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {new}), 0) + 1, false)"
        )


async def move_to_core(engine=None) -> None:
    """Rename the old repairs tables to core's (see the module's docstring)."""
    engine = engine or engine_finder()
    for table in MOVES:  # check both before changing either
        old, new = table[0], table[1]
        if (await _query(engine, _exists_sql(engine), old))[0]["found"]:
            rows = (await _query(engine, f"SELECT count(*) AS n FROM {new}"))[0]["n"]
            if rows:
                raise RuntimeError(
                    f"{new} already holds {rows} rows while {old} still exists: move the "
                    f"rows of {old} into {new} by hand, then drop {old}"
                )
    for old, new, old_indexes, new_indexes in MOVES:
        await _move(engine, old, new, old_indexes, new_indexes)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="repairs", description=DESCRIPTION)

    async def run() -> None:
        await move_to_core()

    manager.add_raw(run)
    return manager
