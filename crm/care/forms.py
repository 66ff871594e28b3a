"""Forms of the care pages: complaints, a goodwill coupon, a recall."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.forms import IntegerField
from crm.customers.forms import choices
from storefront.admin_forms import YuanField

from . import goodwill, recalls
from .labels import CATEGORY_LABELS, CHANNEL_LABELS, REMEDY_LABELS, SEVERITY_LABELS


class ComplaintForm(FlaskForm):
    """A complaint logged by an agent (the customer and order come from the page)."""

    channel = SelectField(_l("Channel"), choices=choices(CHANNEL_LABELS, blank=False))
    category = SelectField(_l("Category"), choices=choices(CATEGORY_LABELS, blank=False))
    severity = SelectField(_l("Severity"), choices=choices(SEVERITY_LABELS, blank=False),
                           default="medium")
    product_id = SelectField(_l("Product"), choices=[], validate_choice=False)
    description = TextAreaField(_l("What went wrong"),
                                validators=[DataRequired(), Length(max=4000)])


class CustomerComplaintForm(FlaskForm):
    """A customer's complaint about their own order."""

    category = SelectField(_l("What is it about"),
                           choices=choices(CATEGORY_LABELS, blank=False))
    description = TextAreaField(_l("Tell us what went wrong"),
                                validators=[DataRequired(), Length(max=4000)])


#: the most a remedy's amount may be, in yuan (a refund is bounded by the order besides)
MAX_REMEDY_YUAN = 1_000_000


class ComplaintStepForm(FlaskForm):
    to = SelectField(_l("Next step"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    remedy = SelectField(_l("Remedy"), choices=choices(REMEDY_LABELS), default="")
    remedy_amount = IntegerField(_l("Amount (yuan)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_REMEDY_YUAN)])
    replacement_quantity = IntegerField(
        _l("Units to replace"), validators=[Optional(), NumberRange(min=1, max=99)],
        description=_l("A replacement: the complained item again, free (default: as ordered)."))
    root_cause = TextAreaField(_l("Root cause"), validators=[Optional(), Length(max=4000)])
    prevention = TextAreaField(_l("Prevention"), validators=[Optional(), Length(max=4000)],
                               description=_l("What changes so it does not happen again."))

    def validate_remedy_amount(self, field):
        """A coupon is capped like one given by hand (the service says so too)."""
        if self.remedy.data == "coupon" and field.data \
                and field.data * 100 > goodwill.MAX_GOODWILL_AMOUNT:
            raise ValidationError(_l("A coupon takes at most %(yuan)d yuan off.",
                                     yuan=goodwill.MAX_GOODWILL_AMOUNT // 100))


class GiveCouponForm(FlaskForm):
    amount = YuanField(_l("Takes off (yuan)"), validators=[
        InputRequired(message=_l("Enter the amount the coupon takes off, more than 0."))])
    minimum_amount = YuanField(_l("For orders from (yuan)"), validators=[Optional()],
                               description=_l("Leave empty for any order."))
    valid_days = IntegerField(_l("Valid for (days)"), default=90, validators=[
        InputRequired(), NumberRange(min=1, max=goodwill.MAX_VALID_DAYS)])
    note = StringField(_l("Why"), validators=[
        InputRequired(message=_l("Say why the customer gets this coupon.")), Length(max=200)])


class RecallForm(FlaskForm):
    lot_id = IntegerField(_l("Lot"), validators=[InputRequired()])
    advice = TextAreaField(_l("What the customer should do"),
                           validators=[Optional(), Length(max=500)],
                           description=_l("Leave empty for: %(advice)s",
                                          advice=recalls.DEFAULT_ADVICE))
