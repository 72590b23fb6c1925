"""The shared Jinja environment and the page-rendering helper.

Core templates live in web/templates; each plugin's templates are reached through a
prefix loader under its slug (``notices/list.html``). htmx requests that name a block
get just that block (jinja2-fragments), so partials are never copies of pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    pass_context,
    select_autoescape,
)
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from markupsafe import Markup, escape

from core import i18n
from core.default_plugin import APPROVALS_TAB
from core.descriptors import NavItem
from core.identity.actor import Actor
from core.lifecycle.deadlines import urgency
from core.lifecycle.feedback import tag_label
from core.lifecycle.states import STATUS_TONE, Status, status_label
from core.plugins import PluginRegistry

WEB_TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_VERSION = "6"


def due_word(state: str) -> str:
    """Words for SLA states (never colour alone)."""
    return {
        "ok": i18n.gettext("on time"),
        "soon": i18n.gettext("due soon"),
        "breached": i18n.gettext("overdue"),
        "met": i18n.gettext("met"),
    }.get(state, "")


def icon_sprite_url() -> str:
    """URL of the vendored icon sprite (its folder name carries the icon set's version)."""
    sprites = sorted(STATIC_DIR.glob("vendor/tabler-icons-*/sprite.svg"))
    if not sprites:
        return "/static/vendor/icons-missing.svg"
    return "/static/" + sprites[-1].relative_to(STATIC_DIR).as_posix()


# Small pieces of markup on every row of every list are Python functions, not Jinja
# macros: a macro call costs ~25 µs, and a page of 20 cards made ~80 of them.
_TONE_ICON = {
    "done": "circle-check",
    "rejected": "x",
    "waiting": "history",
    "progress": "tool",
    "muted": "x",
}
_STATUS_LABELS: dict[str, dict[str, str]] = {}


def status_text(status: str) -> str:
    """A status in the active language (the labels are worded once per language)."""
    locale = i18n.get_locale()
    labels = _STATUS_LABELS.get(locale)
    if labels is None:
        labels = {s.value: status_label(s, i18n.gettext) for s in Status}
        _STATUS_LABELS[locale] = labels
    return labels.get(status, status)


def icon_markup(sprite: str) -> Any:
    href = escape(sprite)

    def icon(name: str, cls: str = "") -> Markup:
        return Markup(  # noqa: S704 - every value is escaped
            f'<svg class="icon {escape(cls)}" aria-hidden="true" focusable="false">'
            f'<use href="{href}#i-{escape(name)}"></use></svg>'
        )

    return icon


def status_chip_markup(icon: Any) -> Any:
    def status_chip(status: str) -> Markup:
        tone = STATUS_TONE.get(status, "muted")
        chip = icon(_TONE_ICON.get(tone, "info-circle"))
        return Markup(  # noqa: S704 - tone is ours, the rest is escaped
            f'<span class="status status--{tone}">{chip}{escape(status_text(status))}</span>'
        )

    return status_chip


@pass_context
def page_gettext(context: Any, string: str, **variables: Any) -> str:
    """``_()`` in templates: Jinja's newstyle gettext in one call instead of three.

    Same results: the translation is markup when autoescaping (variables are escaped
    into it) and is always a %-format string. Most strings have no variables: those
    skip the formatting, whose only effect there is turning ``%%`` into ``%``.
    """
    rv: Any = i18n.gettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - translations are ours, as in Jinja's newstyle
    if variables:
        return rv % variables
    return rv.replace("%%", "%") if "%" in rv else rv


class PageEnvironment(Environment):
    """Jinja looks ``row.name`` up as an attribute first and as a key only after an
    AttributeError; our rows are dicts, so every cell raised and caught an exception
    (a desk queue of 50 rows: ~400 per page). Dicts are asked by key first here; a key
    that is missing still falls back to the attribute (``mapping.items``)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def build_environment(registry: PluginRegistry, head_assets: Iterable[str]) -> Environment:
    plugin_loaders = {
        slug: FileSystemLoader(str(plugin.path / "templates"))
        for slug, plugin in registry.installed.items()
    }
    env = PageEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(WEB_TEMPLATES)), PrefixLoader(plugin_loaders)]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.globals["_"] = page_gettext
    env.filters["datetime"] = i18n.format_dt
    env.filters["reltime"] = i18n.format_relative
    env.filters["label"] = lambda label: label(i18n.gettext) if callable(label) else label
    env.globals["head_assets"] = list(head_assets)
    env.globals["LANGUAGES"] = i18n.LANGUAGE_NAMES
    env.globals["static_version"] = STATIC_VERSION
    env.globals["icon_sprite"] = icon_sprite_url()
    env.globals["icon_markup"] = icon_markup(env.globals["icon_sprite"])
    env.globals["status_chip_markup"] = status_chip_markup(env.globals["icon_markup"])
    env.globals["html_lang"] = i18n.html_lang
    env.globals["get_locale"] = i18n.get_locale
    env.globals["urgency"] = lambda due, done=None: urgency(due, done, datetime.now(UTC))
    env.globals["due_word"] = due_word
    env.globals["tag_label"] = lambda tag: tag_label(tag, i18n.gettext)
    env.globals["kind_label"] = lambda service, code: service.kind_label(code, i18n.gettext)
    env.globals["status_label"] = status_text
    env.globals["status_tone"] = lambda s: STATUS_TONE.get(s, "muted")
    env.globals["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
    registry.pm.hook.prepare_jinja_environment(env=env)
    return env


def template_engine(env: Environment) -> JinjaTemplateEngine:
    return JinjaTemplateEngine.from_environment(env)


MAX_TABS = 5
UNREAD_CAP = 99


def navigation(request: Request[Any, Any, Any], actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    hooks = request.app.state.plugins.hooks(actor.enabled_plugins)
    items = [item for group in hooks.nav_items(actor=actor) for item in group]
    return sorted(items, key=lambda item: (item.order, item.key))


def split_navigation(items: list[NavItem]) -> tuple[list[NavItem], list[NavItem]]:
    """The phone app's bottom bar (at most five tabs, "Me" always last) and the rest of
    its items ("More"); items of other surfaces only are left out."""
    items = [i for i in items if "app" in i.surfaces]
    tabs = [i for i in items if i.tab]
    if len(tabs) > MAX_TABS:
        keep = tabs[: MAX_TABS - 1] + tabs[-1:]
        overflow = [t for t in tabs if t not in keep]
        tabs = keep
    else:
        overflow = []
    return tabs, overflow + [i for i in items if not i.tab]


# Two capped counts in one statement: a badge never needs more than UNREAD_CAP + 1,
# and every page pays one query for both, whatever the number of rows behind them.
BADGE_SQL = (
    "SELECT"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM core_notification"
    ' WHERE org = {} AND "user" = {} AND read_at IS NULL LIMIT {}) AS n) AS unread,'
    " (SELECT COUNT(*) FROM (SELECT 1 FROM core_approval_task"
    ' WHERE org = {} AND "user" = {} AND open = {} LIMIT {}) AS a) AS approvals'
)


async def badge_counts(actor: Actor) -> tuple[int, int]:
    """Unread notifications and open approval tasks of the actor, each capped."""
    from core.tables import Notification

    cap = UNREAD_CAP + 1
    rows = await Notification.raw(
        BADGE_SQL, actor.org_id, actor.user_id, cap, actor.org_id, actor.user_id, True, cap
    )
    row = rows[0] if rows else {}
    return int(row.get("unread") or 0), int(row.get("approvals") or 0)


def on_surface(items: list[NavItem], surface: str, path: str) -> list[tuple[NavItem, bool]]:
    """The items of one surface, in order, each with whether it is the current page: the
    one whose address is the longest prefix of ``path`` at a ``/`` (``/desk/queue`` is
    current on ``/desk/queue/…``, ``/admin`` on admin pages no other item names)."""
    mine = [i for i in items if surface in i.surfaces]
    best = max(
        (i for i in mine if path == i.href or path.startswith(i.href.rstrip("/") + "/")),
        key=lambda i: len(i.href),
        default=None,
    )
    return [(i, i is best) for i in mine]


def with_approvals_tab(nav: list[NavItem], waiting: int) -> list[NavItem]:
    """Anyone with approval tasks open gets the approvals tab, approver role or not."""
    if waiting and not any(item.key == APPROVALS_TAB.key for item in nav):
        nav = sorted([*nav, APPROVALS_TAB], key=lambda item: (item.order, item.key))
    return nav


async def _badges(actor: Actor) -> tuple[int, int]:
    # Normally loaded with the actor (one statement per request); counted here if not.
    if actor.unread is not None and actor.approvals_waiting is not None:
        return actor.unread, actor.approvals_waiting
    return await badge_counts(actor)


async def render(
    request: Request[Any, Any, Any],
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
) -> Template:
    """Render a page; an htmx request asking for ``block`` gets only that block."""
    actor: Actor | None = request.scope.get("user")
    partial = bool(
        block and request.headers.get("hx-request") and not request.headers.get("hx-boosted")
    )
    unread, waiting = await _badges(actor) if actor is not None and not partial else (0, 0)
    nav = with_approvals_tab(navigation(request, actor), waiting)
    tabs, more = split_navigation(nav)
    ctx = {
        "actor": actor,
        "nav": nav,
        "tabs": tabs,
        "more": more,
        "unread": unread,
        "approvals_waiting": waiting,
        "current_path": request.url.path,
        # the desk and admin layouts ask for their menu; phone pages pay nothing for it
        "nav_on": lambda surface: on_surface(nav, surface, request.url.path),
        "settings": request.app.state.settings,
        "event_labels": request.app.state.event_labels,
        **(context or {}),
    }
    if partial:
        return HTMXBlockTemplate(
            template_name=name, block_name=block, context=ctx, status_code=status_code
        )
    return Template(template_name=name, context=ctx, status_code=status_code)
