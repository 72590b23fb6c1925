"""Channels (e-mail, plugins' chat or push) and the message a channel is handed.

A plugin adds a channel with two hooks: ``register_notification_channels`` declares
it (:class:`NotificationChannel`), ``deliver_notification`` sends one
:class:`Message` on it. Core's e-mail channel uses the same two hooks
(core/notifications/plugin.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from core.descriptors import Label

if TYPE_CHECKING:
    from core.config import Settings
    from core.plugins import PluginRegistry


def _always(settings: Settings) -> bool:
    return True


@dataclass(frozen=True)
class NotificationChannel:
    """A way to reach people besides the in-app list.

    ``name`` is unique (lower-case, stored in delivery rows and preferences).
    ``default`` is the mode (``immediate``, ``digest`` or ``off``) of users who have
    not chosen. ``available(settings)`` says whether this process can use the channel
    (e-mail needs an SMTP host); an unavailable channel gets no delivery rows and is
    not offered on the preferences page.
    """

    name: str
    label: Label
    default: str = "off"
    available: Callable[[Settings], bool] = _always
    icon: str = "bell"


class Undeliverable(Exception):
    """Raised by a channel when retrying cannot help (no address, unknown chat id): the
    delivery is marked skipped with ``reason`` instead of being retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to; ``locale`` is already resolved (theirs or the org's)."""

    user_id: int
    org_id: int
    name: str
    email: str
    phone: str
    locale: str
    time_zone: str


@dataclass(frozen=True)
class Item:
    """One notification inside a message, already worded in the recipient's language."""

    notification_id: int
    kind: str
    group: str
    text: str
    request_number: str
    request_title: str
    url: str
    created_at: datetime


@dataclass(frozen=True)
class Message:
    """What ``deliver_notification`` sends: one notification, or several in a digest.

    ``subject`` is in the recipient's language; ``delivery_ids`` are the log rows this
    message settles (stable across retries, usable as an idempotency key).
    """

    channel: str
    recipient: Recipient
    org_name: str
    subject: str
    items: tuple[Item, ...]
    digest: bool
    settings_url: str
    delivery_ids: tuple[int, ...]


@dataclass(frozen=True)
class ChannelSet:
    """The channels this process can use, each with the plugin that owns it (None: core)."""

    channels: tuple[tuple[NotificationChannel, str | None], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.channels)

    def __iter__(self) -> Iterator[NotificationChannel]:
        return (channel for channel, _owner in self.channels)

    def get(self, name: str) -> NotificationChannel | None:
        return next((c for c, _o in self.channels if c.name == name), None)

    @property
    def needs_plugin_check(self) -> bool:
        return any(owner is not None for _c, owner in self.channels)

    def enabled(self, enabled_plugins: frozenset[str] | None) -> ChannelSet:
        """The channels an organisation has: core's plus its enabled plugins'."""
        if enabled_plugins is None:
            return self
        return ChannelSet(
            tuple((c, o) for c, o in self.channels if o is None or o in enabled_plugins)
        )


# (id of the registry, settings) → (the registry, weakly, and its channels). Registries
# are unhashable dataclasses; the weak reference tells a reused id from the same object.
_sets: dict[tuple[int, Settings], tuple[weakref.ref[PluginRegistry], ChannelSet]] = {}


def collect_channels(settings: Settings, registry: PluginRegistry) -> ChannelSet:
    """Ask every plugin (core included) for its channels; keep the available ones.

    Computed once per registry and settings. Names must be unique.
    """
    key = (id(registry), settings)
    cached = _sets.get(key)
    if cached is not None and cached[0]() is registry:
        return cached[1]
    found: list[tuple[NotificationChannel, str | None]] = []
    names: set[str] = set()
    for impl in registry.pm.hook.register_notification_channels.get_hookimpls():
        owner = impl.plugin_name if impl.plugin_name in registry.installed else None
        for channel in impl.function() or ():
            if channel.name in names or channel.name == "in_app":
                raise ValueError(f"two notification channels are named {channel.name!r}")
            names.add(channel.name)
            if channel.available(settings):
                found.append((channel, owner))
    result = ChannelSet(tuple(sorted(found, key=lambda pair: pair[0].name)))
    for stale in [k for k, (ref, _c) in _sets.items() if ref() is None]:
        del _sets[stale]
    _sets[key] = (weakref.ref(registry), result)
    return result


@lru_cache(maxsize=1)
def _process_defaults() -> tuple[Settings, PluginRegistry]:
    from core.config import load_settings
    from core.plugins import build_plugin_registry

    settings = load_settings()
    return settings, build_plugin_registry(settings.plugins_file)


def process_context() -> tuple[Settings, PluginRegistry]:
    """Settings and plugins of this process: those of its job runner (web app, worker),
    else built from the environment once (a CLI command such as ``run-job``)."""
    from core import jobs

    runner = jobs.current()
    if runner is not None:
        return runner.context.settings, runner.context.registry
    return _process_defaults()


def current_channels() -> ChannelSet:
    """The channels of this process (see :func:`process_context`)."""
    return collect_channels(*process_context())
