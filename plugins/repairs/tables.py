"""Tables of the repairs plugin (prefix ``repairs_``); every one belongs to an organisation.

Composite indexes (led by ``org``) and the per-organisation unique asset code live in a
raw migration, because Piccolo's auto migrations do not track them.
"""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, OnDelete, Varchar
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables import Department, Organisation, ServiceRequest


class RepairLocation(Table, tablename="repairs_location"):
    """A building, a floor of a building or a room of a floor (``kind``).

    A room may carry an opaque ``qr_token`` for a door sticker (revocable: regenerate).
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    parent = ForeignKey(references="self", null=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=16, default="room")  # building / floor / room
    name = Varchar(length=100)
    code = Varchar(length=50, default="")
    qr_token = Varchar(length=64, null=True, default=None, unique=True)


class RepairAsset(Table, tablename="repairs_asset"):
    """A piece of equipment that can be reported broken; ``code`` is unique per org.

    ``qr_token`` is what the printed sticker carries: random, never the id, and a new
    one makes the old sticker stop working.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    code = Varchar(length=50)
    name = Varchar(length=200)
    category = Varchar(length=32, default="other")  # a kind code of the repairs service
    model = Varchar(length=100, default="")
    serial = Varchar(length=100, default="")
    location = ForeignKey(references=RepairLocation, null=True, on_delete=OnDelete.set_null)
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null)
    purchase_date = Date(null=True, default=None)
    warranty_end = Date(null=True, default=None)
    status = Varchar(length=16, default="active")  # active / retired
    qr_token = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairRequestDetail(Table, tablename="repairs_request_detail"):
    """What a repair request is about: written by the submit, in its transaction."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade, unique=True)
    asset = ForeignKey(references=RepairAsset, null=True, on_delete=OnDelete.set_null)
    location = ForeignKey(references=RepairLocation, null=True, on_delete=OnDelete.set_null)
