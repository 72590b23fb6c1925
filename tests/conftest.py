"""Test set-up: fresh SQLite and PostgreSQL databases, migrated once per run.

Database tests take the ``db`` fixture, parametrized over both engines: every table's
engine is swapped at run time (``Table._meta.db``), so one process tests both. When
PostgreSQL does not answer, its half is skipped with the reason — except under CI,
where PostgreSQL is promised and its absence fails the run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
os.environ.setdefault("HOUQIN_VAR_DIR", str(Path(__file__).parent.parent / "var" / "test"))

from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.base import Engine

from core.config import ROOT, Settings, load_settings
from core.db import engine_from_url
from core.identity.passwords import hash_password_blocking
from core.identity.service import create_org, create_user
from core.plugins import build_plugin_registry
from tests import hypothesis_profile  # noqa: F401 - the suite's hypothesis profile

PG_ADMIN_DSN = os.environ.get("HOUQIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_redis() -> None:
    """Skip a test that needs Redis on 127.0.0.1:6379, or fail it in CI (where Redis runs)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if IN_CI:
            pytest.fail("CI=true but Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis not reachable on 127.0.0.1:6379")


PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_PASSWORD_HASH = hash_password_blocking(PASSWORD)  # argon2 is slow on purpose: hash once per run


def unique(prefix: str = "t") -> str:
    return f"{prefix}{os.getpid()}x{next(_counter)}"


def _migrate(url: str, var_dir: Path) -> None:
    env = {**os.environ, "HOUQIN_DATABASE_URL": url, "HOUQIN_VAR_DIR": str(var_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed for {url}:\n{result.stdout}\n{result.stderr}")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {exc}"
    return None


@dataclass
class Databases:
    sqlite_url: str
    pg_url: str | None
    pg_name: str | None
    pg_skip_reason: str | None


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    base = tmp_path_factory.mktemp("db")
    sqlite_url = f"sqlite:///{base / 'test.sqlite3'}"
    _migrate(sqlite_url, base)
    reason = _pg_available()
    pg_url = pg_name = None
    if reason is None:
        pg_name = f"houqin_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{pg_name}"'))
        pg_url = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + pg_name
        _migrate(pg_url, base)
    elif IN_CI:
        pytest.exit(f"CI=true but {reason}", returncode=3)
    yield Databases(sqlite_url, pg_url, pg_name, reason)
    if pg_name:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def _all_tables() -> list[type]:
    return [*Finder().get_table_classes(), Migration]


@pytest.fixture(scope="session")
async def _engines(databases: Databases) -> AsyncIterator[dict[str, Engine]]:
    # No PostgreSQL pool here: Litestar's test client runs the app on an event loop of
    # its own, and a pool belongs to one loop; one connection per query works on both.
    engines: dict[str, Engine] = {"sqlite": engine_from_url(databases.sqlite_url)}
    if databases.pg_url:
        engines["postgres"] = engine_from_url(databases.pg_url)
    yield engines


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def db(
    request: pytest.FixtureRequest, _engines: dict[str, Engine], databases: Databases
) -> Engine:
    """The engine under test; every table of every installed app points at it."""
    name = request.param
    if name not in _engines:
        pytest.skip(databases.pg_skip_reason or "PostgreSQL unavailable")
    engine = _engines[name]
    for table in _all_tables():
        table._meta.db = engine
    return engine


@dataclass
class QueryCounter:
    count: int = 0

    def reset(self) -> None:
        self.count = 0


@pytest.fixture
def queries(db: Engine, monkeypatch: pytest.MonkeyPatch) -> QueryCounter:
    """Counts the SQL statements the engine runs (pages must run a fixed number)."""
    counter = QueryCounter()
    engine_class = type(db)  # engines use __slots__: patch the class for this test
    original = engine_class.run_querystring

    async def counting(self, querystring, in_pool: bool = True):
        counter.count += 1
        return await original(self, querystring, in_pool=in_pool)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    return counter


@pytest.fixture
def settings(tmp_path: Path, db: Engine) -> Settings:
    # A secret of its own per test: keyed counts (login attempts from the test client's
    # one address) and keyed samples of one test never meet another's in the shared
    # database.
    base = load_settings(
        {
            "HOUQIN_VAR_DIR": str(tmp_path),
            "HOUQIN_JOBS_CRON": "0",
            "HOUQIN_SECRET_KEY": f"test-secret-{uuid.uuid4().hex}",
        }
    )
    return replace(base, var_dir=tmp_path)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    from web.app import create_app

    return create_app(settings, build_plugin_registry(settings.plugins_file), manage_engine=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        c.follow_redirects = False  # assert the 303s themselves
        yield c


@pytest.fixture
async def running_app(app: Litestar) -> AsyncIterator[Litestar]:
    """The app with its start-up done on the test's own event loop (channels, jobs), for
    clients that call it in that loop (``httpx.ASGITransport`` runs no lifespan)."""
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))  # type: ignore[arg-type]
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    yield app
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await task


@pytest.fixture
async def concurrent_client(running_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests really run at the same time (Litestar's test client hands
    each request to its portal thread and waits, so ``asyncio.gather`` over it is
    serial): for races that the database must settle."""
    transport = httpx.ASGITransport(app=running_app, client=("192.0.2.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


@dataclass
class OrgFixture:
    id: int
    slug: str
    users: dict[str, int]
    logins: dict[str, str]


async def make_org(
    roles: dict[str, tuple[str, ...]] | None = None, locale: str = "en"
) -> OrgFixture:
    """A fresh organisation with one user per entry of ``roles`` (name → grants)."""
    roles = roles or {
        "employee": ("employee",),
        "admin": ("employee", "org_admin"),
        "auditor": ("employee", "auditor"),
        "notices_admin": ("employee", "service_admin:notices"),
    }
    slug = unique("org")
    org_id = await create_org(slug, f"Org {slug}", locale)
    users, logins = {}, {}
    for name, grants in roles.items():
        login = f"{name}.{slug}"
        users[name] = await create_user(
            org_id,
            login,
            f"{name.title()} {slug}",
            PASSWORD,
            roles=grants,
            password_hash=_PASSWORD_HASH,
        )
        logins[name] = login
    return OrgFixture(org_id, slug, users, logins)


@pytest.fixture
async def org(db: Engine) -> OrgFixture:
    return await make_org()


@pytest.fixture
async def other_org(db: Engine) -> OrgFixture:
    return await make_org()


def cookie(client: AsyncTestClient, name: str) -> str:
    for item in client.cookies.jar:
        if item.name == name:
            return item.value or ""
    return ""


def set_cookie(client: AsyncTestClient, name: str, value: str) -> None:
    client.cookies.jar.clear("testserver.local", "/", name) if cookie(client, name) else None
    client.cookies.set(name, value, domain="testserver.local", path="/")


def csrf_of(client: AsyncTestClient) -> str:
    return cookie(client, "houqin_csrf")


async def login(client: AsyncTestClient, user_login: str, password: str = PASSWORD) -> None:
    await client.get("/login")
    response = await client.post(
        "/login", data={"login": user_login, "password": password, "_csrf_token": csrf_of(client)}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


async def post(client: AsyncTestClient, url: str, data: dict | None = None, **kwargs: object):
    """POST a form with the CSRF token, as a browser would."""
    if not csrf_of(client):
        await client.get("/login")
    return await client.post(url, data={**(data or {}), "_csrf_token": csrf_of(client)}, **kwargs)


# ---------------------------------------------------------------- security suite report
# tests/security walks the route table; the run prints how many routes each check
# walked. Under pytest-xdist each worker counts its own and hands them to the controller.
WALKED = pytest.StashKey[dict[str, set[str]]]()


def _walked_of(config: pytest.Config) -> dict[str, set[str]]:
    if WALKED not in config.stash:
        config.stash[WALKED] = defaultdict(set)
    return config.stash[WALKED]


@pytest.fixture
def walked(request: pytest.FixtureRequest) -> dict[str, set[str]]:
    """``walked[check].add(route label)``: printed at the end of the run."""
    return _walked_of(request.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker: send the counts to the controller
        output["walked"] = {k: sorted(v) for k, v in _walked_of(session.config).items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    counts = _walked_of(node.config)
    for check, routes in getattr(node, "workeroutput", {}).get("walked", {}).items():
        counts[check].update(routes)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    counts = _walked_of(config)
    if counts:
        terminalreporter.section("security: routes walked")
        for check, routes in sorted(counts.items()):
            terminalreporter.write_line(f"{check}: {len(routes)} routes")
