"""Forms of the customer center's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

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
