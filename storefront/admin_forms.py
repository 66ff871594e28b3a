"""Forms of the back office's catalog pages: products and categories."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from core.forms import IntegerField

from .admin_services import IMAGE_EXTENSIONS, MAX_PRICE_AMOUNT
from .loyalty.tiers import ROUNDING

_YUAN_RE = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def yuan_to_fen(text: str) -> int:
    """``"128.50"`` -> ``12850``. Decimal all the way: a float would lose fen.

    Raises ``ValueError`` for anything but a non-negative amount with at most 2 decimals.
    """
    text = (text or "").strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not _YUAN_RE.match(text):
        raise ValueError(text)
    try:
        fen = Decimal(text) * 100
    except InvalidOperation:
        raise ValueError(text) from None
    return int(fen)


def fen_to_yuan(amount: int | None) -> str:
    """``12850`` -> ``"128.50"``, for the form to show."""
    if amount is None:
        return ""
    return f"{Decimal(int(amount)).scaleb(-2):.2f}"


class YuanField(StringField):
    """Money typed in yuan ("128.00"), held as integer fen."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return fen_to_yuan(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = yuan_to_fen(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter an amount in yuan, 0 or more, like 128.00."))) \
                from None
        if self.data > MAX_PRICE_AMOUNT:
            self.data = None
            raise ValueError(str(_l("This amount is too large.")))


#: the tiers with a price field on the product form
TIER_CODES = ("classic", "silver", "gold", "diamond")


class ProductForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dots, dashes only."))])
    barcode = StringField(_l("Barcode (EAN-13)"), validators=[Optional(), Length(max=20)],
                          description=_l("The 13 digits under the barcode on the box; "
                                         "leave empty for none."))
    slug = StringField(_l("Web address"), validators=[
        DataRequired(), Length(max=80),
        Regexp(SLUG_PATTERN, message=_l("Lower-case letters, digits and dashes, "
                                        "e.g. sea-cucumber-premium."))],
        description=_l("The end of the product's web address, as in "
                    "/products/sea-cucumber-premium."))
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    description_zh = TextAreaField(_l("Description (Chinese)"),
                                   validators=[Optional(), Length(max=20000)])
    description_en = TextAreaField(_l("Description (English)"),
                                   validators=[Optional(), Length(max=20000)])
    category_id = SelectField(_l("Category"), coerce=int, validate_choice=True)
    price = YuanField(_l("Price (yuan)"), validators=[InputRequired(
        message=_l("Enter an amount in yuan, 0 or more, like 128.00."))])
    member_price = YuanField(_l("Member price (yuan)"), validators=[Optional()],
                             description=_l("What VIP members pay; leave empty for none."))
    price_classic = YuanField(_l("Classic card price (yuan)"), validators=[Optional()])
    price_silver = YuanField(_l("Silver card price (yuan)"), validators=[Optional()])
    price_gold = YuanField(_l("Gold card price (yuan)"), validators=[Optional()])
    price_diamond = YuanField(_l("Diamond card price (yuan)"), validators=[Optional()],
                              description=_l("Per tier; empty: the member price applies."))
    days_of_supply = IntegerField(_l("Days of supply"), validators=[
        Optional(), NumberRange(min=1, max=3650, message=_l("A whole number of days, 1 or more."))],
        description=_l("How many days one unit lasts (formula); empty where it does not apply."))
    position = IntegerField(_l("Position"), default=0, validators=[
        Optional(), NumberRange(min=-100000, max=100000)],
        description=_l("Lower numbers come first."))
    active = BooleanField(_l("On sale"), default=True)
    image = FileField(_l("Image"), validators=[FileAllowed(
        IMAGE_EXTENSIONS, _l("Upload a JPEG, PNG or WebP image."))],
        description=_l("Square, at least 800 × 800 pixels; JPEG, PNG or WebP."))

    def data_for_service(self) -> dict:
        return {
            "sku": self.sku.data, "barcode": self.barcode.data,
            "slug": self.slug.data, "name_zh": self.name_zh.data,
            "name_en": self.name_en.data, "description_zh": self.description_zh.data,
            "description_en": self.description_en.data, "category_id": self.category_id.data,
            "price_amount": self.price.data, "member_price_amount": self.member_price.data,
            "days_of_supply": self.days_of_supply.data,
            "position": self.position.data or 0, "active": self.active.data,
            "tier_prices": {tier: getattr(self, f"price_{tier}").data for tier in TIER_CODES},
        }


class TierForm(FlaskForm):
    """A club tier: its names, the 12-month spend that reaches it, its points rate."""

    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=40)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=40)])
    threshold = YuanField(_l("12-month spend to reach it (yuan)"), validators=[InputRequired(
        message=_l("Enter an amount in yuan, 0 or more, like 128.00."))])
    points_per_100_yuan = IntegerField(_l("Points per 100 yuan"), validators=[
        InputRequired(), NumberRange(min=0, max=10_000)])
    price_rounding = SelectField(_l("Member prices of this tier"), coerce=int,
                                 choices=[SelectChoice(k, v) for k, v in ROUNDING.items()],
                                 description=_l("Rounded down, in the member's favour."))

    def data_for_service(self) -> dict:
        return {"name_zh": self.name_zh.data, "name_en": self.name_en.data,
                "threshold_amount": self.threshold.data,
                "points_per_100_yuan": self.points_per_100_yuan.data,
                "price_rounding": self.price_rounding.data}


class CategoryForm(FlaskForm):
    slug = StringField(_l("Web address"), validators=[
        DataRequired(), Length(max=60),
        Regexp(SLUG_PATTERN, message=_l("Lower-case letters, digits and dashes, "
                                        "e.g. infant-formula."))],
        description=_l("Used in the catalog's web address, as in "
                    "/products?category=infant-formula."))
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=60)])
    position = IntegerField(_l("Position"), default=0, validators=[
        Optional(), NumberRange(min=-100000, max=100000)],
        description=_l("Lower numbers come first."))

    def data_for_service(self) -> dict:
        return {"slug": self.slug.data, "name_zh": self.name_zh.data,
                "name_en": self.name_en.data, "position": self.position.data or 0}
