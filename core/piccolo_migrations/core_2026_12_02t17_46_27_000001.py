"""What core's auto migration cannot say: composite indexes led by the organisation
(DESIGN §6), unique indexes that keep the lifecycle's invariants (one number per
organisation, one counter row per day, one idempotency key, one rating per request,
one approval step per position), the partial indexes of the watch jobs, and the rating
score's range (a CHECK on PostgreSQL, a trigger on SQLite, which cannot add a CHECK to an
existing table). Raw steps run before the tables of their own migration are created,
so they live in this migration of their own, after the tables'.

Each index serves a query named in docs/architecture.md (inbox, queues, timeline, my
approvals, the watch jobs, the suggestion box); ANALYZE refreshes the planner's
statistics so SQLite picks them.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-12-02T17:46:27:000001"
VERSION = "1.38.0"
DESCRIPTION = "core indexes and constraints"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS core_role_grant_uniq ON core_role_grant (org, "user", role, scope)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_plugin_setting_uniq ON core_plugin_setting (org, slug)',
    'CREATE INDEX IF NOT EXISTS core_user_org_id ON core_user (org, id)',
    'CREATE INDEX IF NOT EXISTS core_department_org_name ON core_department (org, name)',
    'CREATE INDEX IF NOT EXISTS core_audit_entry_org_id ON core_audit_entry (org, id)',
    'CREATE INDEX IF NOT EXISTS core_api_token_org_user ON core_api_token (org, "user")',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_request_org_number ON core_request (org, number)',
    'CREATE INDEX IF NOT EXISTS core_request_org_requester ON core_request (org, requester, id)',
    'CREATE INDEX IF NOT EXISTS core_request_org_status ON core_request (org, status, id)',
    'CREATE INDEX IF NOT EXISTS core_request_org_assignee ON core_request (org, assignee, status)',
    'CREATE INDEX IF NOT EXISTS core_request_org_service ON core_request (org, service, status, id)',
    'CREATE INDEX IF NOT EXISTS core_request_event_request ON core_request_event (org, request, id)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_request_counter_uniq ON core_request_counter (org, prefix, day)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_idempotency_key_uniq ON core_idempotency_key (org, "user", key)',
    'CREATE INDEX IF NOT EXISTS core_approval_rule_org ON core_approval_rule (org, service, position)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_approval_step_uniq ON core_approval_step (org, request, position)',
    'CREATE INDEX IF NOT EXISTS core_approval_task_user ON core_approval_task (org, "user", open, id)',
    'CREATE INDEX IF NOT EXISTS core_approval_task_step ON core_approval_task (org, step)',
    'CREATE INDEX IF NOT EXISTS core_delegation_org ON core_delegation (org, delegator, ends)',
    'CREATE INDEX IF NOT EXISTS core_post_audit_status ON core_post_audit (org, status, id)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_post_audit_request ON core_post_audit (org, request)',
    'CREATE INDEX IF NOT EXISTS core_team_service ON core_team (org, service, active)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_team_member_uniq ON core_team_member (org, team, "user")',
    'CREATE INDEX IF NOT EXISTS core_team_member_user ON core_team_member (org, "user")',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_rating_request ON core_rating (org, request)',
    'CREATE INDEX IF NOT EXISTS core_rating_follow_up ON core_rating (org, follow_up, id)',
    'CREATE INDEX IF NOT EXISTS core_rating_service ON core_rating (org, service, created_at)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_sla_policy_uniq ON core_sla_policy (org, service, priority)',
    'CREATE INDEX IF NOT EXISTS core_notification_user ON core_notification (org, "user", id)',
    'CREATE INDEX IF NOT EXISTS core_notification_unread ON core_notification (org, "user", read_at)',
    'CREATE INDEX IF NOT EXISTS core_request_queue ON core_request (org, team_id, status, resolution_due_at, id)',
    'CREATE INDEX IF NOT EXISTS core_request_org_submitted_by ON core_request (org, submitted_by, id)',
    'CREATE INDEX IF NOT EXISTS core_request_resolution_watch ON core_request (org, resolution_due_at) WHERE resolved_at IS NULL AND closed_at IS NULL',
    'CREATE INDEX IF NOT EXISTS core_request_response_watch ON core_request (org, response_due_at) WHERE first_response_at IS NULL AND closed_at IS NULL',
    'CREATE INDEX IF NOT EXISTS core_request_resolved_at ON core_request (org, status, resolved_at)',
    'CREATE INDEX IF NOT EXISTS core_approval_task_open_age ON core_approval_task (org, open, created_at)',
    'CREATE INDEX IF NOT EXISTS core_attachment_request ON core_attachment (org, request, id)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_notification_preference_uniq ON core_notification_preference (org, "user")',
    'CREATE INDEX IF NOT EXISTS core_notification_delivery_due ON core_notification_delivery (org, status, due_at)',
    'CREATE INDEX IF NOT EXISTS core_notification_delivery_user ON core_notification_delivery (org, "user", id)',
    'CREATE INDEX IF NOT EXISTS core_notification_delivery_org_id ON core_notification_delivery (org, id)',
    'CREATE INDEX IF NOT EXISTS core_notification_delivery_notification ON core_notification_delivery (notification)',
    'CREATE INDEX IF NOT EXISTS core_suggestion_org_id ON core_suggestion (org, id)',
    'CREATE INDEX IF NOT EXISTS core_suggestion_org_status ON core_suggestion (org, status, id)',
    'CREATE INDEX IF NOT EXISTS core_suggestion_org_topic ON core_suggestion (org, topic, id)',
    'CREATE INDEX IF NOT EXISTS core_suggestion_org_author ON core_suggestion (org, author, id)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_suggestion_receipt ON core_suggestion (org, receipt_hash)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_suggestion_token ON core_suggestion (org, submit_token)',
    'CREATE INDEX IF NOT EXISTS core_suggestion_reply_org_suggestion ON core_suggestion_reply (org, suggestion, id)',
    'CREATE UNIQUE INDEX IF NOT EXISTS core_suggestion_quota_uniq ON core_suggestion_quota (org, key, day)',
    'CREATE INDEX IF NOT EXISTS core_approval_step_status ON core_approval_step (org, status, id)',
    'ANALYZE',
]

POSTGRES = [
    'ALTER TABLE core_rating ADD CONSTRAINT core_rating_score CHECK (score BETWEEN 1 AND 5)',
]

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS core_rating_score BEFORE INSERT ON core_rating WHEN NEW.score NOT BETWEEN 1 AND 5 BEGIN SELECT RAISE(ABORT, 'score out of range'); END",
]

forwards = raw_sql_migration(
    ID, "core", DESCRIPTION, STATEMENTS, postgres=POSTGRES, sqlite=SQLITE
)
