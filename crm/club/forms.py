"""Forms of the club's pages: the member's preferences, events, and the staff's articles."""

from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.clock import shop_today, shop_zone
from core.forms import IntegerField
from core.inputs import whole_number
from storefront.admin_services import IMAGE_EXTENSIONS
from storefront.forms import INTERESTS, phone_validators

from .events import MAX_ATTENDEES

TIER_CHOICES = [SelectChoice("classic", _l("Classic card")),
                SelectChoice("silver", _l("Silver card")),
                SelectChoice("gold", _l("Gold card")),
                SelectChoice("diamond", _l("Diamond card"))]
CHANNEL_CHOICES = [SelectChoice("sms", _l("SMS")), SelectChoice("email", _l("E-mail")),
                   SelectChoice("phone", _l("Phone call")), SelectChoice("wechat", _l("WeChat"))]


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def to_utc(local: datetime | None) -> datetime | None:
    """A time typed in the shop's zone, as UTC."""
    return None if local is None else local.replace(tzinfo=shop_zone()).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(shop_zone()).replace(tzinfo=None)


class ChildForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(_l("Child's name (optional)"), filters=[_strip],
                       validators=[Optional(), Length(max=40)])
    birth_date = DateField(_l("Birth date or due date"), validators=[Optional()])


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Mobile phone"), filters=[_strip], validators=phone_validators())
    birthday = DateField(_l("Your birthday (optional)"), validators=[Optional()],
                         description=_l("You can change it once a year."))
    city = StringField(_l("City (optional)"), filters=[_strip],
                       validators=[Optional(), Length(max=40)])
    children = FieldList(FormField(ChildForm), min_entries=2, max_entries=4)
    interests = MultiCheckbox(_l("What interests you?"), choices=INTERESTS,
                              validators=[Optional()])
    channels = MultiCheckbox(_l("How may we contact you?"), choices=CHANNEL_CHOICES,
                             validators=[Optional()])
    marketing_consent = BooleanField(_l(
        "Yes, send me offers, event invitations and member news."))

    def data_for_service(self) -> dict:
        return {"name": self.name.data, "phone": self.phone.data, "birthday": self.birthday.data,
                "city": self.city.data, "interests": self.interests.data,
                "channels": self.channels.data, "marketing_consent": self.marketing_consent.data,
                "children": [{"name": e.form.name.data, "birth_date": e.form.birth_date.data}
                             for e in self.children.entries if e.form.birth_date.data]}

    def validate_birthday(self, field):
        if field.data and not date(1900, 1, 1) <= field.data <= shop_today():
            raise ValidationError(_l("Please enter a date in the past."))


class CloseForm(FlaskForm):
    confirm = BooleanField(_l("I understand: my card, points and profile end now."),
                           validators=[DataRequired(message=_l("Please confirm."))])


class RegistrationForm(FlaskForm):
    attendees = IntegerField(_l("People coming"), default=1, validators=[
        InputRequired(), NumberRange(min=1, max=MAX_ATTENDEES)])
    waitlist = BooleanField(_l("Put me on the waitlist if it is full"), default=True)


class AudienceFields(FlaskForm):
    tiers = MultiCheckbox(_l("Tiers (none: every tier)"), choices=TIER_CHOICES,
                          validators=[Optional()])
    age_min_months = IntegerField(_l("Baby's age from (months)"), validators=[Optional()])
    age_max_months = IntegerField(_l("to (months)"), validators=[Optional()])
    for_pregnancy = BooleanField(_l("For expecting parents"))
    interests = MultiCheckbox(_l("Interests (none: everyone)"), choices=INTERESTS,
                              validators=[Optional()])
    cities = StringField(_l("Cities, comma-separated (empty: every city)"), filters=[_strip],
                         validators=[Optional(), Length(max=300)])

    def audience(self) -> dict:
        return {"tiers": self.tiers.data, "age_min_months": self.age_min_months.data,
                "age_max_months": self.age_max_months.data,
                "for_pregnancy": self.for_pregnancy.data, "interests": self.interests.data,
                "cities": [c for c in (self.cities.data or "").replace("，", ",").split(",")]}

    def fill_audience(self, item) -> None:
        self.tiers.data, self.interests.data = list(item.tiers), list(item.interests)
        self.age_min_months.data, self.age_max_months.data = (item.age_min_months,
                                                              item.age_max_months)
        self.for_pregnancy.data, self.cities.data = item.for_pregnancy, ", ".join(item.cities)


class ArticleForm(AudienceFields):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)])
    cover = FileField(_l("Cover image"), validators=[FileAllowed(
        IMAGE_EXTENSIONS, _l("Upload a JPEG, PNG or WebP image."))],
        description=_l("Wide, at least 1200 × 600 pixels; JPEG, PNG or WebP."))
    remove_cover = BooleanField(_l("Remove the cover"))
    body_md = TextAreaField(_l("Body (Markdown)"), validators=[Optional(), Length(max=100_000)])
    publish_from = DateTimeLocalField(_l("Publish from (empty: draft)"), validators=[Optional()])
    publish_until = DateTimeLocalField(_l("Publish until (optional)"), validators=[Optional()])

    def uploaded_cover(self):
        """The uploaded file, or None when none was chosen."""
        upload = self.cover.data
        return upload if upload is not None and getattr(upload, "filename", "") else None

    def data_for_service(self) -> dict:
        return {"title": self.title.data, "summary": self.summary.data,
                "remove_cover": self.remove_cover.data, "body_md": self.body_md.data,
                "publish_from": to_utc(self.publish_from.data),
                "publish_until": to_utc(self.publish_until.data), **self.audience()}


class EventForm(AudienceFields):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    starts_at = DateTimeLocalField(_l("Starts"), validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (optional)"), validators=[Optional()])
    center_id = SelectField(_l("Store"), coerce=whole_number, validate_choice=False)
    address = StringField(_l("Or an address"), filters=[_strip],
                          validators=[Optional(), Length(max=300)])
    city = StringField(_l("City"), filters=[_strip], validators=[DataRequired(), Length(max=40)])
    capacity = IntegerField(_l("Capacity (people)"), validators=[InputRequired()])
    published = BooleanField(_l("Open for registration"), default=True)

    def data_for_service(self) -> dict:
        return {"title": self.title.data, "description": self.description.data,
                "starts_at": to_utc(self.starts_at.data), "ends_at": to_utc(self.ends_at.data),
                "center_id": self.center_id.data or None, "address": self.address.data,
                "city": self.city.data, "capacity": self.capacity.data,
                "published": self.published.data, **self.audience()}


class CheckInForm(FlaskForm):
    card_number = StringField(_l("Card number (scan the member's QR)"), filters=[_strip],
                              validators=[DataRequired(), Length(max=20)])
