"""Forms of the customer center's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from .followups import OUTCOMES

OUTCOME_LABELS = {
    "reached": _l("Reached the customer"),
    "unreached": _l("No answer (try again later)"),
    "wrong_number": _l("Wrong number"),
    "declined": _l("Customer declined to talk"),
}


def _int_or_none(value):
    if value in (None, ""):
        return None
    return int(value)


class CustomerSearchForm(FlaskForm):
    """The customer list's search box (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class FollowUpOutcomeForm(FlaskForm):
    outcome = SelectField(_l("Outcome"),
                          choices=[SelectChoice(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
                          validators=[DataRequired()])
    satisfaction = SelectField(
        _l("Satisfaction"), coerce=_int_or_none,
        choices=[SelectChoice("", _l("— not asked —")), SelectChoice("5", _l("5 · very satisfied")),
                 SelectChoice("4"), SelectChoice("3"), SelectChoice("2"),
                 SelectChoice("1", _l("1 · very dissatisfied"))],
        validators=[Optional()],
        description=_l("Only when you reached the customer."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)],
                          description=_l("What the customer said; needs, wishes, complaints."))


_GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other")}
CHANNEL_CHOICE_LABELS = {"phone": _l("Phone call"), "sms": _l("SMS"), "email": _l("E-mail"),
                         "wechat": _l("WeChat")}
TIME_LABELS = {"morning": _l("Morning"), "afternoon": _l("Afternoon"),
               "evening": _l("Evening"), "weekend": _l("Weekend")}
SOURCE_LABELS = {"web": _l("Web shop"), "store": _l("In a store"), "event": _l("At an event"),
                 "hotline": _l("Hotline"), "referral": _l("Recommended by a friend"),
                 "import": _l("Imported"), "agent": _l("Entered by an agent")}


def _choices(labels: dict, blank=True) -> list:
    head = [SelectChoice("", _l("— not known —"))] if blank else []
    return head + [SelectChoice(k, v) for k, v in labels.items()]


class ProfileForm(FlaskForm):
    """A customer's profile, as an agent fills it in (also for a new prospect)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254), Email()])
    gender = SelectField(_l("Gender"), choices=_choices(_GENDER_LABELS), default="")
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=40)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    occupation = StringField(_l("Occupation"), validators=[Optional(), Length(max=60)])
    interests = StringField(_l("Interests"), validators=[Optional(), Length(max=300)],
                            description=_l("E.g. cooking, infant care, gifts for parents."))
    source = SelectField(_l("How they found us"), choices=_choices(SOURCE_LABELS, blank=False),
                         default="agent")
    preferred_channel = SelectField(_l("Preferred channel"),
                                    choices=_choices(CHANNEL_CHOICE_LABELS), default="")
    preferred_time = SelectField(_l("Preferred time"), choices=_choices(TIME_LABELS),
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
    gender = SelectField(_l("Gender"), choices=_choices(_GENDER_LABELS), default="")
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[Optional()],
                         description=_l("While the baby is on the way."))


class TagForm(FlaskForm):
    tag = StringField(_l("Tag"), validators=[DataRequired(), Length(max=40)])
