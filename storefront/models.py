"""The shop's tables: catalog, carts, orders, idempotency keys. Coupons are in
``coupon_models.py``, payments in ``payments/models.py``, the club in ``loyalty/models.py``."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, filled_index, one_of, random_token
from fulfillment.models import Fulfillment

from .coupon_models import Coupon


class Category(db.Model):
    __tablename__ = "categories"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(60), nullable=False, unique=True)
    name_zh = sa.Column(sa.String(60), nullable=False)
    name_en = sa.Column(sa.String(60))
    position = sa.Column(sa.Integer, nullable=False, default=0)


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("price_amount >= 0", name="price_nonnegative"),
        sa.CheckConstraint("member_price_amount IS NULL OR member_price_amount >= 0",
                           name="member_price_nonnegative"),
        sa.CheckConstraint("days_of_supply IS NULL OR days_of_supply > 0",
                           name="days_of_supply_positive"),
        sa.Index("ix_products_active_category", "active", "category_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    sku = sa.Column(sa.String(40), nullable=False, unique=True)
    #: the EAN-13 printed on the tin or box (check digit verified); None when it has none
    barcode = sa.Column(sa.String(13), unique=True)
    slug = sa.Column(sa.String(80), nullable=False, unique=True)
    name_zh = sa.Column(sa.String(200), nullable=False)
    name_en = sa.Column(sa.String(200))
    description_zh = sa.Column(sa.Text, nullable=False, default="")
    description_en = sa.Column(sa.Text)
    #: minor units (fen)
    price_amount = sa.Column(sa.Integer, nullable=False)
    #: what VIP members pay; None when there is no member price
    member_price_amount = sa.Column(sa.Integer)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    category_id = sa.Column(sa.Integer, sa.ForeignKey("categories.id"), nullable=False)
    #: days one unit lasts (a can of formula); None where it does not apply
    days_of_supply = sa.Column(sa.Integer)
    #: file name under the upload folder, or a path under static/ starting with "static/"
    image = sa.Column(sa.String(200))
    position = sa.Column(sa.Integer, nullable=False, default=0)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    #: names, SKU, category and their synonyms, normalized for search (``storefront.search``)
    search_name = sa.Column(sa.Text, nullable=False, default="", server_default="")
    #: the descriptions and their synonyms, normalized for search
    search_text = sa.Column(sa.Text, nullable=False, default="", server_default="")

    category = relationship(Category, lazy="joined")


class CartItem(db.Model):
    """A signed-in shopper's cart line (guests keep theirs in the session)."""

    __tablename__ = "cart_items"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "product_id", name="uq_cart_items_user_product"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    quantity = sa.Column(sa.Integer, nullable=False)
    added_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    product = relationship(Product)


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CONFIRMED = "confirmed"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    OPEN = nonmember((PENDING_PAYMENT, PAID, CONFIRMED))
    ALL = nonmember((PENDING_PAYMENT, PAID, CONFIRMED, FULFILLED, CANCELLED, REFUNDED))


class PaymentMethod(StrEnum):
    """How an order is paid: chosen at checkout, or, for a counter sale (paid on the spot),
    how the customer really paid (one way, or ``split`` over several; each tender is a
    payment row of its own)."""

    PAY_AT_PICKUP = "pay_at_pickup"
    CASH_ON_DELIVERY = "cash_on_delivery"
    STRIPE = "stripe"
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    WECHAT_SCAN = "wechat_scan"
    ALIPAY_SCAN = "alipay_scan"
    SPLIT = "split"
    #: paid later, at the desk or the door (the clerk records how)
    OFFLINE = nonmember((PAY_AT_PICKUP, CASH_ON_DELIVERY))
    #: what a shopper chooses at checkout (the web and the order API)
    CHECKOUT = nonmember((PAY_AT_PICKUP, CASH_ON_DELIVERY, STRIPE))
    #: paid at the counter when the sale was made
    AT_COUNTER = nonmember((CASH, CARD_TERMINAL, WECHAT_SCAN, ALIPAY_SCAN, SPLIT))
    ALL = nonmember((PAY_AT_PICKUP, CASH_ON_DELIVERY, STRIPE, CASH, CARD_TERMINAL,
                     WECHAT_SCAN, ALIPAY_SCAN, SPLIT))


class Channel(StrEnum):
    """Where an order was placed: the web shop (and its API), or a store's counter."""

    WEB = "web"
    STORE = "store"
    ALL = nonmember((WEB, STORE))


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("total_amount >= 0", name="total_nonnegative"),
        sa.CheckConstraint("subtotal_amount >= 0", name="subtotal_nonnegative"),
        one_of("status", OrderStatus, name="status_known"),
        one_of("payment_method", PaymentMethod, name="payment_method_known"),
        one_of("channel", Channel, name="channel_known"),
        sa.CheckConstraint("user_id IS NOT NULL OR channel = 'store'", name="web_has_user"),
        sa.Index("ix_orders_user_created", "user_id", "created_at"),
        filled_index("orders", "coupon_id"),
        filled_index("orders", "replacement_of_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: the id the public sees (URLs, API): random, not sequential
    public_id = sa.Column(sa.String(24), nullable=False, unique=True, default=random_token)
    #: for people: SH-YYYYMMDD-NNNN
    number = sa.Column(sa.String(32), unique=True)
    #: the shopper; None only for an anonymous sale at a store's counter (until claimed)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    status = sa.Column(sa.String(16), nullable=False)
    #: web (the shop and its API) or store (sold at a store's counter)
    channel = sa.Column(sa.String(8), nullable=False, default=Channel.WEB,
                        server_default=Channel.WEB.value)
    #: the clerk who sold it at the counter (store channel)
    clerk_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    subtotal_amount = sa.Column(sa.Integer, nullable=False)
    delivery_fee_amount = sa.Column(sa.Integer, nullable=False, default=0)
    total_amount = sa.Column(sa.Integer, nullable=False)
    #: what the desk collected at hand-over, or what was paid online
    paid_amount = sa.Column(sa.Integer, nullable=False, default=0)
    payment_method = sa.Column(sa.String(20), nullable=False)
    fulfillment_method = sa.Column(sa.String(10), nullable=False)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False, index=True)
    contact_name = sa.Column(sa.String(100))
    contact_phone = sa.Column(sa.String(32))
    note = sa.Column(sa.String(500))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    paid_at = sa.Column(UTCDateTime)
    fulfilled_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)
    #: the shopper disputed the card payment with the bank (Stripe): the admin must look
    disputed = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    #: VIP points spent on this order, and the discount they bought (fen)
    points_redeemed = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    points_discount_amount = sa.Column(sa.Integer, nullable=False, default=0,
                                       server_default="0")
    #: the coupon used on this order, and what it took off the goods (fen)
    coupon_id = sa.Column(sa.Integer, sa.ForeignKey("coupons.id"))
    coupon_discount_amount = sa.Column(sa.Integer, nullable=False, default=0,
                                       server_default="0")
    #: the order this one replaces free of charge (a complaint's remedy)
    replacement_of_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"))

    lines = relationship("OrderLine", back_populates="order", cascade="all, delete-orphan",
                         order_by="OrderLine.id")
    fulfillment = relationship(Fulfillment, uselist=False, viewonly=True,
                               primaryjoin="Order.id == foreign(Fulfillment.order_id)")
    coupon = relationship(Coupon)
    replacement_of = relationship("Order", remote_side=[id])

    @property
    def is_open(self) -> bool:
        return self.status in OrderStatus.OPEN


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_amount >= 0", name="unit_price_nonnegative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False, index=True)
    sku = sa.Column(sa.String(40), nullable=False)
    name_zh = sa.Column(sa.String(200), nullable=False)
    name_en = sa.Column(sa.String(200))
    quantity = sa.Column(sa.Integer, nullable=False)
    unit_price_amount = sa.Column(sa.Integer, nullable=False)
    line_total_amount = sa.Column(sa.Integer, nullable=False)
    #: the member price applied rather than the list price
    member_price = sa.Column(sa.Boolean, nullable=False, default=False)
    #: the tier whose member price applied (None: list price, or the base member price)
    price_tier = sa.Column(sa.String(10))

    order = relationship(Order, back_populates="lines")


class IdempotencyKey(db.Model):
    """The first response to ``POST /api/v1/orders`` under a key, replayed for 24 hours."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    key = sa.Column(sa.String(255), nullable=False)
    status_code = sa.Column(sa.Integer)
    response = sa.Column(sa.JSON)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
