"""Run and check Piccolo migrations for core and every installed plugin."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration


def _on_disk() -> list[tuple[str, str]]:
    manager = BaseMigrationManager()
    found: list[tuple[str, str]] = []
    for app_name in manager.get_sorted_app_names():
        config = manager.get_app_config(app_name)
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        found.extend((app_name, mid) for mid in manager.get_migration_ids(modules))
    return found


async def pending_migrations() -> list[str]:
    """``app:migration_id`` of every migration not yet applied, in run order."""
    on_disk = _on_disk()
    if not await Migration.table_exists():
        return [f"{app}:{mid}" for app, mid in on_disk]
    done = {
        (r["app_name"], r["name"])
        for r in await Migration.select(Migration.app_name, Migration.name)
    }
    return [f"{app}:{mid}" for app, mid in on_disk if (app, mid) not in done]


async def run_migrations(quiet: bool = True) -> None:
    """Apply every pending migration of every installed app, in dependency order."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"Migrations failed: {result.message}\n{out.getvalue()}")
