"""Pages that submit a form to a service: validate, call, commit once, or show what was wrong."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import flash
from wtforms import fields

from .errors import DomainError, ValidationFailed
from .extensions import db
from .inputs import MAX_ID


class IntegerField(fields.IntegerField):
    """WTForms' whole number, refusing (as not a whole number) one past what a column holds:
    a form's number becomes an id, a count or an amount in the database."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_ID <= self.data <= MAX_ID:
            self.data = None
            raise ValueError(self.invalid_value_message
                             or self.gettext("Not a valid integer value."))


class DecimalField(fields.DecimalField):
    """WTForms' decimal, refusing NaN and the infinities (a range check cannot compare a
    signalling NaN: it fails instead of saying no)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message
                             or self.gettext("Not a valid decimal value."))


def apply_domain_errors(form, err: DomainError) -> None:
    """Show a service's ``ValidationFailed`` errors on the form's fields.

    Errors for fields the form does not have (or without a field) go to ``form_errors``,
    which templates show above the form.
    """
    placed = False
    for name, messages in (err.errors or {}).items():
        if isinstance(messages, str):
            messages = [messages]
        elif isinstance(messages, dict):
            messages = [str(m) for sub in messages.values() for m in
                        (sub if isinstance(sub, list | tuple) else [sub])]
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(m) for m in messages]
        else:
            form.form_errors.extend(str(m) for m in messages)
        placed = True
    if not placed:
        form.form_errors.append(str(err.message))


def submit_form(form, action: Callable[[], Any], success: Callable[[Any], str]) -> bool:
    """Run ``action`` (the service call) for a valid submitted form and commit.

    ``success(result)`` builds the flash message before the commit (after it the objects
    are expired). Returns False when the form was not submitted or not valid, or the
    service refused: its errors are then on the form and the transaction is rolled back.
    """
    if not form.validate_on_submit():
        return False
    try:
        result = action()
        message = success(result)
    except ValidationFailed as err:
        db.session.rollback()
        apply_domain_errors(form, err)
        return False
    db.session.commit()
    flash(message, "success")
    return True


def form_status(form) -> int:
    """400 for a form sent back with errors, 200 for a first view."""
    return 400 if form.is_submitted() else 200


def flash_errors(err: DomainError) -> None:
    """A service refused on a page that goes back where it came from: roll back and show
    each message (those of a ``ValidationFailed``'s fields, else the error's own)."""
    db.session.rollback()
    errors = err.errors if isinstance(err, ValidationFailed) else None
    messages = [str(m) for ms in (errors or {}).values() for m in ms] or [str(err.message)]
    for message in messages:
        flash(message, "error")


def form_refusal(form) -> ValidationFailed:
    """A form's own errors as a refusal, each message after its field's label, so that
    ``flash_errors`` shows them the way it shows the service's."""
    errors = {}
    for name, messages in form.errors.items():
        field = getattr(form, name, None)
        label = field.label.text if field is not None and hasattr(field, "label") else ""
        errors[name] = [f"{label}: {m}" if label else str(m) for m in messages]
    return ValidationFailed(errors=errors)
