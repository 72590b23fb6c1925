"""Core's own contributions, registered through the same hooks as any plugin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.descriptors import Kind, Label, NavItem, Permission, ServiceType, Tile
from core.hookspecs import hookimpl
from core.identity.actor import Actor
from core.identity.roles import AGENT, APPROVER, AUDITOR, DISPATCHER, ORG_ADMIN, SERVICE_ADMIN
from core.jobs import Job
from core.lifecycle.actions import RequestAction
from core.lifecycle.core_actions import CORE_ACTIONS
from core.suggestions import MANAGE as SUGGESTIONS_MANAGE

ADMIN = "core.admin"
AUDIT_VIEW = "core.audit.view"
PLACES_MANAGE = "core.places.manage"


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(ADMIN, lambda _: _("Administer the organisation"), frozenset({ORG_ADMIN})),
        Permission(AUDIT_VIEW, lambda _: _("Read the audit log"), frozenset({AUDITOR, ORG_ADMIN})),
        Permission(
            PLACES_MANAGE,
            lambda _: _("Keep the buildings, floors and rooms, and their door stickers"),
            frozenset({ORG_ADMIN, SERVICE_ADMIN}),
            any_service=True,
        ),
        Permission(
            SUGGESTIONS_MANAGE,
            lambda _: _("Read and answer the suggestion box"),
            frozenset({ORG_ADMIN}),
        ),
    ]


GENERAL = ServiceType(
    slug="general",
    name=lambda _: _("General request"),
    description=lambda _: _("Anything else the logistics office can help with."),
    icon="clipboard-list",
    prefix="ZH",
    uses_amount=True,  # optional on the form; amount tiers in the approval rules test it
    kinds=(
        Kind("facilities", lambda _: _("Facilities")),
        Kind("cleaning", lambda _: _("Cleaning")),
        Kind("enquiry", lambda _: _("Question")),
        Kind("other", lambda _: _("Other")),
    ),
    order=900,
)


@hookimpl
def register_service_types() -> list[ServiceType]:
    return [GENERAL]


@hookimpl
def request_actions(actor: Actor, request: Mapping[str, Any]) -> list[RequestAction]:
    """Core's actions apply to every service's requests (core_actions.py)."""
    return list(CORE_ACTIONS)


@hookimpl
def audit_action_labels() -> dict[str, Label]:
    return {
        "user.created": lambda _: _("User added"),
        "place.saved": lambda _: _("Place saved"),
        "guest.phones_forgotten": lambda _: _("Guests' phone numbers removed"),
        "place.qr_regenerated": lambda _: _("Door sticker replaced"),
        "user.updated": lambda _: _("User changed"),
        "department.created": lambda _: _("Department added"),
        "department.updated": lambda _: _("Department changed"),
        "plugin.enabled": lambda _: _("Service switched on"),
        "plugin.disabled": lambda _: _("Service switched off"),
        "token.created": lambda _: _("API token created"),
        "token.revoked": lambda _: _("API token revoked"),
        "password.changed": lambda _: _("Password changed"),
        "organisation.updated": lambda _: _("Organisation settings changed"),
        "approval_rule.created": lambda _: _("Approval rule added"),
        "approval_rule.updated": lambda _: _("Approval rule changed"),
        "approval_rule.deleted": lambda _: _("Approval rule deleted"),
        "approval.reassigned": lambda _: _("Approval step passed to someone else"),
        "delegation.created": lambda _: _("Approvals delegated"),
        "post_audit.ok": lambda _: _("Post-audit: OK"),
        "post_audit.finding": lambda _: _("Post-audit: finding raised"),
        "rating.followed_up": lambda _: _("Low rating followed up"),
        "sla.policy_saved": lambda _: _("SLA target saved"),
        "sla.policy_deleted": lambda _: _("SLA target deleted"),
        "sla.calendar_saved": lambda _: _("Business calendar saved"),
        "team.created": lambda _: _("Team added"),
        "team.member_added": lambda _: _("Agent added to a team"),
        "team.member_removed": lambda _: _("Agent removed from a team"),
        "suggestion.answered": lambda _: _("Suggestion answered"),
    }


# The approvals tab: shown to approvers and admins by ``nav_items``, and added by
# ``web.templating.render`` for anyone else who has approval tasks open (a department
# head without the approver role still gets the tasks, DESIGN §4).
APPROVALS_TAB = NavItem(
    "approvals", lambda _: _("Approvals"), "/approvals", "circle-check", order=20, tab=True
)


APP, DESK, CONSOLE = frozenset({"app"}), frozenset({"desk"}), frozenset({"admin"})
APP_AND_DESK = APP | DESK


def _admin_pages() -> list[NavItem]:
    """The admin console's menu and /admin's cards (org admins only)."""
    return [
        NavItem("admin", lambda _: _("Overview"), "/admin", "settings", 0, surfaces=CONSOLE),
        NavItem(
            "admin_organisation",
            lambda _: _("Organisation"),
            "/admin/organisation",
            "building",
            10,
            surfaces=CONSOLE,
            description=lambda _: _("Name, default language, time zone and brand colour."),
        ),
        NavItem(
            "admin_users",
            lambda _: _("Users and roles"),
            "/admin/users",
            "users",
            20,
            surfaces=CONSOLE,
            description=lambda _: _("Add people, give roles, deactivate leavers."),
        ),
        NavItem(
            "admin_departments",
            lambda _: _("Departments"),
            "/admin/departments",
            "sitemap",
            30,
            surfaces=CONSOLE,
            description=lambda _: _("The department tree and who heads each department."),
        ),
        NavItem(
            "admin_places",
            lambda _: _("Places"),
            "/admin/places",
            "pin",
            35,
            surfaces=CONSOLE,
            description=lambda _: _("Buildings, floors and rooms, with the rooms' door stickers."),
        ),
        NavItem(
            "admin_plugins",
            lambda _: _("Services (plugins)"),
            "/admin/plugins",
            "puzzle",
            40,
            surfaces=CONSOLE,
            description=lambda _: _("Switch the services your organisation uses on or off."),
        ),
        NavItem(
            "admin_approvals",
            lambda _: _("Approval rules"),
            "/admin/approvals",
            "circle-check",
            50,
            surfaces=CONSOLE,
            description=lambda _: _(
                "Who approves what: automatic, filing only (备案), or a chain of approvers."
            ),
        ),
        NavItem(
            "admin_approval_steps",
            lambda _: _("Waiting approvals"),
            "/admin/approval-steps",
            "clipboard-list",
            60,
            surfaces=CONSOLE,
        ),
        NavItem("admin_teams", lambda _: _("Teams"), "/admin/teams", "users", 70, surfaces=CONSOLE),
        NavItem(
            "admin_sla",
            lambda _: _("Service levels (SLA)"),
            "/admin/sla",
            "history",
            80,
            surfaces=CONSOLE,
        ),
        NavItem(
            "admin_notifications",
            lambda _: _("Notifications sent"),
            "/admin/notifications",
            "mail",
            90,
            surfaces=CONSOLE,
            description=lambda _: _(
                "E-mails and other messages: sent, waiting, failed, with the reason."
            ),
        ),
    ]


@hookimpl
def nav_items(actor: Actor) -> list[NavItem]:
    """Core's places on every surface: the phone app's tabs and "More", the desk's and
    the admin console's menus (docs/plugins.md, nav_items)."""
    items = [
        NavItem("home", lambda _: _("Home"), "/", "home", order=0, tab=True),
        NavItem(
            "requests", lambda _: _("My requests"), "/requests", "list-check", order=10, tab=True
        ),
        NavItem(
            "notifications",
            lambda _: _("Notifications"),
            "/notifications",
            "bell",
            order=40,
            tab=True,
        ),
        NavItem("me", lambda _: _("Me"), "/me", "user", order=900, tab=True),
        NavItem("suggestions", lambda _: _("Suggestion box"), "/suggestions", "mailbox", order=510),
    ]
    if actor.has_role(APPROVER) or actor.can(ADMIN):
        items.append(APPROVALS_TAB)
    if actor.has_role(AGENT):
        items.append(
            NavItem("tasks", lambda _: _("My tasks"), "/tasks", "tool", order=30, tab=True)
        )
    dispatches = actor.has_role(DISPATCHER) or actor.has_role(SERVICE_ADMIN) or actor.can(ADMIN)
    if dispatches:
        items += [
            NavItem(
                "desk", lambda _: _("Dispatch"), "/desk", "users", order=600, surfaces=APP_AND_DESK
            ),
            NavItem(
                "queue",
                lambda _: _("Queues"),
                "/desk/queue",
                "list-check",
                order=605,
                surfaces=APP_AND_DESK,
            ),
            NavItem(
                "desk_new",
                lambda _: _("New for someone"),
                "/desk/new",
                "plus",
                order=606,
                surfaces=DESK,
            ),
        ]
    if actor.has_role(SERVICE_ADMIN) or actor.can(ADMIN):
        items.append(
            NavItem(
                "follow_ups",
                lambda _: _("Low ratings"),
                "/desk/follow-ups",
                "alert-triangle",
                order=610,
                surfaces=APP_AND_DESK,
            )
        )
    if actor.can(SUGGESTIONS_MANAGE):
        items.append(
            NavItem(
                "suggestions_desk",
                lambda _: _("Suggestions received"),
                "/desk/suggestions",
                "mailbox",
                order=615,
                surfaces=APP_AND_DESK,
            )
        )
    if (
        actor.is_org_admin
        or actor.has_role(AUDITOR)
        or actor.has_role(DISPATCHER)
        or actor.administered_services
    ):  # who may read /desk/reports: core.reports.report_scope
        items.append(
            NavItem(
                "reports",
                lambda _: _("Reports"),
                "/desk/reports",
                "clipboard-list",
                order=620,
                surfaces=APP_AND_DESK,
            )
        )
    if actor.can(AUDIT_VIEW):
        # the phone's "More" has Admin for admins, who reach post-audit from there
        on = DESK if actor.can(ADMIN) else APP_AND_DESK
        items.append(
            NavItem(
                "post_audit",
                lambda _: _("Post-audit"),
                "/desk/post-audit",
                "shield-lock",
                order=700,
                surfaces=on | CONSOLE,
            )
        )
        items.append(
            NavItem(
                "audit",
                lambda _: _("Audit log"),
                "/admin/audit",
                "history",
                order=800 if not actor.can(ADMIN) else 95,
                surfaces=(CONSOLE if actor.can(ADMIN) else APP | CONSOLE),
                description=lambda _: _("Who changed what, and when."),
            )
        )
    if actor.can(PLACES_MANAGE) and not actor.can(ADMIN):  # a service admin keeps them too
        items += [p for p in _admin_pages() if p.key == "admin_places"]
    if actor.can(ADMIN):
        items.append(NavItem("admin_app", lambda _: _("Admin"), "/admin", "settings", order=800))
        items += _admin_pages()
        items.append(
            NavItem(
                "admin_dispatch",
                lambda _: _("Dispatch"),
                "/desk",
                "tool",
                order=85,
                surfaces=CONSOLE,
            )
        )
    return items


@hookimpl
def register_jobs() -> list[Job]:
    from core.guests import forget_phones
    from core.identity.throttle import forget_old_attempts
    from core.lifecycle.watch import JOBS

    return [
        *JOBS,
        Job(
            "core.forget_guest_phones",
            forget_phones,
            cron="29 3 * * *",
            description="Blank guests' phone numbers 90 days after their request closed",
        ),
        Job(
            "core.login_attempts",
            forget_old_attempts,
            cron="41 * * * *",
            description="Forget sign-in attempts of past windows",
        ),
    ]


@hookimpl
def home_tiles(actor: Actor) -> list[Tile]:
    """The suggestion box sits with the services: "what do you need?" includes "to say"."""
    return [
        Tile("suggestions", lambda _: _("Suggestion box"), "/suggestions", "mailbox", order=950)
    ]


@hookimpl
async def seed_demo(org_id: int, users: dict[str, int]) -> None:
    from core.suggestions import seed_demo_suggestions

    await seed_demo_suggestions(org_id, users)
