"""The address book in the API: what a client sends (checked as the pages check it) and
what it gets back."""

from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema

from fulfillment import divisions
from fulfillment.schemas import PlainText

from ..forms import PHONE_PATTERN
from .services import LIMITS

PHONE = validate.Regexp(PHONE_PATTERN, error="Not a valid phone number.")


def _text(name: str, required: bool) -> PlainText:
    checks = [validate.Length(min=1, max=LIMITS[name])] + ([PHONE] if name == "phone" else [])
    return PlainText(required=required, validate=checks)


def _coordinate(bound: int) -> fields.Float:
    return fields.Float(allow_none=True, allow_nan=False,
                        validate=validate.Range(min=-bound, max=bound))


class SavedAddressPatchSchema(Schema):
    """A change: only the fields given change. Changing the place without a new position
    forgets the old one; ``is_default`` true makes this the default. The province, city and
    district may be given in Chinese (上海市, or 上海), in English (Shanghai, Xuhui District,
    Xuhui) or as their codes: they are kept as the divisions name them in Chinese, with
    their codes (and English names) beside them."""

    name = _text("name", False)
    phone = _text("phone", False)
    province = _text("province", False)
    city = _text("city", False)
    district = _text("district", False)
    street = _text("street", False)
    lat = _coordinate(90)
    lng = _coordinate(180)
    is_default = fields.Boolean(truthy={True}, falsy={False})

    @validates_schema
    def _whole_position(self, data, **_):
        if ("lat" in data) != ("lng" in data):
            missing = "lng" if "lat" in data else "lat"
            raise ValidationError("Give both lat and lng, or neither.", missing)
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ValidationError("Give both lat and lng, or neither.", "lat")


class SavedAddressCreateSchema(SavedAddressPatchSchema):
    """A new address; the first one a user saves is the default whatever ``is_default``."""

    name = _text("name", True)
    phone = _text("phone", True)
    province = _text("province", True)
    city = _text("city", True)
    district = _text("district", True)
    street = _text("street", True)
    is_default = fields.Boolean(load_default=False, truthy={True}, falsy={False})


class SavedAddressSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    province = fields.String()
    city = fields.String()
    district = fields.String()
    street = fields.String()
    province_code = fields.String(allow_none=True, metadata={
        "description": "GB/T 2260 code of the province; null when the names are no known place"})
    city_code = fields.String(allow_none=True)
    district_code = fields.String(allow_none=True)
    province_en = fields.Function(lambda a: divisions.english_of(a.province_code),
                                  allow_none=True, metadata={"example": "Shanghai"})
    city_en = fields.Function(lambda a: divisions.english_of(a.city_code), allow_none=True)
    district_en = fields.Function(lambda a: divisions.english_of(a.district_code),
                                  allow_none=True, metadata={"example": "Xuhui District"})
    lat = fields.Float(metadata={"description": "Absent when the position is not known."})
    lng = fields.Float(metadata={"description": "Absent when the position is not known."})
    is_default = fields.Boolean()

    @post_dump
    def _position_when_known(self, data, **_):
        if data.get("lat") is None or data.get("lng") is None:
            data.pop("lat", None)
            data.pop("lng", None)
        return data


class SavedAddressListSchema(Schema):
    items = fields.List(fields.Nested(SavedAddressSchema))
