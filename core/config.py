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
UPLOAD_STORAGES = ("local",)  # where uploaded files are kept (core/storage.py)


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run: the message says what to set."""


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {value!r}.")
    return number


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
    plugins_file: Path = ROOT / "plugins.toml"
    var_dir: Path = ROOT / "var"
    db_pool_max: int = 8
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Periodic jobs (SLA watch, reminders, auto-close) in this process; tests turn them off.
    jobs_cron: bool = True
    # Resolved requests nobody rated close by themselves after this many days.
    auto_close_days: int = 7
    # Outgoing e-mail (core's e-mail notification channel); no host = e-mail off.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "houqin <noreply@localhost>"
    # None: STARTTLS when the server offers it; True: required; False: never.
    smtp_starttls: bool | None = None
    # Uploads (photos, PDFs on requests): size limit per file, and where bytes are kept.
    upload_max_mb: int = 10
    upload_storage: str = "local"

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
        "plugins_file": Path(env.get("HOUQIN_PLUGINS_FILE") or ROOT / "plugins.toml"),
        "jobs_cron": _bool(env.get("HOUQIN_JOBS_CRON"), True),
        "smtp_host": env.get("HOUQIN_SMTP_HOST") or None,
        "smtp_user": env.get("HOUQIN_SMTP_USER") or "",
        "smtp_password": env.get("HOUQIN_SMTP_PASSWORD") or "",
        "smtp_from": env.get("HOUQIN_SMTP_FROM") or "houqin <noreply@localhost>",
        "smtp_starttls": (
            _bool(env["HOUQIN_SMTP_STARTTLS"], False) if env.get("HOUQIN_SMTP_STARTTLS") else None
        ),
        "upload_storage": (env.get("HOUQIN_UPLOAD_STORAGE") or "local").strip().lower(),
    }
    for name, key in (
        ("HOUQIN_DB_POOL_MAX", "db_pool_max"),
        ("HOUQIN_LOGIN_MAX_FAILURES", "login_max_failures"),
        ("HOUQIN_LOGIN_WINDOW_SECONDS", "login_window_seconds"),
        ("HOUQIN_AUTO_CLOSE_DAYS", "auto_close_days"),
        ("HOUQIN_SMTP_PORT", "smtp_port"),
        ("HOUQIN_UPLOAD_MAX_MB", "upload_max_mb"),
    ):
        if env.get(name):
            kwargs[key] = _positive_int(name, env[name])
    if kwargs["upload_storage"] not in UPLOAD_STORAGES:
        raise ConfigError(
            f"HOUQIN_UPLOAD_STORAGE must be one of {', '.join(UPLOAD_STORAGES)}, "
            f"not {kwargs['upload_storage']!r}."
        )
    return Settings(**kwargs)
