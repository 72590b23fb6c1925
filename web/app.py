"""``create_app()``: assemble Litestar from core and the installed plugins.

Everything the app needs (settings, plugin registry, permission registry, stores) is
built here and handed down through ``app.state``; nothing is a module-level global.
"""

from __future__ import annotations

import itertools
import logging
import os
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
from litestar.stores.file import FileStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig

from core import i18n
from core.config import ROOT, Settings, load_settings
from core.db import start_engine, stop_engine
from core.identity.roles import PermissionRegistry
from core.identity.throttle import LoginThrottle
from core.plugins import PluginRegistry, build_plugin_registry, collect_service_types
from core.tables import Organisation
from web.auth import ActorMiddleware, api_write_needs_token, login_required, plugin_enabled
from web.errors import http_exception_handler, internal_error_handler
from web.live import LIVE_HANDLERS, channels_plugin
from web.locale import LocaleMiddleware
from web.logs import RequestLogMiddleware
from web.routes.admin import ADMIN_HANDLERS
from web.routes.api import API_HANDLERS
from web.routes.approvals import APPROVAL_HANDLERS
from web.routes.desk import DESK_HANDLERS
from web.routes.feedback import FEEDBACK_HANDLERS
from web.routes.me import ME_HANDLERS
from web.routes.notifications import NOTIFICATION_HANDLERS
from web.routes.public import PUBLIC_HANDLERS
from web.routes.requests import REQUEST_HANDLERS
from web.routes.sla import SLA_HANDLERS
from web.routes.work import WORK_HANDLERS
from web.security import security_headers
from web.sessions import RotatingSessionConfig
from web.templating import build_environment, template_engine

STATIC_DIR = ROOT / "static"
SESSION_MAX_AGE = 14 * 24 * 3600


def _stores(settings: Settings) -> StoreRegistry:
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        root = RedisStore.with_client(url=settings.redis_url, namespace="houqin")
        stores: dict[str, Store] = {
            "sessions": root.with_namespace("sessions"),
            "throttle": root.with_namespace("throttle"),
        }
    else:
        base = Path(settings.var_dir)
        stores = {
            "sessions": FileStore(base / "sessions", create_directories=True),
            "throttle": FileStore(base / "throttle", create_directories=True),
        }
    return StoreRegistry(stores=stores)


def _plugin_handlers(registry: PluginRegistry, slug: str, hook: str, settings: Settings) -> list:
    """What one plugin returns from a route hook (its own implementations only)."""
    others = [p.module for s, p in registry.installed.items() if s != slug]
    caller = registry.pm.subset_hook_caller(hook, remove_plugins=others + registry.core_modules)
    return list(itertools.chain.from_iterable(caller(settings=settings)))


def _plugin_routers(registry: PluginRegistry, settings: Settings) -> list[Router]:
    """Each plugin's pages under /s/<slug>/ and API under /api/v1/s/<slug>/, guarded."""
    routers = []
    for slug, plugin in registry.installed.items():
        if handlers := _plugin_handlers(registry, slug, "register_routes", settings):
            routers.append(
                Router(
                    path=f"/s/{slug}",
                    route_handlers=handlers,
                    guards=[login_required, plugin_enabled(slug)],
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
    permissions = PermissionRegistry(
        itertools.chain.from_iterable(registry.pm.hook.register_permissions())
    )
    i18n.load_catalogs(p.path / "locale" for p in registry.installed.values())
    head_assets = list(itertools.chain.from_iterable(registry.pm.hook.extra_head_assets()))
    env = build_environment(registry, head_assets)
    stores = _stores(settings)
    engine = Organisation._meta.db

    async def on_startup(app: Litestar) -> None:
        if manage_engine:
            await start_engine(engine, pool_max=settings.db_pool_max)

    async def on_shutdown(app: Litestar) -> None:
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
        route_handlers=API_HANDLERS,
        guards=[login_required, api_write_needs_token],
    )
    app_router = Router(
        path="/",
        route_handlers=[
            *ME_HANDLERS,
            *REQUEST_HANDLERS,
            *APPROVAL_HANDLERS,
            *LIVE_HANDLERS,
            *WORK_HANDLERS,
            *FEEDBACK_HANDLERS,
            *SLA_HANDLERS,
            *NOTIFICATION_HANDLERS,
            *DESK_HANDLERS,
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
            "audit_labels": {
                action: label
                for labels in registry.pm.hook.audit_action_labels()
                for action, label in labels.items()
            },
            "throttle": LoginThrottle(
                stores.get("throttle"), settings.login_max_failures, settings.login_window_seconds
            ),
        }
    )
    template_config = TemplateConfig(instance=template_engine(env))
    return Litestar(
        route_handlers=[
            *PUBLIC_HANDLERS,
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
        csrf_config=csrf_config,
        stores=stores,
        state=state,
        template_config=template_config,
        plugins=[
            FlashPlugin(FlashConfig(template_config=template_config)),
            channels_plugin(settings),
        ],
        exception_handlers={
            HTTPException: http_exception_handler,
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
    return create_app()


__all__ = ["app_factory", "create_app"]
