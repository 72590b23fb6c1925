"""Hook implementations of the key-loans plugin: a service type, two request actions,
their timeline labels and a report section. Everything of houqin comes from ``web.sdk``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.sdk import (
    IN_HAND,
    Action,
    Actor,
    Kind,
    KindChoice,
    Label,
    Period,
    ReportSection,
    RequestAction,
    ServiceForm,
    ServiceType,
    Text,
    hookimpl,
    legal_from,
)

# The form, as data: core draws it on the phone and on the desk and reads it from the API.
KEYS_FORM = ServiceForm(
    (
        KindChoice(label=lambda _: _("Which kind of key?")),
        Text(
            name="title",
            label=lambda _: _("Which key?"),
            others_label=lambda _: _("Which key do they need?"),
            hint=lambda _: _("As on its tag, e.g. “仓库 B”."),
            required=True,
            missing=lambda _: _("Say which key you need."),
        ),
        Text(name="description", label=lambda _: _("What for, and until when?")),
    ),
    title=lambda _: _("Borrow a key"),
    submit_label=lambda _: _("Ask for the key"),
)

SLUG = "keys"
HANDED_OVER = "keys.handed_over"  # timeline events (and action codes) start with the slug
RETURNED = "keys.returned"

KEYS = ServiceType(
    slug=SLUG,
    name=lambda _: _("Key loans"),
    description=lambda _: _("Borrow a key from the front desk"),
    icon="key",
    prefix="YS",  # 钥匙 (yàoshi): YS-20261124-0001
    kinds=(
        Kind("room", lambda _: _("Office or meeting-room key")),
        Kind("store", lambda _: _("Store-room or warehouse key")),
    ),
    # Nobody approves a key loan: the front desk knows who may have which key.
    uses_approval=False,
    # Dispatch on: a new request goes straight to a member of the organisation's "keys"
    # team (the front desk), who becomes its assignee, and the actions below are the
    # assignee's. Without such a team it waits on the desk until a dispatcher assigns it.
    uses_dispatch=True,
    order=40,
    form=KEYS_FORM,
)

# Where each step applies, read from core's state machine (never restated):
WAITING = legal_from(Action.START) & IN_HAND  # assigned: the key is still on its hook
OUT = legal_from(Action.RESOLVE) & IN_HAND  # handed over and not back yet

# "Handed over" starts the work (the status then says the key is out, and only from
# there can "returned" resolve it); its event puts "Key handed over" on the timeline.
HAND_OVER = RequestAction(
    HANDED_OVER,
    lambda _: _("Hand the key over"),
    WAITING,
    transition=Action.START,
    event=HANDED_OVER,
    note="optional",
    note_hint=lambda _: _("Which key, or anything to remember (optional)"),
    first_response=True,
    primary=True,
    icon="key",
    done=lambda _: _("Noted: the key is out."),
    order=10,
)

TAKE_BACK = RequestAction(
    RETURNED,
    lambda _: _("The key is back"),
    OUT,
    transition=Action.RESOLVE,
    event=RETURNED,
    note="optional",
    primary=True,
    icon="circle-check",
    done=lambda _: _("Noted: the key is back on its hook."),
    order=10,
)

__all__ = [
    "register_service_types",
    "report_sections",
    "request_actions",
    "timeline_event_labels",
]


@hookimpl
def register_service_types() -> list[ServiceType]:
    """The ``keys`` service type. Core shows it as a tile on the home screen, leading to
    its form at ``/new/keys``: no ``home_tiles`` of our own."""
    return [KEYS]


@hookimpl
def request_actions(actor: Actor, request: Mapping[str, Any]) -> list[RequestAction] | None:
    """Both steps of a key loan, whatever its status: core keeps those that apply now."""
    return [HAND_OVER, TAKE_BACK] if request["service"] == SLUG else None


@hookimpl
def timeline_event_labels() -> dict[str, Label]:
    """How the timeline names the events the two actions record."""
    return {
        HANDED_OVER: lambda _: _("Key handed over"),
        RETURNED: lambda _: _("Key returned"),
    }


@hookimpl
async def report_sections(org_id: int, period: Period) -> list[ReportSection]:
    """The key-loans section of ``/desk/reports`` (one query, see ``report.py``)."""
    from houqin_keys.report import sections

    return await sections(org_id, period)
