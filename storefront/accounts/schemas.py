"""What the accounts API reads and writes."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.phones import mobile_number
from fulfillment.schemas import NO_CONTROL, PlainText

from ..schemas import PHONE


class Mobile(fields.String):
    """A mainland mobile number, loaded as its 11 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        number = mobile_number(text) if len(text) <= 32 else None
        if number is None:
            raise ValidationError("Not a mainland mobile number (11 digits, e.g. 13812345678).")
        return number


CODE = validate.Regexp(r"^[0-9]{6}$", error="The code has 6 digits.")
PASSWORD = validate.Length(min=8, max=128)


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    name = PlainText(required=True, validate=validate.Length(min=1, max=100))
    phone = PlainText(allow_none=True, validate=[validate.Length(max=32), PHONE])


class RegisteredSchema(Schema):
    email = fields.String()
    name = fields.String()
    #: always "confirm_email": the account opens when the e-mailed link is followed
    status = fields.String()


class CodeRequestSchema(Schema):
    phone = Mobile(required=True)
    purpose = fields.String(load_default="sign_in", validate=validate.OneOf(["sign_in"]))


class CodeSentSchema(Schema):
    expires_in = fields.Integer()


class TokenRequestSchema(Schema):
    """``{"email", "password"}``, ``{"phone", "password"}`` or ``{"phone", "code"}``."""

    email = fields.String(validate=[validate.Length(min=1, max=254), NO_CONTROL])
    phone = Mobile()
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=128))
    code = fields.String(load_only=True, validate=CODE)
    #: the name of an account a code opens (optional)
    name = PlainText(validate=validate.Length(min=1, max=100))

    @validates_schema
    def one_way_in(self, data, **kwargs):
        if "email" in data and "phone" in data:
            raise ValidationError("Give an e-mail or a phone, not both.", "phone")
        if "email" not in data and "phone" not in data:
            raise ValidationError("An e-mail or a phone is required.", "phone")
        if ("password" in data) == ("code" in data):
            raise ValidationError("Give a password or a code.", "password")
        if "code" in data and "phone" not in data:
            raise ValidationError("A code signs in with a phone.", "phone")


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class ResetRequestSchema(Schema):
    email = fields.Email(validate=validate.Length(max=254))
    phone = Mobile()

    @validates_schema
    def one_of_them(self, data, **kwargs):
        if ("email" in data) == ("phone" in data):
            raise ValidationError("Give an e-mail or a phone.", "email")


class ResetConfirmSchema(Schema):
    """``{"token", "password"}`` (the e-mailed link) or ``{"phone", "code", "password"}``."""

    token = fields.String(validate=[validate.Length(min=20, max=100), NO_CONTROL])
    phone = Mobile()
    code = fields.String(validate=CODE)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)

    @validates_schema
    def link_or_code(self, data, **kwargs):
        by_link = "token" in data
        by_code = "phone" in data or "code" in data
        if by_link == by_code:
            raise ValidationError("Give the link's token, or the phone and its code.", "token")
        if by_code and not ("phone" in data and "code" in data):
            raise ValidationError("The phone and its code are both required.", "code")


class PasswordChangeSchema(Schema):
    current_password = fields.String(load_only=True, validate=validate.Length(max=128))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
