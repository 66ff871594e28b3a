"""Forms of the follow-up pages: recording a call, editing a rule."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import IntegerField

from .labels import OUTCOME_LABELS
from .queue import OUTCOMES


def _int_or_none(value):
    if value in (None, ""):
        return None
    return int(value)


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
    next_action = StringField(_l("Next action"), validators=[Optional(), Length(max=200)],
                              description=_l("E.g. send a sample, call back after the trip."))
    next_action_on = DateField(_l("Next action on"), validators=[Optional()])


class FollowUpRuleForm(FlaskForm):
    active = BooleanField(_l("On"))
    delay_days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(min=-60, max=365)])
    channel = SelectField(_l("Channel"), choices=[
        SelectChoice("phone", _l("Phone call (the agent's queue)")),
        SelectChoice("sms", _l("SMS (outbox)")), SelectChoice("email", _l("E-mail (outbox)"))])
    script = TextAreaField(_l("Script"), validators=[Optional(), Length(max=2000)],
                           description=_l("Placeholders: {name}, {products}, {baby_age}, {shop}, "
                                          "{agent}. Empty: the standard script."))
    segment_id = SelectField(_l("Only customers in segment"), choices=[],
                             validate_choice=False)
