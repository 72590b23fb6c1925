"""Piccolo configuration (``PICCOLO_CONF=core.piccolo_conf``).

The engine comes from ``HOUQIN_DATABASE_URL``; the app registry holds core plus the
plugins that plugins.toml installs, so an unlisted plugin is never migrated.
"""

from piccolo.conf.apps import AppRegistry

from core.config import load_settings
from core.db import engine_from_url
from core.plugins import installed_piccolo_apps

_settings = load_settings()

DB = engine_from_url(_settings.database_url, pool_max=_settings.db_pool_max)

APP_REGISTRY = AppRegistry(apps=installed_piccolo_apps(_settings.plugins_file))
