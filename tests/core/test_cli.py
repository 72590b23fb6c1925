"""The houqin command, run as an administrator would, against a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ROOT


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("cli")
    return {
        **os.environ,
        "HOUQIN_DATABASE_URL": f"sqlite:///{base / 'cli.sqlite3'}",
        "HOUQIN_VAR_DIR": str(base),
    }


def houqin(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
    )


def test_cli_end_to_end(cli_env: dict[str, str]) -> None:
    before = houqin(cli_env, "check")
    assert (
        before.returncode == 1 and "pending" in before.stdout and "houqin migrate" in before.stdout
    )

    first = houqin(cli_env, "migrate")
    assert first.returncode == 0, first.stderr
    assert "Applied" in first.stdout
    assert houqin(cli_env, "migrate").stdout.strip() == "No migrations to apply."
    assert houqin(cli_env, "check").returncode == 0

    seeded = houqin(cli_env, "seed-demo")
    assert "employee@demo" in seeded.stdout and "houqin-demo" in seeded.stdout
    assert "already exists" in houqin(cli_env, "seed-demo").stdout

    assert (
        houqin(
            cli_env, "create-org", "--slug", "acme", "--name", "Acme 公司", "--locale", "en"
        ).returncode
        == 0
    )
    dup = houqin(cli_env, "create-org", "--slug", "acme", "--name", "again")
    assert dup.returncode != 0 and "exists already" in dup.stderr
    bad = houqin(cli_env, "create-org", "--slug", "Not A Slug", "--name", "x")
    assert bad.returncode != 0 and "lower-case" in bad.stderr

    made = houqin(
        cli_env,
        "create-user",
        "--org",
        "acme",
        "--login",
        "boss",
        "--name",
        "Boss",
        "--role",
        "org_admin",
        "--role",
        "service_admin:notices",
        stdin="secret-password\nsecret-password\n",
    )
    assert made.returncode == 0, made.stderr + made.stdout
    short = houqin(
        cli_env,
        "create-user",
        "--org",
        "acme",
        "--login",
        "x2",
        "--name",
        "X",
        "--password",
        "short",
    )
    assert short.returncode != 0 and "at least 8" in short.stderr
    badrole = houqin(
        cli_env,
        "create-user",
        "--org",
        "acme",
        "--login",
        "x3",
        "--name",
        "X",
        "--password",
        "long enough",
        "--role",
        "root",
    )
    assert badrole.returncode != 0 and "Unknown role" in badrole.stderr
    noorg = houqin(
        cli_env,
        "create-user",
        "--org",
        "nope",
        "--login",
        "x4",
        "--name",
        "X",
        "--password",
        "long enough",
    )
    assert noorg.returncode != 0 and "No organisation" in noorg.stderr

    listing = houqin(cli_env, "plugins")
    assert (
        listing.returncode == 0
        and "notices" in listing.stdout
        and "acme" in listing.stdout
        and "demo" in listing.stdout
    )

    ran = houqin(cli_env, "run-job", "core.auto_close")
    assert ran.returncode == 0 and "core.auto_close: 0" in ran.stdout, ran.stderr
    typo = houqin(cli_env, "run-job", "core.nope")
    assert typo.returncode != 0 and "core.sla_watch" in typo.stderr
    worker = houqin({**cli_env, "HOUQIN_REDIS_URL": ""}, "worker", "--burst")
    assert worker.returncode != 0 and "HOUQIN_REDIS_URL" in worker.stderr


def test_check_reports_bad_config(cli_env: dict[str, str]) -> None:
    result = houqin({**cli_env, "HOUQIN_PRODUCTION": "1", "HOUQIN_SECRET_KEY": ""}, "check")
    assert result.returncode == 1 and "HOUQIN_SECRET_KEY is not set" in result.stdout


def test_serve_refuses_missing_secret_in_production(cli_env: dict[str, str]) -> None:
    result = houqin({**cli_env, "HOUQIN_PRODUCTION": "1"}, "serve", "--port", "0")
    assert result.returncode != 0 and "HOUQIN_SECRET_KEY is not set" in result.stderr


def test_unknown_plugin_in_toml_stops_migrate(cli_env: dict[str, str], tmp_path: Path) -> None:
    toml = tmp_path / "plugins.toml"
    toml.write_text("[plugins.ghost]\n", encoding="utf-8")
    result = houqin({**cli_env, "HOUQIN_PLUGINS_FILE": str(toml)}, "migrate")
    assert result.returncode != 0 and "ghost" in (result.stderr + result.stdout)


def test_worker_runs_queued_jobs_from_redis(cli_env: dict[str, str]) -> None:
    from tests.conftest import require_redis

    require_redis()
    env = {**cli_env, "HOUQIN_REDIS_URL": "redis://127.0.0.1:6379/14"}
    assert houqin(env, "migrate").returncode == 0
    queued = subprocess.run(
        [
            sys.executable,
            "-c",
            "import asyncio\n"
            "from core.config import load_settings\n"
            "from core.jobs import build_runner, JobContext\n"
            "from core.plugins import build_plugin_registry\n"
            "s = load_settings(); r = build_plugin_registry(s.plugins_file)\n"
            "runner = build_runner(s, r, JobContext(settings=s, registry=r))\n"
            "async def go():\n"
            "    await runner.start()\n"
            "    await runner.enqueue('core.auto_close', key=None)\n"
            "    await runner.stop()\n"
            "asyncio.run(go())\n",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert queued.returncode == 0, queued.stderr
    ran = houqin(env, "worker", "--burst")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "core.auto_close" in ran.stderr + ran.stdout  # SAQ logs the job it processed
