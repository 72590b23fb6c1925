"""The ``houqin`` command: serve, worker, run-job, migrate, seed-demo, create-org, create-user,
plugins, check."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from core.config import ConfigError, Settings, load_settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _with_engine(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn`` with the configured engine started and stopped around it."""
    from core.db import start_engine, stop_engine
    from core.tables import Organisation

    settings = _settings()

    async def runner() -> T:
        engine = Organisation._meta.db
        await start_engine(engine, pool_max=2)
        try:
            return await fn()
        finally:
            await stop_engine(engine)

    del settings
    return asyncio.run(runner())


@click.group()
def main() -> None:
    """houqin: self-service logistics support platform (后勤)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app with granian (ASGI)."""
    from granian import Granian
    from granian.constants import Interfaces

    settings = _settings()
    _check_plugins(settings)
    click.echo(
        f"houqin on http://{host}:{port} ({workers} worker(s), "
        f"database {_safe_url(settings.database_url)})"
    )
    Granian(
        "web.app:app_factory",
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        factory=True,
        log_access=False,
        # A worker that dies (an out-of-memory kill, a crash) is replaced; without this
        # granian shuts the whole server down when any one worker exits.
        respawn_failed_workers=True,
        respawn_interval=1.0,
    ).serve()


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _check_plugins(settings: Settings) -> Any:
    from core.plugins import PluginError, build_plugin_registry

    try:
        return build_plugin_registry(settings.plugins_file)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
def migrate() -> None:
    """Apply pending migrations of core and every installed plugin, in dependency order."""
    from core.migrations import ForeignDatabase, pending_migrations, run_migrations

    _check_plugins(_settings())

    async def go() -> list[str]:
        pending = await pending_migrations()
        await run_migrations()
        return pending

    try:
        applied = _with_engine(go)
    except ForeignDatabase as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Applied {len(applied)} migration(s)." if applied else "No migrations to apply.")


@main.command("seed-demo")
def seed_demo_cmd() -> None:
    """Create the demo organisation with one user per role (idempotent)."""
    from core.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo

    registry = _check_plugins(_settings())
    created = _with_engine(lambda: seed_demo(registry))
    if created:
        click.echo(f"Demo organisation 'demo' created. Accounts (password {DEMO_PASSWORD}):")
        for _role, login, name, grants, _dept in DEMO_USERS:
            click.echo(f"  {login:<18} {', '.join(grants):<32} {name}")
    else:
        click.echo("Demo organisation 'demo' already exists; nothing changed.")


@main.command("create-org")
@click.option("--slug", required=True, help="Short name, e.g. acme")
@click.option("--name", required=True, help="Display name")
@click.option("--locale", default="zh_CN", type=click.Choice(["zh_CN", "en"]), show_default=True)
def create_org_cmd(slug: str, name: str, locale: str) -> None:
    """Create an organisation."""
    import re

    from core.identity.service import create_org
    from core.tables import Organisation

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,63}", slug):
        raise click.BadParameter("use 2–64 lower-case letters, digits and -", param_hint="--slug")

    async def go() -> int:
        if await Organisation.exists().where(Organisation.slug == slug):
            raise click.ClickException(f"Organisation {slug!r} exists already.")
        return await create_org(slug, name, locale)

    org_id = _with_engine(go)
    click.echo(f"Organisation {slug} created (id {org_id}).")


@main.command("create-user")
@click.option("--org", "org_slug", required=True, help="Organisation slug")
@click.option("--login", required=True)
@click.option("--name", required=True, help="Display name")
@click.option("--email", default="")
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=("employee",),
    show_default=True,
    help="employee, approver, agent, dispatcher, service_admin:<service>, org_admin, auditor "
    "(repeatable)",
)
@click.password_option(help="Prompted when not given")
def create_user_cmd(
    org_slug: str, login: str, name: str, email: str, roles: tuple[str, ...], password: str
) -> None:
    """Create a user with roles; the password is prompted for."""
    from core.identity.passwords import MIN_LENGTH
    from core.identity.service import create_user, normalise_login, parse_grant
    from core.tables import Organisation, User

    if len(password) < MIN_LENGTH:
        raise click.BadParameter(f"at least {MIN_LENGTH} characters", param_hint="password")
    try:
        grants = [parse_grant(r) for r in roles]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from exc

    async def go() -> int:
        org = (
            await Organisation.select(Organisation.id).where(Organisation.slug == org_slug).first()
        )
        if org is None:
            raise click.ClickException(f"No organisation {org_slug!r}.")
        if await User.exists().where(User.login == normalise_login(login)):
            raise click.ClickException(f"Login {login!r} is taken.")
        return await create_user(org["id"], login, name, password, roles=grants, email=email)

    user_id = _with_engine(go)
    click.echo(f"User {normalise_login(login)} created (id {user_id}).")


@main.command("plugins")
@click.option("--org", "org_slug", default=None, help="Show what one organisation has enabled")
def plugins_cmd(org_slug: str | None) -> None:
    """List installed plugins and, per organisation, which are enabled."""
    from core.identity.service import enabled_plugins
    from core.tables import Organisation

    registry = _check_plugins(_settings())

    async def go() -> list[tuple[str, frozenset[str]]]:
        query = Organisation.select(Organisation.id, Organisation.slug).order_by(Organisation.slug)
        if org_slug:
            query = query.where(Organisation.slug == org_slug)
        return [(o["slug"], await enabled_plugins(o["id"], registry)) for o in await query]

    orgs = _with_engine(go)
    if org_slug and not orgs:
        raise click.ClickException(f"No organisation {org_slug!r}.")
    for slug, plugin in registry.installed.items():
        on = [o for o, enabled in orgs if slug in enabled]
        click.echo(
            f"{slug:<16} {plugin.info.name(lambda s: s):<24} enabled for: {', '.join(on) or '-'}"
        )


@main.command()
def check() -> None:
    """Check configuration, database, migrations and plugins; exit 1 on any problem."""
    from core.db import database_reachable
    from core.migrations import pending_migrations
    from core.tables import Organisation

    problems: list[str] = []
    try:
        settings = load_settings()
        click.echo(f"config      ok (database {_safe_url(settings.database_url)})")
    except ConfigError as exc:
        click.echo(f"config      FAIL {exc}")
        sys.exit(1)
    try:
        registry = _check_plugins(settings)
        click.echo(f"plugins     ok ({', '.join(registry.slugs) or 'none'})")
    except click.ClickException as exc:
        click.echo(f"plugins     FAIL {exc.message}")
        sys.exit(1)

    async def go() -> tuple[bool, list[str]]:
        reachable = await database_reachable(Organisation._meta.db)
        return reachable, (await pending_migrations() if reachable else [])

    reachable, pending = _with_engine(go)
    click.echo("database    ok" if reachable else "database    FAIL not reachable")
    if not reachable:
        problems.append("database")
    elif pending:
        click.echo(
            f"migrations  FAIL {len(pending)} pending: {', '.join(pending)} (run `houqin migrate`)"
        )
        problems.append("migrations")
    else:
        click.echo("migrations  ok")
    if problems:
        sys.exit(1)


@main.command()
@click.option("--burst", is_flag=True, help="Run what is queued, then exit (no cron).")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (SAQ) when HOUQIN_REDIS_URL is set."""
    import logging

    from core.jobs import run_worker

    settings = _settings()
    registry = _check_plugins(settings)
    # One line per job processed (SAQ's own log) and our job failures, on stderr.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(run_worker(settings, registry, burst=burst))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:  # pragma: no cover
        pass


@main.command("run-job")
@click.argument("name")
def run_job_cmd(name: str) -> None:
    """Run one job now, in this process (e.g. core.sla_watch), and print its result."""
    from core.jobs import JobContext, collect_jobs, run_once

    settings = _settings()
    registry = _check_plugins(settings)
    found = collect_jobs(registry)
    if name not in found:
        raise click.ClickException(f"No job named {name!r}. Jobs: {', '.join(sorted(found))}")
    context = JobContext(settings=settings, registry=registry)
    result = _with_engine(lambda: run_once(found[name], context, {}))
    click.echo(f"{name}: {result}")


if __name__ == "__main__":  # pragma: no cover
    main()
