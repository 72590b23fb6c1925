"""``create_app()``: assemble Litestar from core and the installed plugins.

Everything the app needs (settings, plugin registry, permission registry, stores) is
built here and handed down through ``app.state``; nothing is a module-level global.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig

from core import i18n, jobs
from core.attachments import Limits
from core.channels import request_channel
from core.config import ROOT, Settings, load_settings
from core.db import bind_engine, engine_from_url, start_engine, stop_engine
from core.identity.throttle import LoginThrottle, counter_for
from core.lifecycle.forms import NotFound as FormNotFound
from core.plugins import PluginError, PluginRegistry, build_plugin_registry, collect_service_types
from core.storage import storage_from_settings
from core.tables import Organisation
from web.auth import (
    RESOLVE_ORG,
    ActorMiddleware,
    api_write_needs_token,
    login_required,
    plugin_enabled,
    public_org_enabled,
)
from web.errors import (
    http_exception_handler,
    internal_error_handler,
    not_found_handler,
    not_utf8_handler,
)
from web.live import LIVE_HANDLERS, channels_plugin
from web.locale import LocaleMiddleware
from web.logs import RequestLogMiddleware
from web.params import bounded_path_ids
from web.routes.actions import HANDLERS as ACTION_HANDLERS
from web.routes.admin import ADMIN_HANDLERS
from web.routes.api import API_HANDLERS
from web.routes.approval_steps import STEP_HANDLERS
from web.routes.approvals import APPROVAL_HANDLERS
from web.routes.attachments import API_ATTACHMENT_HANDLERS, ATTACHMENT_HANDLERS
from web.routes.desk import DESK_HANDLERS
from web.routes.desk_new import DESK_NEW_HANDLERS
from web.routes.edit import EDIT_HANDLERS
from web.routes.feedback import FEEDBACK_HANDLERS
from web.routes.follow import FOLLOW_HANDLERS
from web.routes.handover import HANDOVER_HANDLERS
from web.routes.me import ME_HANDLERS
from web.routes.notification_settings import NOTIFICATION_SETTINGS_HANDLERS
from web.routes.notifications import NOTIFICATION_HANDLERS
from web.routes.places import PLACE_HANDLERS, PUBLIC_PLACE_HANDLERS
from web.routes.public import PUBLIC_HANDLERS
from web.routes.reports import REPORT_HANDLERS
from web.routes.requests import REQUEST_HANDLERS
from web.routes.sla import SLA_HANDLERS
from web.routes.suggestions import SUGGESTION_HANDLERS
from web.routes.tasks import TASK_HANDLERS
from web.routes.teams import TEAM_HANDLERS
from web.security import security_headers
from web.sessions import RotatingSessionConfig
from web.stores import LocalFileStore
from web.templating import build_environment, template_engine
from web.uploads import allow_uploads

STATIC_DIR = ROOT / "static"
RESERVED_SLUGS = frozenset({"place"})  # /p/place/<token>: a room's door sticker
SESSION_MAX_AGE = 14 * 24 * 3600


def _stores(settings: Settings) -> StoreRegistry:
    """Sessions, the login throttle's counts when scaled, and any other named store (rate
    limits of public pages): namespaces of one Redis store when scaled, directories under
    var/ embedded, so every worker shares them. (Embedded, login attempts are counted in
    the database: a file store cannot count atomically.)"""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        root = RedisStore.with_client(url=settings.redis_url, namespace="houqin")

        def factory(name: str) -> Store:
            return root.with_namespace(name)
    else:
        base = Path(settings.var_dir)

        def factory(name: str) -> Store:
            return LocalFileStore(base / name, create_directories=True)

    return StoreRegistry(
        stores={"sessions": factory("sessions")},
        default_factory=factory,
    )


def _plugin_handlers(registry: PluginRegistry, slug: str, hook: str, settings: Settings) -> list:
    """What one plugin returns from a route hook (its own implementations only)."""
    others = registry.hook_modules_of(s for s in registry.installed if s != slug)
    caller = registry.pm.subset_hook_caller(hook, remove_plugins=others + registry.core_modules)
    handlers = itertools.chain.from_iterable(caller(settings=settings))
    return allow_uploads(handlers, Limits.from_settings(settings))  # opt=UPLOADS handlers


def _plugin_routers(registry: PluginRegistry, settings: Settings) -> list[Router]:
    """Each plugin's pages under /s/<slug>/ and API under /api/v1/s/<slug>/, guarded;
    its public pages (no sign-in) under /p/<slug>/."""
    routers = []
    for slug, plugin in registry.installed.items():
        if slug in RESERVED_SLUGS:
            raise PluginError(f"The slug {slug!r} is core's (its pages are under /p/{slug}/).")
        if handlers := _plugin_handlers(registry, slug, "register_routes", settings):
            routers.append(
                Router(
                    path=f"/s/{slug}",
                    route_handlers=handlers,
                    guards=[login_required, plugin_enabled(slug)],
                    include_in_schema=False,
                )
            )
        if handlers := _plugin_handlers(registry, slug, "register_public_routes", settings):
            for handler in handlers:
                if not callable(handler.opt.get(RESOLVE_ORG)):
                    raise PluginError(
                        f"Public route {handler.paths} of plugin {slug!r} has no "
                        f"opt['{RESOLVE_ORG}']: core must know whose page it is."
                    )
            routers.append(
                Router(
                    path=f"/p/{slug}",
                    route_handlers=handlers,
                    guards=[public_org_enabled(slug)],
                    opt={"exclude_from_auth": True},
                    include_in_schema=False,
                )
            )
        if handlers := _plugin_handlers(registry, slug, "register_api_routes", settings):
            routers.append(
                Router(
                    path=f"/api/v1/s/{slug}",
                    route_handlers=handlers,
                    guards=[login_required, api_write_needs_token, plugin_enabled(slug)],
                    tags=[plugin.info.name(lambda s: s)],
                )
            )
    return routers


def create_app(
    settings: Settings | None = None,
    registry: PluginRegistry | None = None,
    *,
    manage_engine: bool = True,
) -> Litestar:
    """Build the ASGI application. Tests pass their own settings and keep the engine."""
    settings = settings or load_settings()
    registry = registry or build_plugin_registry(settings.plugins_file)
    permissions = registry.permissions
    i18n.load_catalogs(p.path / "locale" for p in registry.installed.values())
    head_assets = list(itertools.chain.from_iterable(registry.pm.hook.extra_head_assets()))
    env = build_environment(registry, head_assets)
    stores = _stores(settings)
    upload_limits = Limits.from_settings(settings)
    if manage_engine:
        for plugin in registry.installed.values():
            plugin.import_tables()  # every table class exists before the engine is bound
        bind_engine(engine_from_url(settings.database_url, pool_max=settings.db_pool_max))
    engine = Organisation._meta.db

    channels = channels_plugin(settings)

    async def announce(org_id: int, number: str) -> None:
        channels.publish(number, request_channel(org_id, number))

    runner = jobs.build_runner(
        settings, registry, jobs.JobContext(settings=settings, registry=registry, announce=announce)
    )

    async def on_startup(app: Litestar) -> None:
        if manage_engine:
            await start_engine(engine, pool_max=settings.db_pool_max)
        jobs.install(runner)
        await runner.start()

    async def on_shutdown(app: Litestar) -> None:
        await runner.stop()
        if jobs.current() is runner:
            jobs.install(None)
        if manage_engine:
            await stop_engine(engine)

    session_config = RotatingSessionConfig(
        key=settings.session_cookie,
        secure=settings.https,
        httponly=True,
        samesite="lax",
        max_age=SESSION_MAX_AGE,
        renew_on_access=False,
        store="sessions",
        exclude=["^/static/", "^/healthz", "^/sw.js"],
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=settings.csrf_cookie,
        cookie_secure=settings.https,
        cookie_httponly=True,
        cookie_samesite="lax",
        header_name="x-csrftoken",
        exclude=["^/api/"],
    )
    api_router = Router(
        path="/api/v1",
        route_handlers=allow_uploads([*API_HANDLERS, *API_ATTACHMENT_HANDLERS], upload_limits),
        guards=[login_required, api_write_needs_token],
    )
    app_router = Router(
        path="/",
        route_handlers=[
            *ME_HANDLERS,
            *allow_uploads(REQUEST_HANDLERS, upload_limits),
            *allow_uploads(ACTION_HANDLERS, upload_limits),
            *allow_uploads(ATTACHMENT_HANDLERS, upload_limits),
            *APPROVAL_HANDLERS,
            *STEP_HANDLERS,
            *EDIT_HANDLERS,
            *LIVE_HANDLERS,
            *TASK_HANDLERS,
            *HANDOVER_HANDLERS,
            *TEAM_HANDLERS,
            *FEEDBACK_HANDLERS,
            *SLA_HANDLERS,
            *NOTIFICATION_HANDLERS,
            *NOTIFICATION_SETTINGS_HANDLERS,
            *DESK_HANDLERS,
            *DESK_NEW_HANDLERS,
            *SUGGESTION_HANDLERS,
            *REPORT_HANDLERS,
            *PLACE_HANDLERS,
        ],
        guards=[login_required],
        include_in_schema=False,
    )
    admin_router = Router(
        path="/admin",
        route_handlers=ADMIN_HANDLERS,
        guards=[login_required],
        include_in_schema=False,
    )
    static_router = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        cache_control=None,
    )
    state = State(
        {
            "settings": settings,
            "plugins": registry,
            "permissions": permissions,
            "jinja": env,
            "services": collect_service_types(registry),
            "storage": storage_from_settings(settings),
            "upload_limits": upload_limits,
            "jobs": runner,
            "audit_labels": {
                action: label
                for labels in registry.pm.hook.audit_action_labels()
                for action, label in labels.items()
            },
            "event_labels": {
                kind: label
                for labels in registry.pm.hook.timeline_event_labels()
                for kind, label in labels.items()
            },
            "throttle": LoginThrottle(
                counter_for(stores.get("throttle") if settings.redis_url else None),
                settings.secret_key,
                settings.login_max_failures,
                settings.login_window_seconds,
            ),
        }
    )
    template_config = TemplateConfig(instance=template_engine(env))
    return Litestar(
        route_handlers=[
            *PUBLIC_HANDLERS,
            *PUBLIC_PLACE_HANDLERS,
            *FOLLOW_HANDLERS,
            app_router,
            admin_router,
            api_router,
            static_router,
            *_plugin_routers(registry, settings),
        ],
        middleware=[
            RequestLogMiddleware(),
            session_config.middleware,
            ActorMiddleware(),
            LocaleMiddleware(settings.lang_cookie),
        ],
        guards=[bounded_path_ids],
        csrf_config=csrf_config,
        stores=stores,
        state=state,
        template_config=template_config,
        plugins=[
            FlashPlugin(FlashConfig(template_config=template_config)),
            channels,
        ],
        exception_handlers={
            HTTPException: http_exception_handler,
            UnicodeDecodeError: not_utf8_handler,
            FormNotFound: not_found_handler,
            Exception: internal_error_handler,
        },
        before_send=[security_headers(settings.https)],
        openapi_config=OpenAPIConfig(
            title="houqin API",
            version="1",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        logging_config=LoggingConfig(
            root={"level": "DEBUG" if settings.debug else "INFO", "handlers": ["queue_listener"]},
            formatters={"json": {"format": "%(message)s"}},  # structlog renders the JSON
            handlers={"request_log": {"class": "logging.StreamHandler", "formatter": "json"}},
            loggers={
                "houqin.request": {
                    "level": "INFO",
                    "handlers": ["request_log"],
                    "propagate": False,
                },
            },
            log_exceptions="debug" if settings.debug else "never",
        ),
        debug=settings.debug,
    )


def app_factory() -> Litestar:
    """Entry point for granian (``--factory web.app:app_factory``)."""
    logging.getLogger("houqin").setLevel(logging.INFO)
    without_pydantic()
    app = create_app()
    # Everything built so far lives as long as the worker: keep it out of the garbage
    # collector's sweeps, which otherwise walk it again and again mid-request (the
    # desk queue's p99 under `make bench`; see docs/performance.md).
    gc.collect()
    gc.freeze()
    return app


def without_pydantic() -> None:
    """Keep pydantic out of a web worker: 8 MiB each (DESIGN §8 budgets memory).

    Litestar adds its pydantic plugins whenever pydantic can be imported, and it can,
    because Piccolo depends on it for tooling a web worker never runs. houqin's
    handlers use msgspec and dataclasses only. Marking the module absent before the
    app is built is Python's documented way (``sys.modules[name] = None``) to make an
    import fail; the CLI and the tests keep pydantic.
    """
    if "pydantic" not in sys.modules:
        sys.modules["pydantic"] = None  # type: ignore[assignment]


__all__ = ["app_factory", "create_app", "without_pydantic"]
