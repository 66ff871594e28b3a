"""Forms of the outreach pages: a campaign."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class CampaignForm(FlaskForm):
    """A campaign over a saved segment: the channel, the purpose and what it says."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    segment_id = SelectField(_l("Saved segment"), choices=[], validate_choice=False)
    channel = SelectField(_l("Channel"), choices=[
        SelectChoice("sms", _l("SMS (outbox)")), SelectChoice("email", _l("E-mail (outbox)")),
        SelectChoice("phone", _l("Phone call (the agent's queue)"))])
    purpose = SelectField(_l("Purpose"), choices=[
        SelectChoice("marketing", _l("Marketing (needs the marketing consent)")),
        SelectChoice("service", _l("Service notice"))])
    subject = StringField(_l("E-mail subject"), validators=[Optional(), Length(max=200)])
    script = TextAreaField(_l("Message or call script"),
                           validators=[DataRequired(), Length(max=2000)],
                           description=_l("Placeholders: {name}, {baby_age}, {shop}; "
                                          "{agent} in a call script."))


class SendForm(FlaskForm):
    """The first sending: the share held out as the control group and the window in which
    orders count as the campaign's outcome."""

    holdout_percent = IntegerField(
        _l("Hold out as control group (%)"), default=0,
        validators=[NumberRange(min=0, max=50)],
        description=_l("Chosen at random; they get nothing. 0 for no control group."))
    attribution_days = IntegerField(
        _l("Measure orders for (days)"), default=30,
        validators=[NumberRange(min=1, max=365)])
