"""Small value objects that plugins hand to core through hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# A translatable label: called with the active gettext function, returns the text.
Label = Callable[[Callable[[str], str]], str]


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin package declares about itself (module attribute ``PLUGIN``)."""

    slug: str
    name: Label
    description: Label
    requires: tuple[str, ...] = ()
    icon: str = "puzzle"
    has_tables: bool = True


@dataclass(frozen=True)
class Permission:
    """A permission a plugin registers; ``roles`` are the roles granted it by default."""

    code: str
    label: Label
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Tile:
    """A service tile on the phone home screen."""

    slug: str
    label: Label
    href: str
    icon: str
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    """An entry in a navigation bar (phone bottom bar, desk side bar or admin menu)."""

    key: str
    label: Label
    href: str
    icon: str
    order: int = 100
