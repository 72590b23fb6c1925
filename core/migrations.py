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


class ForeignDatabase(RuntimeError):
    """The database was migrated by migrations this code does not have (another
    version's, or the ones squashed on 2026-12-02 before the first deploy)."""


async def _applied() -> set[tuple[str, str]]:
    if not await Migration.table_exists():
        return set()
    rows = await Migration.select(Migration.app_name, Migration.name)
    return {(r["app_name"], r["name"]) for r in rows}


async def pending_migrations() -> list[str]:
    """``app:migration_id`` of every migration not yet applied, in run order."""
    done = await _applied()
    return [f"{app}:{mid}" for app, mid in _on_disk() if (app, mid) not in done]


async def check_not_foreign() -> None:
    """Raise :class:`ForeignDatabase` when the database records migrations of an
    installed app that are not on disk: running ours on top would fail half-way."""
    on_disk = _on_disk()
    apps = {app for app, _mid in on_disk}
    unknown = sorted(f"{a}:{m}" for a, m in await _applied() - set(on_disk) if a in apps)
    if unknown:
        raise ForeignDatabase(
            f"This database was migrated by {len(unknown)} migration(s) this code does not "
            f"have (first: {unknown[0]}); the migrations were squashed before the first "
            "deploy. Start from a new database (for the embedded one: make clean, then "
            "make run)."
        )


async def run_migrations(quiet: bool = True) -> None:
    """Apply every pending migration of every installed app, in dependency order."""
    await check_not_foreign()  # before any change
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"Migrations failed: {result.message}\n{out.getvalue()}")
