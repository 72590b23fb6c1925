"""Repair locations become core's places: ``repairs_location`` (a database made before
places moved to core) is renamed to ``core_place``, keeping every id, token and the
foreign keys of assets and repair details, which follow the rename on both engines.

A database made since never had ``repairs_location`` (the first repairs migration points
at ``core_place``): nothing to do. ``core_place`` is new in the same upgrade, so it is
empty; if it is not, the migration stops before changing anything rather than drop or
merge places by guesswork.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T19:05:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "repair locations move to core places"


def _exists_sql(engine) -> str:
    if isinstance(engine, PostgresEngine):
        return "SELECT to_regclass({}) IS NOT NULL AS found"
    return "SELECT count(*) AS found FROM sqlite_master WHERE type = 'table' AND name = {}"


async def _query(engine, sql: str, *args):
    from piccolo.querystring import QueryString

    return await engine.run_querystring(QueryString(sql, *args))


async def move_locations(engine=None) -> None:
    """Rename ``repairs_location`` to ``core_place`` (see the module's docstring)."""
    engine = engine or engine_finder()
    if not (await _query(engine, _exists_sql(engine), "repairs_location"))[0]["found"]:
        return
    places = (await _query(engine, "SELECT count(*) AS n FROM core_place"))[0]["n"]
    if places:
        raise RuntimeError(
            f"core_place already holds {places} places while repairs_location still "
            "exists: move the repair locations into core_place by hand, then drop it"
        )
    for sql in (
        "DROP TABLE core_place",
        "ALTER TABLE repairs_location RENAME TO core_place",
        "DROP INDEX IF EXISTS repairs_location_org_parent",
        "DROP INDEX IF EXISTS repairs_location_org_kind_code",
        "CREATE INDEX IF NOT EXISTS core_place_org_parent ON core_place (org, parent)",
        "CREATE INDEX IF NOT EXISTS core_place_org_kind_code ON core_place (org, kind, code)",
    ):
        await engine.run_ddl(sql)
    if isinstance(engine, PostgresEngine):
        await engine.run_ddl(
            "SELECT setval(pg_get_serial_sequence('core_place', 'id'), "
            "COALESCE((SELECT MAX(id) FROM core_place), 0) + 1, false)"
        )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="repairs", description=DESCRIPTION)

    async def run() -> None:
        await move_locations()

    manager.add_raw(run)
    return manager
