"""The plugin contract, checked against every installed plugin (DESIGN §3)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from litestar import Litestar
from piccolo.apps.migrations.commands.base import BaseMigrationManager

from core.config import load_settings
from core.plugins import InstalledPlugin, build_plugin_registry

SETTINGS = load_settings({})
REGISTRY = build_plugin_registry(SETTINGS.plugins_file)
PLUGINS = list(REGISTRY.installed.values())


@pytest.fixture(scope="module")
def contract_app() -> Litestar:
    from web.app import create_app

    return create_app(SETTINGS, REGISTRY, manage_engine=False)


def test_at_least_one_plugin_is_installed() -> None:
    assert PLUGINS, "plugins.toml installs no plugin: the contract would test nothing"


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.slug)
def test_routes_live_under_the_plugin_prefixes(
    plugin: InstalledPlugin, contract_app: Litestar
) -> None:
    module_prefix = plugin.module.__name__ + "."
    paths = [
        path
        for route in contract_app.routes
        for handler in getattr(route, "route_handlers", [])
        if getattr(handler.fn, "__module__", "").startswith(module_prefix)
        for path in [route.path]
    ]
    assert paths, f"{plugin.slug} registers no routes"
    allowed = (f"/s/{plugin.slug}", f"/api/v1/s/{plugin.slug}", f"/p/{plugin.slug}/")
    assert all(p.startswith(allowed) for p in paths), paths


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.slug)
def test_templates_are_under_the_slug(plugin: InstalledPlugin, contract_app: Litestar) -> None:
    folder = plugin.path / "templates"
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    assert names, f"{plugin.slug} has no templates folder"
    env = contract_app.state.jinja
    for name in names:
        env.get_template(f"{plugin.slug}/{name}")  # reachable through the prefix loader, and parses


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.slug)
def test_tables_are_prefixed_and_migrated(plugin: InstalledPlugin) -> None:
    if not plugin.info.has_tables:
        pytest.skip("plugin declares no tables")
    app_module = importlib.import_module(plugin.piccolo_app or "")
    config = app_module.APP_CONFIG
    assert config.app_name == plugin.slug
    assert "core.piccolo_app" in config.migration_dependencies
    for table in config.table_classes:
        assert table._meta.tablename.startswith(f"{plugin.slug}_"), table._meta.tablename
        assert "org" in {c._meta.name for c in table._meta.columns}, f"{table} has no org column"
    manager = BaseMigrationManager()
    migrations = manager.get_migration_modules(config.resolved_migrations_folder_path)
    assert migrations, f"{plugin.slug} has no migrations"


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.slug)
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_translations_present_and_zh_complete(plugin: InstalledPlugin, locale: str) -> None:
    po = plugin.path / "locale" / locale / "LC_MESSAGES" / "messages.po"
    assert po.exists(), f"missing {po}"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    assert len(catalog) > 0
    if locale == "zh_CN":
        missing = [m.id for m in catalog if m.id and not m.string]
        assert not missing, f"untranslated in {po}: {missing}"


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.slug)
def test_permissions_are_prefixed(plugin: InstalledPlugin) -> None:
    caller = REGISTRY.pm.subset_hook_caller(
        "register_permissions",
        remove_plugins=REGISTRY.hook_modules_of(p.slug for p in PLUGINS if p is not plugin)
        + REGISTRY.core_modules,
    )
    for group in caller():
        for perm in group:
            assert perm.code.startswith(f"{plugin.slug}."), perm.code


def test_core_catalogs_complete() -> None:
    po = Path(__file__).parents[2] / "core" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert not missing, f"untranslated core strings: {missing}"


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.slug)
def test_only_public_routes_skip_the_login_guard(
    plugin: InstalledPlugin, contract_app: Litestar
) -> None:
    """A plugin's page works without signing in only under /p/<slug>/ (its public routes)."""
    from web.auth import login_required

    module_prefix = plugin.module.__name__ + "."
    for route in contract_app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not getattr(handler.fn, "__module__", "").startswith(module_prefix):
                continue
            guarded = login_required in handler.resolve_guards()
            assert guarded != route.path.startswith(f"/p/{plugin.slug}/"), route.path
