"""Tables of the notices plugin (prefix ``notices_``)."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from web.sdk import Organisation, User


class Notice(Table, tablename="notices_notice"):
    """A notice from the logistics office to everyone in the organisation."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    body = Text(default="")
    pinned = Boolean(default=False)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    published_at = Timestamptz(default=TimestamptzNow())
