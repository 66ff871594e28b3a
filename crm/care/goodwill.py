"""Coupons the customer center gives by hand (a goodwill gesture after a call, a long wait,
a birthday the rules missed) and takes back while unused; and the message that tells the
customer their code, shared with the complaint remedy."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import shop_zone
from core.errors import ValidationFailed
from core.extensions import db
from core.i18n import current_locale, in_locale
from core.models import User
from core.money import format_money
from crm.club.events import member_locale
from crm.customers.erasure import is_erased
from crm.customers.models import Customer
from crm.customers.services import search_condition
from crm.outreach.outbox import enqueue
from storefront import coupons
from storefront.coupon_models import Coupon, CouponSource

#: the most a coupon given by hand may take off (fen): ¥2,000
MAX_GOODWILL_AMOUNT = 200000
#: how long it may be valid, in days
MAX_VALID_DAYS = 366


def announce_coupon(user: User, coupon: Coupon, *, apology: bool) -> None:
    """Tell ``user`` the code of ``coupon``, in their language, by e-mail (SMS without one),
    once per coupon. ``apology`` opens with an apology (a complaint's remedy)."""
    with in_locale(member_locale(user.id)):
        values = {"shop": current_app.config["SHOP_NAME"], "code": coupon.code,
                  "amount": format_money(coupon.amount, coupon.currency, current_locale()),
                  "until": format_date(coupon.valid_until.astimezone(shop_zone()), "long"),
                  "minimum": format_money(coupon.minimum_order_amount, coupon.currency,
                                          current_locale())}
        subject = _("[%(shop)s] A coupon for you: %(amount)s off", **values)
        if apology:
            body = _("We are sorry for the trouble. Your coupon %(code)s takes %(amount)s off "
                     "your next order until %(until)s: type the code at checkout.", **values)
        else:
            body = _("A gift from our customer center: your coupon %(code)s takes %(amount)s "
                     "off your next order until %(until)s: type the code at checkout.",
                     **values)
        if coupon.minimum_order_amount:
            body += " " + _("It applies to orders of %(minimum)s or more.", **values)
    kind = "complaint_update" if apology else "coupon"
    if user.email:
        enqueue(channel="email", kind=kind, subject=subject, body=body, user_id=user.id,
                to=user.email, dedupe_key=f"coupon:{coupon.id}", purpose="service")
    elif user.phone:
        enqueue(channel="sms", kind=kind, subject=subject, body=f"【{values['shop']}】{body}",
                user_id=user.id, to=user.phone, dedupe_key=f"coupon:{coupon.id}",
                purpose="service")


def coupon_list(*, q: str | None, state: str | None, source: str | None, page: int) -> dict:
    """The customer center's list of coupons: ``q`` is a code when it is typed like one,
    else it finds the holders as the customer search does (name, phone, e-mail, card,
    order number). With the holders' profiles and the names of the staff who gave or took
    back each coupon (one query each)."""
    holders = None
    if q and not coupons.looks_like_code(q):
        holders = sa.select(Customer.user_id).where(search_condition(q),
                                                    Customer.user_id.is_not(None))
    rows, page, pages = coupons.find_coupons(q=q if holders is None else None, state=state,
                                             source=source, user_ids=holders, page=page)
    user_ids = {c.user_id for c in rows}
    staff_ids = {i for c in rows for i in (c.created_by_id, c.voided_by_id) if i is not None}
    customers = {c.user_id: c for c in db.session.execute(
        sa.select(Customer).where(Customer.user_id.in_(user_ids))).scalars()} if rows else {}
    people = {u.id: u.name or u.email for u in db.session.execute(
        sa.select(User).where(User.id.in_(staff_ids))).scalars()} if staff_ids else {}
    return {"rows": rows, "page": page, "pages": pages, "customers": customers,
            "people": people}


def held_coupons(customer: Customer, limit: int = 20) -> list[Coupon]:
    """A customer's coupons, newest first (none for a prospect without an account)."""
    if customer.user_id is None:
        return []
    return coupons.find_coupons(user_ids=[customer.user_id], per_page=limit)[0]


def give_coupon(customer: Customer, *, amount: int | None, minimum_amount: int | None,
                valid_days: int | None, note: str, actor: User) -> Coupon:
    """A coupon for ``customer`` from ``actor``, announced to them; refused, with nothing
    written, when the customer has no shop account or a figure is out of bounds."""
    errors = {}
    holder = db.session.get(User, customer.user_id) if customer.user_id else None
    if holder is None:
        errors["customer"] = [str(_l("A coupon needs the customer's shop account; this "
                                     "customer has none."))]
    elif holder.is_staff_member:
        errors["customer"] = [str(_l("Coupons are for customers, not for staff accounts."))]
    elif is_erased(customer):
        errors["customer"] = [str(_l("This person closed their membership and was erased: "
                                     "nothing more is sent to them."))]
    if amount is None or amount <= 0:
        errors["amount"] = [str(_l("Enter the amount the coupon takes off, more than 0."))]
    elif amount > MAX_GOODWILL_AMOUNT:
        most = format_money(MAX_GOODWILL_AMOUNT, current_app.config["SHOP_CURRENCY"],
                            current_locale())
        errors["amount"] = [str(_l("A coupon given by hand takes at most %(amount)s off.",
                                   amount=most))]
    if minimum_amount is not None and minimum_amount < 0:
        errors["minimum_amount"] = [str(_l("The minimum cannot be below 0."))]
    if valid_days is None or not 1 <= valid_days <= MAX_VALID_DAYS:
        errors["valid_days"] = [str(_l("Valid for 1 to %(days)d days.", days=MAX_VALID_DAYS))]
    note = (note or "").strip()
    if not note:
        errors["note"] = [str(_l("Say why the customer gets this coupon."))]
    elif len(note) > 200:
        errors["note"] = [str(_l("At most 200 characters."))]
    if errors:
        raise ValidationFailed(errors=errors)
    user = db.session.get(User, customer.user_id)
    coupon = coupons.issue_coupon(
        user.id, amount=amount, source=CouponSource.MANUAL, source_ref=str(customer.id),
        valid_days=valid_days, minimum_amount=minimum_amount or 0, actor_id=actor.id, note=note)
    announce_coupon(user, coupon, apology=False)
    return coupon
