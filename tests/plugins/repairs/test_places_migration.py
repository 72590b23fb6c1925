"""The upgrade that moves repair locations and follow links into core: on a database
made before (``repairs_location`` with rows and assets pointing at it, ``repairs_follow``),
every row keeps its id and token, and the foreign keys follow to ``core_place`` on both
engines."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from tests.conftest import IN_CI, PG_ADMIN_DSN, _pg_admin

MIGRATION = importlib.import_module(
    "plugins.repairs.piccolo_migrations.repairs_2026_12_04t19_05_00_000001"
)
SERIAL = {"sqlite": "INTEGER PRIMARY KEY", "postgres": "SERIAL PRIMARY KEY"}


# The old shape: core_place as core's new migration made it (empty), and the repair
# locations with an asset pointing at one of them.
def _schema(engine: str) -> list[str]:
    serial = SERIAL[engine]
    place_columns = (
        f"id {serial}, org INTEGER, parent INTEGER REFERENCES {{t}} (id) ON DELETE RESTRICT, "
        "kind VARCHAR(16), name VARCHAR(100), code VARCHAR(50), qr_token VARCHAR(64) UNIQUE"
    )
    return [
        f"CREATE TABLE core_place ({place_columns.format(t='core_place')})",
        f"CREATE TABLE repairs_location ({place_columns.format(t='repairs_location')})",
        "CREATE INDEX repairs_location_org_parent ON repairs_location (org, parent)",
        f"CREATE TABLE repairs_asset (id {serial}, org INTEGER, "
        "location INTEGER REFERENCES repairs_location (id) ON DELETE SET NULL)",
        "INSERT INTO repairs_location (id, org, parent, kind, name, code, qr_token) "
        "VALUES (7, 1, NULL, 'building', 'A', 'A', NULL)",
        "INSERT INTO repairs_location (id, org, parent, kind, name, code, qr_token) "
        "VALUES (9, 1, 7, 'room', 'A101', 'A101', 'tok-9')",
        "INSERT INTO repairs_asset (id, org, location) VALUES (1, 1, 9)",
        f"CREATE TABLE core_guest_follow (id {serial}, org INTEGER, request INTEGER, "
        "token_hash VARCHAR(64) UNIQUE, name VARCHAR(100), phone VARCHAR(32), reporter BOOLEAN)",
        f"CREATE TABLE repairs_follow (id {serial}, org INTEGER, request INTEGER, "
        "token_hash VARCHAR(64) UNIQUE, name VARCHAR(100), phone VARCHAR(32), reporter BOOLEAN)",
        "CREATE INDEX repairs_follow_org_request ON repairs_follow (org, request)",
        "INSERT INTO repairs_follow (id, org, request, token_hash, name, phone, reporter) "
        "VALUES (4, 1, 1, 'h', '李', '139', TRUE)",
    ]


@pytest.fixture(params=["sqlite", "postgres"])
async def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator:
    if request.param == "sqlite":
        engine = SQLiteEngine(path=str(tmp_path / "old.sqlite3"))
        await engine.run_ddl("PRAGMA foreign_keys = ON")
        name = None
    else:
        try:
            await _pg_admin("SELECT 1")
        except Exception as exc:
            if IN_CI:
                pytest.fail(f"CI=true but PostgreSQL is not reachable: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        name = f"houqin_mig_{uuid.uuid4().hex[:8]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        engine = PostgresEngine(config={"dsn": PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name})
    for sql in _schema(request.param):
        await engine.run_ddl(sql)
    try:
        yield engine
    finally:
        if name:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _rows(engine, sql: str) -> list[dict]:
    from piccolo.querystring import QueryString

    return [dict(row) for row in await engine.run_querystring(QueryString(sql))]


async def test_locations_become_places_with_their_ids_and_keys(old_database) -> None:
    engine = old_database
    await MIGRATION.move_to_core(engine)
    rows = await _rows(engine, "SELECT id, parent, name, qr_token FROM core_place ORDER BY id")
    assert rows == [
        {"id": 7, "parent": None, "name": "A", "qr_token": None},
        {"id": 9, "parent": 7, "name": "A101", "qr_token": "tok-9"},
    ]
    follows = await _rows(engine, "SELECT id, token_hash, name FROM core_guest_follow")
    assert follows == [{"id": 4, "token_hash": "h", "name": "李"}]
    # the asset's key now points at core_place: a place that exists is accepted, a
    # missing one is refused, and a new place continues the ids
    await engine.run_ddl("INSERT INTO repairs_asset (id, org, location) VALUES (2, 1, 7)")
    with pytest.raises(Exception):  # noqa: B017 - each engine names its own error
        await engine.run_ddl("INSERT INTO repairs_asset (id, org, location) VALUES (3, 1, 999)")
    made = await _rows(
        engine,
        "INSERT INTO core_place (org, kind, name, code) VALUES (1, 'room', 'A102', 'A102') "
        "RETURNING id",
    )
    assert made[0]["id"] > 9
    # and running it again (a database made since) changes nothing
    await MIGRATION.move_to_core(engine)
    assert len(await _rows(engine, "SELECT id FROM core_place")) == 3


async def test_it_stops_rather_than_drop_places_made_meanwhile(old_database) -> None:
    engine = old_database
    await engine.run_ddl(
        "INSERT INTO core_place (id, org, kind, name, code) VALUES (50, 1, 'building', 'B', 'B')"
    )
    with pytest.raises(RuntimeError, match="core_place already holds 1 rows"):
        await MIGRATION.move_to_core(engine)
    assert len(await _rows(engine, "SELECT id FROM repairs_location")) == 2
