"""Request actions, declared once: what a person can do on a request.

A plugin — and core itself, through its default plugin — answers the ``request_actions``
hook with :class:`RequestAction` values: a code, a label, who may take it, the statuses
where it applies (read from the state machine, never restated), what it needs (a note,
photos) and its effect — a core transition, a plugin callback, or both. Core renders
them on the request page (one primary button, the rest secondary), takes them at
``POST /requests/{number}/actions/{code}`` and ``POST /api/v1/requests/{number}/actions/
{code}``, and runs :func:`take`: one write transaction that checks the request's status,
its version and who holds it, stores the photos all or nothing, applies the transition,
runs the callback and stamps the first response when the action counts as one.

Pure declarations plus one executor: no web imports (core never imports web).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.attachments import PreparedFile, UploadRefused, staged
from core.attachments import count as count_attachments
from core.attachments import record as record_attachments
from core.clock import now
from core.db import write_transaction
from core.descriptors import Label
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.kernel import Conflict, add_event, after_commit, transition, update_request
from core.lifecycle.states import Action, Status
from core.plugins import collect
from core.storage import Storage
from core.tables import ServiceRequest

Need = Literal["required", "optional"] | None
Who = Literal["assignee", "requester"]
MAX_NOTE = 2000


class ActionRefused(Exception):
    """The action cannot be taken with this input; ``field`` (``note``, ``photos`` or
    ``""`` for the action as a whole) says where the message belongs on the form."""

    def __init__(self, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.status_code = field, message, status_code
        self.action = ""  # the code of the action refused, set by whoever shows it


class NothingToDo(Exception):
    """Raised by an effect when the action has been taken already (the technician said
    "on the way" before): the transaction is rolled back and :func:`take` answers False."""


@dataclass(frozen=True)
class ActionContext:
    """What an action's ``effect`` gets, inside core's write transaction: the request
    row as read for the page, the note typed, the moment of the change and how many
    photos were stored with it."""

    actor: Actor
    request: Mapping[str, Any]
    note: str
    moment: datetime
    photos: int = 0


Effect = Callable[[ActionContext], Awaitable[None]]
AfterCommit = Callable[[Actor, Mapping[str, Any]], Awaitable[None]]
Condition = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class RequestAction:
    """One thing a person can do on a request.

    - ``code``: unique per organisation (core's are plain words, a plugin's
      ``<slug>.<what>``); it is the last part of the action's URL.
    - ``who``: ``"assignee"`` (the person the request is assigned to) or
      ``"requester"``; checked again inside the transaction.
    - ``statuses``: where it applies, e.g. ``legal_from(Action.HOLD) & IN_HAND``.
    - ``transition``: the core action applied (``None``: the request's status stays and
      ``event`` is recorded on the timeline instead).
    - ``effect``: a coroutine run inside the same transaction after the transition; it
      writes the plugin's rows, may raise :class:`ActionRefused` or :class:`NothingToDo`.
    - ``note`` / ``photos``: ``"required"``, ``"optional"`` or ``None`` (not asked);
      ``note_hint`` labels the note field; ``note_prefix`` starts the recorded note
      ("Waiting for parts: fuse 10 A").
    - ``first_response``: taking it counts as the staff's first response.
    - ``changes``: columns written with the transition (decline: ``assignee`` cleared);
      ``data``: stored with its timeline event.
    - ``when``: an extra condition on the request row (accept: nobody has answered yet).
    - ``after``: run after the commit (decline: dispatch again).
    - ``primary``: the page shows one primary button (the first applicable one).
    - ``prompt``: a sentence on the page of an action that takes photos.
    - ``confirm``: a question the browser asks before it posts (the action then has a
      form of its own); ``unavailable``: what to say when it no longer applies (default:
      the request changed in the meantime).
    - ``done``: the message after it worked; ``then``: where the person goes next.
    """

    code: str
    label: Label
    statuses: frozenset[Status]
    who: Who = "assignee"
    transition: Action | None = None
    effect: Effect | None = None
    event: str = ""
    public: bool = True
    note: Need = None
    note_hint: Label | None = None
    note_prefix: Label | None = None
    photos: Need = None
    first_response: bool = False
    changes: Mapping[Any, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    when: Condition | None = None
    after: AfterCommit | None = None
    primary: bool = False
    danger: bool = False
    icon: str = ""
    prompt: Label | None = None
    confirm: Label | None = None
    unavailable: Label | None = None
    done: Label | None = None
    then: Literal["request", "tasks"] = "request"
    order: int = 100

    def __post_init__(self) -> None:
        if not self.code or len(self.code) > 40 or not self.code.replace(".", "_").isidentifier():
            raise ValueError(f"action code {self.code!r}: letters, digits, _ and . only")
        if len(self.event) > 32:  # RequestEvent.kind
            raise ValueError(f"action {self.code!r}: event {self.event!r} is over 32 characters")
        if self.transition is None and self.effect is None and not self.event:
            raise ValueError(
                f"action {self.code!r} does nothing: give a transition, effect or event"
            )

    def is_for(self, actor: Actor, request: Mapping[str, Any]) -> bool:
        """Whether ``actor`` is the person (``who``) this action is for on ``request``."""
        holder = request["assignee"] if self.who == "assignee" else request["requester"]
        return holder is not None and holder == actor.user_id

    def applies(self, actor: Actor, request: Mapping[str, Any]) -> bool:
        """Whether ``actor`` may take it on ``request`` as it is now."""
        return (
            self.is_for(actor, request)
            and Status(request["status"]) in self.statuses
            and (self.when is None or self.when(request))
        )


def applicable(
    actions: Iterable[RequestAction], actor: Actor, request: Mapping[str, Any]
) -> list[RequestAction]:
    """The actions ``actor`` may take on ``request`` now: primary ones first, then by
    ``order`` (the page shows the first as its one primary button)."""
    return sorted(
        (a for a in actions if a.applies(actor, request)),
        key=lambda a: (not a.primary, a.order, a.code),
    )


async def declared(actor: Actor, request: Mapping[str, Any]) -> dict[str, RequestAction]:
    """Every action the organisation's enabled plugins (and core) declare for
    ``request``, by code, whatever its status."""
    answers = await collect(actor.hooks.request_actions(actor=actor, request=request))
    return {a.code: a for a in answers if isinstance(a, RequestAction)}


async def offered(actor: Actor, request: Mapping[str, Any]) -> list[RequestAction]:
    """The actions ``actor`` may take on ``request`` now, in the page's order."""
    return applicable((await declared(actor, request)).values(), actor, request)


def check_input(action: RequestAction, note: str, photos: int) -> str:
    """The note, trimmed; :class:`ActionRefused` when a required note or photo is
    missing, the note is too long or photos are sent where none are asked."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ActionRefused("note", _("At most %(n)d characters.") % {"n": MAX_NOTE})
    if action.note == "required" and not note:
        raise ActionRefused("note", _("Add a short note: the requester and the team will see it."))
    if action.photos == "required" and not photos:
        raise ActionRefused("photos", _("Take at least one photo of the result."))
    if action.photos is None and photos:
        raise ActionRefused("photos", _("This step takes no photos."))
    return note


async def take(
    actor: Actor,
    request: Mapping[str, Any],
    action: RequestAction,
    *,
    note: str = "",
    files: Sequence[PreparedFile] = (),
    storage: Storage | None = None,
    max_files: int = 0,
    expected_version: int | None = None,
) -> bool:
    """Take ``action`` on ``request`` for ``actor``, all or nothing.

    Checks the input (:class:`ActionRefused`), then in one write transaction: stores
    ``files`` as the request's attachments (the bytes are deleted again if anything
    fails; ``UploadRefused`` past ``max_files``), applies the transition (or checks
    status, holder and version and records ``event``), runs the effect. Raises
    :class:`Conflict` or ``IllegalTransition`` when the request changed meanwhile.
    Returns False when the effect said there was nothing to do.
    """
    if not action.applies(actor, request):
        raise Conflict(request["id"])
    note = check_input(action, note, len(files))
    if action.note_prefix is not None:
        prefix = action.note_prefix(_)
        note = f"{prefix}: {note}" if note else prefix
    org_id, request_id = actor.org_id, request["id"]
    engine = ServiceRequest._meta.db
    try:
        async with staged(storage, files) as stored, write_transaction(engine):
            moment = now()
            if stored:
                if await count_attachments(org_id, request_id) + len(stored) > max_files:
                    raise UploadRefused(UploadRefused.TOO_MANY, limit=max_files)
                await record_attachments(org_id, request_id, actor.user_id, stored, moment)
            if action.transition is not None:
                await transition(
                    actor,
                    org_id,
                    request_id,
                    action.transition,
                    message=note,
                    public=action.public,
                    expected_version=expected_version,
                    data={**action.data, **({"photos": len(stored)} if stored else {})},
                    changes=dict(action.changes),
                    first_response=action.first_response,
                    assignee_only=action.who == "assignee",
                )
            else:
                await update_request(
                    actor,
                    request_id,
                    action.statuses,
                    expected_version=expected_version,
                    assignee_only=action.who == "assignee",
                    first_response=action.first_response,
                    changes=dict(action.changes),
                )
            if action.effect is not None:
                await action.effect(ActionContext(actor, request, note, moment, len(stored)))
            if action.event:
                await add_event(
                    org_id,
                    request_id,
                    actor.user_id,
                    action.event,
                    message=note if action.transition is None else "",
                    public=action.public,
                )
    except NothingToDo:
        return False
    await after_commit(org_id)
    if action.after is not None:
        await action.after(actor, request)
    return True


__all__ = [
    "ActionContext",
    "ActionRefused",
    "NothingToDo",
    "RequestAction",
    "applicable",
    "check_input",
    "declared",
    "offered",
    "take",
]
