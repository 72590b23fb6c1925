"""Indexes of the suggestion box: org-leading, one per way the pages read it.

The desk lists newest first filtered by status or topic (keyset on id), authors list
their own, the receipt page finds a suggestion by the hash of its code. The unique
indexes keep a replayed submit to one suggestion and the daily quota to one row per
author key and day.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T14:19:50:000001"
VERSION = "1.38.0"
DESCRIPTION = "suggestion box indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_suggestion_org_id ON core_suggestion (org, id)",
    "CREATE INDEX IF NOT EXISTS core_suggestion_org_status ON core_suggestion (org, status, id)",
    "CREATE INDEX IF NOT EXISTS core_suggestion_org_topic ON core_suggestion (org, topic, id)",
    "CREATE INDEX IF NOT EXISTS core_suggestion_org_author ON core_suggestion (org, author, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_suggestion_receipt "
    "ON core_suggestion (org, receipt_hash)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_suggestion_token "
    "ON core_suggestion (org, submit_token)",
    "CREATE INDEX IF NOT EXISTS core_suggestion_reply_org_suggestion "
    "ON core_suggestion_reply (org, suggestion, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_suggestion_quota_uniq "
    "ON core_suggestion_quota (org, key, day)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)
