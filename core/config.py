"""Settings read from ``HOUQIN_*`` environment variables (12-factor).

One frozen :class:`Settings` object is built at start-up and passed to whoever needs
it; nothing reads the environment later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "houqin-dev-secret-not-for-production-use-0000"  # noqa: S105


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run: the message says what to set."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{ROOT / 'var' / 'houqin.sqlite3'}"
    redis_url: str | None = None
    secret_key: str = DEV_SECRET
    base_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    default_org: str | None = None
    plugins_file: Path = ROOT / "plugins.toml"
    var_dir: Path = ROOT / "var"
    db_pool_max: int = 8
    login_max_failures: int = 5
    login_window_seconds: int = 900
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def session_cookie(self) -> str:
        return "__Host-houqin_session" if self.https else "houqin_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-houqin_csrf" if self.https else "houqin_csrf"

    @property
    def lang_cookie(self) -> str:
        return "__Host-houqin_lang" if self.https else "houqin_lang"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment; refuse to run production without a secret."""
    env = dict(os.environ if env is None else env)
    debug = _bool(env.get("HOUQIN_DEBUG"), False)
    production = _bool(env.get("HOUQIN_PRODUCTION"), False)
    secret = env.get("HOUQIN_SECRET_KEY") or ""
    if production and not secret:
        raise ConfigError(
            "HOUQIN_SECRET_KEY is not set. In production (HOUQIN_PRODUCTION=1) set it to a "
            "long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    if production and len(secret) < 32:
        raise ConfigError("HOUQIN_SECRET_KEY must be at least 32 characters long in production.")
    var_dir = Path(env.get("HOUQIN_VAR_DIR") or ROOT / "var")
    kwargs: dict = {
        "debug": debug,
        "secret_key": secret or DEV_SECRET,
        "var_dir": var_dir,
        "database_url": env.get("HOUQIN_DATABASE_URL") or f"sqlite:///{var_dir / 'houqin.sqlite3'}",
        "redis_url": env.get("HOUQIN_REDIS_URL") or None,
        "base_url": (env.get("HOUQIN_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
        "default_org": env.get("HOUQIN_DEFAULT_ORG") or None,
        "plugins_file": Path(env.get("HOUQIN_PLUGINS_FILE") or ROOT / "plugins.toml"),
    }
    if env.get("HOUQIN_DB_POOL_MAX"):
        kwargs["db_pool_max"] = int(env["HOUQIN_DB_POOL_MAX"])
    if (
        production
        and kwargs["database_url"].startswith("sqlite")
        and not _bool(env.get("HOUQIN_ALLOW_SQLITE"), True)
    ):
        raise ConfigError("HOUQIN_DATABASE_URL must point at PostgreSQL in production.")
    return Settings(**kwargs)
