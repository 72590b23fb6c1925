"""The migrations create exactly the tables the code declares (no schema drift): for core
and every installed plugin with tables, Piccolo's auto-diff between the tables and the
schema the migrations build is empty. A column added to a table without its migration
(or a migration edited by hand away from the table) fails here, before a deploy."""

from __future__ import annotations

import importlib

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from core.config import load_settings
from core.plugins import load_installed

APPS = ["core.piccolo_app"] + [
    p.piccolo_app for p in load_installed(load_settings({}).plugins_file) if p.piccolo_app
]


@pytest.mark.parametrize("app", APPS)
async def test_the_migrations_build_the_declared_tables(app: str) -> None:
    config = importlib.import_module(app).APP_CONFIG
    manager = AutoMigrationManager(auto_input="n")  # a rename is a drift too, not a question
    changes = await manager.get_alter_statements(app_config=config)
    statements = [line for change in changes for line in change.statements]
    assert statements == [], f"{config.app_name}: migrations differ from tables: {statements}"


async def test_a_table_without_its_migration_is_drift() -> None:
    from dataclasses import replace

    from piccolo.columns import Varchar
    from piccolo.table import Table

    class Unmigrated(Table, tablename="notices_unmigrated"):
        name = Varchar(length=10)

    config = importlib.import_module("plugins.notices.piccolo_app").APP_CONFIG
    drifted = replace(config, table_classes=[*config.table_classes, Unmigrated])
    changes = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=drifted)
    assert any("Unmigrated" in line for change in changes for line in change.statements)


async def test_a_database_of_other_migrations_is_refused_before_any_change(db) -> None:
    from piccolo.apps.migrations.tables import Migration

    from core.migrations import ForeignDatabase, run_migrations

    await Migration.insert(Migration(name="2026-11-24T11:15:28:757646", app_name="core"))
    try:
        with pytest.raises(ForeignDatabase, match="core:2026-11-24T11:15:28:757646"):
            await run_migrations()
    finally:
        await Migration.delete().where(Migration.name == "2026-11-24T11:15:28:757646")
