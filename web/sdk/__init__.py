"""The houqin SDK: the one module a plugin imports (docs/plugins.md, "The SDK").

A plugin imports ``web.sdk`` and nothing else of core or web; ``make lint`` refuses
anything else (tests/contracts/imports.py). Everything here is covered by core's tests
and described in docs/plugins.md; what is not here is core's business and may change
without notice. When a plugin needs something core does not offer, it is added here,
with a docstring, a test and a line in docs/plugins.md, never reached around.

The SDK sits above core and web (it is the layer where the two meet for a plugin):
core never imports web, and nothing in core or web imports the SDK.

Sections, in the order of docs/plugins.md:

- declaring a plugin: :class:`PluginInfo`, :data:`hookimpl` and the descriptors that
  hooks return (service types, tiles, navigation, panels, report sections, jobs);
- people: :class:`Actor`, the role codes, audit, service accounts;
- core's tables that plugin tables point at or read;
- the lifecycle: submit, transition, add_event, after_commit, visibility, states;
- time and language: the clock, gettext, locales;
- data: transactions, search patterns, raw-SQL migrations, CSV, report formatting;
- files: uploads, attachments, storage;
- pages and routes: guards, forms, render, errors, live updates, query parameters,
  and the submit helpers shared by the phone, desk and API forms.
"""

from __future__ import annotations

from core import guests, places
from core.attachments import Limits, PreparedFile, UploadRefused, staged
from core.attachments import count as count_attachments
from core.attachments import record as record_attachments
from core.clock import local_today, now
from core.config import Settings
from core.db import icontains, write_transaction
from core.descriptors import (
    Figure,
    Kind,
    Label,
    NavItem,
    Panel,
    Period,
    Permission,
    PluginInfo,
    ReportSection,
    ServiceType,
    Tile,
)
from core.hookspecs import hookimpl
from core.i18n import catalogs_loaded, get_locale, gettext, load_catalogs, ngettext, use_locale
from core.identity.actor import Actor
from core.identity.roles import AGENT, AUDITOR, DISPATCHER, ORG_ADMIN, SERVICE_ADMIN
from core.identity.service import audit, enabled_plugins, load_actor, service_account
from core.jobs import Job, JobContext, enqueue
from core.lifecycle.actions import ActionContext, ActionRefused, NothingToDo, RequestAction
from core.lifecycle.approvals import ApprovalSubject
from core.lifecycle.feedback import TAGS as RATING_TAGS
from core.lifecycle.feedback import CannotRate, rate
from core.lifecycle.forms import (
    AMOUNT,
    DESCRIPTION,
    LOCATION,
    TITLE,
    Amount,
    Choice,
    DateTimeRange,
    Field,
    Filled,
    FormContext,
    KindChoice,
    LongText,
    Phone,
    Photos,
    PlaceChoice,
    PriorityChoice,
    ServiceForm,
    Text,
    Values,
    form_of,
    standard_form,
    submit_form,
)
from core.lifecycle.forms import NotFound as FormNotFound
from core.lifecycle.inbox import is_staff_for
from core.lifecycle.kernel import Conflict, add_event, after_commit, transition, update_request
from core.lifecycle.states import (
    IN_HAND,
    OPEN,
    PAUSED,
    Action,
    IllegalTransition,
    Status,
    legal_from,
    stepper,
)
from core.lifecycle.submit import PRIORITIES, NewRequest, Submitted, submit
from core.lifecycle.visibility import visible_to
from core.migration_steps import raw_sql_migration
from core.notifications import Message, NotificationChannel, Undeliverable
from core.parse import clean_text
from core.parse import decimal as parse_decimal
from core.parse import integer as parse_integer
from core.parse import record_id as parse_id
from core.printouts import Branding, Printout, Sticker, StickerSheet, branding_of, qr_svg
from core.reports import NONE, as_int, hours, in_period, money, number, percent, seconds_between
from core.storage import Storage
from core.tables import (
    Department,
    GuestFollow,
    Organisation,
    Place,
    RequestEvent,
    ServiceRequest,
    Team,
    TeamMember,
    User,
)
from core.tabular import CsvError, csv_text, read_rows
from web.auth import RESOLVE_ORG, current_actor, permission_required, public_found, visible_or_404
from web.errors import Refused, changed_meanwhile
from web.forms import Form
from web.live import announce, event_stream
from web.params import BodyId, Cursor, Offset, OptionalId
from web.printing import pdf_response
from web.routes.api import submit_key, unprocessable
from web.routes.requests import priority_label, show_submitted
from web.service_forms import (
    Reading,
    form_context,
    prefilled,
    read_service_form,
    submit_token,
)
from web.templating import render
from web.uploads import UPLOADS, file_parts, limits_of, read_uploads, storage_of

__all__ = [
    "AGENT",
    "AMOUNT",
    "AUDITOR",
    "DESCRIPTION",
    "DISPATCHER",
    "IN_HAND",
    "LOCATION",
    "NONE",
    "OPEN",
    "ORG_ADMIN",
    "PAUSED",
    "PRIORITIES",
    "RATING_TAGS",
    "RESOLVE_ORG",
    "SERVICE_ADMIN",
    "TITLE",
    "UPLOADS",
    "Action",
    "ActionContext",
    "ActionRefused",
    "Actor",
    "Amount",
    "ApprovalSubject",
    "BodyId",
    "Branding",
    "CannotRate",
    "Choice",
    "Conflict",
    "CsvError",
    "Cursor",
    "DateTimeRange",
    "Department",
    "Field",
    "Figure",
    "Filled",
    "Form",
    "FormContext",
    "FormNotFound",
    "GuestFollow",
    "IllegalTransition",
    "Job",
    "JobContext",
    "Kind",
    "KindChoice",
    "Label",
    "Limits",
    "LongText",
    "Message",
    "NavItem",
    "NewRequest",
    "NothingToDo",
    "NotificationChannel",
    "Offset",
    "OptionalId",
    "Organisation",
    "Panel",
    "Period",
    "Permission",
    "Phone",
    "Photos",
    "Place",
    "PlaceChoice",
    "PluginInfo",
    "PreparedFile",
    "Printout",
    "PriorityChoice",
    "Reading",
    "Refused",
    "ReportSection",
    "RequestAction",
    "RequestEvent",
    "ServiceForm",
    "ServiceRequest",
    "ServiceType",
    "Settings",
    "Status",
    "Sticker",
    "StickerSheet",
    "Storage",
    "Submitted",
    "Team",
    "TeamMember",
    "Text",
    "Tile",
    "Undeliverable",
    "UploadRefused",
    "User",
    "Values",
    "add_event",
    "after_commit",
    "announce",
    "as_int",
    "audit",
    "branding_of",
    "catalogs_loaded",
    "changed_meanwhile",
    "clean_text",
    "count_attachments",
    "csv_text",
    "current_actor",
    "enabled_plugins",
    "enqueue",
    "event_stream",
    "file_parts",
    "form_context",
    "form_of",
    "get_locale",
    "gettext",
    "guests",
    "hookimpl",
    "hours",
    "icontains",
    "in_period",
    "is_staff_for",
    "legal_from",
    "limits_of",
    "load_actor",
    "load_catalogs",
    "local_today",
    "money",
    "ngettext",
    "now",
    "number",
    "parse_decimal",
    "parse_id",
    "parse_integer",
    "pdf_response",
    "percent",
    "permission_required",
    "places",
    "prefilled",
    "priority_label",
    "public_found",
    "qr_svg",
    "rate",
    "raw_sql_migration",
    "read_rows",
    "read_service_form",
    "read_uploads",
    "record_attachments",
    "render",
    "seconds_between",
    "service_account",
    "show_submitted",
    "staged",
    "standard_form",
    "stepper",
    "storage_of",
    "submit",
    "submit_form",
    "submit_key",
    "submit_token",
    "transition",
    "unprocessable",
    "update_request",
    "use_locale",
    "visible_or_404",
    "visible_to",
    "write_transaction",
]
