"""A victim organisation with one of everything, and the people who try to reach it.

Organisation A holds an object behind every id or token a route can take; its private
texts carry :data:`PRIVATE` (the owner's own request, suggestion, file, rating) and its
organisation-wide texts :data:`ORG_TEXT` (a notice, a department, an asset). Organisation
B has an admin of its own. The route walker fills each path parameter from
:meth:`World.value_for` and checks who gets what.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import httpx
from litestar import Litestar
from PIL import Image

from core.attachments import Limits, Upload, add, prepare
from core.default_plugin import GENERAL
from core.guests import hash_token
from core.identity.service import issue_token, load_actor, service_account
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.tables import (
    ApiToken,
    ApprovalRule,
    ApprovalStep,
    Delegation,
    Department,
    GuestFollow,
    Notification,
    Place,
    PostAudit,
    Rating,
    ServiceRequest,
    SlaPolicy,
    Suggestion,
    Team,
    TeamMember,
    User,
)
from plugins.notices.tables import Notice
from plugins.repairs.guests import GUEST_KEY
from plugins.repairs.hooks import REPAIRS
from plugins.repairs.tables import RepairAsset, RepairRequestDetail, RepairSchedule
from tests.conftest import PASSWORD, OrgFixture, make_org

PRIVATE = "ZQXPRIVATE"  # only the owner and the desk may ever see this
ORG_TEXT = "ZQXORGTEXT"  # anyone of organisation A may see this, nobody else

ROLES_A = {
    "owner": ("employee",),
    "peer": ("employee",),
    "agent": ("employee", "agent"),
    "head": ("employee", "approver"),
    "helper": ("employee", "agent"),
    "power": ("employee", "org_admin", "dispatcher", "auditor", "agent", "approver"),
}
ROLES_B = {"admin": ("employee", "org_admin", "dispatcher", "auditor")}


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@dataclass
class World:
    app: Litestar
    a: OrgFixture
    b: OrgFixture
    ids: dict[str, Any] = field(default_factory=dict)

    def value_for(self, path: str, name: str) -> str | None:
        """What to put in path parameter ``name`` of route ``path`` (None: skip it)."""
        ids = self.ids
        repairs = path.startswith(("/s/repairs", "/api/v1/s/repairs"))
        special = {
            "number": ids["repair_number"] if repairs else ids["number"],
            "what": "a" if path.startswith("/p/") else "accept",
            "token": (
                ids["follow_token"]
                if "/f/" in path
                else ids["room_token"]
                if path.startswith("/p/place/")
                else ids["asset_token"]
            ),
            "decision": "approve",
            "slug": "repairs" if path.startswith("/admin/plugins") else "general",
            "name": "1d64d8.css",
            "code": ids["asset_code"],
            "path": "openapi.json",
        }
        if name in special:
            return special[name]
        value = ids.get(name)
        return None if value is None else str(value)


async def build_world(app: Litestar) -> World:
    a = await make_org(ROLES_A, locale="en")
    b = await make_org(ROLES_B, locale="en")
    world = World(app, a, b)
    ids = world.ids
    state = app.state
    users = a.users

    dept = Department(org=a.id, name=f"{ORG_TEXT} dept", head_user_id=users["head"])
    await dept.save()
    ids["dept_id"] = dept.id
    ids["user_id"] = users["owner"]

    # A chain that waits for the head: the owner's request stays pending, with a step.
    rule = ApprovalRule(
        org=a.id,
        name=f"{ORG_TEXT} rule",
        service="general",
        mode="chain",
        steps=[{"kind": "role", "role": "approver", "user_ids": [], "levels_up": 0}],
    )
    await rule.save()
    ids["rule_id"] = rule.id
    team = Team(org=a.id, service="general", name=f"{ORG_TEXT} team", strategy="manual")
    await team.save()
    ids["team_id"] = team.id
    member = TeamMember(org=a.id, team=team.id, user=users["helper"])
    await member.save()
    ids["member_id"] = member.id
    repairs_team = Team(org=a.id, service="repairs", name="维修组", strategy="manual")
    await repairs_team.save()
    await TeamMember.insert(TeamMember(org=a.id, team=repairs_team.id, user=users["agent"]))

    owner = await load_actor(users["owner"], state.plugins, state.permissions)
    made = await submit(
        owner,
        GENERAL,
        NewRequest(kind="other", title=f"{PRIVATE} title", description=f"{PRIVATE} text"),
        channel="pwa",
    )
    ids["number"], ids["request_id"] = made.number, made.id
    step = await ApprovalStep.select(ApprovalStep.id).where(ApprovalStep.request == made.id).first()
    ids["step_id"] = step["id"]
    files = prepare([Upload(f"{PRIVATE}.png", png())], Limits())
    row = await ServiceRequest.select().where(ServiceRequest.id == made.id).first()
    ids["file_id"] = (await add(owner, row, files, state.storage, Limits()))[0]
    audit = PostAudit(org=a.id, request=made.id)
    await audit.save()
    ids["audit_id"] = audit.id
    note = Notification(org=a.id, user=users["owner"], request=made.id, kind="request:approved")
    await note.save()
    ids["notification_id"] = note.id
    today = date.today()
    delegation = Delegation(
        org=a.id, delegator=users["head"], delegate=users["peer"], starts=today, ends=today
    )
    await delegation.save()
    ids["delegation_id"] = delegation.id
    policy = SlaPolicy(org=a.id, service="general", response_minutes=60, resolution_minutes=600)
    await policy.save()
    ids["policy_id"] = policy.id
    suggestion = Suggestion(
        org=a.id, author=users["owner"], topic="other", body=f"{PRIVATE} idea", submit_token="w1"
    )
    await suggestion.save()
    ids["suggestion_id"] = suggestion.id
    await issue_token(a.id, users["owner"], "owner's")
    token = await ApiToken.select(ApiToken.id).where(ApiToken.user == users["owner"]).first()
    ids["token_id"] = token["id"]
    notice = Notice(org=a.id, title=f"{ORG_TEXT} notice", body="b")
    await notice.save()
    ids["notice_id"] = notice.id

    # Repairs: a room, an asset with a sticker, a schedule, the owner's own fault report
    # (rated low: a follow-up), and a guest's sticker report with its follow link.
    building = Place(org=a.id, kind="building", name=f"{ORG_TEXT} building")
    await building.save()
    room = Place(
        org=a.id, kind="room", name="A101", parent=building.id, qr_token=secrets.token_urlsafe(8)
    )
    await room.save()
    ids["location_id"] = ids["place_id"] = room.id
    ids["room_token"] = room.qr_token
    asset = RepairAsset(
        org=a.id,
        code=f"ZQX-{a.id}",
        name=f"{ORG_TEXT} printer",
        location=room.id,
        qr_token=secrets.token_urlsafe(12),
    )
    await asset.save()
    ids["asset_id"], ids["asset_code"], ids["asset_token"] = asset.id, asset.code, asset.qr_token
    schedule = RepairSchedule(
        org=a.id, title="保养", asset=asset.id, next_due=today + timedelta(days=30)
    )
    await schedule.save()
    ids["schedule_id"] = schedule.id

    fault = await submit(
        owner, REPAIRS, NewRequest(kind="other", title=f"{PRIVATE} fault"), channel="pwa"
    )
    await RepairRequestDetail.insert(
        RepairRequestDetail(org=a.id, request=fault.id, asset=asset.id, location=room.id)
    )
    ids["repair_number"], ids["repair_id"] = fault.number, fault.id
    power = await load_actor(users["power"], state.plugins, state.permissions)
    await transition(power, a.id, fault.id, Action.START)
    await transition(power, a.id, fault.id, Action.RESOLVE)
    rating = Rating(
        org=a.id,
        request=fault.id,
        rater=users["owner"],
        service="repairs",
        score=1,
        comment=f"{PRIVATE} rating",
        follow_up="open",
    )
    await rating.save()
    ids["rating_id"] = rating.id

    guest_id = await service_account(a.id, GUEST_KEY, "sticker")
    guest = await load_actor(guest_id, state.plugins, state.permissions, service_account=True)
    report = await submit(guest, REPAIRS, NewRequest(kind="other", title="灯不亮"), channel="qr")
    await RepairRequestDetail.insert(
        RepairRequestDetail(org=a.id, request=report.id, asset=asset.id, reporter_name="访客")
    )
    follow_token = secrets.token_urlsafe(18)
    await GuestFollow.insert(
        GuestFollow(
            org=a.id,
            request=report.id,
            token_hash=hash_token(follow_token),
            name="访客",
            phone="13800000000",
            reporter=True,
        )
    )
    ids["follow_token"] = follow_token
    return world


async def snapshot(world: World) -> dict[str, Any]:
    """What the walk must leave as it was: organisation A's requests, users, rules,
    teams, tokens, notices and assets (a write by someone without the right shows here)."""
    org = world.a.id
    tables = {
        "requests": (ServiceRequest, ("id", "status", "version", "title", "assignee")),
        "users": (User, ("id", "display_name", "is_active", "session_epoch")),
        "rules": (ApprovalRule, ("id", "name", "active")),
        "teams": (Team, ("id", "name")),
        "members": (TeamMember, ("id", "team", "user")),
        "tokens": (ApiToken, ("id", "revoked_at")),
        "notices": (Notice, ("id", "title")),
        "assets": (RepairAsset, ("id", "name", "qr_token", "status")),
        "steps": (ApprovalStep, ("id", "status")),
        "ratings": (Rating, ("id", "follow_up")),
        "suggestions": (Suggestion, ("id", "status")),
        "audits": (PostAudit, ("id", "status")),
        "policies": (SlaPolicy, ("id", "response_minutes")),
        "delegations": (Delegation, ("id",)),
        "departments": (Department, ("id", "name")),
    }
    out: dict[str, Any] = {}
    for name, (table, columns) in tables.items():
        rows = await table.select(*(getattr(table, c) for c in columns)).where(table.org == org)
        out[name] = sorted(tuple(str(r[c]) for c in columns) for r in rows)
    return out


async def client_for(app: Litestar, login_name: str | None) -> httpx.AsyncClient:
    """An in-loop client (so a request can be timed out), signed in as ``login_name``."""
    transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{secrets.randbelow(250)}", 1))
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
    page = await client.get("/login")
    assert page.status_code == 200
    if login_name:
        signed = await client.post(
            "/login",
            data={
                "login": login_name,
                "password": PASSWORD,
                "_csrf_token": client.cookies.get("houqin_csrf"),
            },
        )
        assert signed.status_code == 303, signed.text
    return client


def fake_token() -> str:
    return "hq_" + hashlib.sha256(secrets.token_bytes(8)).hexdigest()


__all__ = ["ORG_TEXT", "PRIVATE", "World", "build_world", "client_for", "snapshot"]
