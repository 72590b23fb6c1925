"""Tables of the repairs plugin (prefix ``repairs_``); every one belongs to an organisation.

Composite indexes (led by ``org``) and the per-organisation unique asset code live in a
raw migration, because Piccolo's auto migrations do not track them. Rooms, floors and
buildings are core's places (``Place``), shared with every other service.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, OnDelete, Varchar
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from web.sdk import Department, Organisation, Place, ServiceRequest, User


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
    location = ForeignKey(references=Place, null=True, on_delete=OnDelete.set_null)
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null)
    purchase_date = Date(null=True, default=None)
    warranty_end = Date(null=True, default=None)
    status = Varchar(length=16, default="active")  # active / retired
    qr_token = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairSchedule(Table, tablename="repairs_schedule"):
    """Preventive maintenance: every ``interval_count`` ``interval_unit`` (day / week /
    month) for one asset, or for every active asset of a ``category`` when ``asset`` is
    empty. A job opens the request ``lead_days`` before ``next_due`` and moves
    ``next_due`` on by one interval (a conditional update, so it happens once)."""

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    asset = ForeignKey(references=RepairAsset, null=True, on_delete=OnDelete.cascade)
    category = Varchar(length=32, default="")
    interval_count = Integer(default=1)
    interval_unit = Varchar(length=8, default="month")
    lead_days = Integer(default=3)
    next_due = Date()
    active = Boolean(default=True)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class RepairRequestDetail(Table, tablename="repairs_request_detail"):
    """What a repair request is about: written by the submit, in its transaction.

    A report from a sticker without signing in keeps the reporter's name and phone
    here (the request's requester is then the organisation's service account). A
    preventive maintenance request names its ``schedule`` and the ``due_on`` date.
    ``on_the_way_at`` is when the technician said they were coming.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade, unique=True)
    asset = ForeignKey(references=RepairAsset, null=True, on_delete=OnDelete.set_null)
    location = ForeignKey(references=Place, null=True, on_delete=OnDelete.set_null)
    reporter_name = Varchar(length=100, default="")
    reporter_phone = Varchar(length=32, default="")
    schedule = ForeignKey(references=RepairSchedule, null=True, on_delete=OnDelete.set_null)
    due_on = Date(null=True, default=None)
    on_the_way_at = Timestamptz(null=True, default=None)


class RepairWorkItem(Table, tablename="repairs_work_item"):
    """Parts used or labour spent on a repair, recorded by the technician.

    ``kind`` is ``part`` (quantity × unit cost) or ``labour`` (minutes, and the cost at
    the organisation's hourly rate when known). ``cost`` is stored as computed.
    """

    org = ForeignKey(references=Organisation, on_delete=OnDelete.cascade)
    request = ForeignKey(references=ServiceRequest, on_delete=OnDelete.cascade)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=16, default="part")
    description = Varchar(length=200, default="")
    quantity = Numeric(digits=(10, 2), default=Decimal("1"))
    unit_cost = Numeric(digits=(14, 2), null=True, default=None)
    minutes = Integer(default=0)
    cost = Numeric(digits=(14, 2), default=Decimal("0"))
    created_at = Timestamptz(default=TimestamptzNow())
