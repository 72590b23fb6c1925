"""Hook implementations of the repairs plugin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.repairs.form import REPAIR_FORM
from web.sdk import (
    ORG_ADMIN,
    SERVICE_ADMIN,
    Actor,
    Kind,
    Label,
    NavItem,
    Panel,
    Period,
    Permission,
    ReportSection,
    RequestAction,
    ServiceType,
    Settings,
    Team,
    TeamMember,
    hookimpl,
    places,
)

SLUG = "repairs"
MANAGE_ASSETS = "repairs.manage_assets"

REPAIRS = ServiceType(
    slug=SLUG,
    name=lambda _: _("Repairs"),
    description=lambda _: _("Report a fault with equipment or a room"),
    icon="tool",
    prefix="BX",
    kinds=(
        Kind("electrical", lambda _: _("Electrical")),
        Kind("plumbing", lambda _: _("Plumbing")),
        Kind("it", lambda _: _("IT equipment")),
        Kind("furniture", lambda _: _("Furniture")),
        Kind("hvac", lambda _: _("Heating and air conditioning")),
        Kind("other", lambda _: _("Other fault")),
    ),
    uses_approval=True,
    uses_dispatch=True,
    order=10,
    form=REPAIR_FORM,
)

__all__ = [
    "audit_action_labels",
    "extra_head_assets",
    "nav_items",
    "place_links",
    "register_api_routes",
    "register_jobs",
    "register_permissions",
    "register_public_routes",
    "register_routes",
    "register_service_types",
    "report_sections",
    "request_actions",
    "request_detail_panels",
    "seed_demo",
    "timeline_event_labels",
]


@hookimpl
def register_service_types() -> list[ServiceType]:
    return [REPAIRS]


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(
            MANAGE_ASSETS,
            lambda _: _("Manage repair locations, assets and QR stickers"),
            frozenset({SERVICE_ADMIN, ORG_ADMIN}),
        )
    ]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from plugins.repairs.routes import HANDLERS

    return HANDLERS


@hookimpl
def register_public_routes(settings: Settings) -> list[Any]:
    from plugins.repairs.public import PUBLIC_HANDLERS

    return PUBLIC_HANDLERS


@hookimpl
def register_api_routes(settings: Settings) -> list[Any]:
    from plugins.repairs.api import API_HANDLERS

    return API_HANDLERS


@hookimpl
def register_jobs() -> list[Any]:
    from plugins.repairs.maintenance import JOBS

    return JOBS


@hookimpl
async def request_detail_panels(actor: Actor, request: Mapping[str, Any]) -> list[Panel] | None:
    if request["service"] != SLUG:
        return None
    from plugins.repairs.work import panels

    return await panels(actor, request)


@hookimpl
async def request_actions(actor: Actor, request: Mapping[str, Any]) -> list[RequestAction] | None:
    if request["service"] != SLUG:
        return None
    from plugins.repairs.work import actions

    return await actions(actor, request)


@hookimpl
def timeline_event_labels() -> dict[str, Label]:
    from plugins.repairs.guests import EVENT_LABELS as GUEST_LABELS
    from plugins.repairs.work import EVENT_LABELS

    return {**GUEST_LABELS, **EVENT_LABELS}


@hookimpl
async def report_sections(org_id: int, period: Period) -> list[ReportSection]:
    from plugins.repairs.report import sections

    return await sections(org_id, period)


@hookimpl
def audit_action_labels() -> dict[str, Label]:
    return {
        "repairs.asset_saved": lambda _: _("Asset saved"),
        "repairs.assets_imported": lambda _: _("Assets imported"),
        "repairs.qr_regenerated": lambda _: _("QR sticker replaced"),
        "repairs.phones_forgotten": lambda _: _("Sticker reporters' phone numbers removed"),
        "repairs.location_saved": lambda _: _("Repair location saved"),
        "repairs.schedule_saved": lambda _: _("Maintenance schedule saved"),
    }


@hookimpl
def place_links(place: Mapping[str, Any]) -> list[NavItem]:
    """A room's door sticker offers reporting a fault in the room, without signing in."""
    return [
        NavItem(
            "repairs-report-here",
            lambda _: _("Report a fault in this room"),
            f"/p/repairs/l/{place['qr_token']}",
            "tool",
            order=10,
        )
    ]


@hookimpl
def extra_head_assets() -> list[str]:
    return ["/static/repairs/repairs.css"]


@hookimpl
def nav_items(actor: Actor) -> list[NavItem]:
    items = [NavItem("repairs", lambda _: _("Report a fault"), "/new/repairs", "tool", order=300)]
    if actor.can(MANAGE_ASSETS):
        items.append(
            NavItem("repairs-assets", lambda _: _("Assets"), "/s/repairs/admin/assets", "building")
        )
    from plugins.repairs.access import is_staff

    if is_staff(actor):
        items.append(
            NavItem(
                "repairs-maintenance",
                lambda _: _("Maintenance"),
                "/s/repairs/maintenance",
                "calendar",
                order=650,  # after core's desk pages (dispatch, queues, low ratings)
                surfaces=frozenset({"app", "desk"}),
            )
        )
    if actor.can(MANAGE_ASSETS):  # the admin console's menu and /admin's cards
        console = frozenset({"admin"})
        items += [
            NavItem(
                "repairs-admin-assets",
                lambda _: _("Repair assets"),
                "/s/repairs/admin/assets",
                "tool",
                order=300,
                surfaces=console,
            ),
            NavItem(
                "repairs-schedules",
                lambda _: _("Maintenance schedules"),
                "/s/repairs/admin/schedules",
                "calendar",
                order=320,
                surfaces=console,
            ),
        ]
    return items


@hookimpl
async def seed_demo(org_id: int, users: dict[str, int]) -> None:
    from plugins.repairs.assets import new_token
    from plugins.repairs.tables import RepairAsset

    # Reports are dispatched at once: the demo technician is the repairs team.
    team = Team(org=org_id, service=SLUG, name="维修组 Repairs", strategy="round_robin")
    await team.save()
    await TeamMember.insert(TeamMember(org=org_id, team=team.id, user=users["agent"]))

    rooms = await places.ids_by_code(org_id)  # core seeded the demo's building and rooms
    assets = [
        ("ZC-0001", "会议室投影仪", "it", "爱普生 CB-X50", "A101"),
        ("ZC-0002", "立式空调", "hvac", "格力 KFR-72LW", "A101"),
        ("ZC-0003", "打印复印一体机", "it", "理光 MP 2555", "A102"),
        ("ZC-0004", "饮水机", "plumbing", "美的 YR1226S", "A103"),
        ("ZC-0005", "会议桌", "furniture", "", "A201"),
        ("ZC-0006", "吸顶灯", "electrical", "", "A202"),
        ("ZC-0007", "台式电脑", "it", "联想 启天 M430", "A203"),
        ("ZC-0008", "中央空调室内机", "hvac", "大金 FXFQ", "A301"),
        ("ZC-0009", "卫生间水龙头", "plumbing", "", "A302"),
        ("ZC-0010", "办公椅", "furniture", "", "A303"),
    ]
    await RepairAsset.insert(
        *(
            RepairAsset(
                org=org_id,
                code=code,
                name=name,
                category=category,
                model=model,
                location=rooms[room],
                qr_token=new_token(),
            )
            for code, name, category, model, room in assets
        )
    )
