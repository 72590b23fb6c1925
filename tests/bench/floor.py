"""The floor: bare Litestar + Jinja + the raw driver (asyncpg / aiosqlite), no ORM, no auth.

It runs the same queries as houqin's inbox, detail, desk queue and submit (same tables,
same rows written) and renders pages of about the same size with the same markup, for a
fixed user and organisation given in the environment (the queue's team comes in the URL,
as in houqin). What houqin costs above this is the price of its ORM, sessions, CSRF,
actor loading, middleware and plugin hooks.

    BENCH_FLOOR_DATABASE_URL=postgresql://… BENCH_FLOOR_ORG=1 BENCH_FLOOR_USER=1 \\
        python -m tests.bench.floor --port 8001 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup, escape

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "floor_templates"
LOCAL = timedelta(hours=8)
STEPS = ("submitted", "pending_approval", "assigned", "in_progress", "resolved", "closed")
LABELS = {
    "submitted": "已提交",
    "pending_approval": "待审批",
    "approved": "已审批",
    "assigned": "已派单",
    "in_progress": "进行中",
    "on_hold": "暂停中",
    "resolved": "已完成",
    "closed": "已关闭",
    "rejected": "已驳回",
    "cancelled": "已取消",
    "reopened": "已重新打开",
}
TONES = {
    "submitted": "submitted",
    "pending_approval": "waiting",
    "approved": "submitted",
    "assigned": "progress",
    "in_progress": "progress",
    "on_hold": "waiting",
    "resolved": "done",
    "closed": "done",
    "rejected": "rejected",
    "cancelled": "muted",
    "reopened": "waiting",
}
KINDS = {"facilities": "设施", "cleaning": "保洁", "enquiry": "咨询", "other": "其他"}
PRIORITIES = {"low": "低", "normal": "普通", "high": "高", "urgent": "紧急"}

# The same statements as houqin's pages ($n placeholders; SQLite takes them as ?n).
INBOX_SQL = (
    "SELECT id, number, service, title, status, submitted_at, updated_at FROM core_request "
    "WHERE org = $1 AND (requester = $2 OR submitted_by = $2) AND status IN ('submitted', "
    "'pending_approval', 'approved', 'assigned', 'in_progress', 'on_hold', 'reopened') "
    "ORDER BY id DESC LIMIT 21"
)
DETAIL_SQL = (
    "SELECT r.*, u.display_name AS requester_name, a.display_name AS assignee_name "
    "FROM core_request r JOIN core_user u ON u.id = r.requester "
    "LEFT JOIN core_user a ON a.id = r.assignee "
    "WHERE r.org = $1 AND r.number = $2 "
    "AND (r.requester = $3 OR r.submitted_by = $3 OR r.assignee = $3)"
)
EVENTS_SQL = (
    "SELECT e.id, e.kind, e.from_status, e.to_status, e.message, e.public, e.created_at, "
    "u.display_name AS actor_name FROM core_request_event e "
    "LEFT JOIN core_user u ON u.id = e.actor "
    "WHERE e.org = $1 AND e.request = $2 AND e.public = $3 ORDER BY e.id DESC LIMIT 200"
)
COUNTER_SQL = (
    "INSERT INTO core_request_counter (org, prefix, day, last) VALUES ($1, 'ZH', $2, 1) "
    "ON CONFLICT (org, prefix, day) DO UPDATE SET last = core_request_counter.last + 1 "
    "RETURNING last"
)
INSERT_SQL = (
    "INSERT INTO core_request (org, number, service, kind, title, summary, description, "
    "requester, department, submitted_by, channel, status, priority, location, approval_mode, "
    "submitted_at, updated_at, version) VALUES ($1, $2, 'general', $3, $4, $4, $5, $6, $7, $6, "
    "'pwa', 'approved', $8, $9, 'auto', $10, $10, 2) RETURNING id"
)
EVENT_SQL = (
    "INSERT INTO core_request_event (org, request, actor, kind, from_status, to_status, public, "
    "message, data, created_at) VALUES ($1, $2, $3, 'status', $4, $5, $6, '', $7, $8)"
)
# The desk queue (web/routes/desk.py, as a dispatcher sees it): the organisation's active
# teams, one page of the team's requests soonest due first (no target last), its members.
QUEUE_PAGE = 50
QUEUE_TEAMS_SQL = (
    "SELECT id, name, service FROM core_team WHERE org = $1 AND active = true ORDER BY id"
)
QUEUE_SQL = (
    "SELECT r.number, r.title, r.status, r.priority, r.location, r.resolution_due_at, "
    "r.resolved_at, r.updated_at, a.display_name AS assignee_name FROM core_request r "
    "LEFT JOIN core_user a ON a.id = r.assignee "
    "WHERE r.org = $1 AND r.team_id = $2 AND r.status IN ({statuses}) "
    "ORDER BY r.resolution_due_at IS NULL, r.resolution_due_at, r.id "
    "LIMIT 51 OFFSET $3"  # QUEUE_PAGE + 1: one more row tells whether there is a next page
)
QUEUE_OPEN = (
    "submitted",
    "pending_approval",
    "approved",
    "assigned",
    "in_progress",
    "on_hold",
    "reopened",
)
QUEUE_FILTERS = {  # houqin's desk._status_filter, inlined as literals as Piccolo does
    show: QUEUE_SQL.format(statuses=", ".join(f"'{s}'" for s in statuses))
    for show, statuses in {
        "open": QUEUE_OPEN,
        "waiting": ("approved", "reopened"),
        "assigned": ("assigned",),
        "in_progress": ("in_progress",),
        "on_hold": ("on_hold",),
        "done": ("resolved",),
    }.items()
}
QUEUE_AGENTS_SQL = (
    'SELECT m."user", m.on_duty, u.display_name AS name FROM core_team_member m '
    'LEFT JOIN core_user u ON u.id = m."user" WHERE m.org = $1 AND m.team = $2'
)
DUE_WORDS = {"ok": "按时", "soon": "即将超时", "breached": "已超时", "met": "已达成"}
CSRF_PLACEHOLDER = "0" * 128  # houqin puts its CSRF token (128 hex digits) in the form

IDEMPOTENCY_SQL = (
    'INSERT INTO core_idempotency_key (org, "user", key, request, created_at) '
    "VALUES ($1, $2, $3, $4, $5)"
)


class Database:
    """The two drivers behind one small interface: fetch rows, run a write transaction."""

    is_postgres: bool

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def fetch(self, sql: str, *args: Any) -> list[Any]: ...
    def transaction(self) -> Any: ...
    def ts(self, moment: datetime) -> Any:
        return moment


class Postgres(Database):
    is_postgres = True

    def __init__(self, url: str, pool_max: int) -> None:
        self.url, self.pool_max, self.pool = url, pool_max, None

    async def start(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_max)

    async def stop(self) -> None:
        await self.pool.close()

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        return await self.pool.fetch(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PgConn(conn)


class PgConn:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self.conn.fetchval(sql, *args)

    async def executemany(self, sql: str, rows: list[tuple]) -> None:
        await self.conn.executemany(sql, rows)


class SQLite(Database):
    """A small pool of persistent aiosqlite connections (WAL, busy timeout)."""

    is_postgres = False

    def __init__(self, path: str, pool_max: int) -> None:
        self.path, self.pool_max = path, pool_max
        self.pool: asyncio.Queue[Any] = asyncio.Queue()

    async def start(self) -> None:
        import aiosqlite

        for _ in range(self.pool_max):
            conn = await aiosqlite.connect(self.path, timeout=15, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            self.pool.put_nowait(conn)

    async def stop(self) -> None:
        while not self.pool.empty():
            await self.pool.get_nowait().close()

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[Any]:
        conn = await self.pool.get()
        try:
            yield conn
        finally:
            self.pool.put_nowait(conn)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self._conn() as conn, conn.execute(sql.replace("$", "?"), args) as cur:
            return list(await cur.fetchall())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self._conn() as conn:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteConn(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    def ts(self, moment: datetime) -> Any:
        return str(moment)


class SqliteConn:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.conn.execute(sql.replace("$", "?"), args) as cur:
            row = await cur.fetchone()
        return row[0]

    async def executemany(self, sql: str, rows: list[tuple]) -> None:
        await self.conn.executemany(sql.replace("$", "?"), rows)


def database(url: str, pool_max: int) -> Database:
    if url.startswith("sqlite:///"):
        return SQLite(url.split("sqlite:///", 1)[1], pool_max)
    return Postgres(url.replace("postgres://", "postgresql://", 1), pool_max)


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def fmt_datetime(value: Any) -> str:
    local = _moment(value) + LOCAL
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def fmt_relative(value: Any) -> str:
    seconds = (datetime.now(UTC) - _moment(value)).total_seconds()
    if seconds < 3600:
        return f"{max(int(seconds // 60), 1)}分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)}小时前"
    return f"{int(seconds // 86400)}天前"


def urgency(due: Any, done: Any) -> str:
    """As core.lifecycle.deadlines.urgency: met/breached once done, else by the clock."""
    if due is None:
        return ""
    due = _moment(due)
    if done is not None:
        return "met" if _moment(done) <= due else "breached"
    now = datetime.now(UTC)
    if now > due:
        return "breached"
    return "soon" if due - now <= timedelta(hours=1) else "ok"


def stepper(status: str) -> list[tuple[str, str]]:
    current = STEPS.index(status) if status in STEPS else 3
    return [
        (s, "done" if i < current else "current" if i == current else "todo")
        for i, s in enumerate(STEPS)
    ]


SPRITE = "/static/vendor/tabler-icons-3.52.0/sprite.svg"
TONE_ICON = {
    "done": "circle-check",
    "rejected": "x",
    "waiting": "history",
    "progress": "tool",
    "muted": "x",
}


def floor_icon(name: str, cls: str = "") -> Markup:
    return Markup(  # noqa: S704 - every value is escaped
        f'<svg class="icon {escape(cls)}" aria-hidden="true" focusable="false">'
        f'<use href="{SPRITE}#i-{escape(name)}"></use></svg>'
    )


def floor_status_chip(status: str) -> Markup:
    tone = TONES.get(status, "muted")
    chip = floor_icon(TONE_ICON.get(tone, "info-circle"))
    return Markup(  # noqa: S704 - the label is escaped
        f'<span class="status status--{tone}">{chip}{escape(LABELS.get(status, status))}</span>'
    )


def create_app() -> Litestar:
    db = database(
        os.environ["BENCH_FLOOR_DATABASE_URL"], int(os.environ.get("BENCH_FLOOR_POOL", "8"))
    )
    org_id = int(os.environ["BENCH_FLOOR_ORG"])
    user_id = int(os.environ["BENCH_FLOOR_USER"])
    dept_id = int(os.environ.get("BENCH_FLOOR_DEPT") or 0) or None
    common = {"org_name": "示例单位 Demo Co.", "LABELS": LABELS, "TONES": TONES}

    @get("/requests")
    async def inbox(request: Request[Any, Any, Any], show: FromQuery[str] = "open") -> Template:
        rows = await db.fetch(INBOX_SQL, org_id, user_id)
        context = {
            **common,
            "rows": rows[:20],
            "show": show,
            "next_before": rows[19]["id"] if len(rows) > 20 else None,
            "current_path": request.url.path,
            "back_url": None,
        }
        return Template(template_name="list.html", context=context)

    @get("/requests/{number:str}")
    async def detail(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
        found = await db.fetch(DETAIL_SQL, org_id, number, user_id)
        if not found:
            raise NotFoundException()
        row = found[0]
        events = await db.fetch(EVENTS_SQL, org_id, row["id"], True)
        context = {
            **common,
            "r": row,
            "events": events,
            "steps": stepper(row["status"]),
            "KINDS": KINDS,
            "PRIORITIES": PRIORITIES,
            "current_path": request.url.path,
            "back_url": "/requests",
        }
        return Template(template_name="detail.html", context=context)

    @get("/desk/queue")
    async def queue(
        request: Request[Any, Any, Any],
        team: FromQuery[int | None] = None,
        show: FromQuery[str] = "open",
        offset: FromQuery[int] = 0,
    ) -> Template:
        teams = await db.fetch(QUEUE_TEAMS_SQL, org_id)
        if not teams:
            raise NotFoundException()
        chosen = next((t for t in teams if t["id"] == team), teams[0])
        show = show if show in QUEUE_FILTERS else "open"
        offset = max(0, min(offset, 1000))
        rows = await db.fetch(QUEUE_FILTERS[show], org_id, chosen["id"], offset)
        agents = await db.fetch(QUEUE_AGENTS_SQL, org_id, chosen["id"])
        more = len(rows) > QUEUE_PAGE
        context = {
            **common,
            "teams": teams,
            "team": chosen,
            "show": show,
            "rows": rows[:QUEUE_PAGE],
            "next_offset": offset + QUEUE_PAGE if more and offset + QUEUE_PAGE <= 1000 else None,
            "agents": agents,
            "DUE_WORDS": DUE_WORDS,
            "csrf_token": CSRF_PLACEHOLDER,
            "current_path": request.url.path,
        }
        return Template(template_name="queue.html", context=context)

    @post("/new/{slug:str}")
    async def submit(request: Request[Any, Any, Any], slug: FromPath[str]) -> Redirect:
        form = await request.form()
        token, title = form.get("submit_token", ""), form.get("title", "").strip()
        kind, priority = form.get("kind", ""), form.get("priority", "normal")
        if slug != "general" or not token or not title or kind not in KINDS:
            raise ValidationException("incomplete form")
        moment = datetime.now(UTC)
        day = (moment + LOCAL).strftime("%Y%m%d")
        at, data = db.ts(moment), json.dumps({"channel": "pwa"})
        async with db.transaction() as conn:
            last = await conn.fetchval(COUNTER_SQL, org_id, day)
            number = f"ZH-{day}-{last:04d}"
            request_id = await conn.fetchval(
                INSERT_SQL,
                org_id,
                number,
                kind,
                title,
                form.get("description", ""),
                user_id,
                dept_id,
                priority,
                form.get("location", ""),
                at,
            )
            await conn.executemany(
                EVENT_SQL,
                [
                    (org_id, request_id, user_id, "", "submitted", True, data, at),
                    (org_id, request_id, None, "submitted", "approved", True, "{}", at),
                ],
            )
            await conn.executemany(
                IDEMPOTENCY_SQL, [(org_id, user_id, f"form:{token}", request_id, at)]
            )
        return Redirect(f"/requests/{number}", status_code=303)

    engine = JinjaTemplateEngine(directory=TEMPLATES)
    engine.engine.filters["datetime"] = fmt_datetime
    engine.engine.filters["reltime"] = fmt_relative
    engine.engine.filters["iso"] = lambda v: _moment(v).isoformat()
    engine.engine.globals["urgency"] = urgency
    # The same small markup helpers as houqin's (web/templating.py): Python, not macros,
    # so the floor is not slowed by what houqin has already optimised away.
    engine.engine.globals["icon"] = floor_icon
    engine.engine.globals["status_chip"] = floor_status_chip

    async def start(_: Litestar) -> None:
        await db.start()

    async def stop(_: Litestar) -> None:
        await db.stop()

    return Litestar(
        route_handlers=[inbox, detail, queue, submit],
        template_config=TemplateConfig(instance=engine),
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=None,
    )


def main() -> None:
    from granian import Granian
    from granian.constants import Interfaces

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    Granian(
        "tests.bench.floor:create_app",
        address="127.0.0.1",
        port=args.port,
        workers=args.workers,
        interface=Interfaces.ASGI,
        factory=True,
        log_access=False,
        working_dir=ROOT,
    ).serve()


if __name__ == "__main__":
    main()
