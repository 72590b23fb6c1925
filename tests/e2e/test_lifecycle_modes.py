"""The whole request lifecycle in the browser, once per approval mode and dispatch strategy.

The issue's acceptance test: an employee submits on the phone → a rule routes it (auto,
filing 备案, a two-step chain) → a team's strategy dispatches it (round robin, least open
load, skill match; manual from the desk dispatch board) → the agent accepts, starts,
puts on hold, resumes and resolves → the requester, whose page stays open the whole
time, sees every step arrive over SSE without a reload, then rates → the event log
holds every step, with actors and timestamps in order (analytics reads nothing else).

Each test builds an organisation of its own directly in the live server's database
(rules, teams, agents with a given open load, skills or last assignment), so the
strategies' choices are unambiguous and the demo organisation the other journeys use
is left alone. Everything the people do goes through the browser: the requester and
approvers and agent on phone-sized contexts, the dispatcher at desk size.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, TypeVar

import pytest
from piccolo.conf.apps import Finder
from playwright.sync_api import Page, expect

from core.db import engine_from_url
from core.identity.passwords import hash_password_blocking
from core.identity.service import create_department, create_org, create_user
from core.seed import DEMO_PASSWORD
from core.tables import (
    ApprovalRule,
    Department,
    PostAudit,
    Rating,
    RequestEvent,
    ServiceRequest,
    Team,
    TeamMember,
)
from tests.e2e.conftest import PHONE, Phone
from tests.e2e.test_journeys import sign_in, zh

pytestmark = pytest.mark.browser

T = TypeVar("T")

# How long another person's action may take to show on the requester's open page.
LIVE_MS = 3_000
CHAIN_HEAD = {"kind": "department_head", "role": None, "user_ids": [], "levels_up": 0}
DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
# msgids of the general service's kinds (core/default_plugin.py): one kind per test
KIND_LABEL = {
    "facilities": "Facilities",
    "cleaning": "Cleaning",
    "enquiry": "Question",
    "other": "Other",
}
# The event kinds that are lifecycle steps (others, e.g. attachments, may come and go).
STEP_EVENTS = ("status", "accepted", "approval")

# Counts the "ready" events of the page's request stream (web/live.py sends one as soon
# as the server has subscribed), so a test acts elsewhere only once the page listens.
SSE_PROBE_JS = """
(() => {
  const Native = window.EventSource;
  if (!Native) return;
  window.__sseReady = 0;
  window.EventSource = class extends Native {
    constructor(url, init) {
      super(url, init);
      this.addEventListener('ready', () => { window.__sseReady += 1; });
    }
  };
})();
"""


# -- the live server's database, from the test -----------------------------------------


def in_database(url: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` against the live server's database and return its result.

    The test body runs on the Playwright thread, whose event loop is registered as
    running (see conftest), so the coroutine gets a thread and a loop of its own. Every
    table points at the live database meanwhile and is put back afterwards, so tests
    of the main suite that run later in the same process keep their own engines.
    """

    def run() -> T:
        tables = Finder().get_table_classes()
        saved = [(table, table._meta._db) for table in tables]
        engine = engine_from_url(url)
        for table in tables:
            table._meta.db = engine
        try:
            return asyncio.run(work())
        finally:
            for table, db in saved:
                table._meta._db = db

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2e-db") as pool:
        return pool.submit(run).result()


@cache
def password_hash() -> str:
    return hash_password_blocking(DEMO_PASSWORD)  # argon2 is slow on purpose: once a run


@dataclass(frozen=True)
class Agent:
    """A team member as a strategy sees them."""

    key: str
    name: str
    skills: tuple[str, ...] = ()
    open_load: int = 0  # requests already in progress for them
    last_assigned_ago: timedelta | None = None  # None: never assigned


@dataclass
class World:
    """One organisation built for one test: who is who, and its team."""

    org_id: int
    slug: str
    team_id: int
    users: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def login(self, key: str) -> str:
        return f"{key}@{self.slug}"


async def _build_world(
    kind: str, strategy: str, agents: list[Agent], rule: dict[str, Any] | None
) -> World:
    slug = f"lc{uuid.uuid4().hex[:8]}"
    org_id = await create_org(slug, f"生命周期 {slug}", "zh_CN")
    dept = await create_department(org_id, "销售部")
    people = [
        ("requester", "张伟", ("employee",)),
        ("head", "李娜", ("employee",)),  # head of the requester's department
        ("approver", "孙悦", ("employee", "approver")),
        ("dispatcher", "刘洋", ("employee", "dispatcher")),
        *[(a.key, a.name, ("employee", "agent")) for a in agents],
    ]
    world = World(org_id, slug, 0)
    for key, name, roles in people:  # in this order: agents' ids rise with the list
        world.users[key] = await create_user(
            org_id,
            world.login(key),
            name,
            DEMO_PASSWORD,
            roles=roles,
            department_id=dept,
            password_hash=password_hash(),
        )
        world.names[key] = name
    await Department.update({Department.head_user_id: world.users["head"]}).where(
        Department.id == dept
    )
    team = Team(org=org_id, service="general", name="维修组", kinds=[kind], strategy=strategy)
    await team.save()
    world.team_id = team.id
    moment = datetime.now(UTC)
    for agent in agents:
        user_id = world.users[agent.key]
        ago = agent.last_assigned_ago
        await TeamMember.insert(
            TeamMember(
                org=org_id,
                team=team.id,
                user=user_id,
                skills=list(agent.skills),
                last_assigned_at=None if ago is None else moment - ago,
            )
        )
        for i in range(agent.open_load):
            await ServiceRequest.insert(
                ServiceRequest(
                    org=org_id,
                    number=f"PRE-{agent.key}-{i}",
                    service="general",
                    kind=kind,
                    title="早先的工单",
                    requester=world.users["requester"],
                    status="in_progress",
                    assignee=user_id,
                    team_id=team.id,
                    submitted_at=moment,
                    updated_at=moment,
                )
            )
    if rule is not None:
        await ApprovalRule.insert(
            ApprovalRule(
                org=org_id, position=10, name="e2e", service="general", kinds=[kind], **rule
            )
        )
    return world


def build_world(
    url: str,
    kind: str,
    strategy: str,
    agents: list[Agent],
    rule: dict[str, Any] | None = None,
) -> World:
    return in_database(url, lambda: _build_world(kind, strategy, agents, rule))


@dataclass
class Recorded:
    request: dict[str, Any]
    events: list[dict[str, Any]]
    rating: dict[str, Any] | None
    post_audits: int


def recorded(url: str, world: World, number: str) -> Recorded:
    """What the database holds about one request once the journey is over."""

    async def read() -> Recorded:
        request = (
            await ServiceRequest.select()
            .where((ServiceRequest.org == world.org_id) & (ServiceRequest.number == number))
            .first()
        )
        assert request is not None, number
        events = (
            await RequestEvent.select()
            .where((RequestEvent.org == world.org_id) & (RequestEvent.request == request["id"]))
            .order_by(RequestEvent.id)
            .output(load_json=True)
        )
        rating = (
            await Rating.select()
            .where((Rating.org == world.org_id) & (Rating.request == request["id"]))
            .output(load_json=True)
            .first()
        )
        audits = await PostAudit.count().where(
            (PostAudit.org == world.org_id) & (PostAudit.request == request["id"])
        )
        return Recorded(request, events, rating, audits)

    return in_database(url, read)


def assignees(url: str, world: World, numbers: list[str]) -> dict[str, int | None]:
    async def read() -> dict[str, int | None]:
        rows = await ServiceRequest.select(ServiceRequest.number, ServiceRequest.assignee).where(
            (ServiceRequest.org == world.org_id) & ServiceRequest.number.is_in(numbers)
        )
        return {r["number"]: r["assignee"] for r in rows}

    return in_database(url, read)


# -- people in browsers -----------------------------------------------------------------


@contextmanager
def people(browser: Any, base_url: str) -> Iterator[Callable[..., Phone]]:
    """Opens signed-in browser contexts on demand; closes them all at the end."""
    with ExitStack() as stack:

        def open_as(login: str, *, desk: bool = False) -> Phone:
            context = browser.new_context(**(DESK if desk else PHONE))
            stack.callback(context.close)
            context.set_default_timeout(10_000)
            context.add_init_script(SSE_PROBE_JS)
            phone = Phone(context, context.new_page(), base_url)
            sign_in(phone, login)
            return phone

        yield open_as


def submit(phone: Phone, kind: str, title: str) -> str:
    """The employee fills in the general request form; the new request's number."""
    page = phone.page
    page.goto(phone.url("/new/general"))
    page.locator("label.choice-chip", has_text=zh(KIND_LABEL[kind])).click()
    page.locator("#f-title").fill(title)
    page.locator("#f-location").fill("3 号楼 402")
    page.locator("form.request-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/requests/ZH-\d{8}-\d{4}$"))
    return page.url.rsplit("/", 1)[1]


def listening(page: Page) -> None:
    """Wait until the page's request stream is subscribed on the server."""
    page.wait_for_function("() => window.__sseReady > 0")


def status_chip(page: Page) -> Any:
    return page.locator("#live .request-head .status")


def sees_status(page: Page, msgid: str) -> None:
    """The requester's open page shows the status within a moment, without a reload."""
    expect(status_chip(page)).to_have_text(zh(msgid), timeout=LIVE_MS)


def sees_in_timeline(page: Page, text: str) -> None:
    expect(page.locator("#live .timeline")).to_contain_text(text, timeout=LIVE_MS)


def press(page: Page, form: str, label: str) -> None:
    """Click a button of a form and wait for the page the POST redirects to."""
    with page.expect_navigation():
        page.locator(form).get_by_role("button", name=label).click()


def agent_works_it_through(agent: Phone, requester: Page, number: str) -> None:
    """Accept, start, hold (with a note), resume, resolve; the requester follows live."""
    page = agent.page
    page.goto(agent.url("/tasks"))
    page.locator(f"a[href='/requests/{number}']").click()
    page.wait_for_url(agent.url(f"/requests/{number}"))
    work = "form.work-actions"

    press(page, work, zh("Accept"))
    sees_in_timeline(requester, zh("Accepted, on it"))
    expect(status_chip(requester)).to_have_text(zh("Assigned"))

    press(page, work, zh("Start work"))
    sees_status(requester, "In progress")

    page.locator("#f-note").fill("等配件到货")
    press(page, work, zh("Put on hold"))
    sees_status(requester, "On hold")
    sees_in_timeline(requester, "等配件到货")

    press(page, work, zh("Resume"))
    sees_status(requester, "In progress")

    press(page, work, zh("Done"))
    sees_status(requester, "Done")
    expect(status_chip(page)).to_have_text(zh("Done"))


def requester_rates(requester: Page) -> None:
    """The rating form has arrived with the live update: rate five stars and close."""
    form = requester.locator("form.rating")
    expect(form).to_be_visible(timeout=LIVE_MS)
    form.locator("label[for=star5]").click()
    form.locator("label.choice-chip", has_text=zh("Fast")).click()
    form.locator("#f-rcomment").fill("很及时，谢谢")
    press(requester, "form.rating", zh("Rate and close"))
    expect(status_chip(requester)).to_have_text(zh("Closed"))
    expect(requester.locator("form.rating")).to_have_count(0)


# -- what the event log must say --------------------------------------------------------


def steps_of(rec: Recorded) -> list[tuple[str, str, int | None]]:
    """(kind, to_status, actor) of every lifecycle step, in the order they were written."""
    return [(e["kind"], e["to_status"], e["actor"]) for e in rec.events if e["kind"] in STEP_EVENTS]


def work_steps(world: World, agent: str) -> list[tuple[str, str, int | None]]:
    a, requester = world.users[agent], world.users["requester"]
    return [
        ("accepted", "", a),
        ("status", "in_progress", a),
        ("status", "on_hold", a),
        ("status", "in_progress", a),
        ("status", "resolved", a),
        ("status", "closed", requester),
    ]


def assert_analytics_ready(rec: Recorded, world: World, agent: str) -> None:
    """Timestamps in order, the assignment's "how", and the request's own milestones."""
    times = [e["created_at"] for e in rec.events]
    assert all(t is not None for t in times)
    assert times == sorted(times), times
    # Each move starts where the one before ended: step durations can be read off the log.
    moves = [e for e in rec.events if e["kind"] == "status"]
    for before, after in pairwise(moves):
        assert after["from_status"] == before["to_status"], (before, after)
    req = rec.request
    assert req["status"] == "closed" and req["assignee"] == world.users[agent]
    assert req["team_id"] == world.team_id
    milestones = [
        req["submitted_at"],
        req["first_response_at"],
        req["resolved_at"],
        req["closed_at"],
    ]
    assert None not in milestones and milestones == sorted(milestones), milestones
    by_step = {(e["kind"], e["to_status"]): e for e in rec.events}
    hold = by_step[("status", "on_hold")]
    assert hold["message"] == "等配件到货" and hold["from_status"] == "in_progress"
    closed = by_step[("status", "closed")]
    assert closed["from_status"] == "resolved" and closed["data"]["rating"] == 5
    assert rec.rating is not None
    assert rec.rating["score"] == 5 and rec.rating["rater"] == world.users["requester"]
    assert rec.rating["assignee_id"] == world.users[agent] and rec.rating["tags"] == ["fast"]


def assignment(rec: Recorded) -> dict[str, Any]:
    [event] = [e for e in rec.events if e["kind"] == "status" and e["to_status"] == "assigned"]
    return event


# -- the journeys -----------------------------------------------------------------------


def test_auto_approval_round_robin(browser: Any, live_server: str, live_database_url: str) -> None:
    """Auto rule; round robin gives the first request to whoever waited longest (the
    second member, although the first has the lower id) and the next one to the other."""
    world = build_world(
        live_database_url,
        "facilities",
        "round_robin",
        [
            Agent("rr1", "王师傅", last_assigned_ago=timedelta(hours=1)),
            Agent("rr2", "赵师傅", last_assigned_ago=timedelta(hours=2)),
        ],
        rule={"mode": "auto"},
    )
    with people(browser, live_server) as open_as:
        employee = open_as(world.login("requester"))
        page = employee.page
        number = submit(employee, "facilities", "402 空调不制冷")
        sees_status(page, "Assigned")
        expect(page.locator("#live .request-head")).to_contain_text(world.names["rr2"])
        listening(page)

        agent = open_as(world.login("rr2"))
        agent_works_it_through(agent, page, number)
        requester_rates(page)

        # Round robin alternates: the next request goes to the other member.
        second = submit(employee, "facilities", "走廊灯不亮")
        sees_status(page, "Assigned")
        expect(page.locator("#live .request-head")).to_contain_text(world.names["rr1"])

    rec = recorded(live_database_url, world, number)
    assert steps_of(rec) == [
        ("status", "submitted", world.users["requester"]),
        ("status", "approved", None),
        ("status", "assigned", None),
        *work_steps(world, "rr2"),
    ]
    assert rec.request["approval_mode"] == "auto"
    assert assignment(rec)["data"]["how"] == "round_robin"
    assert_analytics_ready(rec, world, "rr2")
    assert assignees(live_database_url, world, [number, second]) == {
        number: world.users["rr2"],
        second: world.users["rr1"],
    }


def test_filing_least_load(browser: Any, live_server: str, live_database_url: str) -> None:
    """Filing (备案): approved at once and sampled into post-audit; least open load picks
    the member with fewer open requests (not the lower id, not the longest wait)."""
    world = build_world(
        live_database_url,
        "cleaning",
        "least_load",
        [
            Agent("ll1", "钱阿姨", open_load=2),
            Agent("ll2", "周阿姨", last_assigned_ago=timedelta(minutes=5)),
        ],
        rule={"mode": "filing", "sample_percent": 100},
    )
    with people(browser, live_server) as open_as:
        employee = open_as(world.login("requester"))
        page = employee.page
        number = submit(employee, "cleaning", "会议室 A 需要打扫")
        sees_status(page, "Assigned")
        expect(page.locator("#live .request-head")).to_contain_text(world.names["ll2"])
        listening(page)

        agent = open_as(world.login("ll2"))
        agent_works_it_through(agent, page, number)
        requester_rates(page)

    rec = recorded(live_database_url, world, number)
    assert steps_of(rec) == [
        ("status", "submitted", world.users["requester"]),
        ("status", "approved", None),
        ("status", "assigned", None),
        *work_steps(world, "ll2"),
    ]
    approved = rec.events[1]
    assert approved["data"]["mode"] == "filing" and approved["data"]["rule"] is not None
    assert rec.request["approval_mode"] == "filing"
    assert rec.post_audits == 1  # sampled at 100 %: waits on the desk's post-audit queue
    assert assignment(rec)["data"]["how"] == "least_load"
    assert_analytics_ready(rec, world, "ll2")


def test_two_step_chain_skill_match(browser: Any, live_server: str, live_database_url: str) -> None:
    """A chain: the department head, then an approver, each from their phone's
    approvals page; skill match then picks the member skilled for the kind, although
    the other has less work and the lower id."""
    world = build_world(
        live_database_url,
        "enquiry",
        "skill",
        [
            Agent("sk1", "吴工", skills=("facilities",)),
            Agent("sk2", "郑工", skills=("enquiry",), open_load=1),
        ],
        rule={
            "mode": "chain",
            "steps": [
                {"kind": "department_head", "role": None, "user_ids": [], "levels_up": 0},
                {"kind": "role", "role": "approver", "user_ids": [], "levels_up": 0},
            ],
        },
    )
    with people(browser, live_server) as open_as:
        employee = open_as(world.login("requester"))
        page = employee.page
        number = submit(employee, "enquiry", "申请开通会议室投影")
        sees_status(page, "Waiting for approval")
        chain = page.locator("#live .approval-chain__step")
        expect(chain).to_have_count(2)
        listening(page)

        for key in ("head", "approver"):
            approver = open_as(world.login(key))
            approver.page.goto(approver.url("/approvals"))
            card = approver.page.locator("li.approval-card", has_text=number)
            with approver.page.expect_navigation():
                card.get_by_role("button", name=zh("Approve")).click()
            expect(approver.page.locator("li.approval-card", has_text=number)).to_have_count(0)
            decided = zh("Approved by %(name)s") % {"name": world.names[key]}
            expect(page.locator("#live .approval-chain")).to_contain_text(decided, timeout=LIVE_MS)
            if key == "head":
                expect(status_chip(page)).to_have_text(zh("Waiting for approval"))
        sees_status(page, "Assigned")
        expect(page.locator("#live .request-head")).to_contain_text(world.names["sk2"])

        agent = open_as(world.login("sk2"))
        agent_works_it_through(agent, page, number)
        requester_rates(page)

    rec = recorded(live_database_url, world, number)
    assert steps_of(rec) == [
        ("status", "submitted", world.users["requester"]),
        ("status", "pending_approval", None),
        ("approval", "", world.users["head"]),
        ("approval", "", world.users["approver"]),
        ("status", "approved", None),
        ("status", "assigned", None),
        *work_steps(world, "sk2"),
    ]
    decisions = [e["data"]["decision"] for e in rec.events if e["kind"] == "approval"]
    assert decisions == ["approved", "approved"]
    assert rec.request["approval_mode"] == "chain"
    assert assignment(rec)["data"]["how"] == "skill"
    assert_analytics_ready(rec, world, "sk2")


def test_manual_dispatch_from_the_desk_board(
    browser: Any, live_server: str, live_database_url: str
) -> None:
    """No rule (auto by default) and a manual team: the request waits, approved, on the
    dispatcher's board at desk size until they give it to an agent."""
    world = build_world(
        live_database_url,
        "other",
        "manual",
        [Agent("mm1", "冯师傅"), Agent("mm2", "陈师傅", open_load=1)],
    )
    with people(browser, live_server) as open_as:
        employee = open_as(world.login("requester"))
        page = employee.page
        number = submit(employee, "other", "搬运两张办公桌")
        sees_status(page, "Approved")
        listening(page)

        dispatcher = open_as(world.login("dispatcher"), desk=True)
        board = dispatcher.page
        board.goto(dispatcher.url("/desk"))
        row = board.locator("tr", has_text=number)
        row.locator("select[name=agent]").select_option(value=str(world.users["mm2"]))
        with board.expect_navigation():
            row.get_by_role("button", name=zh("Assign")).click()
        expect(board.locator("tr", has_text=number)).to_have_count(0)
        sees_status(page, "Assigned")
        expect(page.locator("#live .request-head")).to_contain_text(world.names["mm2"])

        agent = open_as(world.login("mm2"))
        agent_works_it_through(agent, page, number)
        requester_rates(page)

    rec = recorded(live_database_url, world, number)
    assert steps_of(rec) == [
        ("status", "submitted", world.users["requester"]),
        ("status", "approved", None),
        ("status", "assigned", world.users["dispatcher"]),
        *work_steps(world, "mm2"),
    ]
    assert rec.events[1]["data"] == {"action": "auto_approve", "mode": "auto", "rule": None}
    assert assignment(rec)["data"]["how"] == "dispatcher"
    assert_analytics_ready(rec, world, "mm2")


def test_the_form_says_who_approves_an_amount_before_it_is_sent(
    browser: Any, live_server: str, live_database_url: str
) -> None:
    """Amount tiers from the phone: under ¥1 000 the form says "approved automatically";
    typing 1 500 it names the department head (李娜, head of 销售部) before submitting,
    and the request then waits for her."""
    world = build_world(
        live_database_url,
        "facilities",
        "least_load",
        [Agent("am1", "王师傅")],
        rule={"mode": "chain", "min_amount": 1000, "steps": [CHAIN_HEAD]},
    )
    with people(browser, live_server) as open_as:
        employee = open_as(world.login("requester"))
        page = employee.page
        page.goto(employee.url("/new/general"))
        page.locator("label.choice-chip", has_text=zh(KIND_LABEL["facilities"])).click()
        page.locator("#f-title").fill("采购会议室投影仪")
        outlook = page.locator("#outlook")
        page.locator("#f-amount").fill("500")
        expect(outlook).to_contain_text(zh("Approved automatically: it goes straight to the team."))
        page.locator("#f-amount").fill("1500")
        said = zh("Needs approval by %(names)s (head of %(department)s)") % {
            "names": world.names["head"],
            "department": "销售部",
        }
        expect(outlook).to_contain_text(said)
        page.locator("form.request-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/requests/ZH-\d{8}-\d{4}$"))
        sees_status(page, "Waiting for approval")
        number = page.url.rsplit("/", 1)[1]

        head = open_as(world.login("head"))
        head.page.goto(head.url("/approvals"))
        expect(head.page.locator("li.approval-card", has_text=number)).to_have_count(1)
    rec = recorded(live_database_url, world, number)
    assert rec.request["approval_mode"] == "chain" and rec.request["amount"] == 1500
