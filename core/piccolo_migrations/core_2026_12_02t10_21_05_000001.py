"""A post-audit draw for every request submitted before draws were stored.

Sampling of filed (备案) requests used to be a hash of rule and number, which anyone
could work out; it now follows a random draw taken at submit (core_request.audit_draw).
Requests from before get a random draw once, so an edit that re-routes them samples
like a new one.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-12-02T10:21:05:000001"
VERSION = "1.38.0"
DESCRIPTION = "random post-audit draw for existing requests"

forwards = raw_sql_migration(
    ID,
    "core",
    DESCRIPTION,
    [],
    postgres=[
        "UPDATE core_request SET audit_draw = floor(random() * 100)::int "
        "WHERE audit_draw IS NULL"
    ],
    sqlite=["UPDATE core_request SET audit_draw = abs(random()) % 100 WHERE audit_draw IS NULL"],
)
