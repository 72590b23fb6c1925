"""End-to-end set-up: a real server on a free port, and Debian's chromium driven by Playwright.

``live_server`` migrates and seeds a throw-away SQLite database, then runs
``houqin serve`` (granian) as a subprocess against it. Nothing here touches the
``db`` fixture of the main suite.

Why Playwright lives in a thread of its own
-------------------------------------------
The sync API runs its event loop in a greenlet of the calling thread and, between
two sync calls, leaves that loop registered as the thread's *running* loop
(``playwright/_impl/_greenlets.py``: ``asyncio._set_running_loop(loop)``). A
session-scoped browser started in pytest's main thread therefore stays "running"
until the end of the session, and every async test collected after ``tests/e2e``
(``tests/web`` ...) then fails in pytest-asyncio with "cannot be called from a running
event loop". So one dedicated thread owns Playwright: the fixtures create and close
browser, contexts and pages there, and :func:`pytest_pyfunc_call` runs the body of
each browser test there too (greenlets cannot switch across threads). To a test it
looks exactly like plain sync Playwright.
"""

from __future__ import annotations

import inspect
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.config import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}  # as in tests/conftest.py
START_TIMEOUT = 20.0
E2E_DIR = Path(__file__).resolve().parent

T = TypeVar("T")


# -- collection ------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is a browser test (``-m 'not browser'`` skips them all)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# -- the Playwright thread -------------------------------------------------------------


class PlaywrightThread:
    """One long-lived worker thread; every Playwright call is made on it."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._pool.submit(fn, *args, **kwargs).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


_THREAD_KEY = pytest.StashKey[PlaywrightThread]()


def _thread(config: pytest.Config) -> PlaywrightThread:
    if _THREAD_KEY not in config.stash:
        config.stash[_THREAD_KEY] = PlaywrightThread()
    return config.stash[_THREAD_KEY]


def pytest_unconfigure(config: pytest.Config) -> None:
    thread = config.stash.get(_THREAD_KEY, None)
    if thread is not None:
        thread.shutdown()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run the body of a (sync) browser test on the Playwright thread."""
    if "browser" not in pyfuncitem.fixturenames or inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    _thread(pyfuncitem.config).run(pyfuncitem.obj, **args)
    return True


# -- the server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`houqin {' '.join(args)}` exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server we started: SIGTERM to its process group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group of *our* child (start_new_session)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


_LIVE_DB_KEY = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of a migrated, demo-seeded server."""
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOUQIN_")}
    env.update(
        {
            "PICCOLO_CONF": "core.piccolo_conf",
            "HOUQIN_DATABASE_URL": f"sqlite:///{tmp / 'e2e.sqlite3'}",
            "HOUQIN_VAR_DIR": str(tmp),
            "HOUQIN_BASE_URL": base_url,
        }
    )
    _cli(env, "migrate")
    _cli(env, "seed-demo")
    request.config.stash[_LIVE_DB_KEY] = env["HOUQIN_DATABASE_URL"]

    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = False
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(f"{base_url}/healthz"):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before /healthz")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no 200 from {base_url}/healthz in {START_TIMEOUT:.0f} s")
            time.sleep(0.1)
        started = True
    except Exception as exc:
        print(f"houqin serve failed to start ({exc}); tail of {log_path}:\n{_tail(log_path)}")
        raise RuntimeError(f"{exc}; server log:\n{_tail(log_path)}") from exc
    finally:
        if not started:
            _stop(proc)
    yield base_url
    _stop(proc)


@pytest.fixture(scope="session")
def live_database_url(live_server: str, request: pytest.FixtureRequest) -> str:
    """The live server's database URL (SQLite), for a test's own set-up and checks."""
    return request.config.stash[_LIVE_DB_KEY]


# -- the browser -----------------------------------------------------------------------


@dataclass
class _Browser:
    playwright: Any
    browser: Any


def _launch() -> _Browser:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except BaseException:
        playwright.stop()
        raise
    return _Browser(playwright, browser)


def _close(b: _Browser) -> None:
    try:
        b.browser.close()
    finally:
        b.playwright.stop()


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A headless chromium (``playwright.sync_api.Browser``), owned by the Playwright thread."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        reason = f"{CHROMIUM} not found (apt-get install chromium); browser tests need it"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    thread = _thread(request.config)
    b = thread.run(_launch)
    yield b.browser
    thread.run(_close, b)


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "locale": "zh-CN",
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@dataclass
class Phone:
    context: Any  # playwright.sync_api.BrowserContext
    page: Any  # playwright.sync_api.Page
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path


def _phone(context: Any, base_url: str) -> Phone:
    context.set_default_timeout(10_000)
    return Phone(context, context.pages[0] if context.pages else context.new_page(), base_url)


@pytest.fixture
def phone(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Phone]:
    """A fresh phone-sized, zh-CN, touch context and its page; closed after the test.

    Like every ``browser.new_context()`` it is off the record (incognito).
    """
    thread = _thread(request.config)
    phone = thread.run(lambda: _phone(browser.new_context(**PHONE), live_server))
    yield phone
    thread.run(phone.context.close)


@pytest.fixture
def phone_profile(
    browser: Any, live_server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Phone]:
    """Like ``phone``, but on a real on-disk profile (a persistent context).

    Chromium never offers to install a web app from an incognito context:
    ``Page.getInstallabilityErrors`` then answers ``in-incognito`` whatever the site
    does, so installability can only be checked here. It starts a second chromium
    (same binary, same flags) for the length of the test.
    """
    thread = _thread(request.config)

    def open_() -> Phone:
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            **PHONE,
        )
        return _phone(context, live_server)

    phone = thread.run(open_)
    yield phone
    thread.run(phone.context.close)
