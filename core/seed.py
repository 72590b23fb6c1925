"""The demo organisation: one user per role, departments, plugins' demo content."""

from __future__ import annotations

from core import places
from core.identity.service import create_department, create_org, create_user
from core.lifecycle.approvals import Step
from core.lifecycle.routing import step_to_dict
from core.plugins import PluginRegistry
from core.tables import ApprovalRule, Department, Organisation, SlaPolicy, Team, TeamMember

DEMO_SLUG = "demo"
DEMO_PASSWORD = "houqin-demo"  # noqa: S105 - documented demo accounts

# role shown by the account, login, display name, grants, department key
DEMO_USERS: list[tuple[str, str, str, tuple[str, ...], str]] = [
    ("employee", "employee@demo", "张伟 Zhang Wei", ("employee",), "sales"),
    ("approver", "approver@demo", "李娜 Li Na", ("employee", "approver"), "sales"),
    ("agent", "agent@demo", "王师傅 Wang (technician)", ("employee", "agent"), "logistics"),
    ("dispatcher", "dispatcher@demo", "刘洋 Liu Yang", ("employee", "dispatcher"), "logistics"),
    (
        "service_admin",
        "svcadmin@demo",
        "陈静 Chen Jing",
        ("employee", "service_admin:notices"),
        "logistics",
    ),
    ("org_admin", "admin@demo", "赵敏 Zhao Min", ("employee", "org_admin"), "logistics"),
    ("auditor", "auditor@demo", "孙悦 Sun Yue", ("employee", "auditor"), "finance"),
]


async def seed_demo(registry: PluginRegistry) -> bool:
    """Create the demo organisation once; False when it already exists."""
    if await Organisation.exists().where(Organisation.slug == DEMO_SLUG):
        return False
    async with Organisation._meta.db.transaction():
        org_id = await create_org(DEMO_SLUG, "示例单位 Demo Co.", "zh_CN")
        root = await create_department(org_id, "总部 Head office")
        depts = {
            "logistics": await create_department(org_id, "后勤保障部 Logistics", root),
            "sales": await create_department(org_id, "销售部 Sales", root),
            "finance": await create_department(org_id, "财务部 Finance", root),
        }
        users: dict[str, int] = {}
        for role, login, name, grants, dept in DEMO_USERS:
            users[role] = await create_user(
                org_id, login, name, DEMO_PASSWORD, roles=grants, department_id=depts[dept]
            )
        await Department.update({Department.head_user_id: users["approver"]}).where(
            Department.id == depts["sales"]
        )
        await Department.update({Department.head_user_id: users["org_admin"]}).where(
            Department.id.is_in([root, depts["logistics"]])
        )
        team = Team(
            org=org_id, service="general", name="综合服务组 General services", strategy="least_load"
        )
        await team.save()
        await TeamMember.insert(TeamMember(org=org_id, team=team.id, user=users["agent"]))
        await SlaPolicy.insert(
            SlaPolicy(
                org=org_id, service="*", priority="*", response_minutes=60, resolution_minutes=480
            ),
            SlaPolicy(
                org=org_id,
                service="*",
                priority="urgent",
                response_minutes=15,
                resolution_minutes=120,
            ),
        )
        # Amount tiers on the general service: small requests go straight to the team,
        # from ¥1 000 the requester's department head approves (the form says so first).
        await ApprovalRule.insert(
            ApprovalRule(
                org=org_id,
                position=10,
                name="¥1000 起部门负责人审批 From ¥1000: department head",
                service="general",
                min_amount=1000,
                mode="chain",
                steps=[step_to_dict(Step("department_head"))],
            )
        )
        # The places every service points at: one building, three floors, nine rooms.
        building = await places.add(org_id, "building", "行政楼 A 座", "A")
        for floor in (1, 2, 3):
            floor_id = await places.add(org_id, "floor", f"{floor} 层", f"A{floor}", building)
            for number in (1, 2, 3):
                code = f"A{floor}0{number}"
                await places.add(org_id, "room", f"{code} 室", code, floor_id)
        for coro in registry.pm.hook.seed_demo(org_id=org_id, users=users):
            await coro
    return True
