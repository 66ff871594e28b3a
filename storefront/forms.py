"""The shopper's forms: cart, checkout, sign-in, registration, VIP application.

Every page input passes through one of these; a form that does not validate writes nothing.
"""

import math
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from core.clock import shop_today
from core.forms import IntegerField
from fulfillment import divisions
from fulfillment.models import Method

from .models import PaymentMethod
from .orders import MAX_QUANTITY

#: digits with an optional leading +, spaces or dashes between (mainland mobiles and landlines)
PHONE_PATTERN = r"^\+?[0-9][0-9 \-]{5,22}$"

#: what a member may tell us they care about, in the order shown
INTERESTS = [
    SelectChoice("formula", _l("Infant formula and nutrition")),
    SelectChoice("baby_care", _l("Baby care and development")),
    SelectChoice("sea_cucumber", _l("Sea cucumber recipes")),
    SelectChoice("gifts", _l("Gifts and gift boxes")),
    SelectChoice("events", _l("Parent-child events and lectures")),
]


def _required(message=None):
    return InputRequired(message=message or _l("Please fill this in."))


def phone_validators(required: bool = True):
    """The phone rule of the shop's forms (the VIP form, checkout, the member's profile)."""
    validators = [_required()] if required else [Optional()]
    return validators + [Length(max=32), Regexp(PHONE_PATTERN, message=_l(
        "Please enter a phone number of digits, e.g. 138 1234 5678."))]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _quantity_field(label=_l("Quantity"), minimum: int = 1) -> IntegerField:
    return IntegerField(label, invalid_value_message=_l(
        "Please enter the quantity as a whole number."), validators=[
        InputRequired(message=_l("Please enter a quantity.")),
        NumberRange(min=minimum, max=MAX_QUANTITY,
                    message=_l("Choose a quantity from %(min)d to %(max)d.")),
    ])


# --- cart -------------------------------------------------------------------------------------


class AddToCartForm(FlaskForm):
    product_id = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    quantity = _quantity_field()


class CartQuantityForm(FlaskForm):
    """Change a line's quantity; 0 removes it."""

    product_id = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    quantity = _quantity_field(minimum=0)


class CartRemoveForm(FlaskForm):
    product_id = IntegerField(validators=[InputRequired()], widget=HiddenInput())


# --- checkout ---------------------------------------------------------------------------------


class CheckoutLineForm(Form):
    """One line of the order, as the shopper confirms it on the checkout page."""

    product_id = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    quantity = _quantity_field()


class PickedPlace:
    """The address picker's codes (hidden fields it fills beside the names): when a district
    code is sent, the codes say the place and the names follow them; a code that names no
    district, or three that are not one place, is an error on the district. Without codes
    (no JavaScript, or an app) the typed names are read as they are, in Chinese or English.
    """

    province_code = HiddenField(filters=[lambda v: (v or "").strip()])
    city_code = HiddenField(filters=[lambda v: (v or "").strip()])
    district_code = HiddenField(filters=[lambda v: (v or "").strip()])

    def take_picked_place(self) -> bool:
        """Fill the names from the codes, when there are codes; False when they are wrong."""
        code = self.district_code.data
        if not code:
            return True
        place = divisions.resolve_codes(self.province_code.data, self.city_code.data, code)
        if place is None:
            return False
        self.province.data = place.province.name
        self.city.data = place.city.name
        self.district.data = place.district.name
        return True

    def refuse_picked_place(self) -> None:
        self.district.errors = [*self.district.errors, _l(
            "Please choose the district from the list.")]


class CheckoutForm(PickedPlace, FlaskForm):
    """Pickup at a store or delivery to an address, and how to pay.

    The view sets ``center_ids`` (the stores on offer) before validating; the address is
    required only for delivery, the store only for pickup.
    """

    method = RadioField(_l("How would you like to receive it?"), default=Method.PICKUP, choices=[
        SelectChoice(Method.PICKUP, _l("Pick up at a store")),
        SelectChoice(Method.DELIVERY, _l("Home delivery")),
        SelectChoice(Method.COURIER, _l("Ship by courier")),
    ], validators=[InputRequired(message=_l("Choose pickup or delivery."))])
    center_id = IntegerField(_l("Store"), validators=[Optional()])
    #: delivery or courier to one of the shopper's saved addresses; empty: the one typed below
    address_id = IntegerField(_l("Deliver to"), validators=[Optional()])
    save_address = BooleanField(_l("Save this address to my address book"))
    name = StringField(_l("Recipient"), filters=[_strip], validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=32)])
    province = StringField(_l("Province"), filters=[_strip],
                           validators=[Optional(), Length(max=40)])
    city = StringField(_l("City"), filters=[_strip], validators=[Optional(), Length(max=40)])
    district = StringField(_l("District"), filters=[_strip],
                           validators=[Optional(), Length(max=40)])
    street = StringField(_l("Street and number"), filters=[_strip],
                         validators=[Optional(), Length(max=200)])
    #: the browser's position (geolocation), so a center delivering within a radius serves it
    lat = FloatField(widget=HiddenInput(), validators=[Optional(), NumberRange(
        min=-90, max=90, message=_l("Your location could not be read; please try again."))])
    lng = FloatField(widget=HiddenInput(), validators=[Optional(), NumberRange(
        min=-180, max=180, message=_l("Your location could not be read; please try again."))])
    payment_method = RadioField(_l("Payment"), choices=[
        SelectChoice(PaymentMethod.PAY_AT_PICKUP, _l("Pay at pickup")),
        SelectChoice(PaymentMethod.CASH_ON_DELIVERY, _l("Cash on delivery")),
    ], validators=[InputRequired(message=_l("Choose how you will pay."))])
    note = TextAreaField(_l("Note for the store (optional)"), filters=[_strip],
                         validators=[Optional(), Length(max=500)])
    lines = FieldList(FormField(CheckoutLineForm), min_entries=0, max_entries=50)
    slot_id = IntegerField(_l("Time"), validators=[Optional()])
    points = IntegerField(_l("VIP points to use"), validators=[
        Optional(), NumberRange(min=0, max=100_000_000, message=_l("Enter a whole number."))])
    coupon = StringField(_l("Coupon code"), filters=[_strip],
                         validators=[Optional(), Length(max=20)])

    center_ids: tuple[int, ...] = ()
    #: the shopper's saved addresses by id, as an order takes them (the view sets them)
    saved_addresses: dict[int, dict] = {}

    def __init__(self, *args, courier: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not courier:  # no warehouse ships by courier
            self.method.choices = [c for c in self.method.choices if c.value != Method.COURIER]
        if current_app.config.get("STRIPE_SECRET_KEY"):  # online payment is configured
            self.payment_method.choices = [*self.payment_method.choices, SelectChoice(
                PaymentMethod.STRIPE, _l("Pay online: card, Alipay or WeChat Pay"))]

    def validate(self, extra_validators=None) -> bool:
        picked = self.take_picked_place()
        valid = super().validate(extra_validators)
        if not picked and self.method.data in Method.SHIPPED and not self.uses_saved_address():
            self.refuse_picked_place()
            valid = False
        if self.method.data == Method.PICKUP:
            if self.center_id.data not in self.center_ids and not self.center_id.errors:
                self.center_id.errors = [_l("Please choose a store.")]
                valid = False
            if self.payment_method.data == PaymentMethod.CASH_ON_DELIVERY:
                self.payment_method.errors = [*self.payment_method.errors, _l(
                    "Cash on delivery is for home delivery. For pickup, please pay at the store.")]
                valid = False
        elif self.method.data in Method.SHIPPED and self.address_id.data is not None:
            if self.address_id.data not in self.saved_addresses and not self.address_id.errors:
                self.address_id.errors = [_l("Please choose one of your addresses.")]
                valid = False
        elif self.method.data in Method.SHIPPED:
            for field in (self.name, self.province, self.city, self.district, self.street):
                if not field.data:
                    field.errors = [*field.errors, _l("Please fill this in for delivery.")]
                    valid = False
            if not self.phone.data:
                self.phone.errors = [*self.phone.errors, _l("Please fill this in for delivery.")]
                valid = False
            else:
                try:
                    Regexp(PHONE_PATTERN, message=_l(
                        "Please enter a phone number of digits, e.g. 138 1234 5678."))(
                        self, self.phone)
                except ValidationError as err:
                    self.phone.errors = [*self.phone.errors, str(err)]
                    valid = False
        if self.method.data in Method.SHIPPED:
            if self.payment_method.data == PaymentMethod.PAY_AT_PICKUP:
                self.payment_method.errors = [*self.payment_method.errors, _l(
                    "Pay at pickup is for store pickup. For delivery, please pay cash on "
                    "delivery.")]
                valid = False
        for coordinate in (self.lat, self.lng):
            if coordinate.data is not None and not math.isfinite(coordinate.data):
                coordinate.errors = [_l("Your location could not be read; please try again.")]
                valid = False
        if (self.lat.data is None) != (self.lng.data is None):
            self.lat.errors = [*self.lat.errors, _l(
                "Your location could not be read; please try again.")]
            valid = False
        seen = set()
        for entry in self.lines.entries:
            product_id = entry.form.product_id.data
            if product_id in seen:
                entry.form.product_id.errors = [_l("This product is listed twice.")]
                valid = False
            seen.add(product_id)
        if not self.lines.entries:
            self.lines.errors = [str(_l("There is nothing to order."))]
            valid = False
        return valid

    def position(self) -> tuple[float, float] | None:
        """The shopper's (lat, lng) when both are given and real, else None."""
        lat, lng = self.lat.data, self.lng.data
        if not (isinstance(lat, float) and isinstance(lng, float)) or self.lat.errors \
                or self.lng.errors:
            return None
        if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90
                and -180 <= lng <= 180):
            return None
        return lat, lng

    def uses_saved_address(self) -> bool:
        return self.address_id.data is not None and self.address_id.data in self.saved_addresses

    def address(self) -> dict:
        """Where to deliver: the saved address chosen, or the one typed. Either takes the
        page's position when it has none of its own, so both are routed alike."""
        if self.uses_saved_address():
            address = dict(self.saved_addresses[self.address_id.data])
            if "lat" not in address and self.position() is not None:
                address["lat"], address["lng"] = self.position()
            return address
        address = {"name": self.name.data, "phone": self.phone.data,
                   "province": self.province.data, "city": self.city.data,
                   "district": self.district.data, "street": self.street.data}
        position = self.position()
        if position is not None:
            address["lat"], address["lng"] = position
        return address


# --- VIP club ---------------------------------------------------------------------------------


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VipForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[_required(), Length(max=100)])
    phone = StringField(_l("Mobile phone"), filters=[_strip], validators=phone_validators())
    birthday = DateField(_l("Your birthday (optional)"), validators=[Optional()])
    baby_birthday = DateField(_l("Baby's birth date or due date (optional)"),
                              validators=[Optional()])
    city = StringField(_l("City (optional)"), filters=[_strip],
                       validators=[Optional(), Length(max=40)])
    interests = MultiCheckboxField(_l("What interests you?"), choices=INTERESTS,
                                   validators=[Optional()])
    marketing_consent = BooleanField(_l(
        "Yes, send me offers, event invitations and member news by SMS and e-mail."))

    def validate_birthday(self, field):
        if field.data and not date(1900, 1, 1) <= field.data <= shop_today():
            raise ValidationError(_l("Please enter a date in the past."))

    def validate_baby_birthday(self, field):
        today = shop_today()
        if field.data and not today - timedelta(days=18 * 366) <= field.data \
                <= today + timedelta(days=300):
            raise ValidationError(_l(
                "Please enter the birth date, or a due date within the next ten months."))
