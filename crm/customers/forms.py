"""Forms of the customer pages: search, a profile, children and tags, tag rules, saved
segments, the import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from core.forms import IntegerField

from .labels import CHANNEL_CHOICE_LABELS, GENDER_LABELS, SOURCE_LABELS, TIME_LABELS


def choices(labels: dict, blank=True) -> list:
    """A select's choices from a label map, headed by "— not known —" unless ``blank`` is
    False (the care forms use it too)."""
    head = [SelectChoice("", _l("— not known —"))] if blank else []
    return head + [SelectChoice(k, v) for k, v in labels.items()]


class CustomerSearchForm(FlaskForm):
    """The customer list's search box (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class ProfileForm(FlaskForm):
    """A customer's profile, as an agent fills it in (also for a new prospect)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254), Email()])
    gender = SelectField(_l("Gender"), choices=choices(GENDER_LABELS), default="")
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=40)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    occupation = StringField(_l("Occupation"), validators=[Optional(), Length(max=60)])
    interests = StringField(_l("Interests"), validators=[Optional(), Length(max=300)],
                            description=_l("E.g. cooking, infant care, gifts for parents."))
    source = SelectField(_l("How they found us"), choices=choices(SOURCE_LABELS, blank=False),
                         default="agent")
    preferred_channel = SelectField(_l("Preferred channel"),
                                    choices=choices(CHANNEL_CHOICE_LABELS), default="")
    preferred_time = SelectField(_l("Preferred time"), choices=choices(TIME_LABELS),
                                 default="")
    service_consent = BooleanField(_l("Agrees to service messages (order notices)"),
                                   default=True)
    marketing_consent = BooleanField(_l("Agrees to offers and news"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "name", "phone", "email", "gender", "birthday", "city", "district", "address",
            "occupation", "interests", "source", "preferred_channel", "preferred_time",
            "service_consent", "marketing_consent", "notes")}


class ChildForm(FlaskForm):
    name = StringField(_l("Child's name"), validators=[Optional(), Length(max=60)])
    gender = SelectField(_l("Gender"), choices=choices(GENDER_LABELS), default="")
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[Optional()],
                         description=_l("While the baby is on the way."))


class TagForm(FlaskForm):
    tag = StringField(_l("Tag"), validators=[DataRequired(), Length(max=40)])


class TagRuleForm(FlaskForm):
    """A tag rule: the tag, the test, its settings (only those of the test chosen count)."""

    tag = StringField(_l("Tag"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(_l("Test"), choices=[])
    min_months = StringField(_l("From age (months)"), validators=[Optional()])
    max_months = StringField(_l("To age (months)"), validators=[Optional()])
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    min_addresses = StringField(_l("At least this many delivery addresses"),
                                validators=[Optional()])
    min_orders = StringField(_l("At least this many orders"), validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)

    def params(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "min_months", "max_months", "category", "min_addresses", "min_orders")}


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    stages = SelectMultipleField(_l("Stage"), choices=[], validate_choice=False)
    segments = SelectMultipleField(_l("RFM segment"), choices=[], validate_choice=False)
    tags = StringField(_l("Has every tag"), validators=[Optional(), Length(max=300)],
                       description=_l("Separate tags with commas."))
    city = StringField(_l("City"), validators=[Optional(), Length(max=40)])
    center_id = SelectField(_l("Favourite center"), choices=[], validate_choice=False)
    marketing_consent = SelectField(_l("Marketing consent"), choices=[
        SelectChoice("", _l("— either —")), SelectChoice("1", _l("Agreed to offers")),
        SelectChoice("0", _l("Not agreed"))], default="")
    min_monetary = IntegerField(_l("Spend in 12 months at least (yuan)"),
                                validators=[Optional(), NumberRange(min=0)])
    min_frequency = IntegerField(_l("Orders in 12 months at least"),
                                 validators=[Optional(), NumberRange(min=0)])
    max_recency_days = IntegerField(_l("Bought within the last … days"),
                                    validators=[Optional(), NumberRange(min=0)])
    min_recency_days = IntegerField(_l("Not bought for … days or more"),
                                    validators=[Optional(), NumberRange(min=0)])

    def filters(self) -> dict:
        consent = self.marketing_consent.data
        return {
            "stages": self.stages.data or [], "segments": self.segments.data or [],
            "tags": self.tags.data or "", "city": self.city.data or "",
            "center_id": self.center_id.data or None,
            "marketing_consent": None if consent in (None, "") else consent == "1",
            "min_monetary": (self.min_monetary.data * 100
                             if self.min_monetary.data is not None else None),
            "min_frequency": self.min_frequency.data,
            "max_recency_days": self.max_recency_days.data,
            "min_recency_days": self.min_recency_days.data,
        }


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()],
                     description=_l("First line: the column names, e.g. 姓名, 手机, 邮箱, 性别, "
                                    "生日, 城市, 区, 地址, 宝宝生日. UTF-8 or GB18030."))
