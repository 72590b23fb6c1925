"""``make bench``: seed a throw-away database, serve houqin and the floor, load both, compare.

For each engine (PostgreSQL when it answers on 127.0.0.1:5432, and SQLite):

1. create the database (``houqin_bench`` on PostgreSQL, a file in a temp dir on SQLite),
   ``houqin migrate``, ``houqin seed-demo``, then bulk-insert users and requests with the
   raw driver (tests/bench/seed.py);
2. start ``houqin serve --workers 2`` and the floor (tests/bench/floor.py, bare Litestar +
   Jinja + driver) with 2 granian workers each, on loopback;
3. log in with httpx (employee@demo; dispatcher@demo for the desk queue), check that
   every scenario answers as it should, then for each scenario load houqin and the floor
   in turn with wrk (a warm-up, then ``--duration`` seconds): req/s, p50, p99;
4. read the resident memory (VmRSS) of every granian worker after the load, stop both
   servers, drop the database.

It prints one table per engine against the DESIGN §8 budgets and writes everything to
var/bench/latest.json. Run ``python -m tests.bench.run --help`` for the knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.bench import floor
from tests.bench.seed import SeedPlan, seed_postgres, seed_sqlite

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "bench" / "latest.json"
PG_ADMIN = os.environ.get("HOUQIN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "houqin_bench"
LOGIN, PASSWORD = "employee@demo", "houqin-demo"
DISPATCHER = "dispatcher@demo"  # may see every team's desk queue (core/seed.py)
SESSION_COOKIE, CSRF_COOKIE = "houqin_session", "houqin_csrf"

# DESIGN §8, at 100 000 requests on PostgreSQL with 2 workers.
BUDGET_PAGE_RATIO = 0.50  # inbox (and desk queue) throughput / floor
BUDGET_PAGE_P99_MS = 50.0
BUDGET_SUBMIT_P99_MS = 100.0
BUDGET_RSS_MIB = 80.0
OTHER_CPUS_WARN = 0.25  # CPUs used by other processes during a run before it is flagged

SUBMIT_FORM = {
    "kind": "facilities",
    "title": "基准测试：3 楼茶水间水龙头漏水",
    "description": "从昨天下午开始出现，影响正常办公，麻烦尽快安排师傅处理。",
    "location": "A 座 3 楼茶水间",
    "priority": "normal",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: Callable[[dict[str, Any]], str]
    expect: int
    budget: str  # how the DESIGN §8 budget applies: "page", "submit" or "" (none)
    login: str = LOGIN  # whose session loads houqin (the floor has no auth)


SCENARIOS = [
    Scenario("inbox", "GET", lambda f: "/requests", 200, "page"),
    Scenario("detail", "GET", lambda f: f"/requests/{f['number']}", 200, ""),
    Scenario("desk", "GET", lambda f: f"/desk/queue?team={f['team']}", 200, "page", DISPATCHER),
    Scenario("submit", "POST", lambda f: "/new/general", 303, "submit"),
]


@dataclass
class Options:
    size: int
    users: int
    engines: list[str]
    duration: float
    warmup: float
    connections: int
    threads: int
    sessions: int
    loader: str
    keep: bool
    retries: int = 0


# -- processes ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (granian's workers are children of its main process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (those that have exited count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postgres_pids(database: str = PG_DB) -> list[int]:
    """The PostgreSQL backends serving ``database`` (their titles name it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            if f" {database} " in title:
                found.append(int(entry.name))
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (all CPUs)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICKS


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy_cpus(seconds: float = 1.0) -> float:
    """How many CPUs the machine keeps busy (over ``seconds``) before we load it."""
    before = machine_busy()
    time.sleep(seconds)
    return round((machine_busy() - before) / seconds, 2)


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Server:
    """A granian server in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name, self.argv, self.env, self.port, self.log = name, argv, env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, workers: int, timeout: float = 60) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}\n{self.tail()}")
            started = self.log.read_text(errors="replace").count("Started worker")
            if started >= workers:
                try:
                    if httpx.get(self.base + ready_path, timeout=2).status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start in {timeout} s:\n{self.tail()}")

    def workers(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def run_cli(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(BIN / "houqin"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"houqin {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


# -- databases ---------------------------------------------------------------------------
async def _pg(sql: str, dsn: str = PG_ADMIN) -> Any:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=3)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def pg(sql: str, dsn: str = PG_ADMIN) -> Any:
    return asyncio.run(_pg(sql, dsn))


def pg_available() -> str | None:
    try:
        pg("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def pg_url() -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


def timed_queries(url: str, fixtures: dict[str, Any], repeat: int = 30) -> dict[str, float]:
    """Median time (ms) of the pages' main queries run alone through the raw driver."""
    queries = {
        "inbox": (floor.INBOX_SQL, (fixtures["org"], fixtures["user"])),
        "detail": (floor.DETAIL_SQL, (fixtures["org"], fixtures["number"], fixtures["user"])),
        "events": (floor.EVENTS_SQL, (fixtures["org"], fixtures["request_id"], True)),
        "desk": (floor.QUEUE_FILTERS["open"], (fixtures["org"], fixtures["team"], 0)),
    }
    out: dict[str, float] = {}
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        for name, (sql, params) in queries.items():
            samples = []
            for _ in range(repeat):
                began = time.perf_counter()
                conn.execute(sql.replace("$", "?"), params).fetchall()
                samples.append(time.perf_counter() - began)
            out[name] = round(statistics.median(samples) * 1000, 3)
        conn.close()
        return out

    async def go() -> None:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            for name, (sql, params) in queries.items():
                samples = []
                for _ in range(repeat):
                    began = time.perf_counter()
                    await conn.fetch(sql, *params)
                    samples.append(time.perf_counter() - began)
                out[name] = round(statistics.median(samples) * 1000, 3)
        finally:
            await conn.close()

    asyncio.run(go())
    return out


# The desk queue's team: the organisation's team with the most open requests.
TEAM_SQL = (
    "SELECT team_id, count(*) AS n FROM core_request WHERE org = $1 AND team_id IS NOT NULL "
    "AND status IN ('submitted', 'pending_approval', 'approved', 'assigned', 'in_progress', "
    "'on_hold', 'reopened') GROUP BY team_id ORDER BY n DESC, team_id LIMIT 1"
)


def fixtures_for(url: str, org: int, user: int) -> dict[str, Any]:
    """The request shown on the detail page (the user's newest one with a full timeline)
    and the team whose desk queue is loaded (with its count of open requests)."""
    sql = (
        "SELECT r.id, r.number, r.department FROM core_request r WHERE r.org = $1 "
        "AND r.requester = $2 AND r.status IN ('in_progress', 'on_hold', 'resolved', 'closed') "
        "AND (SELECT count(*) FROM core_request_event e WHERE e.request = r.id) >= 4 "
        "ORDER BY r.id DESC LIMIT 1"
    )
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        row = conn.execute(sql.replace("$", "?"), (org, user)).fetchone()
        team = conn.execute(TEAM_SQL.replace("$", "?"), (org,)).fetchone()
        conn.close()
    else:
        row = asyncio.run(_fetch_one(url, sql, org, user))
        team = asyncio.run(_fetch_one(url, TEAM_SQL, org))
    if row is None:
        raise RuntimeError("no request of employee@demo with a full timeline: seeding failed?")
    if team is None:
        raise RuntimeError("no team of the demo organisation has open requests: seeding failed?")
    return {
        "org": org,
        "user": user,
        "request_id": row[0],
        "number": row[1],
        "dept": row[2],
        "team": team[0],
        "team_open": team[1],
    }


async def _fetch_one(url: str, sql: str, *args: Any) -> Any:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchrow(sql, *args)
    finally:
        await conn.close()


def count_requests(url: str) -> int:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        n = conn.execute("SELECT count(*) FROM core_request").fetchone()[0]
        conn.close()
        return n
    return int(pg("SELECT count(*) AS n FROM core_request", url)[0]["n"])


# -- sessions and checks -----------------------------------------------------------------
def login(base: str, who: str = LOGIN) -> tuple[str, str]:
    """Log in as ``who`` (a demo account); returns (session id, CSRF token)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login")
        csrf = client.cookies[CSRF_COOKIE]
        response = client.post(
            "/login",
            data={"login": who, "password": PASSWORD, "next": "/requests"},
            headers={"x-csrftoken": csrf},
        )
        if response.status_code != 303 or SESSION_COOKIE not in client.cookies:
            raise RuntimeError(
                f"login as {who} failed: {response.status_code} {response.text[:300]}"
            )
        return client.cookies[SESSION_COOKIE], csrf


def check(base: str, scenario: Scenario, fixtures: dict[str, Any], headers: dict[str, str]) -> int:
    """One request by hand: the scenario must answer as expected. Returns the page size."""
    url = base + scenario.path(fixtures)
    if scenario.method == "GET":
        response = httpx.get(url, headers=headers, timeout=30)
    else:
        body = urlencode({**SUBMIT_FORM, "submit_token": f"check-{time.time_ns()}"})
        response = httpx.post(
            url,
            content=body,
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
    if response.status_code != scenario.expect:
        raise RuntimeError(
            f"{url}: expected {scenario.expect}, got {response.status_code} "
            f"{response.headers.get('location', '')} {response.text[:300]}"
        )
    if scenario.name == "inbox":
        cards = response.text.count('request-card"')
        if cards != 20:
            raise RuntimeError(f"{url}: the inbox shows {cards} requests, not 20")
    if scenario.name == "desk":
        # the chosen team's queue (not another team's, not an empty page): a full page of
        # its open requests, or all of them when there are fewer
        rows = response.text.count('name="numbers"')
        wanted = min(fixtures["team_open"], floor.QUEUE_PAGE)
        current = f'href="/desk/queue?team={fixtures["team"]}" aria-current="page"'
        if rows != wanted or current not in response.text:
            raise RuntimeError(
                f"{url}: the queue shows {rows} requests (not {wanted}) "
                f"or not team {fixtures['team']}"
            )
    if scenario.method == "POST" and not response.headers.get("location", "").startswith(
        "/requests/ZH-"
    ):
        raise RuntimeError(f"{url}: submit redirected to {response.headers.get('location')}")
    return len(response.content)


# -- load --------------------------------------------------------------------------------
def load(
    opts: Options,
    url: str,
    scenario: Scenario,
    headers: dict[str, str],
    duration: float,
    tag: str,
    cookies: list[str],
) -> dict[str, Any]:
    body = urlencode(SUBMIT_FORM) if scenario.method == "POST" else None
    if opts.loader == "wrk":
        argv = ["wrk", "-t", str(opts.threads), "-c", str(opts.connections)]
        argv += ["-d", f"{duration:g}s", "--timeout", "5s", "-s", str(HERE / "wrk.lua"), url]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        env = {**os.environ, "WRK_EXPECT": str(scenario.expect), "WRK_TAG": tag}
        if body is not None:
            env["WRK_BODY"] = body
            env["WRK_COOKIES"] = "|".join(cookies)
    else:
        argv = [sys.executable, "-m", "tests.bench.loadgen", url, "--duration", f"{duration:g}"]
        argv += ["--connections", str(opts.connections), "--expect", str(scenario.expect)]
        argv += ["--tag", tag]
        for name, value in headers.items():
            argv += ["--header", f"{name}: {value}"]
        if body is not None:
            argv += ["--body", body, "--cookies", "|".join(cookies)]
        env = dict(os.environ)
    result = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=duration + 60
    )
    found = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"load generator failed:\n{result.stdout}\n{result.stderr}")
    raw = json.loads(found.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": raw["errors"],
        "unexpected": raw["unexpected"],
        "unexpected_status": raw["unexpected_status"],
    }


def measure(
    opts: Options,
    run: EngineRun,
    server: Server,
    scenario: Scenario,
    url: str,
    headers: dict[str, str],
    tag: str,
    cookies: list[str],
) -> dict[str, Any]:
    """One measured run, with the CPU that the server, its database and others used."""
    rows_before = count_requests(run.url)
    workers = server.workers()
    db_pids = postgres_pids() if run.engine == "postgres" else []
    cpu0, db0 = cpu_seconds(workers), cpu_seconds(db_pids)
    all0, loader0, own0 = machine_busy(), children_cpu(), time.process_time()
    measured = load(opts, url, scenario, headers, opts.duration, tag, cookies)
    if server.proc is None or server.proc.poll() is not None or not server.workers():
        code = server.proc.poll() if server.proc else None
        raise RuntimeError(f"{server.name} died during the load (exit code {code})")
    n = max(measured["requests"], 1)
    worker_cpu = cpu_seconds(workers) - cpu0
    db_cpu = cpu_seconds(postgres_pids()) - db0 if db_pids else 0.0
    loader_cpu = children_cpu() - loader0
    measured["cpu_ms_per_request"] = round(worker_cpu * 1000 / n, 2)
    if db_pids:
        measured["db_cpu_ms_per_request"] = round(db_cpu * 1000 / n, 2)
    # CPU that neither the server, its database, the load generator nor we used: other
    # work on the machine that took CPU from the measurement.
    ours = worker_cpu + db_cpu + loader_cpu + time.process_time() - own0
    seconds = max(measured["seconds"], 0.1)
    measured["loader_cpus"] = round(loader_cpu / seconds, 2)
    measured["other_cpus"] = round(max((machine_busy() - all0 - ours) / seconds, 0.0), 2)
    if scenario.method == "POST":
        measured["rows_created"] = count_requests(run.url) - rows_before
    return measured


def wait_quiet(limit: float) -> None:
    """Wait (at most ``limit`` seconds) until other processes leave the CPUs alone."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and busy_cpus(2) > OTHER_CPUS_WARN:
        pass


# -- one engine --------------------------------------------------------------------------
@dataclass
class EngineRun:
    engine: str
    url: str
    version: str
    tmp: Path
    timings: dict[str, float] = field(default_factory=dict)


def bench_engine(opts: Options, engine: str) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"houqin-bench-{engine}-"))
    if engine == "postgres":
        pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        pg(f"CREATE DATABASE {PG_DB}")
        url = pg_url()
        version = pg("SHOW server_version")[0][0]
    else:
        url = f"sqlite:///{tmp / 'houqin.sqlite3'}"
        version = sqlite3.sqlite_version
    run = EngineRun(engine, url, version, tmp)
    try:
        return _bench(opts, run)
    finally:
        if engine == "postgres":
            pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        if opts.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _step(run: EngineRun, name: str, began: float) -> None:
    run.timings[name] = round(time.perf_counter() - began, 1)
    print(f"  {name}: {run.timings[name]} s", flush=True)


def _bench(opts: Options, run: EngineRun) -> dict[str, Any]:
    env = {
        **os.environ,
        "HOUQIN_DATABASE_URL": run.url,
        "HOUQIN_VAR_DIR": str(run.tmp),
        "PICCOLO_CONF": "core.piccolo_conf",
    }
    began = time.perf_counter()
    run_cli(["migrate"], env)
    run_cli(["seed-demo"], env)
    _step(run, "migrate+seed-demo", began)

    began = time.perf_counter()
    plan = SeedPlan(size=opts.size, users=opts.users)
    if run.engine == "postgres":
        seeded = asyncio.run(seed_postgres(run.url, plan))
    else:
        seeded = seed_sqlite(run.url.split("sqlite:///", 1)[1], plan)
    _step(run, "bulk seed", began)
    print(
        f"  seeded {seeded.requests:,} requests, {seeded.events:,} events, "
        f"{seeded.users:,} users, {seeded.orgs} organisations, "
        f"{seeded.teams} teams ({seeded.team_members} members)",
        flush=True,
    )
    fixtures = fixtures_for(run.url, seeded.demo_org_id, seeded.employee_id)
    print(f"  desk queue: team {fixtures['team']}, {fixtures['team_open']} open requests")
    sql_ms = timed_queries(run.url, fixtures)
    print(f"  main queries alone (median ms): {sql_ms}", flush=True)

    houqin_port, floor_port = free_port(), free_port()
    houqin = Server(
        "houqin",
        [str(BIN / "houqin"), "serve", "--port", str(houqin_port), "--workers", "2"],
        env,
        houqin_port,
        run.tmp / "houqin.log",
    )
    floor_env = {
        **os.environ,
        "BENCH_FLOOR_DATABASE_URL": run.url,
        "BENCH_FLOOR_ORG": str(fixtures["org"]),
        "BENCH_FLOOR_USER": str(fixtures["user"]),
        "BENCH_FLOOR_DEPT": str(fixtures["dept"] or ""),
        "BENCH_FLOOR_POOL": "8" if run.engine == "postgres" else "4",
    }
    floor_server = Server(
        "floor",
        [sys.executable, "-m", "tests.bench.floor", "--port", str(floor_port), "--workers", "2"],
        floor_env,
        floor_port,
        run.tmp / "floor.log",
    )
    began = time.perf_counter()
    try:
        houqin.start("/healthz", 2)
        floor_server.start("/requests", 2)
        _step(run, "servers up", began)
        idle_rss = {
            s.name: [v for v in (rss_mib(p) for p in s.workers()) if v is not None]
            for s in (houqin, floor_server)
        }
        busy = busy_cpus()
        if busy > OTHER_CPUS_WARN:
            print(f"  !! {busy} CPUs already busy with other processes: figures will be low")
        sessions = [login(houqin.base) for _ in range(max(opts.sessions, 1))]
        csrf = sessions[0][1]
        cookies = [f"{SESSION_COOKIE}={sid}; {CSRF_COOKIE}={csrf}" for sid, _ in sessions]
        # one session for each other account a scenario needs (the dispatcher's queue)
        others = {s.login: login(houqin.base, s.login) for s in SCENARIOS if s.login != LOGIN}
        results: dict[str, Any] = {}
        for scenario in SCENARIOS:
            if scenario.login == LOGIN:
                headers = {"Cookie": cookies[0], "X-CSRFToken": csrf}
            else:
                sid, token = others[scenario.login]
                headers = {
                    "Cookie": f"{SESSION_COOKIE}={sid}; {CSRF_COOKIE}={token}",
                    "X-CSRFToken": token,
                }
            results[scenario.name] = {}
            for server in (houqin, floor_server):
                size = check(server.base, scenario, fixtures, headers)
                url = server.base + scenario.path(fixtures)
                tag = f"{server.name}-{scenario.name}-{time.time_ns()}"
                if opts.warmup:
                    load(opts, url, scenario, headers, opts.warmup, tag + "-w", cookies)
                for attempt in range(opts.retries + 1):
                    if attempt:
                        wait_quiet(60)
                    measured = measure(
                        opts, run, server, scenario, url, headers, f"{tag}-{attempt}", cookies
                    )
                    measured["page_bytes"] = size
                    measured["attempt"] = attempt + 1
                    print(f"  {scenario.name:<7} {server.name:<7} {_brief(measured)}", flush=True)
                    if measured["other_cpus"] <= OTHER_CPUS_WARN:
                        break
                results[scenario.name][server.name] = measured
        rss = {
            s.name: [v for v in (rss_mib(p) for p in s.workers()) if v is not None]
            for s in (houqin, floor_server)
        }
        session_files = sorted(
            (p.stat().st_size for p in (run.tmp / "sessions").glob("*")), reverse=True
        )
    except BaseException:
        for server in (houqin, floor_server):
            print(f"-- last lines of {server.name}'s log ({server.log}):\n{server.tail()}")
        raise
    finally:
        houqin.stop()
        floor_server.stop()
    return {
        "engine": run.engine,
        "version": run.version,
        "seed": {
            "requests": seeded.requests,
            "events": seeded.events,
            "users": seeded.users,
            "organisations": seeded.orgs,
            "seconds": round(seeded.seconds, 1),
        },
        "timings_s": run.timings,
        "query_ms": sql_ms,
        "scenarios": results,
        "rss_mib": rss,
        "rss_idle_mib": idle_rss,
        "largest_session_bytes": session_files[0] if session_files else None,
        "busy_cpus_before": busy,
    }


def _brief(m: dict[str, Any]) -> str:
    text = f"{m['rps']:>8.1f} req/s  p50 {m['p50_ms']:>6.2f} ms  p99 {m['p99_ms']:>7.2f} ms"
    text += f"  cpu {m['cpu_ms_per_request']:.2f} ms/req"
    if m.get("other_cpus", 0) > OTHER_CPUS_WARN:
        text += f"  (!! {m['other_cpus']} CPUs taken by other processes)"
    if m["errors"] or m["unexpected"]:
        text += f"  !! {m['errors']} errors, {m['unexpected']} x status {m['unexpected_status']}"
    return text


# -- report ------------------------------------------------------------------------------
def verdicts(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for scenario in SCENARIOS:
        m = result["scenarios"][scenario.name]
        h, f = m["houqin"], m["floor"]
        ratio = h["rps"] / f["rps"] if f["rps"] else 0.0
        checks: dict[str, bool] = {}
        if scenario.budget == "page":
            checks[f"ratio ≥ {BUDGET_PAGE_RATIO:.0%}"] = ratio >= BUDGET_PAGE_RATIO
            checks[f"p99 < {BUDGET_PAGE_P99_MS:g} ms"] = h["p99_ms"] < BUDGET_PAGE_P99_MS
        elif scenario.budget == "submit":
            checks[f"p99 < {BUDGET_SUBMIT_P99_MS:g} ms"] = h["p99_ms"] < BUDGET_SUBMIT_P99_MS
        if h["errors"] or h["unexpected"]:
            checks["no errors"] = False
        out[scenario.name] = {"ratio": round(ratio, 3), "checks": checks}
    worst = max(result["rss_mib"]["houqin"] or [0.0])
    out["rss"] = {
        "max_mib": worst,
        "checks": {f"≤ {BUDGET_RSS_MIB:g} MiB": worst <= BUDGET_RSS_MIB},
    }
    return out


def _loader(opts: Options) -> str:
    if opts.loader == "wrk":
        return f"wrk {opts.threads} thread(s) × {opts.connections} connections"
    return f"asyncio+httpx load generator × {opts.connections} connections"


def _fmt_checks(checks: dict[str, bool]) -> str:
    return ", ".join(f"{k} {'ok' if v else 'FAIL'}" for k, v in checks.items()) or "(no budget)"


def print_table(result: dict[str, Any], opts: Options) -> None:
    v = result["verdicts"]
    title = "PostgreSQL" if result["engine"] == "postgres" else "SQLite"
    s = result["seed"]
    print()
    print(
        f"{title} {result['version']} — {s['requests']:,} requests, {s['users']:,} extra users, "
        f"2 granian workers each; {_loader(opts)}, {opts.duration:g} s per run"
    )
    header = (
        f"{'scenario':<8} {'houqin r/s':>10} {'p50 ms':>7} {'p99 ms':>7} │ "
        f"{'floor r/s':>9} {'p50 ms':>7} {'p99 ms':>7} │ {'ratio':>6}  budget (DESIGN §8)"
    )
    print(header)
    print("─" * len(header))
    for scenario in SCENARIOS:
        m = result["scenarios"][scenario.name]
        h, f = m["houqin"], m["floor"]
        print(
            f"{scenario.name:<8} {h['rps']:>10.1f} {h['p50_ms']:>7.2f} {h['p99_ms']:>7.2f} │ "
            f"{f['rps']:>9.1f} {f['p50_ms']:>7.2f} {f['p99_ms']:>7.2f} │ "
            f"{v[scenario.name]['ratio']:>6.0%}  {_fmt_checks(v[scenario.name]['checks'])}"
        )
    rss = result["rss_mib"]
    idle = result["rss_idle_mib"]
    print(
        f"worker RSS after load (MiB): houqin {', '.join(map(str, rss['houqin']))}"
        f"  [{_fmt_checks(v['rss']['checks'])}]   floor {', '.join(map(str, rss['floor']))}"
        f"   (before the load: houqin {', '.join(map(str, idle['houqin']))};"
        f" floor {', '.join(map(str, idle['floor']))})"
    )
    db = "; CPU of PostgreSQL" if result["engine"] == "postgres" else ""
    print(f"houqin / floor, per request: CPU of the 2 workers{db}; response size")
    for scenario in SCENARIOS:
        h, f = (
            result["scenarios"][scenario.name]["houqin"],
            result["scenarios"][scenario.name]["floor"],
        )
        line = f"  {scenario.name:<7} worker {h['cpu_ms_per_request']:.2f}"
        line += f" / {f['cpu_ms_per_request']:.2f} ms"
        if "db_cpu_ms_per_request" in h:
            line += f"; db {h['db_cpu_ms_per_request']:.2f}"
            line += f" / {f['db_cpu_ms_per_request']:.2f} ms"
        line += f"; {h['page_bytes']:,} / {f['page_bytes']:,} B"
        print(line)
    disturbed = max(
        m.get("other_cpus", 0.0) for s in result["scenarios"].values() for m in s.values()
    )
    if disturbed > OTHER_CPUS_WARN or result.get("busy_cpus_before", 0) > OTHER_CPUS_WARN:
        print(
            f"!! other processes took CPU during the measurement (up to {disturbed} CPUs; "
            f"{result['busy_cpus_before']} before it): req/s and latencies are low, the CPU "
            "per request still holds"
        )
    print(f"main queries alone (ms, median): {result['query_ms']}")


def revision() -> str:
    """The commit measured (``git describe --dirty``), or HOUQIN_BENCH_REVISION when set."""
    if found := os.environ.get("HOUQIN_BENCH_REVISION"):
        return found
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="make bench", description="houqin against the floor, on loopback"
    )
    parser.add_argument("--size", type=int, default=100_000, help="requests to seed")
    parser.add_argument("--users", type=int, default=2_000, help="extra users to seed")
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--sessions", type=int, default=8, help="logged-in sessions the submits take turns with"
    )
    parser.add_argument("--loader", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite)")
    parser.add_argument(
        "--retries",
        type=int,
        default=0,
        help="on a shared machine: measure a run again (after waiting up to 60 s for quiet) "
        "when other processes took more than a quarter of a CPU during it",
    )
    args = parser.parse_args(argv)
    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "httpx"
    if loader == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --loader httpx")
    engines = ["postgres", "sqlite"] if args.engine == "both" else [args.engine]
    return Options(
        size=args.size,
        users=args.users,
        engines=engines,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        sessions=args.sessions,
        loader=loader,
        keep=args.keep,
        retries=args.retries,
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    began = time.perf_counter()
    engines = list(opts.engines)
    skipped: dict[str, str] = {}
    if "postgres" in engines and (why := pg_available()):
        if len(opts.engines) == 1:
            print(f"PostgreSQL is not reachable at {PG_ADMIN}: {why}", file=sys.stderr)
            return 1
        engines.remove("postgres")
        skipped["postgres"] = why
        print(f"PostgreSQL skipped (not reachable at {PG_ADMIN}: {why})")
    if opts.loader == "httpx":
        print("wrk is not installed: using the asyncio+httpx load generator (lower figures)")
    meta = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "revision": revision(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "size": opts.size,
        "users": opts.users,
        "workers": 2,
        "loader": opts.loader,
        "threads": opts.threads,
        "connections": opts.connections,
        "duration_s": opts.duration,
        "warmup_s": opts.warmup,
        "sessions": opts.sessions,
        "retries": opts.retries,
        "skipped": skipped,
        "budgets": {
            "page_ratio": BUDGET_PAGE_RATIO,
            "page_p99_ms": BUDGET_PAGE_P99_MS,
            "submit_p99_ms": BUDGET_SUBMIT_P99_MS,
            "rss_mib": BUDGET_RSS_MIB,
        },
    }
    results = []
    for engine in engines:
        print(f"== {engine}", flush=True)
        result = bench_engine(opts, engine)
        result["verdicts"] = verdicts(result)
        results.append(result)
    print(f"\nhouqin {meta['revision']}, {os.cpu_count()} CPUs")
    for result in results:
        print_table(result, opts)
    meta["total_s"] = round(time.perf_counter() - began, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"meta": meta, "engines": results}, ensure_ascii=False, indent=2))
    print(f"\nwritten {OUT.relative_to(ROOT)} ({meta['total_s']} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
