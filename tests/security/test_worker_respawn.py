"""One worker's death does not stop the server: ``houqin serve --workers 2`` under load,
one worker killed with SIGKILL (as an out-of-memory kill would), the other goes on
serving, a new one takes the dead one's place, and every submit that was answered 201
is in the database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from core.config import ROOT

SETUP = """
import asyncio
from core.db import bind_engine, engine_from_url, start_engine
from core.config import load_settings
from core.identity.service import create_org, create_user, issue_token

async def main():
    settings = load_settings()
    engine = engine_from_url(settings.database_url)
    bind_engine(engine)
    org = await create_org("respawn", "Respawn test")
    user = await create_user(org, "respawn.user", "Respawn", "correct horse battery")
    print(await issue_token(org, user, "load"))

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


@pytest.fixture
def server(tmp_path: Path):
    env = {
        **os.environ,
        "HOUQIN_DATABASE_URL": f"sqlite:///{tmp_path / 'respawn.sqlite3'}",
        "HOUQIN_VAR_DIR": str(tmp_path),
        "HOUQIN_JOBS_CRON": "0",
    }
    env.pop("HOUQIN_REDIS_URL", None)
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": True}
    subprocess.run([sys.executable, "-m", "core.cli", "migrate"], **run)
    token = subprocess.run([sys.executable, "-c", SETUP], **run).stdout.strip()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200 and (
                len(_children(process.pid)) >= 2
            ):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("houqin serve did not start within 60 s")
    yield process, base, token, tmp_path / "respawn.sqlite3"
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def _replaced(pid: int, victim: int, within: float = 20) -> bool:
    """Whether two workers other than the dead one run within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len(_children(pid) - {victim}) >= 2:
            return True
        time.sleep(0.2)
    return False


async def _load(base: str, token: str, until: float, acknowledged: list[str]) -> int:
    """Submit requests until ``until``; the numbers answered 201, and how many failed."""
    failures = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        while time.monotonic() < until:
            body = {"service": "general", "kind": "other", "title": "压测"}
            try:
                response = await client.post(
                    "/api/v1/requests",
                    json=body,
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
            except httpx.HTTPError:
                failures += 1  # the request in flight on the killed worker
                continue
            if response.status_code == 201:
                acknowledged.append(response.json()["number"])
            else:
                failures += 1
    return failures


async def test_a_killed_worker_is_replaced_and_nothing_answered_is_lost(server) -> None:
    process, base, token, database = server
    workers = _children(process.pid)
    acknowledged: list[str] = []
    start = time.monotonic()
    load = [asyncio.create_task(_load(base, token, start + 8, acknowledged)) for _ in range(3)]
    await asyncio.sleep(2)
    before_kill = len(acknowledged)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    failures = sum(await asyncio.gather(*load))
    assert process.poll() is None, "the server shut down with its worker"
    assert len(acknowledged) > before_kill + 10, "the other worker stopped serving"
    assert failures <= 3 * 3, f"{failures} requests failed around the kill"
    assert await asyncio.to_thread(_replaced, process.pid, victim), "no new worker came"
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
    with sqlite3.connect(database) as conn:
        stored = {row[0] for row in conn.execute("SELECT number FROM core_request")}
    assert set(acknowledged) <= stored
