"""Forms of the desk and of the back office's centers and staff pages (Flask-WTF)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from core.forms import DecimalField, IntegerField
from core.inputs import whole_number
from core.labels import ROLE_LABELS
from core.models import Role

TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
MAX_ON_HAND = 100_000


def _whole_or_none(value):
    """A select's value as a number (a center's id, a weekday), or None when left empty."""
    return whole_number(value) if value not in (None, "") else None


class NumberField(FloatField):
    """A decimal number (coordinates, distances) with a plain error message."""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = float(valuelist[0].strip().replace(",", "."))
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a number."))) from None
        if self.data != self.data or self.data in (float("inf"), float("-inf")):
            self.data = None
            raise ValueError(str(_l("Enter a number.")))


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class CodeForm(FlaskForm):
    """The code box at the top of the desk: the code the shopper shows."""

    code = StringField(_l("Pickup code"), validators=[
        DataRequired(message=_l("Type the code the customer shows.")), Length(max=20)])


#: how a customer pays at the desk (``dues.COLLECT_METHODS``), in the order the desk shows them
PAID_BY = {"cash": _l("Cash"), "wechat_scan": _l("WeChat Pay (scan)"),
           "alipay_scan": _l("Alipay (scan)"), "card_terminal": _l("Card terminal")}


class HandOverForm(FlaskForm):
    """The last look before hand-over: the code, who collects, and how the customer paid.

    Units per line (``take-<line id>``) come from the page's quantity boxes; fewer than
    what waits is a partial collection.
    """

    code = StringField(_l("Pickup code"), validators=[
        DataRequired(message=_l("Type the code the customer shows.")), Length(max=20)])
    collector_name = StringField(_l("Collected by (if not the customer)"),
                                 validators=[Optional(), Length(max=100)])
    collector_phone = StringField(_l("Their phone"), validators=[Optional(), Length(max=32)])
    paid_method = RadioField(_l("How the customer paid"), default=None,
                             choices=[SelectChoice(k, v) for k, v in PAID_BY.items()],
                             validators=[Optional()])
    #: cash handed over by the shopper, in yuan, to work out the change (not stored)
    tendered = DecimalField(_l("Cash received"), places=2, validators=[
        Optional(), NumberRange(min=0, max=1_000_000,
                                message=_l("Enter the cash received, e.g. 400."))])


class AlertForm(FlaskForm):
    """The level under which the desk is warned that a product runs low (empty: no warning)."""

    alert_below = IntegerField(_l("Warn below"), validators=[
        Optional(),
        NumberRange(min=0, max=MAX_ON_HAND,
                    message=_l("Enter a whole number from %(min)s to %(max)s."))])


class StockForm(FlaskForm):
    """A count: what is on the shelves, and for a product kept in lots, where extra units go."""

    on_hand = IntegerField(_l("On hand"), validators=[
        InputRequired(message=_l("Enter a whole number.")),
        NumberRange(min=0, max=MAX_ON_HAND,
                    message=_l("Enter a whole number from %(min)s to %(max)s."))])
    lot_id = IntegerField(_l("Into lot"), validators=[Optional()])
    batch = StringField(_l("New lot: batch number"), validators=[Optional(), Length(max=40)])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    produced_on = DateField(_l("Produced on"), validators=[Optional()])

    def lot(self) -> dict | None:
        """Where extra units go: an existing lot, a new one, or None when not said."""
        if self.lot_id.data:
            return {"lot_id": self.lot_id.data}
        if self.batch.data or self.expires_on.data:
            return {"batch": self.batch.data, "expires_on": self.expires_on.data,
                    "produced_on": self.produced_on.data}
        return None


#: how districts are typed where the picker is not (no JavaScript)
DISTRICTS_HELP = _l("One district a line, from the national divisions: its code, or province, "
                    "city and district, e.g. 310104, 上海市 上海市 徐汇区 or Shanghai / Shanghai "
                    "/ Xuhui District.")


class CenterForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))],
        description=_l("Short and unique, e.g. SH-JA."))
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=100)])
    is_pickup = BooleanField(_l("Pickup store"))
    is_delivery = BooleanField(_l("Delivery center"))
    is_warehouse = BooleanField(_l("Warehouse"), description=_l(
        "Holds stock for the network and ships by courier where no center delivers."))
    province = StringField(_l("Province"), validators=[DataRequired(), Length(max=40)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=40)])
    district = StringField(_l("District"), validators=[DataRequired(), Length(max=40)])
    address_zh = StringField(_l("Address (Chinese)"), validators=[DataRequired(), Length(max=200)])
    address_en = StringField(_l("Address (English)"), validators=[Optional(), Length(max=200)])
    lat = NumberField(_l("Latitude"), validators=[
        InputRequired(message=_l("Enter a number.")), NumberRange(min=-90, max=90)])
    lng = NumberField(_l("Longitude"), validators=[
        InputRequired(message=_l("Enter a number.")), NumberRange(min=-180, max=180)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    opens_at = StringField(_l("Opens at"), default="10:00", validators=[
        DataRequired(), Regexp(TIME_PATTERN, message=_l("Use HH:MM, e.g. 09:30."))])
    closes_at = StringField(_l("Closes at"), default="21:00", validators=[
        DataRequired(), Regexp(TIME_PATTERN, message=_l("Use HH:MM, e.g. 21:00."))])
    radius_km = NumberField(_l("Delivery radius (km)"), validators=[
        Optional(), NumberRange(min=0, max=500)],
        description=_l("A delivery center also serves addresses within this distance."))
    districts = TextAreaField(_l("Delivery districts"), validators=[Optional(), Length(max=20000)],
                              description=DISTRICTS_HELP)
    weekly_hours = TextAreaField(_l("Hours by weekday"), validators=[
        Optional(), Length(max=2000)], description=_l(
        "Only the days that differ from the usual hours, one per line, e.g. "
        "\"Sat 10:00-18:00\" or \"Sun closed\"."))
    holidays = TextAreaField(_l("Closed on"), validators=[Optional(), Length(max=5000)],
                             description=_l("One date per line, with a note if you like, "
                                            "e.g. \"2026-10-01 National Day\"."))
    active = BooleanField(_l("Active"), default=True)

    def data_for_service(self) -> dict:
        """The fields as the service takes them (``districts`` still as text)."""
        names = ("code", "name_zh", "name_en", "is_pickup", "is_delivery", "is_warehouse",
                 "province", "city", "district", "address_zh", "address_en", "lat", "lng",
                 "phone", "contact_person", "opens_at", "closes_at", "radius_km", "districts",
                 "weekly_hours", "holidays", "active")
        return {name: getattr(self, name).data for name in names}


STAFF_ROLES = [SelectChoice(role, ROLE_LABELS[role]) for role in (Role.STAFF, Role.CRM, Role.ADMIN)]


class StaffForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(), Length(min=8, max=200, message=_l("At least 8 characters."))])
    role = SelectField(_l("Role"), choices=STAFF_ROLES, default=Role.STAFF)
    center_id = SelectField(_l("Center"), coerce=_whole_or_none,
                            validate_choice=False,
                            description=_l("Required for store staff."))


def _fen(value) -> int | None:
    """A DecimalField's yuan as integer fen."""
    return None if value is None else int((Decimal(value) * 100).to_integral_value())


class ZoneForm(FlaskForm):
    """A delivery zone: where, and at what price (amounts in yuan)."""

    name = StringField(_l("Zone name"), validators=[DataRequired(), Length(max=60)])
    fee = DecimalField(_l("Delivery fee (yuan)"), places=2, validators=[
        InputRequired(message=_l("Enter an amount.")), NumberRange(min=0, max=10000)])
    free_over = DecimalField(_l("Free delivery from (yuan)"), places=2, validators=[
        Optional(), NumberRange(min=0, max=1000000)])
    min_order = DecimalField(_l("Minimum order (yuan)"), places=2, default=0, validators=[
        Optional(), NumberRange(min=0, max=1000000)])
    radius_km = NumberField(_l("Radius (km)"), validators=[Optional(), NumberRange(min=0.1,
                                                                                  max=500)])
    districts = TextAreaField(_l("Districts"), validators=[Optional(), Length(max=20000)],
                              description=DISTRICTS_HELP)

    def data_for_service(self) -> dict:
        return {"name": (self.name.data or "").strip(), "fee_amount": _fen(self.fee.data),
                "free_over_amount": _fen(self.free_over.data),
                "min_order_amount": _fen(self.min_order.data) or 0,
                "radius_km": self.radius_km.data}


WEEKDAY_CHOICES = [SelectChoice("", _l("Every day"))] + [
    SelectChoice(str(i), name) for i, name in enumerate(
        (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
         _l("Saturday"), _l("Sunday")))]


class WindowForm(FlaskForm):
    """A weekly pickup or delivery window with its capacity."""

    kind = SelectField(_l("For"), choices=[SelectChoice("pickup", _l("Pickup")),
                                           SelectChoice("delivery", _l("Delivery"))])
    weekday = SelectField(_l("Day"), choices=WEEKDAY_CHOICES, default="",
                          coerce=_whole_or_none)
    starts = StringField(_l("From"), validators=[
        DataRequired(), Regexp(TIME_PATTERN, message=_l("Use HH:MM, e.g. 09:30."))])
    ends = StringField(_l("Until"), validators=[
        DataRequired(), Regexp(TIME_PATTERN, message=_l("Use HH:MM, e.g. 21:00."))])
    capacity = IntegerField(_l("Orders per slot"), default=10, validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=1000)])


class _LotFields(FlaskForm):
    """What a received batch says about itself: batch number, dates, units."""

    batch = StringField(_l("Batch number"), validators=[DataRequired(), Length(max=40)])
    produced_on = DateField(_l("Produced on"), validators=[Optional()])
    expires_on = DateField(_l("Expires on"), validators=[
        InputRequired(message=_l("Enter the expiry date."))])
    quantity = IntegerField(_l("Units"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=100_000)])


class LotForm(_LotFields):
    """Receive a batch of a product at a center (the back office: any center, by SKU)."""

    center_id = SelectField(_l("Center"), coerce=_whole_or_none,
                            validate_choice=False)
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=40)])


def _int_or_none(value):
    return int(value) if value not in (None, "") and str(value).isdigit() else None


class DeskTransferForm(FlaskForm):
    """The desk asks another center (usually the warehouse) for units of a product."""

    from_center_id = SelectField(_l("From"), coerce=_int_or_none, validators=[
        InputRequired(message=_l("Choose the center that sends the units."))])
    product_id = SelectField(_l("Product"), coerce=_int_or_none, validators=[
        InputRequired(message=_l("Choose a product."))])
    quantity = IntegerField(_l("Units"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=100_000)])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


class DeskLotForm(_LotFields):
    """The desk receives a batch of a product."""

    product_id = SelectField(_l("Product"), coerce=_int_or_none, validators=[
        InputRequired(message=_l("Choose a product."))])
