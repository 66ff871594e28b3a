"""One vocabulary per domain: the code sets are StrEnums whose members behave as their plain
codes wherever they go (JSON, marshmallow, templates, the database)."""

import json

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields

from core.models import Role
from crm.care.models import Category, ComplaintChannel, ComplaintStatus, Remedy, Severity
from crm.club.models import RegistrationStatus
from crm.customers.figures import Segment
from crm.customers.models import Stage
from crm.followups.models import FollowUpKind, FollowUpStatus
from crm.outreach.models import Channel, OutboxStatus, Purpose
from fulfillment.models import FulfillmentStatus, Method, MovementKind, TransferStatus
from storefront.coupon_models import CouponSource, CouponState
from storefront.loyalty.models import PointsKind, Tier
from storefront.models import OrderStatus, PaymentMethod
from storefront.payments.models import Collection, PaymentStatus, RefundStatus

ENUMS = (Role, MovementKind, TransferStatus, FulfillmentStatus, Method, OrderStatus,
         PaymentMethod, Tier, PointsKind, CouponState, CouponSource, PaymentStatus, Collection,
         RefundStatus, RegistrationStatus, Segment, Stage, Channel, Purpose, OutboxStatus,
         Category, Severity, ComplaintChannel, Remedy, ComplaintStatus, FollowUpStatus,
         FollowUpKind)


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_groups_hold_codes_of_their_set(enum):
    codes = tuple(enum)
    groups = {name: value for name, value in vars(enum).items()
              if name.isupper() and isinstance(value, tuple)}
    for name, group in groups.items():
        assert group and all(code in codes for code in group), name
    if "ALL" in groups:
        assert groups["ALL"] == codes  # every code, in the order the CHECK lists them


def test_method_slot_kinds_are_pickup_and_delivery():
    assert Method.SLOT_KINDS == (Method.PICKUP, Method.DELIVERY)
    assert Method.ORDER == tuple(Method)
    assert not hasattr(Method, "ALL")


def test_members_travel_as_their_plain_codes():
    class Out(Schema):
        status = fields.String()

    member = OrderStatus.PENDING_PAYMENT
    assert json.dumps({"status": member, member: 1}) == \
        '{"status": "pending_payment", "pending_payment": 1}'
    assert Out().dump({"status": member}) == {"status": "pending_payment"}
    assert type(Out().dump({"status": member})["status"]) is str
    assert f"{member}" == str(member) == "pending_payment"
    assert "%(s)s" % {"s": member} == "pending_payment"  # noqa: UP031 - the old way, too
    assert {"pending_payment": "x"}[member] == "x"


def test_members_are_bound_as_their_plain_codes(app, session):
    bound = session.execute(sa.select(sa.literal(Tier.GOLD, sa.String))).scalar_one()
    assert bound == "gold" and type(bound) is str
