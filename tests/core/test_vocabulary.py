"""One vocabulary per domain: the code sets are StrEnums whose members behave as their plain
codes wherever they go (JSON, marshmallow, templates, the database)."""

import importlib
import json
from enum import StrEnum

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


# --- the words for the codes --------------------------------------------------------------

LABEL_MODULES = ("core.labels", "fulfillment.labels", "storefront.labels", "crm.labels",
                 "crm.care.labels", "crm.club.labels", "crm.customers.labels",
                 "crm.followups.labels", "crm.outreach.labels")
#: maps that word only some states on purpose: the desk's delivery and courier words over
#: its general ones, and the complaint steps (nothing steps back to open)
PARTIAL = {"DELIVERY_STATUS_LABELS", "COURIER_STATUS_LABELS", "STEP_LABELS"}


def _label_maps():
    """Every ``*_LABELS`` and ``*_WORDS`` dict of every labels module, with the set of codes
    it words: the enum of its keys, or the codes it is known to word when its keys are
    plain strings."""
    from crm.followups.queue import OUTCOMES

    known = {"PAYMENT_LABELS": tuple(PaymentMethod), "OUTCOME_LABELS": OUTCOMES}
    found = []
    for name in LABEL_MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if not (attr.endswith(("_LABELS", "_WORDS")) and isinstance(value, dict)):
                continue
            enums = {type(k) for k in value if isinstance(k, StrEnum)}
            assert len(enums) <= 1, f"{name}.{attr} mixes {enums}"
            codes = tuple(enums.pop()) if enums else known.get(attr)
            found.append((f"{name}.{attr}", attr, value, codes))
    return found


def test_labels_are_found():
    names = {full for full, *_rest in _label_maps()}
    assert {"crm.labels.METHOD_LABELS", "storefront.labels.METHOD_LABELS",
            "fulfillment.labels.STATUS_LABELS", "core.labels.ROLE_LABELS"} <= names


WORDED = [m for m in _label_maps() if m[3] is not None]


@pytest.mark.parametrize("full, attr, labels, codes", WORDED, ids=[m[0] for m in WORDED])
def test_every_code_has_its_words(full, attr, labels, codes):
    unknown = set(labels) - set(codes)
    assert not unknown, f"{full} words codes that do not exist: {sorted(unknown)}"
    if attr not in PARTIAL:
        missing = [c for c in codes if c not in labels]
        assert not missing, f"{full} has no words for {missing}"
