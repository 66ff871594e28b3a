"""The account page's address form: the fields and checks of checkout's delivery address."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length

from ..forms import PickedPlace, _strip, phone_validators
from .services import LIMITS


def _text(label, name: str) -> StringField:
    return StringField(label, filters=[_strip], validators=[
        InputRequired(message=_l("Please fill this in.")), Length(max=LIMITS[name])])


class AddressForm(PickedPlace, FlaskForm):
    name = _text(_l("Recipient"), "name")
    phone = StringField(_l("Phone"), filters=[_strip], validators=phone_validators())
    province = _text(_l("Province"), "province")
    city = _text(_l("City"), "city")
    district = _text(_l("District"), "district")
    street = _text(_l("Street and number"), "street")
    is_default = BooleanField(_l("Use as my default address"))

    def validate(self, extra_validators=None) -> bool:
        picked = self.take_picked_place()
        valid = super().validate(extra_validators)
        if not picked:
            self.refuse_picked_place()
        return valid and picked

    def address(self) -> dict:
        return {name: getattr(self, name).data
                for name in ("name", "phone", "province", "city", "district", "street")}
