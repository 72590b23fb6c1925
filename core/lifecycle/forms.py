"""Service forms: a service's fields declared once, read the same way on every channel.

A service type's ``form`` (a :class:`ServiceForm`) lists its fields: :class:`Text`,
:class:`LongText`, :class:`Choice`, :class:`KindChoice`, :class:`PriorityChoice`,
:class:`Amount`, :class:`Photos`, or a plugin's own subclass of :class:`Field`. From
that one spec core renders the phone form, the desk's "new request for someone" form
(and later the kiosk's), describes the fields to API clients, validates what is sent
with messages in the user's language, and submits it:

- the well-known fields (``kind``, ``title``, ``description``, ``location``,
  ``priority``, ``amount``) make the request (:meth:`ServiceForm.request_of`);
- a field with ``fact="…"`` gives approval rules a fact of that name;
- :meth:`ServiceForm.write` stores the plugin's detail rows inside the submit's
  transaction, before routing (so ``approval_facts`` may read them).

A service without a form of its own gets :func:`standard_form`. Reading needs nothing of
the web: ``values`` is anything with ``get``, ``getall``, ``error`` and ``errors`` (the
web's ``Form``, built from a posted form or from an API body).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

from core import clock, parse, places
from core.attachments import PreparedFile
from core.descriptors import Label, ServiceType
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.submit import PRIORITIES, NewRequest, Submitted, submit
from core.storage import Storage

MAX_AMOUNT = Decimal("999999999999")  # below the 14-digit amount column


class NotFound(LookupError):
    """Raised by a field when the form's address names something that is not there for
    this organisation (another organisation's sticker, a revoked or made-up token): the
    page answers 404, the same for every such case."""


class Values(Protocol):
    """What a form is read from: the web's ``Form`` (a posted form or an API body)."""

    errors: dict[str, str]

    def get(self, name: str, default: str = "") -> str: ...

    def getall(self, name: str) -> list[str]: ...

    def error(self, name: str, message: str) -> None: ...


@dataclass(frozen=True)
class FormContext:
    """Who fills the form in, for which service, through which channel.

    ``actor`` is the person submitting (a guest's actor on a sticker page); ``channel``
    is one of ``submit.CHANNELS``; ``for_others`` is true on the desk, which enters the
    request for someone else (labels then say "they", not "you"). ``given`` holds what
    the page already knows and a field need not ask (the place a sticker names).
    A public page that only draws the form has no actor yet: it gives ``org``."""

    actor: Actor | None
    service: ServiceType
    channel: str
    for_others: bool = False
    given: Mapping[str, Any] = field(default_factory=dict)
    org: int | None = None
    zone: str = "Asia/Shanghai"

    @property
    def time_zone(self) -> str:
        """The zone local times are read in: the actor's (the organisation's), or the
        ``zone`` a public page gives."""
        if self.actor is not None:
            return self.actor.time_zone
        return self.zone

    @property
    def org_id(self) -> int:
        if self.actor is not None:
            return self.actor.org_id
        if self.org is None:
            raise ValueError("a form context needs an actor or an organisation")
        return self.org


@dataclass(frozen=True, kw_only=True)
class Field:
    """One field of a service form.

    ``name`` is the input's name (and the API's key); ``label`` and ``hint`` are
    translatable labels; ``others_label`` replaces the label on the desk ("What do they
    need?"). ``fact`` names the approval fact the value gives rules. ``channels`` limits
    the field to some channels (None: all). A plugin's own field type subclasses this,
    sets ``template`` (a Jinja template rendered with ``field``, ``form`` and ``extra``,
    the mapping :meth:`prepare` returns), and implements :meth:`read`.
    """

    name: str
    label: Label
    hint: Label | None = None
    required: bool = False
    fact: str | None = None
    channels: frozenset[str] | None = None
    others_label: Label | None = None
    template: str = ""
    # a template drawn above the form, outside it (a banner, or forms of its own such
    # as a search), with ``field`` and ``extra``; the phone's page only
    above: str = ""
    # input names besides ``name`` that the field reads; the form's page keeps them when
    # they come in its address (``/new/repairs?asset=…``)
    keeps: tuple[str, ...] = ()

    widget: ClassVar[str] = "custom"  # how core draws it; "custom" draws ``template``
    kind: ClassVar[str] = "custom"  # the type the API's form description names

    def shown(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels

    def inputs(self) -> tuple[str, ...]:
        """The input names the field reads (its ``name`` and ``keeps``)."""
        return (self.name, *self.keeps)

    def label_for(self, ctx: FormContext) -> str:
        label = self.others_label if ctx.for_others and self.others_label else self.label
        return label(_)

    async def read(self, values: Values, ctx: FormContext) -> Any:
        """The field's value from ``values``; a bad one is ``values.error(name, …)``."""
        return values.get(self.name) or None

    def typed(self, values: Values, ctx: FormContext) -> str:
        """What is typed in the field so far, for the live "what happens next" line
        (no database, no errors): the text, or "" when it is not a valid choice."""
        value = values.get(self.name)[:200]
        options = self.options(ctx)
        return value if not options or value in {v for v, _t in options} else ""

    async def prepare(self, values: Values, ctx: FormContext) -> Mapping[str, Any]:
        """What the field's template needs besides the values (options read from the
        database, say); core's own fields need nothing."""
        return {}

    def options(self, ctx: FormContext) -> list[tuple[str, str]]:
        """The choices of a choice field, as (value, text) in the current language."""
        return []

    def describe(self, ctx: FormContext) -> dict[str, Any]:
        """The field for an API client: name, type, label, whether required, the fact
        it gives approval rules and, for choices, the options."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.kind,
            "label": self.label_for(ctx),
            "required": self.required,
        }
        if self.hint:
            out["hint"] = self.hint(_)
        if self.fact:
            out["fact"] = self.fact
        if options := self.options(ctx):
            out["options"] = [{"value": v, "label": t} for v, t in options]
        return out


def _message(message: Label | None) -> str:
    return message(_) if message else _("Fill this in.")


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    """A line of text, at most ``max_length`` characters; ``missing`` is the message
    when a required one is empty (default "Fill this in.")."""

    max_length: int = 200
    missing: Label | None = None
    inputmode: str | None = None
    input_type: str = "text"
    autocomplete: str = "off"
    widget: ClassVar[str] = "text"
    kind: ClassVar[str] = "text"

    async def read(self, values: Values, ctx: FormContext) -> str:
        value = values.get(self.name)
        if self.required and not value:
            values.error(self.name, _message(self.missing))
        elif len(value) > self.max_length:
            values.error(self.name, _("At most %(n)d characters.") % {"n": self.max_length})
        return value

    def describe(self, ctx: FormContext) -> dict[str, Any]:
        return {**super().describe(ctx), "max_length": self.max_length}


@dataclass(frozen=True, kw_only=True)
class Phone(Text):
    """A phone number: digits, spaces, ``+ - ( )``, at most 32 characters."""

    max_length: int = 32
    inputmode: str | None = "tel"
    input_type: str = "tel"
    autocomplete: str = "tel"
    kind: ClassVar[str] = "phone"

    async def read(self, values: Values, ctx: FormContext) -> str:
        value = await super().read(values, ctx)
        if value and not all(c.isdigit() or c in "+- ()" for c in value):
            values.error(self.name, _("Enter a phone number using digits, spaces, + and -."))
        return value


@dataclass(frozen=True, kw_only=True)
class LongText(Text):
    """Several lines of text (``rows`` high), at most ``max_length`` characters."""

    max_length: int = 5000
    rows: int = 4
    widget: ClassVar[str] = "textarea"
    kind: ClassVar[str] = "long_text"


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    """One of ``choices`` (value, label); drawn as chips when ``chips`` is true (a few
    short choices), else as a list. ``blank`` is the list's empty first line."""

    choices: tuple[tuple[str, Label], ...] = ()
    missing: Label | None = None
    chips: bool = False
    blank: Label | None = None
    default: str = ""
    kind: ClassVar[str] = "choice"

    widget: ClassVar[str] = "choice"  # chips or a list, as ``chips`` says

    def options(self, ctx: FormContext) -> list[tuple[str, str]]:
        return [(value, label(_)) for value, label in self.choices]

    async def read(self, values: Values, ctx: FormContext) -> str:
        value = values.get(self.name) or self.default
        if not value and not self.required:
            return ""
        if value not in {v for v, _t in self.options(ctx)}:
            values.error(
                self.name, self.missing(_) if self.missing else _("Choose one from the list.")
            )
        return value


@dataclass(frozen=True, kw_only=True)
class KindChoice(Choice):
    """The kind of request, one of the service's kinds (chips); approval rules test it
    as the rule's kind."""

    name: str = "kind"
    label: Label = lambda _: _("What kind of request?")
    required: bool = True
    chips: bool = True
    missing: Label | None = lambda _: _("Choose what kind of request this is.")

    def options(self, ctx: FormContext) -> list[tuple[str, str]]:
        return [(kind.code, kind.label(_)) for kind in ctx.service.kinds]


# Each priority code (``submit.PRIORITIES``) with its label: the form's choices and
# what pages call a request's urgency (``priority_label``).
PRIORITY_LABELS: tuple[tuple[str, Label], ...] = (
    ("low", lambda _: _("Low")),
    ("normal", lambda _: _("Normal")),
    ("high", lambda _: _("High")),
    ("urgent", lambda _: _("Urgent")),
)


@dataclass(frozen=True, kw_only=True)
class PriorityChoice(Choice):
    """How urgent the request is (``submit.PRIORITIES``); "normal" when not given."""

    name: str = "priority"
    label: Label = lambda _: _("How urgent?")
    choices: tuple[tuple[str, Label], ...] = PRIORITY_LABELS
    default: str = "normal"
    missing: Label | None = lambda _: _("Choose a priority from the list.")


assert tuple(v for v, _l in PRIORITY_LABELS) == PRIORITIES


@dataclass(frozen=True, kw_only=True)
class Amount(Field):
    """An amount in ¥ with two decimals, from 0 to ``MAX_AMOUNT``; rules test it as the
    request's amount. Empty is none unless ``required``."""

    name: str = "amount"
    label: Label = lambda _: _("Amount (¥, optional)")
    widget: ClassVar[str] = "amount"
    kind: ClassVar[str] = "amount"

    async def read(self, values: Values, ctx: FormContext) -> Decimal | None:
        return read_amount(values, self.name, required=self.required)


def read_amount(values: Values, name: str, *, required: bool = False) -> Decimal | None:
    """An amount in ¥ (two decimals) from ``values[name]``; a bad one, or a missing one
    when ``required``, is a field error."""
    text = values.get(name)
    if not text:
        if required:
            values.error(name, _("Enter the amount."))
        return None
    amount = parse.decimal(text, low=Decimal(0), high=MAX_AMOUNT, places=2)
    if amount is None:
        values.error(name, _("Enter an amount such as 5000 or 199.50."))
    return amount


@dataclass(frozen=True, kw_only=True)
class DateTimeRange(Field):
    """A start and an end (two ``datetime-local`` inputs, ``<name>_start`` and
    ``<name>_end``, read in the organisation's time zone); the value is the pair in UTC.
    The end must be after the start, at most ``max_hours`` later; with ``future`` the
    start may not be in the past (a few minutes' grace)."""

    max_hours: int = 24 * 14
    future: bool = True
    widget: ClassVar[str] = "datetime_range"
    kind: ClassVar[str] = "datetime_range"

    @property
    def start_name(self) -> str:
        return f"{self.name}_start"

    @property
    def end_name(self) -> str:
        return f"{self.name}_end"

    def inputs(self) -> tuple[str, ...]:
        return (self.start_name, self.end_name, *self.keeps)

    async def read(self, values: Values, ctx: FormContext) -> tuple[datetime, datetime] | None:
        start_text, end_text = values.get(self.start_name), values.get(self.end_name)
        if not start_text and not end_text and not self.required:
            return None
        zone = ZoneInfo(ctx.time_zone)
        start, end = _local_moment(start_text, zone), _local_moment(end_text, zone)
        if start is None:
            values.error(self.start_name, _("Enter a date and time such as 2026-03-31 14:00."))
        if end is None:
            values.error(self.end_name, _("Enter a date and time such as 2026-03-31 15:00."))
        if start is None or end is None:
            return None
        if end <= start:
            values.error(self.end_name, _("The end must be after the start."))
        elif end - start > timedelta(hours=self.max_hours):
            values.error(
                self.end_name,
                _("At most %(n)d hours from the start.") % {"n": self.max_hours},
            )
        elif self.future and start < clock.now() - PAST_GRACE:
            values.error(self.start_name, _("The start is in the past."))
        else:
            return start, end
        return None

    def typed(self, values: Values, ctx: FormContext) -> str:
        return ""

    def describe(self, ctx: FormContext) -> dict[str, Any]:
        return {
            **super().describe(ctx),
            "inputs": [self.start_name, self.end_name],
            "max_hours": self.max_hours,
        }


PAST_GRACE = timedelta(minutes=5)


def _local_moment(text: str, zone: ZoneInfo) -> datetime | None:
    """``YYYY-MM-DDTHH:MM`` (or with a space, or ISO with an offset) as an aware UTC
    moment; a local time without an offset is in ``zone``. None for anything else."""
    if not text or len(text) > 32:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class PlaceChoice(Field):
    """A room of the organisation's places (``core.places``), chosen from a list of at
    most ``limit`` rooms by code; the value is the room's row (with its floor and
    building). Another organisation's room, or a building, is "choose one from the list"."""

    name: str = "place"
    label: Label = lambda _: _("Which room?")
    limit: int = 500
    widget: ClassVar[str] = "place"
    kind: ClassVar[str] = "place"

    async def read(self, values: Values, ctx: FormContext) -> dict[str, Any] | None:
        text = values.get(self.name)
        if not text:
            if self.required:
                values.error(self.name, _("Choose a room from the list."))
            return None
        place_id = parse.record_id(text)
        room = await places.get(ctx.org_id, place_id) if place_id is not None else None
        if room is None or room["kind"] != "room":
            values.error(self.name, _("Choose a room from the list."))
            return None
        return room

    async def prepare(self, values: Values, ctx: FormContext) -> Mapping[str, Any]:
        rooms = await places.rooms(ctx.org_id, limit=self.limit)
        return {"options": [(str(r["id"]), places.label(r)) for r in rooms]}

    def typed(self, values: Values, ctx: FormContext) -> str:
        return ""


@dataclass(frozen=True, kw_only=True)
class Photos(Field):
    """Photos (and PDFs unless ``accept`` says otherwise) sent with the request; the page
    reads the files after every other field is valid (a form with errors cannot keep
    them). ``capture`` opens the phone's camera first. Not on the API or the desk."""

    name: str = "files"
    label: Label = lambda _: _("Photos or PDF (optional)")
    capture: bool = False
    accept: str = "image/*,application/pdf"
    channels: frozenset[str] | None = frozenset({"pwa", "qr", "kiosk"})
    widget: ClassVar[str] = "photos"
    kind: ClassVar[str] = "photos"

    async def read(self, values: Values, ctx: FormContext) -> None:
        return None


REQUEST_FIELDS = ("kind", "title", "description", "location", "priority", "amount")


@dataclass(frozen=True)
class Filled:
    """A valid form: every field's value, the request they make, the approval facts."""

    values: Mapping[str, Any]
    request: NewRequest
    facts: Mapping[str, object]


@dataclass(frozen=True)
class ServiceForm:
    """The fields of a service's new-request form, in order, and what a submit does.

    ``title`` heads the page (default: the service's name); ``submit_label`` is the
    button's text. Subclass to shape the request from plugin fields
    (:meth:`request_of`) and to write the plugin's detail rows (:meth:`write`).
    """

    fields: tuple[Field, ...]
    title: Label | None = None
    submit_label: Label | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"a form names a field twice: {names}")

    def for_channel(self, channel: str) -> list[Field]:
        return [f for f in self.fields if f.shown(channel)]

    def photos(self, channel: str) -> Photos | None:
        """The photos field shown on ``channel``, if there is one."""
        return next((f for f in self.for_channel(channel) if isinstance(f, Photos)), None)

    def defaults(self, channel: str) -> dict[str, str]:
        """What a fresh form's choices start at (urgency: normal)."""
        return {
            f.name: f.default
            for f in self.for_channel(channel)
            if isinstance(f, Choice) and f.default
        }

    def keeps(self, channel: str) -> list[str]:
        """Input names a page may take from its address to prefill the form."""
        return [n for f in self.for_channel(channel) for n in f.inputs()]

    async def initial(self, values: dict[str, str], ctx: FormContext) -> dict[str, str]:
        """The values a fresh form starts with (``values``: the submit token and what
        the page's address carries); override to fill some in, e.g. the kind of fault
        from the asset a sticker names."""
        return values

    async def read(self, values: Values, ctx: FormContext) -> Filled | None:
        """Read and check every field of ``ctx.channel``; None when any is wrong (the
        messages are on ``values``)."""
        read: dict[str, Any] = {}
        for f in self.for_channel(ctx.channel):
            read[f.name] = await f.read(values, ctx)
        if values.errors:
            return None
        facts = {
            f.fact: read[f.name]
            for f in self.for_channel(ctx.channel)
            if f.fact and read.get(f.name) not in (None, "")
        }
        request = self.request_of(read, ctx)
        if request is None:
            return None
        return Filled(values=read, request=request, facts=facts)

    def request_of(self, values: Mapping[str, Any], ctx: FormContext) -> NewRequest | None:
        """The request the values make: the well-known fields as they are."""
        return NewRequest(
            kind=values.get("kind") or "",
            title=values.get("title") or "",
            description=values.get("description") or "",
            location=values.get("location") or "",
            priority=values.get("priority") or "normal",
            amount=values.get("amount"),
        )

    def channel_of(self, filled: Filled, ctx: FormContext) -> str:
        """The channel the request is recorded with: the page's (``ctx.channel``);
        override when the values say more (a phone report of a sticker's asset is ``qr``)."""
        return ctx.channel

    async def write(self, request_id: int, filled: Filled, ctx: FormContext) -> None:
        """Store the plugin's rows of a new request (inside the submit's transaction)."""

    def describe(self, ctx: FormContext) -> dict[str, Any]:
        """The form for an API client: its title and its fields on ``ctx.channel``."""
        return {
            "service": ctx.service.slug,
            "title": (self.title or ctx.service.name)(_),
            "fields": [f.describe(ctx) for f in self.for_channel(ctx.channel)],
        }


TITLE = Text(
    name="title",
    label=lambda _: _("What do you need?"),
    others_label=lambda _: _("What do they need?"),
    hint=lambda _: _("In a few words, e.g. “Meeting room 3 projector does not turn on”."),
    required=True,
    missing=lambda _: _("Say in a few words what you need."),
)
DESCRIPTION = LongText(name="description", label=lambda _: _("Details"))
LOCATION = Text(
    name="location", label=lambda _: _("Where?"), hint=lambda _: _("Building, floor, room")
)
AMOUNT = Amount(
    hint=lambda _: _("What it costs, if it costs anything: larger amounts need approval."),
)


def standard_form(service: ServiceType) -> ServiceForm:
    """The form of a service without one of its own: kind, title, details, where, the
    amount (if the service uses one), urgency and photos."""
    fields: list[Field] = [KindChoice(), TITLE, DESCRIPTION, LOCATION]
    if service.uses_amount:
        fields.append(AMOUNT)
    fields += [PriorityChoice(), Photos()]
    return ServiceForm(tuple(fields))


def form_of(service: ServiceType) -> ServiceForm:
    """The service's form: its own, or :func:`standard_form`."""
    own = service.form
    return own if isinstance(own, ServiceForm) else standard_form(service)


async def submit_form(
    ctx: FormContext,
    filled: Filled,
    *,
    idempotency_key: str | None,
    requester_id: int | None = None,
    department_id: int | None = None,
    attachments: Sequence[PreparedFile] = (),
    storage: Storage | None = None,
    then: Callable[[int], Awaitable[None]] | None = None,
) -> Submitted:
    """Submit a filled form: core ``submit`` with its facts, and the form's ``write``
    (then ``then(request_id)``, a follow link say) in the same transaction."""
    if ctx.actor is None:
        raise ValueError("submitting a form needs the actor who submits it")
    service_form = form_of(ctx.service)

    async def on_created(request_id: int) -> None:
        await service_form.write(request_id, filled, ctx)
        if then is not None:
            await then(request_id)

    return await submit(
        ctx.actor,
        ctx.service,
        filled.request,
        channel=service_form.channel_of(filled, ctx),
        idempotency_key=idempotency_key,
        requester_id=requester_id,
        department_id=department_id,
        facts=filled.facts,
        attachments=attachments,
        storage=storage,
        on_created=on_created,
    )
