"""What a notification says, worded when shown (in the reader's language).

Shared by the in-app list (web/routes/notifications.py) and every outgoing channel,
which word it in the recipient's language (``core.i18n.use_locale``).
"""

from __future__ import annotations

from core.i18n import gettext as _
from core.lifecycle.states import status_label


def notification_text(kind: str) -> str:
    """One short line for a notification kind, in the active language."""
    if kind == "approval_needed":
        return _("Waiting for your approval")
    approvals = {
        "approval:again": _("Back to approval after a change"),
        "approval:reassigned": _("An approval was passed to you"),
        "task:withdrawn": _("Task withdrawn: the request needs approval again"),
    }
    if kind in approvals:
        return approvals[kind]
    watch = {
        "approval:reminder": _("Reminder: still waiting for your approval"),
        "approval:escalated": _("Overdue approval passed to you"),
        "sla:warning": _("Due within the hour"),
        "sla:breached:response": _("Response target missed"),
        "sla:breached:resolution": _("Resolution target missed"),
    }
    if kind in watch:
        return watch[kind]
    if kind.startswith("status:"):
        status = kind.split(":", 1)[1]
        return {
            "approved": _("Approved: it goes to the team now"),
            "rejected": _("Rejected: see the reason"),
            "assigned": _("New task for you"),
            "in_progress": _("Work has started"),
            "on_hold": _("On hold: see why"),
            "resolved": _("Done: please confirm and rate"),
            "cancelled": _("Cancelled by the requester"),
            "reopened": _("Reopened: something is still wrong"),
        }.get(status, status_label(status, _))
    return kind
