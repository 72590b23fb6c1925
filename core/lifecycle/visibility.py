"""Who may see a request: one predicate for lists and detail pages alike."""

from __future__ import annotations

from typing import Any

from core.identity.actor import Actor
from core.identity.roles import AUDITOR, DISPATCHER, ORG_ADMIN
from core.tables import ApprovalTask, ServiceRequest


def visible_to(actor: Actor) -> Any:
    """The one authorisation predicate for lists and detail pages alike (DESIGN §9).

    A request is visible to its requester, whoever submitted it for them, its
    assignee, anyone asked to approve it, org admins, auditors and dispatchers, and the
    service admins of its service.
    """
    where = ServiceRequest.org == actor.org_id
    if actor.has_role(ORG_ADMIN) or actor.has_role(AUDITOR) or actor.has_role(DISPATCHER):
        return where
    mine = (
        (ServiceRequest.requester == actor.user_id)
        | (ServiceRequest.submitted_by == actor.user_id)
        | (ServiceRequest.assignee == actor.user_id)
        | ServiceRequest.id.is_in(
            ApprovalTask.select(ApprovalTask.request).where(
                (ApprovalTask.org == actor.org_id) & (ApprovalTask.user == actor.user_id)
            )
        )
    )
    administered = actor.administered_services
    if administered:
        mine |= ServiceRequest.service.is_in(administered)
    return where & mine


__all__ = ["visible_to"]
