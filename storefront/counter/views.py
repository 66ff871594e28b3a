"""The counter's pages: ``/desk/sell`` (scan or type products and the member's card, take
the money) and ``/desk/sales/<id>`` (the receipt to show or print, 58 mm, with its QR).

The ticket travels with the form (hidden ``sku``/``qty`` pairs and the member's card or
phone), so a page without JavaScript sells too and a reload loses nothing. A USB scanner
types into the code box and presses Enter; the camera button (``static/js/counter.js``)
fills the same box. Only the store's own staff sell; admins see receipts.
"""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError

from core.auth import roles_required
from core.errors import DomainError, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import current_locale
from core.models import Role, User
from core.money import format_money
from core.privacy import mask_phone
from core.qr import qr_svg_response
from fulfillment.models import Center

from ..admin_forms import fen_to_yuan, yuan_to_fen
from ..loyalty.points import discount_for
from ..models import Channel, Order
from ..orders import MAX_QUANTITY as MAX_QUANTITY_AT_COUNTER
from ..payments.records import payments_of, refunds_of
from ..schemas import AddressSchema
from . import desk
from .aisle import ELSEWHERE, sell_for_transfer, sell_from_elsewhere
from .claims import claim_problem, claim_sale, claimable_sale
from .returns import return_at_counter, returnable_lines
from .sales import check_sale_access, sell_at_counter, sold_at
from .tender import TENDER_METHODS

bp = Blueprint("counter", __name__)

METHOD_WORDS = {"cash": _l("Cash"), "card_terminal": _l("Card terminal"),
                "wechat_scan": _l("WeChat Pay"), "alipay_scan": _l("Alipay")}


ADDRESS_WORDS = {"name": _l("Name"), "phone": _l("Phone"), "province": _l("Province"),
                 "city": _l("City"), "district": _l("District"), "street": _l("Street")}


class TicketForm(FlaskForm):
    """The counter's form: only the CSRF token; the ticket's fields are read by hand."""


def _ticket() -> dict[str, int]:
    lines: dict[str, int] = {}
    for sku, qty in zip(request.form.getlist("sku"), request.form.getlist("qty"), strict=False):
        sku = desk.normalize(sku)[:40]
        if sku and qty.isdigit() and 0 < int(qty) <= MAX_QUANTITY_AT_COUNTER:
            lines[sku] = min(lines.get(sku, 0) + int(qty), MAX_QUANTITY_AT_COUNTER)
    return lines


def _fen(name: str, errors: dict) -> int | None:
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    try:
        return yuan_to_fen(text)
    except ValueError:
        errors[name] = [str(_l("Enter an amount in yuan, 0 or more, like 128.00."))]
        return None


def _payments(errors: dict) -> list[dict]:
    """The payments the clerk took: one way for the whole (``pay=<method>``), or split."""
    how = request.form.get("pay")
    tendered = _fen("tendered", errors)
    if how in TENDER_METHODS:
        return [{"method": how, "tendered": tendered if how == "cash" else None}]
    payments = []
    for method in TENDER_METHODS:
        amount = _fen(f"split_{method}", errors)
        if amount:
            payments.append({"method": method, "amount": amount,
                             "tendered": tendered if method == "cash" and tendered else None})
    return payments


def _store() -> Center:
    center = db.session.get(Center, current_user.center_id) if current_user.center_id else None
    if center is None:
        raise NotFound()
    return center


@bp.route("/desk/sell", methods=["GET", "POST"])
@roles_required(Role.STAFF)
def sell():
    center = _store()
    form = TicketForm()
    lines = _ticket()
    member_key = (request.form.get("member") or "")[:200]
    errors: dict = {}
    found: list = []
    member = None
    if member_key:
        try:
            member = desk.member_from_key(member_key)
        except DomainError:
            member_key = ""
    if request.method == "POST":
        if not form.validate():
            errors["form"] = [str(_l("The form expired. Please try again."))]
        else:
            outcome = _act(center, lines, member, errors)
            if isinstance(outcome, Order):
                return redirect(url_for(".receipt", public_id=outcome.public_id))
            if isinstance(outcome, desk.Member):
                member, member_key = outcome, outcome.key
            elif outcome == "drop_member":
                member, member_key = None, ""
            elif isinstance(outcome, list):
                found = outcome
    rows, subtotal, available = desk.price_ticket(center.id, lines, member)
    points = request.form.get("points", type=int) or 0
    discount = discount_for(points) if member and member.membership and points > 0 else 0
    return render_template(
        "counter/sell.html", form=form, address_fields=ADDRESS_WORDS, center=center,
        rows=rows, subtotal=subtotal,
        total=max(subtotal - discount, 0), available=available, member=member,
        member_key=member_key, errors=errors, found=found, points=points if discount else 0,
        methods=METHOD_WORDS, mask_phone=mask_phone, fen_to_yuan=fen_to_yuan,
        code=request.form.get("code", "") if errors.get("code") else "",
    ), 400 if errors else 200


def _act(center: Center, lines: dict[str, int], member, errors: dict):
    """What the button pressed does to the ticket (changed in place); a result for the
    page: the sale made, a member found, search results, or None."""
    if request.form.get("add"):  # a search result's button
        sku = desk.normalize(request.form["add"])[:40]
        lines[sku] = min(lines.get(sku, 0) + 1, MAX_QUANTITY_AT_COUNTER)
        return None
    change = request.form.get("line", "")
    if ":" in change:
        step, sku = change.split(":", 1)
        if sku in lines:
            lines[sku] += 1 if step == "plus" else -1
            if lines[sku] <= 0 or step == "drop":
                del lines[sku]
        return None
    if request.form.get("drop_member"):
        return "drop_member"
    if request.form.get("pay"):
        return _pay(center, lines, member, errors)
    if request.form.get("do") == "points":
        return None
    return _code(lines, errors)


def _code(lines: dict[str, int], errors: dict):
    code = request.form.get("code", "")
    kind = desk.kind_of(code)
    if kind == "empty":  # Enter in another field: the page comes back as it was
        return None
    if kind in ("card", "phone"):
        try:
            return desk.find_member(code)
        except DomainError as err:
            errors["code"] = [str(err.message)]
            return None
    product = desk.product_for_code(code)
    if product is not None:
        lines[product.sku] = min(lines.get(product.sku, 0) + 1, MAX_QUANTITY_AT_COUNTER)
        return None
    found = desk.search(code) if kind == "words" else []
    if not found:
        errors["code"] = [str(_l("No product on sale has this barcode or SKU."))]
    return found


def _pay(center: Center, lines: dict[str, int], member, errors: dict):
    payments = _payments(errors)
    if errors:
        return None
    points = request.form.get("points", type=int) or 0
    deliver = request.form.get("deliver") or ""
    ticket = [{"sku": sku, "quantity": q} for sku, q in lines.items()]
    buyer = member.user if member else None
    try:
        if deliver == "transfer":  # the store lacks it: brought here, collected later
            order = sell_for_transfer(
                center, current_user._get_current_object(), ticket, member=buyer,
                payments=payments, points=points,
                contact={"name": request.form.get("address_name"),
                         "phone": request.form.get("address_phone")})
        elif deliver in ELSEWHERE:  # the store lacks it: another center sends it
            order = sell_from_elsewhere(
                center, current_user._get_current_object(), ticket, method=deliver,
                address=_address(), member=buyer, payments=payments, points=points)
        else:
            order = sell_at_counter(center, current_user._get_current_object(), ticket,
                                    member=buyer, payments=payments, points=points)
    except DomainError as err:
        db.session.rollback()
        messages = _messages(err)
        errors["pay"] = messages
        return None
    db.session.commit()
    return order


ADDRESS_FIELDS = ("name", "phone", "province", "city", "district", "street")


def _address() -> dict:
    """The delivery address typed at the counter, checked as checkout checks it."""
    try:
        return AddressSchema().load({f: request.form.get(f"address_{f}", "")
                                     for f in ADDRESS_FIELDS})
    except ValidationError as err:
        raise ValidationFailed(errors={"address": err.messages}) from None


def _messages(err: DomainError) -> list[str]:
    """Every message an error carries, its fields' nested ones too."""
    out: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        else:
            out.append(str(value))

    walk(err.errors if isinstance(err, ValidationFailed) else {})
    if not out:
        out.append(str(err.message))
        for line in err.extra.get("lines", []) if isinstance(err.extra, dict) else []:
            out.append(str(_l("%(sku)s: %(n)d available here", sku=line.get("sku"),
                              n=line.get("available", 0))))
    return out


def _sale(public_id: str) -> Order:
    order = db.session.execute(sa.select(Order).where(
        Order.public_id == public_id, Order.channel == Channel.STORE)).scalar_one_or_none()
    if order is None:
        raise NotFound()
    check_sale_access(current_user, order)
    return order


@bp.route("/desk/sales/<public_id>")
@roles_required(Role.STAFF, Role.ADMIN)
def receipt(public_id: str):
    return _receipt(_sale(public_id))


def _receipt(order: Order, errors: dict | None = None, status: int = 200):
    refunds = refunds_of(order)
    store = db.session.get(Center, sold_at(order) or order.center_id)
    return render_template(
        "counter/receipt.html", order=order, center=store,
        sender=(db.session.get(Center, order.center_id) if order.center_id != store.id
                else None),
        clerk=db.session.get(User, order.clerk_id) if order.clerk_id else None,
        payments=payments_of(order), refunds=refunds, methods=METHOD_WORDS,
        mask_phone=mask_phone, returnable=returnable_lines(order), errors=errors or {},
        can_return=(current_user.role == Role.STAFF
                    and current_user.center_id in (order.center_id, store.id)),
        paid_by={p.id: p.method for p in payments_of(order)},
        claim_url=url_for("counter.claim", public_id=order.public_id, _external=True)), status


@bp.route("/desk/sales/<public_id>/return", methods=["POST"])
@roles_required(Role.STAFF)
def take_back(public_id: str):
    """Goods brought back against this receipt: into their lots, the money the way it came."""
    order = _sale(public_id)
    form = TicketForm()
    if not form.validate():
        return _receipt(order, {"form": [str(_l("The form expired. Please try again."))]}, 400)
    units, errors = {}, {}
    for line in order.lines:
        text = (request.form.get(f"back-{line.id}") or "0").strip()
        if not text.isdigit():
            errors["lines"] = [str(_l("Enter a whole number, 0 or more."))]
        elif int(text):
            units[line.id] = int(text)
    if not errors:
        try:
            refunds = return_at_counter(order, current_user._get_current_object(), units,
                                        reason=request.form.get("reason", ""))
        except DomainError as err:
            db.session.rollback()
            errors["return"] = _messages(err)
        else:
            total = sum(r.amount for r in refunds)
            db.session.commit()
            flash(_("%(amount)s given back; the goods are back in stock.",
                    amount=format_money(total, order.currency, current_locale())), "success")
            return redirect(url_for(".receipt", public_id=public_id))
    return _receipt(order, errors, 400)


@bp.route("/desk/sales/<public_id>/qr.svg")
@roles_required(Role.STAFF, Role.ADMIN)
def receipt_qr(public_id: str):
    order = _sale(public_id)
    return qr_svg_response(url_for("counter.claim", public_id=order.public_id, _external=True),
                           scale=4, dark="#000")


@bp.route("/account/receipts/<public_id>", methods=["GET", "POST"])
@roles_required(Role.CUSTOMER)
def claim(public_id: str):
    """The member area's end of a receipt's QR: an anonymous sale at a counter, added to
    the signed-in shopper's account (once, within 30 days)."""
    order = claimable_sale(public_id)
    form = TicketForm()
    if order.user_id == current_user.id:
        return redirect(url_for("storefront.order", public_id=order.public_id))
    problem = claim_problem(order)
    if request.method == "POST" and problem is None:
        if not form.validate():
            problem_text = _("The form expired. Please try again.")
        else:
            try:
                claim_sale(order, current_user._get_current_object())
            except DomainError as err:
                db.session.rollback()
                problem_text = str(err.message)
            else:
                db.session.commit()
                flash(_("The purchase is now in your account."), "success")
                return redirect(url_for("storefront.order", public_id=public_id))
    else:
        problem_text = str(problem.message) if problem is not None else None
    return render_template("counter/claim.html", order=order, form=form, problem=problem_text,
                           center=db.session.get(Center, order.center_id)), \
        (409 if problem_text and request.method == "POST" else 200)
