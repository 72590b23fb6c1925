"""Indexes of the approval tables, led by the organisation (DESIGN §6).

"My approvals" reads open tasks by (org, user); a request's chain is read by
(org, request, position); the post-audit queue by (org, status); one audit per request.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T11:51:46:000001"
VERSION = "1.38.0"
DESCRIPTION = "approval indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_approval_rule_org ON core_approval_rule (org, service, position)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_approval_step_uniq "
    "ON core_approval_step (org, request, position)",
    'CREATE INDEX IF NOT EXISTS core_approval_task_user ON core_approval_task (org, "user", open, id)',
    "CREATE INDEX IF NOT EXISTS core_approval_task_step ON core_approval_task (org, step)",
    "CREATE INDEX IF NOT EXISTS core_delegation_org ON core_delegation (org, delegator, ends)",
    "CREATE INDEX IF NOT EXISTS core_post_audit_status ON core_post_audit (org, status, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_post_audit_request ON core_post_audit (org, request)",
]


forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)
