"""Core tables: organisations, departments, users, roles, plugin switches, tokens, audit.

Every table that belongs to an organisation carries ``org`` and its unique constraints
and main indexes lead with it (DESIGN §6), so the schema can be sharded by organisation.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organisation(Table, tablename="core_organisation"):
    """A tenant: every other row belongs to exactly one organisation (``org``)."""

    slug = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    default_locale = Varchar(length=10, default="zh_CN")
    brand_colour = Varchar(length=7, default="#1d64d8")
    time_zone = Varchar(length=64, default="Asia/Shanghai")
    # Business calendar for SLA clocks (core.lifecycle.sla.BusinessCalendar.to_dict());
    # empty means the default Mon–Fri 09:00–12:00, 13:00–18:00 in the org's time zone.
    calendar = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class Department(Table, tablename="core_department"):
    """A department of an organisation; ``parent`` makes the tree, ``head`` approves."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    parent = ForeignKey(references="self", null=True, on_delete=OnDelete.restrict)
    # The head is a user of the same organisation; kept as an id (users reference
    # departments, and a cycle of foreign keys cannot be created in one migration).
    head_user_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Place(Table, tablename="core_place"):
    """A building, a floor of a building or a room of a floor (``kind``): the places every
    service points at (a repair's room, a meeting room, a visitor's host desk).

    A room may carry an opaque ``qr_token`` for its door sticker (revocable: a new one
    makes the old sticker stop working). ``code`` is the organisation's own ("A301").
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    parent = ForeignKey(references="self", null=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=16, default="room")  # building / floor / room
    name = Varchar(length=100)
    code = Varchar(length=50, default="")
    qr_token = Varchar(length=64, null=True, default=None, unique=True)


class User(Table, tablename="core_user"):
    """A person (or a service account) of one organisation, with a unique login."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    login = Varchar(length=150, unique=True)
    display_name = Varchar(length=200)
    email = Varchar(length=254, default="")
    phone = Varchar(length=32, default="")
    department = ForeignKey(
        references=Department, null=True, on_delete=OnDelete.set_null, index=True
    )
    locale = Varchar(length=10, null=True, default=None)
    password_hash = Varchar(length=255)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Sessions carry the epoch they began in; raising it (a password change, an
    # admin's new password, a deactivation or reactivation) ends every older session.
    session_epoch = Integer(default=0)


class RoleGrant(Table, tablename="core_role_grant"):
    """A role held by a user; ``scope`` is a service slug for scoped roles, else ''."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=32)
    scope = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class PluginSetting(Table, tablename="core_plugin_setting"):
    """Whether an organisation has switched an installed plugin on."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    slug = Varchar(length=64)
    enabled = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table, tablename="core_api_token"):
    """A personal API token; only its SHA-256 is stored, it carries its owner's rights."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class AuditEntry(Table, tablename="core_audit_entry"):
    """Who changed what in administration (users, roles, plugins, tokens, logins)."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    actor_id = Integer(null=True, default=None)
    action = Varchar(length=64)
    target = Varchar(length=200, default="")
    detail = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class ServiceRequest(Table, tablename="core_request"):
    """What every request has, whatever its service type (DESIGN §4).

    Plugin detail lives in the plugin's own tables keyed by request id. ``version``
    rises with every change, so concurrent changes are detected, never lost.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    number = Varchar(length=32)
    service = Varchar(length=64)
    kind = Varchar(length=64, default="")
    title = Varchar(length=200)
    summary = Varchar(length=300, default="")
    description = Text(default="")
    requester = ForeignKey(references=User, on_delete=OnDelete.restrict)
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null)
    submitted_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    channel = Varchar(length=16, default="pwa")
    status = Varchar(length=24, default="submitted")
    priority = Varchar(length=16, default="normal")
    location = Varchar(length=200, default="")
    amount = Numeric(digits=(14, 2), null=True, default=None)
    cost = Numeric(digits=(14, 2), null=True, default=None)
    assignee = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    team_id = Integer(null=True, default=None)
    approval_mode = Varchar(length=16, default="auto")
    response_due_at = Timestamptz(null=True, default=None)
    resolution_due_at = Timestamptz(null=True, default=None)
    # Set once by the SLA watch job (conditional updates keep it idempotent).
    sla_warned_at = Timestamptz(null=True, default=None)
    response_breached_at = Timestamptz(null=True, default=None)
    resolution_breached_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(default=TimestamptzNow())
    first_response_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)
    # A random draw 0..99 taken at submit: a filed (备案) request is sampled for
    # post-audit when the draw is under the rule's percentage. Stored, so an edit that
    # re-routes the request does not draw again; random, so nobody can predict it.
    audit_draw = Integer(null=True, default=None)


class RequestEvent(Table, tablename="core_request_event"):
    """One line of a request's timeline; the source of truth for analytics."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=32)
    from_status = Varchar(length=24, default="")
    to_status = Varchar(length=24, default="")
    public = Boolean(default=True)
    message = Text(default="")
    data = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class GuestFollow(Table, tablename="core_guest_follow"):
    """A follow link for someone without an account who sent (or joined) a request: a
    sticker reporter, later a kiosk visitor.

    The link carries a random token; only its SHA-256 is stored. ``reporter`` marks the
    person who sent the request: only they may rate it from the link. The phone number
    is blanked a while after the request closes (``core.guests.PHONE_RETENTION``).
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    name = Varchar(length=100)
    phone = Varchar(length=32)
    reporter = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class RequestCounter(Table, tablename="core_request_counter"):
    """Last sequence number handed out per organisation, number prefix and day."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    prefix = Varchar(length=8)
    day = Varchar(length=8)
    last = Integer(default=0)


class IdempotencyKey(Table, tablename="core_idempotency_key"):
    """A submit key seen once per user: a replayed submit returns the first request."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    key = Varchar(length=128)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())


class ApprovalRule(Table, tablename="core_approval_rule"):
    """One rule of an organisation's ordered approval policy (first match wins)."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    position = Integer(default=100)
    name = Varchar(length=200)
    service = Varchar(length=64, default="*")
    kinds = JSON(default="[]")
    min_amount = Numeric(digits=(14, 2), null=True, default=None)
    max_amount = Numeric(digits=(14, 2), null=True, default=None)
    departments = JSON(default="[]")
    requester_roles = JSON(default="[]")
    facts = JSON(default="{}")
    mode = Varchar(length=16, default="auto")
    steps = JSON(default="[]")
    sample_percent = Integer(default=0)
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ApprovalStep(Table, tablename="core_approval_step"):
    """A step of a request's approval chain, in order; only one is pending at a time."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    position = Integer()
    spec = JSON(default="{}")
    status = Varchar(length=16, default="waiting")
    on_behalf_of = JSON(default="{}")
    decided_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    decided_at = Timestamptz(null=True, default=None)
    comment = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    escalated_at = Timestamptz(null=True, default=None)  # overdue: org admins added


class ApprovalTask(Table, tablename="core_approval_task"):
    """One person who may act on a pending step (any one of them decides).

    A row per candidate keeps "my approvals" an indexed lookup on both engines.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    step = ForeignKey(references=ApprovalStep, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    open = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    reminded_at = Timestamptz(null=True, default=None)


class Delegation(Table, tablename="core_delegation"):
    """While away, an approver's steps go to a delegate (dates inclusive)."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    delegator = ForeignKey(references=User, on_delete=OnDelete.cascade)
    delegate = ForeignKey(references=User, on_delete=OnDelete.cascade)
    starts = Date()
    ends = Date()
    created_at = Timestamptz(default=TimestamptzNow())


class PostAudit(Table, tablename="core_post_audit"):
    """A filed (备案) request sampled for checking afterwards by an auditor."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    status = Varchar(length=16, default="pending")
    auditor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class Team(Table, tablename="core_team"):
    """A service team; new approved requests of its service are dispatched to it."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    service = Varchar(length=64)
    name = Varchar(length=200)
    kinds = JSON(default="[]")  # kinds this team takes; empty = every kind
    strategy = Varchar(length=16, default="least_load")
    active = Boolean(default=True)


class TeamMember(Table, tablename="core_team_member"):
    """An agent of a team, on or off duty, with the kinds they are skilled for."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    team = ForeignKey(references=Team, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    on_duty = Boolean(default=True)
    skills = JSON(default="[]")
    last_assigned_at = Timestamptz(null=True, default=None)


class Rating(Table, tablename="core_rating"):
    """The requester's rating of a resolved request: one per request (unique index)."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    rater = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    service = Varchar(length=64)
    assignee_id = Integer(null=True, default=None)
    score = Integer()
    tags = JSON(default="[]")
    comment = Text(default="")
    follow_up = Varchar(length=8, default="")  # "" none, "open", "done" (low ratings)
    follow_up_note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SlaPolicy(Table, tablename="core_sla_policy"):
    """Response and resolution targets in business minutes, per service and priority.

    ``service``/``priority`` may be "*"; the most specific policy wins.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    service = Varchar(length=64, default="*")
    priority = Varchar(length=16, default="*")
    response_minutes = Integer()
    resolution_minutes = Integer()


class Notification(Table, tablename="core_notification"):
    """An in-app notification for one user (other channels hang off deliver_notification)."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, null=True, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)
    data = JSON(default="{}")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class NotificationPreference(Table, tablename="core_notification_preference"):
    """One user's notification choices (core/notifications/preferences.py).

    ``choices`` maps channel → event group → ``immediate``/``digest``/``off``; a missing
    entry (or no row at all) means the channel's default. Quiet hours are local times
    in the organisation's time zone ("22:00"–"08:00"); "" means none. One row per user
    (unique index on org, user).
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    choices = JSON(default="{}")
    quiet_start = Varchar(length=5, default="")
    quiet_end = Varchar(length=5, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class NotificationDelivery(Table, tablename="core_notification_delivery"):
    """Outbox and delivery log: one row per notification and channel (e-mail, plugins').

    Written in the notification's own transaction, so nothing is lost if the process
    dies before sending; jobs send what is due (core/notifications/outbox.py).
    ``status``: queued → sending (claimed; ``due_at`` is then the end of the lease) →
    sent, or back to queued with a later ``due_at`` after a failure, failed after the
    last attempt; skipped when the user chose "off" or the channel cannot reach them.
    ``mode`` is ``immediate`` or ``digest`` (sent in the daily digest).
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    notification = ForeignKey(references=Notification, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    channel = Varchar(length=32)
    mode = Varchar(length=16, default="immediate")
    status = Varchar(length=16, default="queued")
    due_at = Timestamptz(default=TimestamptzNow())
    attempts = Integer(default=0)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class Attachment(Table, tablename="core_attachment"):
    """A photo or PDF on a request; the bytes live in storage under ``storage_key``.

    ``name`` is the sanitised original file name (display and download name only);
    ``content_type`` is what the server found in the bytes, never what the client
    claimed. Images were re-encoded (EXIF gone), ``thumb_key`` holds a small preview.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    uploaded_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=120)
    content_type = Varchar(length=64)
    size = Integer()
    storage_key = Varchar(length=128)
    thumb_key = Varchar(length=128, default="")
    sha256 = Varchar(length=64)
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Suggestion(Table, tablename="core_suggestion"):
    """An entry in the suggestion box (意见箱, DESIGN §4 Feedback).

    ``author`` is NULL when it was sent anonymously, and then nothing else names the
    author either: no audit entry, no user in the request log, ``created_at`` rounded
    down to the hour; the author reads replies with a receipt code, of which only the
    SHA-256 (``receipt_hash``) is kept. ``submit_token`` (unique per org) makes a
    replayed form submit create nothing.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    topic = Varchar(length=24)
    body = Text()
    status = Varchar(length=16, default="new")
    receipt_hash = Varchar(length=64, null=True, default=None)
    submit_token = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    replied_at = Timestamptz(null=True, default=None)


class SuggestionReply(Table, tablename="core_suggestion_reply"):
    """An answer to a suggestion: a reply text, a new status, or both; the author sees it."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    suggestion = ForeignKey(references=Suggestion, on_delete=OnDelete.cascade)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    body = Text(default="")
    status = Varchar(length=16, default="")  # the status set with it; "" unchanged
    created_at = Timestamptz(default=TimestamptzNow())


class SuggestionQuota(Table, tablename="core_suggestion_quota"):
    """Suggestions sent per author and day, for the daily limit.

    ``key`` is an HMAC of (org, user, day) under the server's secret, so the table
    never holds a user id and a day's key cannot be linked to another day's; rows of
    past days are deleted as new ones are written.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    key = Varchar(length=64)
    day = Varchar(length=8)
    used = Integer(default=0)


class LoginAttempt(Table, tablename="core_login_attempt"):
    """Sign-in attempts per account or client address in the current window.

    ``key`` is a hash of what is counted (never the login or address itself). One
    upsert counts an attempt and returns the new count, so concurrent attempts cannot
    overwrite each other (the embedded default; Redis ``INCR`` when scaled).
    """

    key = Varchar(length=64, unique=True)
    count = Integer(default=0)
    started = BigInt(default=0)  # the window's start, in Unix seconds (same on both engines)


CORE_TABLES: list[type[Table]] = [
    Organisation,
    Department,
    Place,
    User,
    RoleGrant,
    PluginSetting,
    ApiToken,
    AuditEntry,
    ServiceRequest,
    RequestEvent,
    GuestFollow,
    RequestCounter,
    IdempotencyKey,
    ApprovalRule,
    ApprovalStep,
    ApprovalTask,
    Delegation,
    PostAudit,
    Team,
    TeamMember,
    Rating,
    SlaPolicy,
    Notification,
    NotificationPreference,
    NotificationDelivery,
    Attachment,
    Suggestion,
    SuggestionReply,
    SuggestionQuota,
    LoginAttempt,
]
