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

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template

from core import i18n
from core.descriptors import NavItem
from core.identity.actor import Actor
from core.lifecycle.deadlines import urgency
from core.lifecycle.feedback import tag_label
from core.lifecycle.states import STATUS_TONE, status_label
from core.plugins import PluginRegistry

WEB_TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_VERSION = "2"


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


def build_environment(registry: PluginRegistry, head_assets: Iterable[str]) -> Environment:
    plugin_loaders = {
        slug: FileSystemLoader(str(plugin.path / "templates"))
        for slug, plugin in registry.installed.items()
    }
    env = Environment(
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
    env.filters["datetime"] = i18n.format_dt
    env.filters["reltime"] = i18n.format_relative
    env.filters["label"] = lambda label: label(i18n.gettext) if callable(label) else label
    env.globals["head_assets"] = list(head_assets)
    env.globals["LANGUAGES"] = i18n.LANGUAGE_NAMES
    env.globals["static_version"] = STATIC_VERSION
    env.globals["icon_sprite"] = icon_sprite_url()
    env.globals["html_lang"] = i18n.html_lang
    env.globals["get_locale"] = i18n.get_locale
    env.globals["urgency"] = lambda due, done=None: urgency(due, done, datetime.now(UTC))
    env.globals["due_word"] = due_word
    env.globals["tag_label"] = lambda tag: tag_label(tag, i18n.gettext)
    env.globals["kind_label"] = lambda service, code: service.kind_label(code, i18n.gettext)
    env.globals["status_label"] = lambda s: status_label(s, i18n.gettext)
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
    """The bottom bar (at most five tabs, "Me" always last) and the rest ("More")."""
    tabs = [i for i in items if i.tab]
    if len(tabs) > MAX_TABS:
        keep = tabs[: MAX_TABS - 1] + tabs[-1:]
        overflow = [t for t in tabs if t not in keep]
        tabs = keep
    else:
        overflow = []
    return tabs, overflow + [i for i in items if not i.tab]


async def unread_count(actor: Actor) -> int:
    """Unread notifications, counted up to a cap (a badge never needs more)."""
    from core.tables import Notification

    rows = await (
        Notification.select(Notification.id)
        .where(
            (Notification.org == actor.org_id)
            & (Notification.user == actor.user_id)
            & Notification.read_at.is_null()
        )
        .limit(UNREAD_CAP + 1)
    )
    return len(rows)


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
    nav = navigation(request, actor)
    tabs, more = split_navigation(nav)
    partial = bool(
        block and request.headers.get("hx-request") and not request.headers.get("hx-boosted")
    )
    ctx = {
        "actor": actor,
        "nav": nav,
        "tabs": tabs,
        "more": more,
        "unread": await unread_count(actor) if actor is not None and not partial else 0,
        "current_path": request.url.path,
        "settings": request.app.state.settings,
        **(context or {}),
    }
    if partial:
        return HTMXBlockTemplate(
            template_name=name, block_name=block, context=ctx, status_code=status_code
        )
    return Template(template_name=name, context=ctx, status_code=status_code)
