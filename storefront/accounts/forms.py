"""The forms of signing in, opening an account, and keeping it safe."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp

from core.phones import mobile_number

from ..forms import PHONE_PATTERN

#: what a password must be, everywhere one is chosen
PASSWORD_RULE = Length(min=8, max=200, message=_l("Use at least 8 characters."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _required():
    return InputRequired(message=_l("This field is required."))


class MobileField(StringField):
    """A mainland mobile number; ``data`` is its 11 digits once the form validates."""

    def post_validate(self, form, validation_stopped):
        if not validation_stopped and not self.errors:
            number = mobile_number(self.data)
            if number is None:
                self.errors.append(str(_l(
                    "Please enter a mainland mobile number, e.g. 138 1234 5678.")))
            else:
                self.data = number


class CodeField(StringField):
    """The six digits of an SMS code (spaces typed between them are dropped)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = "".join(self.data.split())


class LoginForm(FlaskForm):
    identifier = StringField(_l("E-mail or mobile number"), filters=[_strip], validators=[
        _required(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[_required(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device (30 days)"))


class PhoneForm(FlaskForm):
    phone = MobileField(_l("Mobile number"), filters=[_strip],
                        validators=[_required(), Length(max=32)])


class CodeForm(FlaskForm):
    code = CodeField(_l("Code from the SMS"), validators=[
        _required(), Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits."))])
    name = StringField(_l("Your name (for a new account; optional)"), filters=[_strip],
                       validators=[Optional(), Length(max=100)])
    remember = BooleanField(_l("Keep me signed in on this device (30 days)"))


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[_strip], validators=[
        _required(), Length(max=254),
        Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False)])
    name = StringField(_l("Your name"), filters=[_strip], validators=[_required(), Length(max=100)])
    phone = StringField(_l("Mobile phone (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=32), Regexp(PHONE_PATTERN, message=_l(
            "Please enter a phone number of digits, e.g. 138 1234 5678."))])
    password = PasswordField(_l("Password"), validators=[_required(), PASSWORD_RULE])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        _required(), EqualTo("password", message=_l("The two passwords differ."))])


class ResetRequestForm(FlaskForm):
    identifier = StringField(_l("E-mail or mobile number"), filters=[_strip], validators=[
        _required(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    token = HiddenField(validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("New password"), validators=[_required(), PASSWORD_RULE])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        _required(), EqualTo("password", message=_l("The two passwords differ."))])


class ResetCodeForm(NewPasswordForm):
    code = CodeField(_l("Code from the SMS"), validators=[
        _required(), Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits."))])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[Optional(), Length(max=200)])


class VerifyPhoneForm(FlaskForm):
    code = CodeField(_l("Code from the SMS"), validators=[
        _required(), Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits."))])


class ConfirmEmailForm(FlaskForm):
    token = HiddenField(validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("The password you chose"), validators=[_required(),
                                                                       Length(max=200)])
