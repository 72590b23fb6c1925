"""The plugin contract: every hook houqin calls, each with what it is for.

Hooks are called through :class:`core.plugins.PluginHooks`, which skips the plugins an
organisation has not enabled. Implementations use ``@hookimpl`` from this module.
docs/plugins.md documents every hook here (a test enforces it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from jinja2 import Environment
    from litestar.connection import ASGIConnection

    from core.config import Settings
    from core.descriptors import (
        Label,
        NavItem,
        Panel,
        Period,
        Permission,
        ReportSection,
        ServiceType,
        Tile,
    )
    from core.identity.actor import Actor
    from core.jobs import Job, JobContext
    from core.lifecycle.actions import RequestAction
    from core.lifecycle.approvals import ApprovalSubject
    from core.notifications.channels import Message, NotificationChannel

PROJECT = "houqin"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_routes(settings: Settings) -> list[Any]:
    """Return Litestar route handlers or controllers for this plugin.

    Called once at start-up for every installed plugin. Core mounts them under
    ``/s/<slug>/`` behind a guard that answers 404 when the actor's organisation has
    not enabled the plugin, and behind login. Paths are relative to that prefix.
    """


@hookspec
def register_api_routes(settings: Settings) -> list[Any]:
    """Return Litestar route handlers for the JSON API of this plugin.

    Called once at start-up. Core mounts them under ``/api/v1/s/<slug>/`` with the same
    enabled-plugin guard; they appear in the OpenAPI schema at ``/schema``.
    """


@hookspec
def register_public_routes(settings: Settings) -> list[Any]:
    """Return route handlers that work without signing in (a sticker's report page).

    Called once at start-up. Core mounts them under ``/p/<slug>/`` without the login
    guard, with CSRF protection and the security headers as everywhere. No actor is
    implied: each handler declares ``opt={"resolve_org": resolver}``, an async function
    of the connection that finds what the URL carries (an unguessable token, never an
    id) as a mapping with its ``"org"``, or None. Core calls it before the handler and
    answers 404 unless that organisation has enabled the plugin; the handler reads the
    find with ``web.auth.public_found(request)``. A handler without a resolver stops
    start-up. A signed-in visitor's actor is still available (``request.scope["user"]``).
    Rate-limit unsafe methods (Litestar's ``RateLimitConfig``; any store name is backed
    by the shared store).
    """


@hookspec
def register_service_types() -> list[ServiceType]:
    """Return the service types this plugin offers (slug, names, icon, number prefix, kinds).

    Called once at start-up. A service type's slug is normally the plugin's slug; its
    requests appear in the one inbox and follow the one lifecycle. The type's tile and
    "new request" form are shown only where the plugin is enabled.
    """


@hookspec
def register_permissions() -> list[Permission]:
    """Return the permissions this plugin defines.

    Codes start with the plugin slug (``notices.publish``). ``Permission.roles`` says
    which roles hold the permission by default; org admins hold every permission.
    Called once at start-up.
    """


@hookspec
def register_jobs() -> list[Job]:
    """Return this plugin's background jobs (:class:`core.jobs.Job`).

    Called once at start-up, by web processes and by ``houqin worker``. A job is a
    coroutine function ``fn(ctx, **kwargs)`` named ``<slug>.<name>``; give it ``cron``
    to run it periodically. Jobs must be idempotent (they can run twice) and should
    loop over organisations themselves, skipping those that have not enabled the
    plugin. Enqueue triggered jobs with ``core.jobs.enqueue`` after commit.
    """


@hookspec
def register_notification_channels() -> list[NotificationChannel]:
    """Return the notification channels this plugin delivers on (WeCom, DingTalk, push…).

    Called once at start-up. Each :class:`core.notifications.NotificationChannel` has a
    unique ``name``, a label, the mode users get until they choose (``default``:
    ``immediate``, ``digest`` or ``off``) and ``available(settings)`` (False when the
    channel is not configured in this process: it then gets no delivery rows and is
    not offered). Users pick a mode per event group on /me/notifications. A plugin's
    channel is used only in organisations that enabled the plugin.
    """


@hookspec
async def deliver_notification(message: Message, ctx: JobContext) -> bool | None:
    """Send ``message`` if it is for one of this plugin's channels; else return None.

    Called by the delivery jobs (never in a user's request) for every message of every
    channel, on core and the organisation's enabled plugins; the implementation owning
    ``message.channel`` sends and returns True. ``message`` carries the recipient
    (name, e-mail, phone, language), the items (each worded in the recipient's
    language, with the request number, title and link), a subject, and whether it is
    a digest; the recipient's language is active while the hook runs. Raise
    :class:`core.notifications.Undeliverable` when retrying cannot help (the log says
    "skipped" with the reason); any other exception is retried with backoff and, after
    the last attempt, logged as "failed" with the error. Coroutine: the caller awaits
    every result.
    """


@hookspec
def home_tiles(actor: Actor) -> list[Tile]:
    """Return the tiles this plugin shows on the phone home screen for ``actor``.

    Called per page for enabled plugins only; check the actor's permissions before
    returning a tile. Must not query the database.
    """


@hookspec
def nav_items(actor: Actor) -> list[NavItem]:
    """Return places to go (:class:`core.descriptors.NavItem`), each on its surfaces:
    the phone app (bottom bar and "More"), the desk's side menu, the admin console's
    side menu and /admin cards, the kiosk (later).

    The one navigation registry: core's own entries come from the default plugin.
    Called per page for enabled plugins only. Must not query the database; return
    nothing the actor may not open.
    """


@hookspec
def place_links(place: Mapping[str, Any]) -> list[NavItem]:
    """Return what the plugin offers in a room whose door sticker was scanned
    (``/p/place/<token>``, no sign-in needed): :class:`core.descriptors.NavItem` values
    leading to the plugin's public pages for that room ("Report a fault here").

    ``place`` is the room (``id``, ``name``, ``code``, ``qr_token``, ``floor``,
    ``building``, ``org``). Called for the organisation's enabled plugins only; one link
    in all is followed at once, several are listed, none says the room has no services.
    Must not query the database.
    """


@hookspec
def extra_head_assets() -> list[str]:
    """Return URLs of extra stylesheets (``.css``) or scripts (``.js``) for every page.

    Called once at start-up; URLs must be same-origin (served from ``/static``) so the
    Content-Security-Policy keeps working.
    """


@hookspec
def prepare_jinja_environment(env: Environment) -> None:
    """Add filters, globals or tests to the shared Jinja environment.

    Called once at start-up, after core has set up its own filters and i18n.
    """


@hookspec(firstresult=True)
def actor_from_request(connection: ASGIConnection) -> int | Awaitable[int | None] | None:
    """Identify the user by other means than the session or an API token (SSO).

    Called for requests that carry neither (static files excepted); the first non-None
    result wins. Return the id of an active user of any organisation, or None. The
    implementation may be a coroutine function (to look the user up); core awaits it
    and then loads the user's roles and organisation as for any sign-in.
    """


@hookspec
def audit_action_labels() -> dict[str, Label]:
    """Return labels for the audit-log actions this plugin records.

    Keys are the ``action`` strings the plugin passes to ``core.identity.service.audit``
    (prefixed with the slug, e.g. ``notices.published``); values are translatable
    labels (callables taking the gettext function). Called once at start-up.
    """


@hookspec
async def seed_demo(org_id: int, users: dict[str, int]) -> None:
    """Create this plugin's demo content in the demo organisation.

    ``users`` maps each role name (``employee``, ``approver``, ``agent``,
    ``dispatcher``, ``service_admin``, ``org_admin``, ``auditor``) to the id of the
    demo user holding it. Called by ``houqin seed-demo`` only when the demo
    organisation is new (so once), for every installed plugin. Coroutine: the caller
    awaits every result.
    """


@hookspec
def approval_facts(
    request: ApprovalSubject,
) -> Mapping[str, object] | Awaitable[Mapping[str, object] | None] | None:
    """Return facts about ``request`` that approval rules may test (category, budget…).

    Called, for the organisation's enabled plugins only, whenever core decides how a
    request is approved: at submit, when an edit may send it back to approval, and by
    the "which rule would match?" tester in /admin/approvals (``request_id`` None).
    Answer None for other services' requests. Values are compared as text with the
    rule's accepted values (booleans as ``true``/``false``). The implementation may be
    a coroutine function (to read the plugin's own detail rows); it must not write.
    Facts a plugin passes to ``submit(facts=...)`` win over hook answers; between two
    hook answers naming the same fact, the first one pluggy returns wins.
    """


@hookspec
def request_detail_panels(
    actor: Actor, request: Mapping[str, Any]
) -> list[Panel] | Awaitable[list[Panel]] | None:
    """Return cards (:class:`core.descriptors.Panel`) for the page of ``request``.

    Called on every request page the actor may see, for the organisation's enabled
    plugins only, with the request row (``id``, ``number``, ``service``, ``status``,
    ``assignee``, ``requester``, ``version``…). Answer None (quickly, without a query)
    for other services' requests. The implementation may be a coroutine function (to
    read the plugin's detail rows with a fixed number of queries); it must not write.
    The panels refresh live with the page, so forms in them work for the assignee
    while the requester watches.
    """


@hookspec
def request_actions(
    actor: Actor, request: Mapping[str, Any]
) -> list[RequestAction] | Awaitable[list[RequestAction]] | None:
    """Return the actions (:class:`core.lifecycle.actions.RequestAction`) of ``request``.

    Called when a request page is shown and when an action is taken, for the
    organisation's enabled plugins, with the same request row as
    ``request_detail_panels``. Return every action of the request's service whatever its
    status: core keeps those that apply now (``who``, ``statuses``, ``when``), renders
    them as buttons (one primary), and runs the one taken inside its locked,
    version-checked transaction. Answer None for other services' requests. Core's own
    actions (accept, start, hold, resume, done, decline, close, reopen) come from the
    default plugin through this hook. May be a coroutine function (one query at most);
    must not write.
    """


@hookspec
def timeline_event_labels() -> dict[str, Label]:
    """Return labels for the request events this plugin records (``<slug>.<what>``).

    Plugins add events to a request's timeline with ``add_event`` (SDK)
    (kind prefixed with the slug, e.g. ``repairs.on_the_way``); the timeline shows each
    with this label. Called once at start-up.
    """


@hookspec
def report_sections(
    org_id: int, period: Period
) -> list[ReportSection] | Awaitable[list[ReportSection]] | None:
    """Return this plugin's key figures for the organisation over ``period``.

    Called by the reports page (/desk/reports) for the organisation's enabled plugins
    only. Each :class:`core.descriptors.ReportSection` has a title, figures (label and
    formatted value) and optionally a table. Use a fixed number of queries, each scoped
    to ``org_id`` and the period's ``bounds``. May be a coroutine function; must not
    write.
    """
