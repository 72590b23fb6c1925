"""Indexes of the approval tables, led by the organisation (DESIGN §6).

"My approvals" reads open tasks by (org, user); a request's chain is read by
(org, request, position); the post-audit queue by (org, status); one audit per request.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
