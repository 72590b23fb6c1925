"""Hook implementations of the notices plugin."""

from __future__ import annotations

from typing import Any

from web.sdk import SERVICE_ADMIN, Actor, Label, NavItem, Permission, Settings, Tile, hookimpl

PUBLISH = "notices.publish"

__all__ = [
    "audit_action_labels",
    "home_tiles",
    "nav_items",
    "register_api_routes",
    "register_permissions",
    "register_routes",
    "seed_demo",
]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission(PUBLISH, lambda _: _("Publish notices"), frozenset({SERVICE_ADMIN}))]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from plugins.notices.routes import HANDLERS

    return HANDLERS


@hookimpl
def register_api_routes(settings: Settings) -> list[Any]:
    from plugins.notices.routes import API_HANDLERS

    return API_HANDLERS


@hookimpl
def audit_action_labels() -> dict[str, Label]:
    return {
        "notices.published": lambda _: _("Notice published"),
        "notices.deleted": lambda _: _("Notice removed"),
    }


@hookimpl
def home_tiles(actor: Actor) -> list[Tile]:
    return [Tile("notices", lambda _: _("Notices"), "/s/notices/", "speakerphone", order=900)]


@hookimpl
def nav_items(actor: Actor) -> list[NavItem]:
    return [NavItem("notices", lambda _: _("Notices"), "/s/notices/", "speakerphone", order=500)]


@hookimpl
async def seed_demo(org_id: int, users: dict[str, int]) -> None:
    from plugins.notices.tables import Notice

    author = users.get("org_admin")
    await Notice.insert(
        Notice(
            org=org_id,
            title="欢迎使用后勤服务平台 Welcome to houqin",
            body="报修、申领、会议室预订等后勤服务都可以在这里办理。\n"
            "Repairs, supplies and room bookings all start here.",
            pinned=True,
            author=author,
        ),
        Notice(
            org=org_id,
            title="本周五 18:00 起办公楼停水检修 Water off on Friday from 18:00",
            body="因管道检修，A 座办公楼周五 18:00–22:00 停水，请提前做好准备。",
            author=author,
        ),
    )
