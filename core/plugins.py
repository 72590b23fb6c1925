"""Build the plugin manager from plugins.toml, in one place, and hand it to the app.

plugins.toml decides what is *installed* (imported, migrated); each organisation then
enables a subset of those in /admin. Built-in plugins are the packages
``plugins.<slug>``; third-party ones are packages exposing the entry point group
``houqin`` under their slug. Plugins not listed are never imported.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import itertools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from core import hookspecs
from core.descriptors import PluginInfo, ServiceType
from core.identity.roles import DISPATCHER

if TYPE_CHECKING:
    from core.identity.actor import Actor
    from core.identity.roles import PermissionRegistry

SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
# Core written as plugins: its defaults, and its notification channels and jobs.
CORE_PLUGINS = ("core.default_plugin", "core.notifications.plugin")


class PluginError(RuntimeError):
    """A plugin cannot be loaded: the message names the plugin and the cause."""


@dataclass(frozen=True)
class InstalledPlugin:
    info: PluginInfo
    module: ModuleType
    settings: dict[str, Any]
    # The modules whose hook implementations are registered (PluginInfo.hooks).
    hook_modules: tuple[ModuleType, ...] = ()

    def __post_init__(self) -> None:
        if not self.hook_modules:
            object.__setattr__(self, "hook_modules", (self.module,))

    @property
    def slug(self) -> str:
        return self.info.slug

    @property
    def path(self) -> Path:
        return Path(self.module.__file__ or "").parent

    @property
    def piccolo_app(self) -> str | None:
        name = f"{self.module.__name__}.piccolo_app"
        return name if self.info.has_tables else None

    def import_tables(self) -> None:
        """Import the plugin's ``tables`` module (if it has one), so that its table
        classes exist before :func:`core.db.bind_engine` gives every table the engine.
        A table class created later would find an engine of its own through
        ``PICCOLO_CONF``: on SQLite a second connection that waits on the first one's
        lock, on PostgreSQL writes outside the caller's transaction."""
        name = f"{self.module.__name__}.tables"
        if self.info.has_tables and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def read_plugins_toml(path: Path) -> dict[str, dict[str, Any]]:
    """Return ``{slug: settings}`` for every ``[plugins.<slug>]`` section, in file order."""
    if not path.exists():
        raise PluginError(f"{path} not found: it lists the installed plugins.")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    sections = data.get("plugins", {})
    for slug in sections:
        if not slug or set(slug) - SLUG_CHARS or slug[0].isdigit():
            raise PluginError(f"Plugin slug {slug!r} in {path}: use lower-case letters, digits, _.")
    return {slug: dict(value) for slug, value in sections.items()}


def _import_plugin(slug: str) -> ModuleType:
    builtin = f"plugins.{slug}"
    if importlib.util.find_spec(builtin) is not None:
        return importlib.import_module(builtin)
    for ep in entry_points(group=hookspecs.PROJECT):
        if ep.name == slug:
            return ep.load()
    raise PluginError(
        f"Plugin {slug!r} is listed in plugins.toml but is neither a built-in "
        f"(plugins/{slug}) nor an installed package with a 'houqin' entry point named {slug!r}."
    )


def _hook_module(plugin: ModuleType, slug: str, name: str) -> ModuleType:
    full = f"{plugin.__name__}.{name}"
    if importlib.util.find_spec(full) is None:
        raise PluginError(f"Plugin {slug!r} declares hooks in {full!r}, which does not exist.")
    return importlib.import_module(full)


def load_installed(path: Path) -> list[InstalledPlugin]:
    """Import the plugins that plugins.toml lists and check their declared dependencies."""
    installed: list[InstalledPlugin] = []
    for slug, settings in read_plugins_toml(path).items():
        module = _import_plugin(slug)
        info = getattr(module, "PLUGIN", None)
        if not isinstance(info, PluginInfo):
            raise PluginError(
                f"Plugin {slug!r} ({module.__name__}) has no PLUGIN = PluginInfo(...)."
            )
        if info.slug != slug:
            raise PluginError(f"Plugin listed as {slug!r} declares slug {info.slug!r}.")
        hook_modules = tuple(_hook_module(module, slug, name) for name in info.hooks)
        installed.append(
            InstalledPlugin(info=info, module=module, settings=settings, hook_modules=hook_modules)
        )
    slugs = {p.slug for p in installed}
    for plugin in installed:
        for dep in plugin.info.requires:
            if dep not in slugs:
                raise PluginError(
                    f"Plugin {plugin.slug!r} requires plugin {dep!r}, which is not installed: "
                    f"add [plugins.{dep}] to plugins.toml or remove [plugins.{plugin.slug}]."
                )
    return installed


def installed_piccolo_apps(path: Path) -> list[str]:
    """Piccolo apps to migrate: core first, then each installed plugin that has tables."""
    apps = ["core.piccolo_app"]
    apps.extend(p.piccolo_app for p in load_installed(path) if p.piccolo_app)
    return apps


@dataclass
class PluginRegistry:
    """The plugin manager plus what core needs to know about each installed plugin."""

    pm: pluggy.PluginManager
    installed: dict[str, InstalledPlugin]
    core_modules: list[ModuleType] = field(default_factory=list)
    _subsets: dict[frozenset[str], PluginHooks] = field(default_factory=dict)

    @property
    def slugs(self) -> list[str]:
        return list(self.installed)

    @functools.cached_property
    def permissions(self) -> PermissionRegistry:
        """Every permission core and the installed plugins register (built once): what
        the app and the background jobs resolve role grants with."""
        from core.identity.roles import PermissionRegistry

        return PermissionRegistry(
            itertools.chain.from_iterable(self.pm.hook.register_permissions())
        )

    def hooks(self, enabled: Iterable[str] | None = None) -> PluginHooks:
        """Hook callers that reach core and only the ``enabled`` plugins (all if None)."""
        key = frozenset(self.installed if enabled is None else enabled) & frozenset(self.installed)
        if key not in self._subsets:
            disabled = self.hook_modules_of(s for s in self.installed if s not in key)
            self._subsets[key] = PluginHooks(self.pm, disabled)
        return self._subsets[key]

    def hook_modules_of(self, slugs: Iterable[str]) -> list[ModuleType]:
        """The registered hook modules of the plugins ``slugs`` (for subset callers)."""
        return [m for s in slugs for m in self.installed[s].hook_modules]

    def plugin_of(self, slug: str) -> InstalledPlugin:
        return self.installed[slug]


class PluginHooks:
    """Attribute access to hook callers that skip the given plugin modules."""

    def __init__(self, pm: pluggy.PluginManager, disabled: list[ModuleType]) -> None:
        self._pm = pm
        self._disabled = disabled
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            caller = getattr(self._pm.hook, name)
            self._cache[name] = (
                self._pm.subset_hook_caller(name, remove_plugins=self._disabled)
                if self._disabled
                else caller
            )
        return self._cache[name]


def build_plugin_registry(path: Path) -> PluginRegistry:
    """Create the PluginManager: hookspecs, core's default plugins, installed plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    core_modules = []
    for name in CORE_PLUGINS:
        module = importlib.import_module(name)
        pm.register(module, name=name)
        core_modules.append(module)
    installed = load_installed(path)
    for plugin in installed:
        for number, module in enumerate(plugin.hook_modules):
            pm.register(module, name=plugin.slug if number == 0 else f"{plugin.slug}.{number}")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"Plugin hook not in the contract (misspelt?): {exc}") from exc
    return PluginRegistry(
        pm=pm, installed={p.slug: p for p in installed}, core_modules=core_modules
    )


PREFIX_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class ServiceCatalog:
    """Every service type known to this process, and which plugin owns it (None = core)."""

    types: dict[str, tuple[ServiceType, str | None]]

    def get(self, slug: str) -> ServiceType | None:
        entry = self.types.get(slug)
        return entry[0] if entry else None

    def enabled(self, enabled_plugins: frozenset[str]) -> list[ServiceType]:
        """Service types an organisation offers: core's plus its enabled plugins'."""
        found = [
            st for st, owner in self.types.values() if owner is None or owner in enabled_plugins
        ]
        return sorted(found, key=lambda st: (st.order, st.slug))

    def is_enabled(self, slug: str, enabled_plugins: frozenset[str]) -> bool:
        entry = self.types.get(slug)
        return entry is not None and (entry[1] is None or entry[1] in enabled_plugins)

    def administered(self, scopes: Iterable[str]) -> frozenset[str]:
        """Service types a service admin of ``scopes`` (plugin slugs) looks after: those
        named so and those the plugins own."""
        scopes = frozenset(scopes)
        return frozenset(
            slug for slug, (_st, owner) in self.types.items() if slug in scopes or owner in scopes
        )

    def dispatched_by(self, actor: Actor) -> frozenset[str] | None:
        """Service types whose requests ``actor`` dispatches on the desk (assigns, hands
        over, enters for someone): None for every one (dispatchers, org admins), else
        the services they administer (often none)."""
        if actor.is_org_admin or actor.has_role(DISPATCHER):
            return None
        return self.administered(actor.administered_services)


def collect_service_types(registry: PluginRegistry) -> ServiceCatalog:
    """Ask core and each plugin for its service types; slugs and prefixes must be unique."""
    owners: list[tuple[str | None, list[ModuleType]]] = [(None, registry.core_modules)]
    owners += [(slug, list(p.hook_modules)) for slug, p in registry.installed.items()]
    everything = registry.core_modules + registry.hook_modules_of(registry.installed)
    types: dict[str, tuple[ServiceType, str | None]] = {}
    prefixes: dict[str, str] = {}
    for owner, modules in owners:
        others = [m for m in everything if m not in modules]
        caller = registry.pm.subset_hook_caller("register_service_types", remove_plugins=others)
        for service in itertools.chain.from_iterable(caller()):
            who = owner or "core"
            if service.slug in types:
                raise PluginError(f"Service type {service.slug!r} of {who} is registered twice.")
            if not (2 <= len(service.prefix) <= 4) or set(service.prefix) - PREFIX_CHARS:
                raise PluginError(
                    f"Service type {service.slug!r} of {who}: number prefix {service.prefix!r} "
                    "must be 2–4 capital letters."
                )
            if service.prefix in prefixes:
                raise PluginError(
                    f"Service types {prefixes[service.prefix]!r} and {service.slug!r} "
                    f"share the number prefix {service.prefix!r}."
                )
            if not service.kinds:
                raise PluginError(f"Service type {service.slug!r} of {who} declares no kinds.")
            prefixes[service.prefix] = service.slug
            types[service.slug] = (service, owner)
    return ServiceCatalog(types)


async def collect(results: Iterable[Any]) -> list[Any]:
    """The answers of a hook whose implementations may be coroutine functions: awaited
    where needed, None dropped, lists flattened (one list for the caller)."""
    out: list[Any] = []
    for result in results:
        value = await result if inspect.isawaitable(result) else result
        if value is None:
            continue
        if isinstance(value, list | tuple):
            out.extend(value)
        else:
            out.append(value)
    return out
