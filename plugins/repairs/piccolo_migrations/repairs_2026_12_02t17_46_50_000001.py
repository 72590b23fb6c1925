"""Composite indexes of the repairs tables, led by the organisation (DESIGN §6), and
the per-organisation unique asset code (the upsert of the CSV import relies on it).

Piccolo's auto migrations do not track composite indexes, and raw steps run before
the tables of the same migration are created, so they live in a migration of their own.
The SQL is the same on SQLite and PostgreSQL.
"""

from web.sdk import raw_sql_migration

ID = "2026-12-02T17:46:50:000001"
VERSION = "1.38.0"
DESCRIPTION = "indexes of repairs"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS repairs_asset_org_code ON repairs_asset (org, code)',
    'CREATE INDEX IF NOT EXISTS repairs_asset_org_id ON repairs_asset (org, id)',
    'CREATE INDEX IF NOT EXISTS repairs_asset_org_name ON repairs_asset (org, name)',
    'CREATE INDEX IF NOT EXISTS repairs_request_detail_org_asset ON repairs_request_detail (org, asset, request)',
    'CREATE INDEX IF NOT EXISTS repairs_request_detail_org_location ON repairs_request_detail (org, location)',
    'CREATE INDEX IF NOT EXISTS repairs_work_item_org_request ON repairs_work_item (org, request, id)',
    'CREATE INDEX IF NOT EXISTS repairs_schedule_org_due ON repairs_schedule (org, active, next_due)',
    'CREATE INDEX IF NOT EXISTS repairs_request_detail_org_schedule ON repairs_request_detail (org, schedule, request)',
]

forwards = raw_sql_migration(ID, "repairs", DESCRIPTION, STATEMENTS)
