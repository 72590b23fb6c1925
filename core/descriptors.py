"""Small value objects that plugins hand to core through hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
    # The plugin's modules, named relative to it (``("hooks",)`` for plugins/<slug>/hooks.py),
    # whose hook implementations core registers; none named: the plugin module itself.
    hooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Permission:
    """A permission a plugin registers; ``roles`` are the roles granted it by default.

    A service admin holds a permission of ``roles`` only for the services they administer
    (its code starts with ``<slug>.``), unless ``any_service``: then the admin of any
    service holds it (core's places, which every service points at)."""

    code: str
    label: Label
    roles: frozenset[str] = field(default_factory=frozenset)
    any_service: bool = False


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
    """A place the user can go, on one or more navigation ``surfaces``:

    - ``"app"``: the phone app. ``tab`` items sit in its bottom bar (core keeps it to at
      most five: home, my requests, approvals, notifications, me); the others are listed
      under "More" on the Me page.
    - ``"desk"``: the side menu of every service-desk page (/desk…).
    - ``"admin"``: the side menu of every admin page, and a card on /admin (with
      ``description``).
    - ``"kiosk"``: reserved for the lobby kiosk's start screen.

    Whoever returns an item has checked that the actor may open it (``actor.can``): the
    menus show what they are given.
    """

    key: str
    label: Label
    href: str
    icon: str
    order: int = 100
    tab: bool = False
    surfaces: frozenset[str] = frozenset({"app"})
    description: Label | None = None

    def __post_init__(self) -> None:
        unknown = set(self.surfaces) - set(SURFACES)
        if unknown or not self.surfaces:
            raise ValueError(f"nav item {self.key!r}: surfaces must be some of {SURFACES}")


SURFACES = ("app", "desk", "admin", "kiosk")
"""The navigation surfaces a :class:`NavItem` can be on."""


@dataclass(frozen=True)
class Kind:
    """One kind of request within a service type (e.g. 报修: electrical, plumbing)."""

    code: str
    label: Label


@dataclass(frozen=True)
class ServiceType:
    """A service type a plugin (or core) offers; requests of it use the one lifecycle.

    ``prefix`` starts every request number (``BX-20261124-0042``). ``steps`` names the
    lifecycle steps this type uses, for the stepper on the request page; a type without
    dispatch leaves out ``assigned``, never adds a status.
    """

    slug: str
    name: Label
    description: Label
    icon: str
    prefix: str
    kinds: tuple[Kind, ...]
    uses_approval: bool = True
    uses_dispatch: bool = True
    order: int = 100
    # Requests carry an amount (¥) that approval rules test; the edit page then asks
    # for it (a request that already has an amount is always edited with it).
    uses_amount: bool = False
    # The new-request form (a ``core.lifecycle.forms.ServiceForm``): its fields, the
    # request they make and the plugin's detail rows. Core draws it on the phone
    # (``/new/<slug>``), on the desk (``/desk/new/<slug>``) and reads it from the API;
    # None is the standard form (kind, title, details, where, amount, urgency, photos).
    form: object | None = None

    def kind_label(self, code: str, gettext: Callable[[str], str]) -> str:
        for kind in self.kinds:
            if kind.code == code:
                return kind.label(gettext)
        return code

    @property
    def steps(self) -> tuple[str, ...]:
        steps = ["submitted"]
        if self.uses_approval:
            steps.append("pending_approval")
        if self.uses_dispatch:
            steps.append("assigned")
        steps += ["in_progress", "resolved", "closed"]
        return tuple(steps)


@dataclass(frozen=True)
class Panel:
    """A card a plugin adds to a request's page (its own detail, forms for the assignee).

    ``template`` is a Jinja template name (the plugin's templates are under its slug);
    it is rendered with the page's context plus ``context``. Panels sit inside the part of
    the page that refreshes live, after the request's facts. ``order`` sorts them.
    """

    template: str
    context: dict[str, object] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class Period:
    """A reporting period: local dates ``start`` to ``end`` inclusive, in ``time_zone``."""

    start: date
    end: date
    time_zone: str

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware UTC instants, end exclusive (midnight after ``end``)."""
        zone = ZoneInfo(self.time_zone)
        first = datetime.combine(self.start, time.min, zone)
        after = datetime.combine(self.end + timedelta(days=1), time.min, zone)
        return first.astimezone(UTC), after.astimezone(UTC)


@dataclass(frozen=True)
class Figure:
    """One key figure of a report section (a number with its label and an optional hint)."""

    label: Label
    value: str
    hint: str = ""


@dataclass(frozen=True)
class ReportSection:
    """What a plugin adds to the reports page: key figures and optionally a table.

    ``columns`` label the table's columns; ``rows`` hold already formatted cells (text).
    ``key`` is unique per section (``<slug>.<name>``); ``order`` sorts the sections.
    """

    key: str
    title: Label
    figures: tuple[Figure, ...] = ()
    columns: tuple[Label, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    note: Label | None = None
    order: int = 100
