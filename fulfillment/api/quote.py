"""Delivery quotes for anyone (under /api/v1/delivery): which center delivers to an address,
for what fee and minimum, in which slots. Products are read by SKU from the storefront's
table, by name."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.api import load_query, ok, route
from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.i18n import localized

from .. import divisions, zones
from ..errors import InsufficientStock
from ..schemas import QuoteQuerySchema, QuoteSchema
from .common import PRODUCTS, bp


def _quote_lines(skus: list[str], quantities: list[int] | None) -> tuple[list, dict]:
    """(product id, units) pairs for the paired query lists, and ``{id: sku}``."""
    quantities = quantities or [1] * len(skus)
    found = dict(db.session.execute(
        sa.select(PRODUCTS.c.sku, PRODUCTS.c.id).where(
            PRODUCTS.c.sku.in_(skus), PRODUCTS.c.active.is_(True))).all()) if skus else {}
    unknown = sorted(set(skus) - set(found))
    if unknown:
        raise ValidationFailed(errors={"sku": [str(_l("Unknown product: %(sku)s", sku=s))
                                               for s in unknown]})
    lines = [(found[sku], qty) for sku, qty in zip(skus, quantities, strict=True)]
    return lines, {pid: sku for sku, pid in found.items()}


def _money(amount: int | None, currency: str = "CNY"):
    return None if amount is None else {"amount": amount, "currency": currency}


@route(bp, "/delivery/quote", summary="Which center delivers here, for what fee, in which slots",
       tag="catalog", query=QuoteQuerySchema, response=QuoteSchema, auth=False,
       errors=("400:validation_error", "409:insufficient_stock",
               "422:no_center_serves_address"))
def delivery_quote():
    args = load_query(QuoteQuerySchema())
    if ("lat" in args) != ("lng" in args):
        missing = "lng" if "lat" in args else "lat"
        raise ValidationFailed(errors={missing: [str(_l("Give both lat and lng, or neither."))]})
    lines, skus = _quote_lines(args.get("sku") or [], args.get("quantity"))
    address = {k: args.get(k) for k in ("province", "city", "district", "lat", "lng")}
    try:
        quote = zones.quote_delivery(address, lines, now=utcnow())
    except InsufficientStock as err:
        for line in err.extra.get("lines", []):
            line["sku"] = skus.get(line.pop("product_id"))
        raise
    zone = quote.zone
    currency = zone.currency if zone is not None else "CNY"
    body = {"center_id": quote.center.id, "center_name": localized(quote.center, "name"),
            "zone": zone.name if zone is not None else None,
            "fee": _money(quote.fee_amount, currency),
            "min_order": _money(zone.min_order_amount if zone else 0, currency),
            "slots": quote.slots}
    if zone is not None and zone.free_over_amount is not None:
        body["free_over"] = _money(zone.free_over_amount, currency)
    return ok(QuoteSchema().dump(body))


class DivisionQuerySchema(Schema):
    province = fields.String(validate=validate.Regexp(r"^\d{6}$"), metadata={
        "description": "A province's code: its cities (a municipality's city is itself)."})
    city = fields.String(validate=validate.Regexp(r"^\d{6}$"), metadata={
        "description": "A city's code: its districts."})


class DivisionSchema(Schema):
    code = fields.String(metadata={"description": "GB/T 2260 code, e.g. 310104"})
    name = fields.String(metadata={"description": "The Chinese name, as addresses keep it",
                                   "example": "徐汇区"})
    name_en = fields.String(metadata={"description": "The English name (pinyin)",
                                      "example": "Xuhui District"})
    label = fields.String(metadata={"description": "The name in the reader's language (the "
                                    "lang cookie or Accept-Language): name_en in English"})


class DivisionListSchema(Schema):
    items = fields.List(fields.Nested(DivisionSchema))


@route(bp, "/divisions", summary="The national administrative divisions: provinces, a "
       "province's cities, a city's districts (for the address picker), named in Chinese "
       "and English", tag="catalog",
       query=DivisionQuerySchema, response=DivisionListSchema, auth=False,
       errors=("400:validation_error",))
def list_divisions():
    args = load_query(DivisionQuerySchema())
    if "city" in args:
        found = divisions.districts_of(args["city"])
    elif "province" in args:
        found = divisions.cities_of(args["province"])
    else:
        found = divisions.provinces()
    response, status = ok(DivisionListSchema().dump({"items": [
        {"code": d.code, "name": d.name, "name_en": d.name_en, "label": d.local()}
        for d in found]}))
    response.vary.add("Accept-Language")  # the label follows the reader's language
    return response, status
