"""Bulk seeding for the benchmark, with the raw drivers (no ORM).

Runs after ``houqin migrate`` and ``houqin seed-demo``: adds organisations, departments,
users (one shared password hash, an ``employee`` grant each), ``size`` requests spread
over the last year with statuses that fit their age, 2–5 timeline events per request and
the ``core_request_counter`` rows that match the numbers used (``ZH-YYYYMMDD-NNNN``,
unique per organisation). Each organisation gets the service's three teams (split by
kind, as ``core.lifecycle.dispatch.team_for`` would route them) with its agents and
dispatchers as members; every request that reached dispatch carries its team, and an
assignee from that team, so a team's desk queue holds hundreds of open requests at 100 k.
PostgreSQL gets ``COPY`` (asyncpg ``copy_records_to_table``), SQLite one ``executemany``
transaction. ``employee@demo`` owns ``mine`` requests, the newest ``mine_open`` of them
still open, so the inbox's first page is full.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PREFIX = "ZH"
SERVICE = "general"
LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai, the default time zone (no DST)
CHUNK = 20_000

ORG_COLS = ("id", "slug", "name", "default_locale", "brand_colour", "time_zone", "created_at")
DEPT_COLS = ("id", "org", "name", "parent", "head_user_id", "created_at")
USER_COLS = (
    "id",
    "org",
    "login",
    "display_name",
    "email",
    "phone",
    "department",
    "locale",
    "password_hash",
    "is_active",
    "created_at",
    "last_login_at",
)
GRANT_COLS = ("id", "org", "user", "role", "scope", "created_at")
REQUEST_COLS = (
    "id",
    "org",
    "number",
    "service",
    "kind",
    "title",
    "summary",
    "description",
    "requester",
    "department",
    "submitted_by",
    "channel",
    "status",
    "priority",
    "location",
    "amount",
    "cost",
    "assignee",
    "team_id",
    "approval_mode",
    "response_due_at",
    "resolution_due_at",
    "submitted_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "version",
)
EVENT_COLS = (
    "id",
    "org",
    "request",
    "actor",
    "kind",
    "from_status",
    "to_status",
    "public",
    "message",
    "data",
    "created_at",
)
COUNTER_COLS = ("org", "prefix", "day", "last")
TEAM_COLS = ("id", "org", "service", "name", "kinds", "strategy", "active")
MEMBER_COLS = ("id", "org", "team", "user", "on_duty", "skills", "last_assigned_at")

KINDS = ("facilities", "cleaning", "enquiry", "other")
TITLES = (
    "3 楼茶水间水龙头漏水",
    "会议室投影仪无法开机",
    "办公室空调不制冷",
    "走廊灯管闪烁需要更换",
    "申请领用打印纸两箱",
    "卫生间门锁损坏",
    "工位插座没电",
    "请安排周五下午会议室保洁",
    "饮水机需要换桶",
    "停车场道闸抬杆故障",
    "窗户关不严漏风",
    "咨询办公家具报修流程",
)
DESCRIPTIONS = (
    "",
    "从昨天下午开始出现，影响正常办公，麻烦尽快安排师傅处理。",
    "已经报过一次，还没有修好。\n请联系我确认时间，电话分机 8021。",
    "不着急，本周内处理即可。",
)
LOCATIONS = ("A 座 3 楼茶水间", "B 座 502 会议室", "A 座 1 楼大厅", "C 座 210", "地下停车场", "")
RESOLUTIONS = ("已更换配件，恢复正常。", "已处理完毕。", "现场检查后已修复。", "")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
DEPT_NAMES = ("总部", "后勤保障部", "销售部", "财务部", "人力资源部", "研发中心")

OPEN_STATUSES = ("pending_approval", "approved", "assigned", "in_progress", "on_hold", "reopened")
# Status weights by age of the request: new ones are still being worked on, old ones closed.
STATUS_BY_AGE: tuple[tuple[float, dict[str, int]], ...] = (
    (
        2.0,
        {
            "pending_approval": 15,
            "approved": 25,
            "assigned": 25,
            "in_progress": 25,
            "on_hold": 5,
            "resolved": 5,
        },
    ),
    (
        10.0,
        {
            "pending_approval": 3,
            "approved": 4,
            "assigned": 6,
            "in_progress": 10,
            "on_hold": 4,
            "resolved": 25,
            "closed": 40,
            "cancelled": 6,
            "rejected": 2,
        },
    ),
    (
        1e9,
        {
            "in_progress": 2,
            "on_hold": 2,
            "reopened": 1,
            "resolved": 10,
            "closed": 880,
            "cancelled": 75,
            "rejected": 30,
        },
    ),
)
# Timeline of each status (2–5 events): (to_status, action, who acts).
PATHS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "pending_approval": (("pending_approval", "route", "system"),),
    "approved": (("approved", "auto_approve", "system"),),
    "rejected": (("pending_approval", "route", "system"), ("rejected", "reject", "approver")),
    "assigned": (("approved", "auto_approve", "system"), ("assigned", "assign", "dispatcher")),
    "in_progress": (
        ("approved", "auto_approve", "system"),
        ("assigned", "assign", "dispatcher"),
        ("in_progress", "start", "agent"),
    ),
    "on_hold": (
        ("approved", "auto_approve", "system"),
        ("assigned", "assign", "dispatcher"),
        ("in_progress", "start", "agent"),
        ("on_hold", "hold", "agent"),
    ),
    "resolved": (
        ("approved", "auto_approve", "system"),
        ("assigned", "assign", "dispatcher"),
        ("in_progress", "start", "agent"),
        ("resolved", "resolve", "agent"),
    ),
    "closed": (
        ("approved", "auto_approve", "system"),
        ("in_progress", "start", "agent"),
        ("resolved", "resolve", "agent"),
        ("closed", "close", "requester"),
    ),
    "cancelled": (("approved", "auto_approve", "system"), ("cancelled", "cancel", "requester")),
    "reopened": (
        ("approved", "auto_approve", "system"),
        ("in_progress", "start", "agent"),
        ("resolved", "resolve", "agent"),
        ("reopened", "reopen", "requester"),
    ),
}
CHANNELS = ("pwa",) * 16 + ("desk", "desk", "kiosk", "api")  # 80 % phone, 10 % desk
PRIORITY_TABLE = ("low",) * 2 + ("normal",) * 14 + ("high",) * 3 + ("urgent",)
JSON_CHANNEL = {c: json.dumps({"channel": c}) for c in set(CHANNELS)}
JSON_ACTION = {a: json.dumps({"action": a}) for path in PATHS.values() for _, a, _ in path}
WITH_ASSIGNEE = frozenset({"assigned", "in_progress", "on_hold", "resolved", "closed", "reopened"})
# Approved requests have been through dispatch too: a team was found, nobody taken yet
# (a manual team, or no one free), so they wait in the team's queue for a dispatcher.
WITH_TEAM = WITH_ASSIGNEE | {"approved"}
# The teams of the one seeded service, in id order: (name, kinds, strategy). Together
# they take every kind once, so the team a request carries is the one dispatch routes it
# to. The demo organisation's team from seed-demo (every kind) becomes the first one.
TEAMS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("综合服务组 General services", ("enquiry", "other"), "least_load"),
    ("设施维修组 Facilities", ("facilities",), "skill"),
    ("保洁组 Cleaning", ("cleaning",), "manual"),
)
# Resolution target by priority (the demo SLA policies are of this order).
RESOLUTION_HOURS = {"urgent": 4, "high": 24, "normal": 48, "low": 120}


@dataclass(frozen=True)
class SeedPlan:
    size: int = 100_000
    users: int = 2_000
    orgs: int = 4  # the demo organisation plus orgs - 1 others
    mine: int = 200
    mine_open: int = 30
    seed: int = 20261124


@dataclass
class SeedTeam:
    id: int
    agents: list[int] = field(default_factory=list)


@dataclass
class Org:
    id: int
    depts: list[int]
    users: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    dispatchers: list[int] = field(default_factory=list)
    approvers: list[int] = field(default_factory=list)
    user_dept: dict[int, int | None] = field(default_factory=dict)
    existing_team: int | None = None  # seed-demo's team, reused as the first of TEAMS
    existing_members: set[int] = field(default_factory=set)
    team_by_kind: dict[str, SeedTeam] = field(default_factory=dict)

    def staff(self, who: str) -> list[int]:
        return self.dispatchers if who == "dispatcher" else self.approvers


@dataclass
class SeedResult:
    seconds: float
    requests: int
    events: int
    users: int
    orgs: int
    demo_org_id: int
    employee_id: int
    teams: int = 0
    team_members: int = 0


def _weighted_table(weights: dict[str, int], size: int = 1000) -> list[str]:
    total = sum(weights.values())
    table: list[str] = []
    for status, w in weights.items():
        table += [status] * round(w * size / total)
    return table


class Generator:
    """Rows as tuples in the column orders above; ``ts`` adapts datetimes per driver."""

    def __init__(self, plan: SeedPlan, ts: Callable[[datetime], Any]) -> None:
        self.plan = plan
        self.rnd = random.Random(plan.seed)
        self.ts = ts
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.counters: dict[tuple[int, str], int] = {}
        self.days: dict[int, str] = {}
        self.status_tables = [(limit, _weighted_table(weights)) for limit, weights in STATUS_BY_AGE]
        self.mine_open_status = _weighted_table(
            {"pending_approval": 3, "approved": 4, "assigned": 4, "in_progress": 6, "on_hold": 2}
        )

    # -- organisations, departments, users ---------------------------------------------
    def orgs_and_users(
        self, demo: Org, next_ids: dict[str, int], password_hash: str
    ) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple], list[Org]]:
        rnd, ts, created = self.rnd, self.ts, self.now - timedelta(days=400)
        org_rows: list[tuple] = []
        dept_rows: list[tuple] = []
        user_rows: list[tuple] = []
        grant_rows: list[tuple] = []
        orgs = [demo]
        for n in range(2, self.plan.orgs + 1):
            org_id = next_ids["core_organisation"]
            next_ids["core_organisation"] += 1
            org_rows.append(
                (
                    org_id,
                    f"bench-{n}",
                    f"基准单位 {n}",
                    "zh_CN",
                    "#1d64d8",
                    "Asia/Shanghai",
                    ts(created),
                )
            )
            depts = []
            for name in DEPT_NAMES:
                dept_id = next_ids["core_department"]
                next_ids["core_department"] += 1
                dept_rows.append(
                    (dept_id, org_id, name, depts[0] if depts else None, None, ts(created))
                )
                depts.append(dept_id)
            orgs.append(Org(org_id, depts))
        # Half the extra users in the demo organisation, the rest spread over the others.
        for i in range(self.plan.users):
            org = demo if i % 2 == 0 or len(orgs) == 1 else orgs[1 + (i // 2) % (len(orgs) - 1)]
            user_id = next_ids["core_user"]
            next_ids["core_user"] += 1
            dept = rnd.choice(org.depts)
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(("", *GIVEN))
            user_rows.append(
                (
                    user_id,
                    org.id,
                    f"u{user_id}@bench",
                    name,
                    f"u{user_id}@bench.example",
                    "",
                    dept,
                    None,
                    password_hash,
                    True,
                    ts(created),
                    None,
                )
            )
            roles = ["employee"]
            n = len(org.users)  # counted per organisation: each one gets its staff
            if n % 50 == 1:
                roles.append("agent")
                org.agents.append(user_id)
            elif n % 200 == 3:
                roles.append("dispatcher")
                org.dispatchers.append(user_id)
            elif n % 100 == 5:
                roles.append("approver")
                org.approvers.append(user_id)
            for role in roles:
                grant_rows.append(
                    (next_ids["core_role_grant"], org.id, user_id, role, "", ts(created))
                )
                next_ids["core_role_grant"] += 1
            org.users.append(user_id)
            org.user_dept[user_id] = dept
        for org in orgs:  # every organisation can act on its requests
            org.agents = org.agents or org.users[:1]
            org.dispatchers = org.dispatchers or org.agents[:1]
            org.approvers = org.approvers or org.users[:1]
        return org_rows, dept_rows, user_rows, grant_rows, orgs

    # -- teams -------------------------------------------------------------------------
    def teams(
        self, orgs: list[Org], next_ids: dict[str, int]
    ) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """Rows of (new teams, new members, updates of the teams that exist already).

        Agents, then dispatchers, are dealt round the teams; one agent in five is off
        duty, and the skill team's agents are skilled for its kinds. Requests are assigned
        to the team's agents only. An update is (kinds JSON, strategy, team id).
        """
        team_rows: list[tuple] = []
        member_rows: list[tuple] = []
        updates: list[tuple] = []
        for org in orgs:
            teams: list[SeedTeam] = []
            for idx, (name, kinds, strategy) in enumerate(TEAMS):
                kinds_json = json.dumps(list(kinds))
                if idx == 0 and org.existing_team is not None:
                    team = SeedTeam(org.existing_team)
                    updates.append((kinds_json, strategy, team.id))
                else:
                    team = SeedTeam(next_ids["core_team"])
                    next_ids["core_team"] += 1
                    team_rows.append((team.id, org.id, SERVICE, name, kinds_json, strategy, True))
                teams.append(team)
                for kind in kinds:
                    org.team_by_kind[kind] = team
            for k, agent in enumerate(org.agents):
                idx = k % len(teams)
                team = teams[idx]
                team.agents.append(agent)
                if idx == 0 and agent in org.existing_members:
                    continue
                skills = json.dumps(list(TEAMS[idx][1]) if TEAMS[idx][2] == "skill" else [])
                on_duty = k // len(teams) % 5 != 4
                member_rows.append(
                    (next_ids["core_team_member"], org.id, team.id, agent, on_duty, skills, None)
                )
                next_ids["core_team_member"] += 1
            for k, dispatcher in enumerate(org.dispatchers):
                idx = k % len(teams)
                if dispatcher in teams[idx].agents or (
                    idx == 0 and dispatcher in org.existing_members
                ):
                    continue
                row_id = next_ids["core_team_member"]
                next_ids["core_team_member"] += 1
                member_rows.append((row_id, org.id, teams[idx].id, dispatcher, True, "[]", None))
            for team in teams:
                team.agents = team.agents or org.agents[:1]
        return team_rows, member_rows, updates

    # -- requests and events ---------------------------------------------------------
    def _number(self, org_id: int, moment: datetime) -> str:
        local = moment + LOCAL_OFFSET
        day = self.days.get(local.toordinal())
        if day is None:
            day = self.days[local.toordinal()] = local.strftime("%Y%m%d")
        key = (org_id, day)
        last = self.counters.get(key, 0) + 1
        self.counters[key] = last
        return f"{PREFIX}-{day}-{last:04d}"

    def _status(self, age_days: float) -> str:
        for limit, table in self.status_tables:
            if age_days < limit:
                return table[int(self.rnd.random() * len(table))]
        raise AssertionError("unreachable")

    def requests(
        self, orgs: list[Org], employee: int, first_request_id: int, first_event_id: int
    ) -> Iterator[tuple[list[tuple], list[tuple]]]:
        """Chunks of (request rows, event rows), oldest first (ids rise with time)."""
        plan, rnd, ts = self.plan, self.rnd, self.ts
        size = plan.size
        mine = min(plan.mine, max(size // 5, 1))
        mine_at = {int((k + 0.5) * size / mine): k for k in range(mine)}
        start = self.now - timedelta(days=365)
        span = (timedelta(days=365) - timedelta(minutes=5)).total_seconds()
        demo, others = orgs[0], orgs[1:]
        request_id, event_id = first_request_id, first_event_id
        requests: list[tuple] = []
        events: list[tuple] = []
        for i in range(size):
            moment = start + timedelta(
                seconds=span * i / size, microseconds=rnd.randrange(1_000_000)
            )
            age_days = (self.now - moment).total_seconds() / 86400
            k = mine_at.get(i)
            if k is not None:
                org, requester = demo, employee
                if k >= mine - plan.mine_open:
                    status = self.mine_open_status[int(rnd.random() * len(self.mine_open_status))]
                else:
                    status = self._status(max(age_days, 10.0))
            else:
                org = demo if not others or rnd.random() < 0.5 else rnd.choice(others)
                requester = rnd.choice(org.users)
                status = self._status(age_days)
            channel = CHANNELS[int(rnd.random() * len(CHANNELS))]
            submitted_by = rnd.choice(org.dispatchers) if channel == "desk" else requester
            path = PATHS[status]
            kind = KINDS[int(rnd.random() * len(KINDS))]
            priority = PRIORITY_TABLE[int(rnd.random() * len(PRIORITY_TABLE))]
            team = org.team_by_kind[kind] if status in WITH_TEAM else None
            assignee = rnd.choice(team.agents) if team and status in WITH_ASSIGNEE else None
            actors = {"system": None, "requester": requester, "agent": assignee}
            # events: submitted, then the path, hours apart (never in the future)
            step = min(timedelta(hours=rnd.uniform(0.5, 20)), (self.now - moment) / (len(path) + 1))
            when = moment
            event_rows = [
                (
                    event_id,
                    org.id,
                    request_id,
                    submitted_by,
                    "status",
                    "",
                    "submitted",
                    True,
                    "",
                    JSON_CHANNEL[channel],
                    ts(when),
                )
            ]
            event_id += 1
            from_status = "submitted"
            first_response = resolved = closed = None
            for to_status, action, who in path:
                when = when + (step if who != "system" else timedelta(milliseconds=3))
                message = rnd.choice(RESOLUTIONS) if to_status == "resolved" else ""
                event_rows.append(
                    (
                        event_id,
                        org.id,
                        request_id,
                        actors[who] if who in actors else rnd.choice(org.staff(who)),
                        "status",
                        from_status,
                        to_status,
                        True,
                        message,
                        JSON_ACTION[action],
                        ts(when),
                    )
                )
                event_id += 1
                from_status = to_status
                if who in ("dispatcher", "agent") and first_response is None:
                    first_response = when
                if to_status == "resolved":
                    resolved = when
                if to_status in ("closed", "cancelled", "rejected"):
                    closed = when
            title = rnd.choice(TITLES)
            requests.append(
                (
                    request_id,
                    org.id,
                    self._number(org.id, moment),
                    SERVICE,
                    kind,
                    title,
                    title,
                    rnd.choice(DESCRIPTIONS),
                    requester,
                    org.user_dept.get(requester),
                    submitted_by,
                    channel,
                    status,
                    priority,
                    rnd.choice(LOCATIONS),
                    None,
                    None,
                    assignee,
                    team.id if team else None,
                    "chain" if path[0][0] == "pending_approval" else "auto",
                    ts(moment + timedelta(hours=4)),
                    ts(moment + timedelta(hours=RESOLUTION_HOURS[priority])),
                    ts(moment),
                    ts(first_response) if first_response else None,
                    ts(resolved) if resolved and status != "reopened" else None,
                    ts(closed) if closed else None,
                    ts(when),
                    len(event_rows),
                )
            )
            events += event_rows
            request_id += 1
            if len(requests) >= CHUNK:
                yield requests, events
                requests, events = [], []
        if requests:
            yield requests, events

    def counter_rows(self) -> list[tuple]:
        return [(org, PREFIX, day, last) for (org, day), last in sorted(self.counters.items())]


def _demo_org(
    rows: list[Any], depts: list[Any], users: list[Any], members: list[Any]
) -> tuple[Org, int, str]:
    org = Org(rows[0]["id"], [d["id"] for d in depts])
    if members:  # seed-demo's team of the service and who is in it already
        org.existing_team = members[0]["team"]
        org.existing_members = {m["user"] for m in members if m["user"] is not None}
    employee, password_hash = 0, ""
    for u in users:
        org.users.append(u["id"])
        org.user_dept[u["id"]] = u["department"]
        login = u["login"]
        if login == "employee@demo":
            employee, password_hash = u["id"], u["password_hash"]
        elif login == "agent@demo":
            org.agents.append(u["id"])
        elif login == "dispatcher@demo":
            org.dispatchers.append(u["id"])
        elif login == "approver@demo":
            org.approvers.append(u["id"])
    if not employee:
        raise RuntimeError("employee@demo is missing: run `houqin seed-demo` first")
    return org, employee, password_hash


TABLES = (
    "core_organisation",
    "core_department",
    "core_user",
    "core_role_grant",
    "core_request",
    "core_request_event",
    "core_request_counter",
    "core_team",
    "core_team_member",
)
DEMO_ORG_SQL = "SELECT id FROM core_organisation WHERE slug = 'demo'"
DEMO_DEPTS_SQL = "SELECT id FROM core_department WHERE org = $1 ORDER BY id"
DEMO_USERS_SQL = (
    "SELECT id, login, department, password_hash FROM core_user WHERE org = $1 ORDER BY id"
)
# seed-demo's first team of the service, with its members (a row with user NULL if none).
DEMO_TEAM_SQL = (
    'SELECT t.id AS team, m."user" AS "user" FROM core_team t '
    "LEFT JOIN core_team_member m ON m.team = t.id "
    "WHERE t.org = $1 AND t.service = $2 AND t.id = (SELECT min(id) FROM core_team "
    "WHERE org = $1 AND service = $2)"
)
TEAM_UPDATE_SQL = "UPDATE core_team SET kinds = $1, strategy = $2 WHERE id = $3"


# -- PostgreSQL ------------------------------------------------------------------------
async def seed_postgres(dsn: str, plan: SeedPlan) -> SeedResult:
    import asyncpg

    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        try:  # the rows are consistent by construction: skip the per-row foreign-key triggers
            await conn.execute("SET session_replication_role = replica")
        except asyncpg.PostgresError:
            pass  # not a superuser: checked row by row, only slower
        orgs_found = await conn.fetch(DEMO_ORG_SQL)
        if not orgs_found:
            raise RuntimeError("no demo organisation: run `houqin seed-demo` first")
        org_id = orgs_found[0]["id"]
        demo, employee, password_hash = _demo_org(
            orgs_found,
            await conn.fetch(DEMO_DEPTS_SQL, org_id),
            await conn.fetch(DEMO_USERS_SQL, org_id),
            await conn.fetch(DEMO_TEAM_SQL, org_id, SERVICE),
        )
        next_ids = {}
        for table in TABLES:
            next_ids[table] = await conn.fetchval(_max_id_sql(table))
        gen = Generator(plan, ts=lambda d: d)
        org_rows, dept_rows, user_rows, grant_rows, orgs = gen.orgs_and_users(
            demo, next_ids, password_hash
        )
        team_rows, member_rows, team_updates = gen.teams(orgs, next_ids)
        async with conn.transaction():
            await conn.copy_records_to_table(
                "core_organisation", records=org_rows, columns=ORG_COLS
            )
            await conn.copy_records_to_table(
                "core_department", records=dept_rows, columns=DEPT_COLS
            )
            await conn.copy_records_to_table("core_user", records=user_rows, columns=USER_COLS)
            await conn.copy_records_to_table(
                "core_role_grant", records=grant_rows, columns=GRANT_COLS
            )
            await conn.copy_records_to_table("core_team", records=team_rows, columns=TEAM_COLS)
            await conn.copy_records_to_table(
                "core_team_member", records=member_rows, columns=MEMBER_COLS
            )
            await conn.executemany(TEAM_UPDATE_SQL, team_updates)
            n_requests = n_events = 0
            chunks = gen.requests(
                orgs, employee, next_ids["core_request"], next_ids["core_request_event"]
            )
            # Make the next chunk in a thread while PostgreSQL takes this one.
            loop = asyncio.get_running_loop()
            pending = loop.run_in_executor(None, next, chunks, None)
            while (chunk := await pending) is not None:
                pending = loop.run_in_executor(None, next, chunks, None)
                requests, events = chunk
                await conn.copy_records_to_table(
                    "core_request", records=requests, columns=REQUEST_COLS
                )
                await conn.copy_records_to_table(
                    "core_request_event", records=events, columns=EVENT_COLS
                )
                n_requests += len(requests)
                n_events += len(events)
            # counters: merge with what seed-demo may have left (max of both)
            await conn.execute(
                "CREATE TEMP TABLE bench_counter (org int, prefix text, day text, last int)"
            )
            await conn.copy_records_to_table(
                "bench_counter", records=gen.counter_rows(), columns=COUNTER_COLS
            )
            await conn.execute(
                "INSERT INTO core_request_counter (org, prefix, day, last) "
                "SELECT org, prefix, day, last FROM bench_counter "
                "ON CONFLICT (org, prefix, day) DO UPDATE "
                "SET last = greatest(core_request_counter.last, excluded.last)"
            )
            for table in TABLES:
                await conn.execute(_setval_sql(table))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return SeedResult(
        time.perf_counter() - started,
        n_requests,
        n_events,
        len(user_rows),
        len(orgs),
        demo.id,
        employee,
        len(team_rows) + len(team_updates),
        len(member_rows) + len(demo.existing_members),
    )


# -- SQLite ----------------------------------------------------------------------------
def _max_id_sql(table: str) -> str:
    return f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"'  # noqa: S608 - fixed names


def _setval_sql(table: str) -> str:
    return (
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
        f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
    )


def _qmarks(sql: str) -> str:
    """``$n`` placeholders as SQLite's ``?n`` (the same parameter may appear twice)."""
    return sql.replace("$", "?")


def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in cols)
    marks = ", ".join("?" * len(cols))
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - fixed names


def seed_sqlite(path: str, plan: SeedPlan) -> SeedResult:
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        orgs_found = conn.execute(DEMO_ORG_SQL).fetchall()
        if not orgs_found:
            raise RuntimeError("no demo organisation: run `houqin seed-demo` first")
        org_id = orgs_found[0]["id"]
        demo, employee, password_hash = _demo_org(
            orgs_found,
            conn.execute(DEMO_DEPTS_SQL.replace("$1", "?"), (org_id,)).fetchall(),
            conn.execute(DEMO_USERS_SQL.replace("$1", "?"), (org_id,)).fetchall(),
            conn.execute(_qmarks(DEMO_TEAM_SQL), (org_id, SERVICE)).fetchall(),
        )
        next_ids = {t: conn.execute(_max_id_sql(t)).fetchone()[0] for t in TABLES}
        gen = Generator(plan, ts=str)
        org_rows, dept_rows, user_rows, grant_rows, orgs = gen.orgs_and_users(
            demo, next_ids, password_hash
        )
        team_rows, member_rows, team_updates = gen.teams(orgs, next_ids)
        conn.execute("BEGIN")
        conn.executemany(_insert_sql("core_organisation", ORG_COLS), org_rows)
        conn.executemany(_insert_sql("core_department", DEPT_COLS), dept_rows)
        conn.executemany(_insert_sql("core_user", USER_COLS), user_rows)
        conn.executemany(_insert_sql("core_role_grant", GRANT_COLS), grant_rows)
        conn.executemany(_insert_sql("core_team", TEAM_COLS), team_rows)
        conn.executemany(_insert_sql("core_team_member", MEMBER_COLS), member_rows)
        conn.executemany(_qmarks(TEAM_UPDATE_SQL), team_updates)
        n_requests = n_events = 0
        request_sql = _insert_sql("core_request", REQUEST_COLS)
        event_sql = _insert_sql("core_request_event", EVENT_COLS)
        chunks = gen.requests(
            orgs, employee, next_ids["core_request"], next_ids["core_request_event"]
        )
        # Make the next chunk in a thread while SQLite (which lets go of the GIL) takes this one.
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(next, chunks, None)
            while (chunk := pending.result()) is not None:
                pending = pool.submit(next, chunks, None)
                requests, events = chunk
                conn.executemany(request_sql, requests)
                conn.executemany(event_sql, events)
                n_requests += len(requests)
                n_events += len(events)
        conn.executemany(
            'INSERT INTO core_request_counter ("org", "prefix", "day", "last") VALUES (?, ?, ?, ?) '
            "ON CONFLICT (org, prefix, day) DO UPDATE SET last = max(last, excluded.last)",
            gen.counter_rows(),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return SeedResult(
        time.perf_counter() - started,
        n_requests,
        n_events,
        len(user_rows),
        len(orgs),
        demo.id,
        employee,
        len(team_rows) + len(team_updates),
        len(member_rows) + len(demo.existing_members),
    )
